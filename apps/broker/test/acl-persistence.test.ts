/**
 * ACLs survive a restart, and PLAINTEXT connections are `User:ANONYMOUS`. Goal: the ACLs are in the
 * metadata log (replayed, and decoded through its schema, at the next start), not in a broker's
 * memory; and a PLAINTEXT client under an authorizer is judged as the anonymous principal. Method: a
 * SASL broker gets ACLs from the super user, is stopped cleanly and started again on the same data
 * directory, and the ACLs are still listed and still enforced; a PLAINTEXT broker with the
 * authorizer refuses the anonymous principal's CreateAcls and CreateTopics, and
 * `allow.everyone.if.no.acl.found=true` opens a resource no ACL names until an ACL names it.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode, encodeRecordBatch } from "@eddy/protocol";
import { aclBrokerArgs, rawAs } from "./acl-fixture.ts";
import { type RunningBroker, removeDir, startBroker, tempDir } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

const standard = "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer";
const started: RunningBroker[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const b of started.splice(0)) if (b.process.exitCode === null) await b.stop();
  for (const d of dirs.splice(0)) removeDir(d);
});

function produceBody(topic: string) {
  const batch = encodeRecordBatch({
    baseTimestamp: BigInt(Date.now()),
    records: [{ value: new TextEncoder().encode("v") }],
  });
  return {
    acks: 1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }],
  };
}

const allowWrite = (principal: string, topic: string) => ({
  resourceType: 2,
  resourceName: topic,
  resourcePatternType: 3,
  principal,
  host: "*",
  operation: 4,
  permissionType: 3,
});

const everyAcl = {
  resourceTypeFilter: 1,
  resourceNameFilter: null,
  patternTypeFilter: 1,
  principalFilter: null,
  hostFilter: null,
  operation: 1,
  permissionType: 1,
};

async function produceCode(client: RawClient, topic: string): Promise<number> {
  const r = await client.request(ApiKey.Produce, 7, produceBody(topic));
  return r.responses[0]!.partitionResponses[0]!.errorCode;
}

describe("ACLs in the metadata log", () => {
  test("listed and enforced again after a restart on the same data directory", async () => {
    const dataDir = tempDir("acl-restart");
    dirs.push(dataDir);
    const first = await startBroker({ args: aclBrokerArgs, dataDir });
    started.push(first);
    const admin = await rawAs(first.port, "admin");
    const created = await admin.request(ApiKey.CreateTopics, 3, {
      topics: [{ name: "kept", numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 10_000,
    });
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const acl = await admin.request(ApiKey.CreateAcls, 1, { creations: [allowWrite("User:alice", "kept")] });
    expect(acl.results[0]!.errorCode).toBe(ErrorCode.NONE);
    admin.close();
    expect(await first.stop()).toBe(0);

    const second = await startBroker({ args: aclBrokerArgs, dataDir });
    started.push(second);
    const admin2 = await rawAs(second.port, "admin");
    const listed = await admin2.request(ApiKey.DescribeAcls, 1, everyAcl);
    expect(listed.errorCode).toBe(ErrorCode.NONE);
    expect(listed.resources.map((r) => [r.resourceName, r.acls.map((a) => a.principal)])).toEqual([
      ["kept", ["User:alice"]],
    ]);
    const alice = await rawAs(second.port, "alice");
    const mallory = await rawAs(second.port, "mallory");
    expect(await produceCode(alice, "kept")).toBe(ErrorCode.NONE);
    expect(await produceCode(mallory, "kept")).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    for (const c of [admin2, alice, mallory]) c.close();
  }, 60_000);
});

describe("PLAINTEXT under an authorizer", () => {
  test("a PLAINTEXT client is User:ANONYMOUS: with no ACL it may create neither ACLs nor topics", async () => {
    const broker = await startBroker({
      args: ["--override", standard, "--override", "auto.create.topics.enable=false"],
    });
    started.push(broker);
    dirs.push(broker.dataDir);
    const client = await RawClient.connect(broker.port);
    // No one can create the ACL over PLAINTEXT without an ACL: the anonymous principal lacks ALTER.
    const refused = await client.request(ApiKey.CreateAcls, 1, {
      creations: [allowWrite("User:ANONYMOUS", "t")],
    });
    expect(refused.results[0]!.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const topics = await client.request(ApiKey.CreateTopics, 3, {
      topics: [{ name: "t", numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
    expect(topics.topics[0]!.errorCode).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    client.close();
  }, 60_000);

  test("allow.everyone.if.no.acl.found opens resources no ACL names", async () => {
    const broker = await startBroker({
      args: ["--override", standard, "--override", "allow.everyone.if.no.acl.found=true"],
    });
    started.push(broker);
    dirs.push(broker.dataDir);
    const client = await RawClient.connect(broker.port);
    const topics = await client.request(ApiKey.CreateTopics, 3, {
      topics: [{ name: "open", numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
    expect(topics.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await produceCode(client, "open")).toBe(ErrorCode.NONE);
    // An ACL on the topic for someone else means "no ACL found" no longer applies to it.
    const acl = await client.request(ApiKey.CreateAcls, 1, { creations: [allowWrite("User:alice", "open")] });
    expect(acl.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await produceCode(client, "open")).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    client.close();
  }, 60_000);
});
