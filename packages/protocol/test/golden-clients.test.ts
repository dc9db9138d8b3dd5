// Golden tests: request frames captured from real clients (kcat/librdkafka 2.0.2, kafka-python 2.0.2,
// kafkajs 2.2.4, @platformatic/kafka 2.12.1) by scripts/capture.ts and committed in testdata/golden.
// Each frame must decode to the values the client is known to send, and re-encoding the decoded request
// with our codec must give back the client's exact bytes: a check of the encoder against independent
// implementations, not just against our own decoder.

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ApiKey,
  decodeAssignmentBytes,
  decodeRequest,
  decodeSubscriptionBytes,
  encodeRequest,
  type KafkaRequest,
  requestHeaderVersion,
  Writer,
} from "../src/index.ts";

const goldenDir = join(import.meta.dir, "../testdata/golden");

function frames(file: string): { hex: string; req: KafkaRequest }[] {
  return readFileSync(join(goldenDir, file), "utf8")
    .trim()
    .split("\n")
    .map((hex) => ({ hex, req: decodeRequest(Buffer.from(hex, "hex")) }));
}

function sequence(file: string): string[] {
  return frames(file).map(({ req }) => `${req.apiKey}v${req.apiVersion}`);
}

// Narrowing helper: fails the test when the frame is not the expected api.
function as<K extends KafkaRequest["apiKey"]>(
  req: KafkaRequest,
  key: K,
): Extract<KafkaRequest, { apiKey: K }> {
  expect(req.apiKey).toBe(key);
  return req as Extract<KafkaRequest, { apiKey: K }>;
}

// A magic v2 record batch starts with baseOffset (8), batchLength (4), partitionLeaderEpoch (4), magic (1).
function magicOf(records: Uint8Array | null): number {
  expect(records).not.toBeNull();
  return records![16]!;
}

const files = readdirSync(goldenDir)
  .filter((n) => n.endsWith(".hex"))
  .sort();

test("the captures cover every client and both profiles", () => {
  expect(files).toEqual([
    "compat-kafka-python-consume.hex",
    "compat-kafka-python-produce.hex",
    "compat-kafkajs-consume.hex",
    "compat-kafkajs-produce.hex",
    "compat-kcat-consume.hex",
    "compat-kcat-group.hex",
    "compat-kcat-metadata.hex",
    "compat-kcat-produce.hex",
    "compat-platformatic-consume.hex",
    "compat-platformatic-produce.hex",
    "full-platformatic-consume.hex",
    "full-platformatic-produce.hex",
  ]);
});

describe("every captured frame re-encodes to the client's exact bytes", () => {
  for (const file of files) {
    test(file, () => {
      for (const { hex, req } of frames(file)) {
        const w = new Writer();
        encodeRequest(
          w,
          req.apiKey,
          req.apiVersion,
          req.header.correlationId,
          req.header.clientId,
          req.body as never,
        );
        expect(Buffer.from(w.finish()).toString("hex")).toBe(hex);
      }
    });
  }
});

test("kafka-python 2.0.2 producer: ApiVersions v0 probe, Metadata v0 and v1, Produce v7 acks=1", () => {
  const f = frames("compat-kafka-python-produce.hex");
  expect(sequence("compat-kafka-python-produce.hex")).toEqual(["18v0", "3v0", "3v1", "0v7"]);
  for (const { req } of f) expect(req.header.clientId).toBe("golden-kpy");
  expect(as(f[1]!.req, ApiKey.Metadata).body.topics).toEqual([]);
  expect(as(f[2]!.req, ApiKey.Metadata).body.topics).toBeNull();
  const produce = as(f[3]!.req, ApiKey.Produce).body;
  expect(produce.acks).toBe(1);
  expect(produce.transactionalId).toBeNull();
  expect(produce.topicData.map((t) => t.name)).toEqual(["golden"]);
  expect(produce.topicData[0]!.partitionData[0]!.index).toBe(0);
  expect(magicOf(produce.topicData[0]!.partitionData[0]!.records)).toBe(2);
});

test("kafkajs 2.2.4 producer: ApiVersions v2, Metadata v6, Produce v7 acks=-1", () => {
  const f = frames("compat-kafkajs-produce.hex");
  expect(sequence("compat-kafkajs-produce.hex")).toEqual(["18v2", "3v6", "0v7"]);
  for (const { req } of f) expect(req.header.clientId).toBe("golden-kjs");
  const md = as(f[1]!.req, ApiKey.Metadata).body;
  expect(md.topics?.map((t) => t.name)).toEqual(["golden"]);
  expect(md.allowAutoTopicCreation).toBe(true);
  const produce = as(f[2]!.req, ApiKey.Produce).body;
  expect(produce.acks).toBe(-1);
  expect(magicOf(produce.topicData[0]!.partitionData[0]!.records)).toBe(2);
});

test("kcat 1.7.1 (librdkafka 2.0.2): ApiVersions v3 with a flexible header, Metadata v4", () => {
  const f = frames("compat-kcat-metadata.hex");
  expect(sequence("compat-kcat-metadata.hex")).toEqual(["18v3", "3v4", "3v4"]);
  const av = as(f[0]!.req, ApiKey.ApiVersions);
  expect(requestHeaderVersion(av.apiKey, av.apiVersion)).toBe(2);
  expect(av.header.clientId).toBe("golden-kcat");
  expect(av.body.clientSoftwareName).toBe("librdkafka");
  expect(av.body.clientSoftwareVersion).toBe("2.0.2");
  // librdkafka first asks for brokers only (an empty list), then kcat -L asks for every topic (null).
  expect(as(f[1]!.req, ApiKey.Metadata).body.topics).toEqual([]);
  expect(as(f[1]!.req, ApiKey.Metadata).body.allowAutoTopicCreation).toBe(false);
  expect(as(f[2]!.req, ApiKey.Metadata).body.topics).toBeNull();
});

test("kcat producer: Produce v7 with acks=-1 and a magic v2 batch", () => {
  const f = frames("compat-kcat-produce.hex");
  expect(sequence("compat-kcat-produce.hex")).toEqual(["18v3", "3v4", "0v7"]);
  const produce = as(f[2]!.req, ApiKey.Produce).body;
  expect(produce.acks).toBe(-1);
  expect(produce.topicData[0]!.name).toBe("golden");
  expect(magicOf(produce.topicData[0]!.partitionData[0]!.records)).toBe(2);
});

test("kcat consumer: ListOffsets v2 for the earliest offset, then Fetch v11", () => {
  const f = frames("compat-kcat-consume.hex");
  expect(sequence("compat-kcat-consume.hex")).toEqual(["18v3", "3v4", "3v4", "2v2", "1v11", "1v11", "1v11"]);
  const lo = as(f[3]!.req, ApiKey.ListOffsets).body;
  expect(lo.replicaId).toBe(-1);
  expect(lo.topics[0]!.name).toBe("golden");
  expect(lo.topics[0]!.partitions[0]!.timestamp).toBe(-2n);
  const fetch = as(f[4]!.req, ApiKey.Fetch).body;
  expect(fetch.replicaId).toBe(-1);
  expect(fetch.isolationLevel).toBe(1);
  expect(fetch.maxWaitMs).toBe(500);
  expect(fetch.topics[0]!.topic).toBe("golden");
  expect(fetch.topics[0]!.partitions[0]!.partition).toBe(0);
  expect(fetch.topics[0]!.partitions[0]!.fetchOffset).toBe(0n);
  expect(fetch.rackId).toBe("");
});

test("@platformatic/kafka 2.12.1 with the non-flexible profile: ApiVersions v3, Metadata v8, Produce v8", () => {
  const f = frames("compat-platformatic-produce.hex");
  expect(sequence("compat-platformatic-produce.hex")).toEqual(["18v3", "3v8", "0v8"]);
  const av = as(f[0]!.req, ApiKey.ApiVersions).body;
  expect(av.clientSoftwareName).toBe("platformatic-kafka");
  expect(av.clientSoftwareVersion).toBe("2.12.1");
  const produce = as(f[2]!.req, ApiKey.Produce).body;
  expect(produce.acks).toBe(-1);
  expect(magicOf(produce.topicData[0]!.partitionData[0]!.records)).toBe(2);
});

test("@platformatic/kafka 2.12.1 with full ranges: flexible Metadata v12 and Produce v11", () => {
  const f = frames("full-platformatic-produce.hex");
  expect(sequence("full-platformatic-produce.hex")).toEqual(["18v3", "3v12", "0v11"]);
  const md = as(f[1]!.req, ApiKey.Metadata);
  expect(requestHeaderVersion(md.apiKey, md.apiVersion)).toBe(2);
  expect(md.body.topics?.map((t) => [t.name, t.topicId])).toEqual([["golden", "AAAAAAAAAAAAAAAAAAAAAA"]]);
  const produce = as(f[2]!.req, ApiKey.Produce);
  expect(produce.header.clientId).toBe("golden-plt");
  expect(produce.body.acks).toBe(-1);
  expect(produce.body.timeoutMs).toBe(5000);
  expect(magicOf(produce.body.topicData[0]!.partitionData[0]!.records)).toBe(2);
});

test("kafka-python 2.0.2 consumer: classic group at fixed old versions, consumer protocol v0", () => {
  const file = "compat-kafka-python-consume.hex";
  expect(sequence(file)).toEqual([
    "18v0",
    "3v0",
    "10v0",
    "3v1",
    "11v2",
    "14v1",
    "3v1",
    "9v1",
    "2v1",
    "1v4",
    "8v2",
    "13v1",
  ]);
  const f = frames(file).map((x) => x.req);
  expect(as(f[2]!, ApiKey.FindCoordinator).body.key).toBe("golden-group");
  const join = as(f[4]!, ApiKey.JoinGroup).body;
  expect(join.groupId).toBe("golden-group");
  expect(join.memberId).toBe("");
  expect(join.protocolType).toBe("consumer");
  expect(join.protocols.map((p) => p.name)).toEqual(["range", "roundrobin"]);
  const sub = decodeSubscriptionBytes(join.protocols[0]!.metadata);
  expect(sub.version).toBe(0);
  expect(sub.subscription.topics).toEqual(["golden"]);
  const sync = as(f[5]!, ApiKey.SyncGroup).body;
  expect(sync.memberId).toBe("golden-member-1");
  const assignment = decodeAssignmentBytes(sync.assignments[0]!.assignment).assignment;
  expect(assignment.assignedPartitions).toEqual([{ topic: "golden", partitions: [0] }]);
  expect(as(f[8]!, ApiKey.ListOffsets).body.topics[0]!.partitions[0]!.timestamp).toBe(-2n);
  expect(as(f[9]!, ApiKey.Fetch).body.topics[0]!.partitions[0]!.fetchOffset).toBe(0n);
  const commit = as(f[10]!, ApiKey.OffsetCommit).body;
  expect(commit.generationIdOrMemberEpoch).toBe(1);
  expect(commit.retentionTimeMs).toBe(-1n);
  expect(commit.topics[0]!.partitions[0]!.committedOffset).toBe(1n);
  expect(as(f[11]!, ApiKey.LeaveGroup).body.memberId).toBe("golden-member-1");
});

test("kafkajs 2.2.4 consumer: JoinGroup v5, SyncGroup v3, OffsetFetch v4, Fetch v11, OffsetCommit v5", () => {
  const file = "compat-kafkajs-consume.hex";
  expect(sequence(file)).toEqual([
    "18v2",
    "3v6",
    "10v2",
    "11v5",
    "3v6",
    "14v3",
    "9v4",
    "2v3",
    "1v11",
    "8v5",
    "13v3",
  ]);
  const f = frames(file).map((x) => x.req);
  const join = as(f[3]!, ApiKey.JoinGroup).body;
  expect(join.protocolType).toBe("consumer");
  expect(decodeSubscriptionBytes(join.protocols[0]!.metadata).subscription.topics).toEqual(["golden"]);
  const offsetFetch = as(f[6]!, ApiKey.OffsetFetch).body;
  expect(offsetFetch.groupId).toBe("golden-group");
  expect(offsetFetch.topics?.[0]?.partitionIndexes).toEqual([0]);
  const commit = as(f[9]!, ApiKey.OffsetCommit).body;
  expect(commit.topics[0]!.partitions[0]!.committedOffset).toBe(1n);
  expect(as(f[10]!, ApiKey.LeaveGroup).body.members.map((m) => m.memberId)).toEqual(["golden-member-1"]);
});

test("kcat balanced consumer (librdkafka 2.0.2): JoinGroup v5, Heartbeat v3, OffsetCommit v7", () => {
  const file = "compat-kcat-group.hex";
  const seq = sequence(file);
  for (const kind of ["10v2", "11v5", "14v3", "12v3", "9v5", "2v2", "1v11", "8v7", "13v1"])
    expect(seq).toContain(kind);
  const f = frames(file).map((x) => x.req);
  const join = f.find((r) => r.apiKey === ApiKey.JoinGroup)!;
  const body = as(join, ApiKey.JoinGroup).body;
  expect(body.sessionTimeoutMs).toBe(45000);
  expect(body.protocols.map((p) => p.name)).toEqual(["range", "roundrobin"]);
  expect(decodeSubscriptionBytes(body.protocols[0]!.metadata).version).toBe(1);
  const commit = as(f.find((r) => r.apiKey === ApiKey.OffsetCommit)!, ApiKey.OffsetCommit).body;
  expect(commit.topics[0]!.partitions[0]!.committedOffset).toBe(1n);
});

test("@platformatic/kafka 2.12.1 consumer with full ranges: flexible group apis and Fetch v17 by topic id", () => {
  const file = "full-platformatic-consume.hex";
  expect(sequence(file)).toEqual([
    "18v3",
    "10v6",
    "3v12",
    "11v9",
    "14v5",
    "2v9",
    "1v17",
    "1v17",
    "8v9",
    "13v5",
  ]);
  const f = frames(file).map((x) => x.req);
  expect(as(f[1]!, ApiKey.FindCoordinator).body.coordinatorKeys).toEqual(["golden-group"]);
  const join = as(f[3]!, ApiKey.JoinGroup).body;
  expect(join.reason).toBe("");
  const sub = decodeSubscriptionBytes(join.protocols[0]!.metadata);
  expect(sub.subscription.topics).toEqual(["golden"]);
  expect(sub.subscription.userData).toBeNull();
  const fetch = as(f[6]!, ApiKey.Fetch).body;
  // Fetch 13+ names topics by id only; the id is the one our Metadata v12 answer gave.
  expect(fetch.topics[0]!.topic).toBe("");
  expect(fetch.topics[0]!.topicId).toBe("R29sZGVuVG9waWNJZDAxMg");
  expect(fetch.topics[0]!.partitions[0]!.fetchOffset).toBe(0n);
  expect(as(f[7]!, ApiKey.Fetch).body.topics[0]!.partitions[0]!.fetchOffset).toBe(1n);
  expect(as(f[8]!, ApiKey.OffsetCommit).body.topics[0]!.partitions[0]!.committedOffset).toBe(1n);
});
