/**
 * Fetch's versions past the ones clients are offered, against `bun run broker` (one node). Goal:
 * ApiVersions still lists Fetch v4-v11 to clients, a consumer's Fetch v13 (topics by id) reads a
 * topic by its id and answers UNKNOWN_TOPIC_ID for an id the broker does not know, and a replica's
 * Fetch v16 to a cluster of one, which has no followers, is refused NOT_LEADER_OR_FOLLOWER without a
 * record. Method: the topic is created through the admin API, which also gives its id; records are
 * produced with Produce v7 and fetched with raw frames.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { decodeRecordBatch, ErrorCode, encodeRecordBatch } from "@eddy/protocol";
import { type AdminBroker, startAdminBroker } from "../../test/admin-harness.ts";
import { removeDir } from "../../test/harness.ts";
import { RawClient } from "../../test/raw-client.ts";
import { wireTopicId } from "../cluster/replica-fetch-wire.ts";

let started: AdminBroker;
beforeAll(async () => {
  started = await startAdminBroker();
});
afterAll(async () => {
  expect(await started.broker.stop()).toBe(0);
  removeDir(started.broker.dataDir);
});

const topic = "by-id";

function fetchBy(topicId: string, extra: Record<string, unknown> = {}) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topicId,
        partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }],
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
    ...extra,
  };
}

test("Fetch past v11: clients are offered v11; v13 reads by topic id; a replica's v16 to a single node is refused", async () => {
  const created = await fetch(`${started.admin}/api/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: topic, partitions: 1 }),
  });
  expect(created.status).toBeLessThan(300);
  const described = (await (await fetch(`${started.admin}/api/v1/topics/${topic}`)).json()) as {
    topicId: string;
  };
  const topicId = wireTopicId(described.topicId);
  expect(topicId).not.toBeNull();

  const client = await RawClient.connect(started.broker.port);
  try {
    const versions = await client.request(18, 3, {
      clientSoftwareName: "eddy-test",
      clientSoftwareVersion: "1",
    });
    const fetchRange = versions.apiKeys.find((k) => k.apiKey === 1);
    expect(fetchRange).toMatchObject({ minVersion: 4, maxVersion: 11 });

    const records = encodeRecordBatch({
      baseTimestamp: BigInt(Date.now()),
      records: [{ value: new TextEncoder().encode("by id") }],
    });
    const produced = await client.request(0, 7, {
      acks: -1,
      timeoutMs: 5000,
      transactionalId: null,
      topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
    });
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);

    const byId = await client.request(1, 13, fetchBy(topicId!));
    expect(byId.responses[0]!.topicId).toBe(topicId!);
    const read = byId.responses[0]!.partitions[0]!;
    expect(read.errorCode).toBe(ErrorCode.NONE);
    expect(read.highWatermark).toBe(1n);
    // The batch as stored (its base offset and leader epoch set by the broker), holding the record.
    const stored = decodeRecordBatch(read.records!);
    expect(stored.records.map((r) => new TextDecoder().decode(r.value!))).toEqual(["by id"]);

    const unknown = wireTopicId("11111111-2222-4333-8444-555555555555")!;
    const missing = await client.request(1, 13, fetchBy(unknown));
    expect(missing.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect(missing.responses[0]!.partitions[0]!.records?.length ?? 0).toBe(0);

    // A follower's fetch: a cluster of one has no replication, so the partition is refused.
    const replica = await client.request(
      1,
      16,
      fetchBy(topicId!, { replicaState: { replicaId: 2, replicaEpoch: 7n }, maxWaitMs: 500 }),
    );
    expect(replica.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(replica.responses[0]!.partitions[0]!.records?.length ?? 0).toBe(0);
  } finally {
    client.close();
  }
}, 30_000);
