/**
 * ACL enforcement against `bun run broker` with Kafka's StandardAuthorizer over SASL_PLAINTEXT.
 * Goal: a principal no ACL allows gets Kafka's refusal code from every API that touches a topic, a
 * group or the cluster, and nothing is served: no record written or read, no topic, partition, group
 * or offset created, changed or deleted, no hidden topic listed. Method: the super user `admin` (no
 * ACL names it) sets up a topic with a record, a group with a member and a committed offset; the
 * principal `mallory` sends each API once on a raw authenticated connection; `admin` then reads back
 * that nothing changed. `alice` is granted ALL on the topics prefixed `alice-` with a DENY of WRITE on
 * one of them, and sees deny win, Metadata hide what she may not describe, and her own topics served.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { aclBrokerArgs, rawAs } from "./acl-fixture.ts";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import { oneRecordProduce } from "./produce-request.ts";
import type { RawClient } from "./raw-client.ts";

let broker: RunningBroker;
let admin: RawClient;
let mallory: RawClient;
let memberId = "";
let generationId = -1;
const group = "secret-group";

const TOPIC = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
const GROUP = ErrorCode.GROUP_AUTHORIZATION_FAILED;
const CLUSTER = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;

function fetchBody(topic: string) {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  };
}

/** The offset at `timestamp` (-1 latest, -2 earliest) of topic-0, as the super user reads it. */
async function offsetAt(topic: string, timestamp: bigint): Promise<bigint> {
  const r = await admin.request(ApiKey.ListOffsets, 1, {
    replicaId: -1,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp }] }],
  });
  expect(r.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  return r.topics[0]!.partitions[0]!.offset;
}

/** The values of topic-0 from offset 0, as the super user reads them. */
async function readValues(topic: string): Promise<string[]> {
  const r = await admin.request(ApiKey.Fetch, 4, fetchBody(topic));
  const p = r.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(ErrorCode.NONE);
  const text = new TextDecoder().decode(p.records ?? new Uint8Array(0));
  return ["hidden", "intruder"].filter((v) => text.includes(v));
}

async function topicNames(client: RawClient): Promise<string[]> {
  const r = await client.request(ApiKey.Metadata, 1, { topics: null });
  return r.topics.map((t) => t.name ?? "").sort();
}

async function committedOffset(): Promise<bigint> {
  const r = await admin.request(ApiKey.OffsetFetch, 1, {
    groupId: group,
    topics: [{ name: "secret", partitionIndexes: [0] }],
  });
  return r.topics[0]!.partitions[0]!.committedOffset;
}

async function groupMembers(): Promise<string[]> {
  const r = await admin.request(ApiKey.DescribeGroups, 1, { groups: [group] });
  expect(r.groups[0]!.errorCode).toBe(ErrorCode.NONE);
  return r.groups[0]!.members.map((m) => m.memberId);
}

beforeAll(async () => {
  broker = await startBroker({
    args: [...aclBrokerArgs, "--override", "group.initial.rebalance.delay.ms=0"],
  });
  admin = await rawAs(broker.port, "admin");
  mallory = await rawAs(broker.port, "mallory");
  const created = await admin.request(ApiKey.CreateTopics, 3, {
    topics: [
      { name: "secret", numPartitions: 1, replicationFactor: 1 },
      { name: "alice-locked", numPartitions: 1, replicationFactor: 1 },
    ],
    timeoutMs: 10_000,
  });
  expect(created.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  const produced = await admin.request(ApiKey.Produce, 7, oneRecordProduce("secret", 1, "hidden"));
  expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
  const joined = await admin.request(ApiKey.JoinGroup, 2, {
    groupId: group,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId: "",
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: new Uint8Array(0) }],
  });
  expect(joined.errorCode).toBe(ErrorCode.NONE);
  memberId = joined.memberId;
  generationId = joined.generationId;
  const synced = await admin.request(ApiKey.SyncGroup, 1, {
    groupId: group,
    generationId,
    memberId,
    assignments: [{ memberId, assignment: new Uint8Array(0) }],
  });
  expect(synced.errorCode).toBe(ErrorCode.NONE);
  const committed = await admin.request(ApiKey.OffsetCommit, 2, {
    groupId: group,
    generationIdOrMemberEpoch: generationId,
    memberId,
    retentionTimeMs: -1n,
    topics: [{ name: "secret", partitions: [{ partitionIndex: 0, committedOffset: 1n }] }],
  });
  expect(committed.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
}, 60_000);

afterAll(async () => {
  admin?.close();
  mallory?.close();
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

describe("a principal no ACL allows (mallory)", () => {
  test("Produce: TOPIC_AUTHORIZATION_FAILED and no record written", async () => {
    const r = await mallory.request(ApiKey.Produce, 7, oneRecordProduce("secret", 1, "intruder"));
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(TOPIC);
    expect(await offsetAt("secret", -1n)).toBe(1n);
  });

  test("Fetch (v4 and v11): TOPIC_AUTHORIZATION_FAILED and no bytes", async () => {
    for (const version of [4, 11]) {
      const r = await mallory.request(ApiKey.Fetch, version, fetchBody("secret"));
      const p = r.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(TOPIC);
      expect(p.records?.length ?? 0).toBe(0);
    }
  });

  test("ListOffsets: TOPIC_AUTHORIZATION_FAILED", async () => {
    const r = await mallory.request(ApiKey.ListOffsets, 1, {
      replicaId: -1,
      topics: [{ name: "secret", partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    });
    expect(r.topics[0]!.partitions[0]!.errorCode).toBe(TOPIC);
    expect(r.topics[0]!.partitions[0]!.offset).toBe(-1n);
  });

  test("Metadata hides the topic, refuses it by name, and auto-creates nothing", async () => {
    expect(await topicNames(mallory)).toEqual([]);
    expect((await topicNames(admin)).includes("secret")).toBe(true);
    const named = await mallory.request(ApiKey.Metadata, 1, {
      topics: [{ name: "secret" }, { name: "mallory-new" }],
    });
    expect(named.topics.map((t) => [t.name, t.errorCode, t.partitions.length])).toEqual([
      ["secret", TOPIC, 0],
      ["mallory-new", TOPIC, 0],
    ]);
    expect(await topicNames(admin)).not.toContain("mallory-new");
  });

  test("CreateTopics, DeleteTopics, CreatePartitions, DeleteRecords: TOPIC_AUTHORIZATION_FAILED, nothing changed", async () => {
    const created = await mallory.request(ApiKey.CreateTopics, 3, {
      topics: [{ name: "mallory-topic", numPartitions: 1, replicationFactor: 1 }],
      timeoutMs: 5000,
    });
    expect(created.topics[0]!.errorCode).toBe(TOPIC);
    const deleted = await mallory.request(ApiKey.DeleteTopics, 3, {
      topicNames: ["secret"],
      timeoutMs: 5000,
    });
    expect(deleted.responses[0]!.errorCode).toBe(TOPIC);
    const grown = await mallory.request(ApiKey.CreatePartitions, 1, {
      topics: [{ name: "secret", count: 3, assignments: null }],
      timeoutMs: 5000,
    });
    expect(grown.results[0]!.errorCode).toBe(TOPIC);
    const trimmed = await mallory.request(ApiKey.DeleteRecords, 1, {
      topics: [{ name: "secret", partitions: [{ partitionIndex: 0, offset: 1n }] }],
      timeoutMs: 5000,
    });
    expect(trimmed.topics[0]!.partitions[0]!.errorCode).toBe(TOPIC);
    const names = await topicNames(admin);
    expect(names).toContain("secret");
    expect(names).not.toContain("mallory-topic");
    const meta = await admin.request(ApiKey.Metadata, 1, { topics: [{ name: "secret" }] });
    expect(meta.topics[0]!.partitions).toHaveLength(1);
    // DeleteRecords removed nothing: the record at offset 0 is still read.
    expect(await readValues("secret")).toEqual(["hidden"]);
  });

  test("the group APIs: GROUP_AUTHORIZATION_FAILED, the group and its offsets untouched", async () => {
    const find = await mallory.request(ApiKey.FindCoordinator, 0, { key: group });
    expect(find.errorCode).toBe(GROUP);
    const join = await mallory.request(ApiKey.JoinGroup, 2, {
      groupId: group,
      sessionTimeoutMs: 30_000,
      rebalanceTimeoutMs: 30_000,
      memberId: "",
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: new Uint8Array(0) }],
    });
    expect(join.errorCode).toBe(GROUP);
    const sync = await mallory.request(ApiKey.SyncGroup, 1, {
      groupId: group,
      generationId,
      memberId,
      assignments: [],
    });
    expect(sync.errorCode).toBe(GROUP);
    const beat = await mallory.request(ApiKey.Heartbeat, 1, { groupId: group, generationId, memberId });
    expect(beat.errorCode).toBe(GROUP);
    const leave = await mallory.request(ApiKey.LeaveGroup, 1, { groupId: group, memberId });
    expect(leave.errorCode).toBe(GROUP);
    const commit = await mallory.request(ApiKey.OffsetCommit, 2, {
      groupId: group,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      retentionTimeMs: -1n,
      topics: [{ name: "secret", partitions: [{ partitionIndex: 0, committedOffset: 0n }] }],
    });
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(GROUP);
    const fetched = await mallory.request(ApiKey.OffsetFetch, 3, {
      groupId: group,
      topics: [{ name: "secret", partitionIndexes: [0] }],
    });
    expect(fetched.errorCode).toBe(GROUP);
    expect(fetched.topics).toEqual([]);
    const described = await mallory.request(ApiKey.DescribeGroups, 1, { groups: [group] });
    expect(described.groups[0]!.errorCode).toBe(GROUP);
    expect(described.groups[0]!.members).toEqual([]);
    const listed = await mallory.request(ApiKey.ListGroups, 1, {});
    expect(listed.groups).toEqual([]);
    expect((await admin.request(ApiKey.ListGroups, 1, {})).groups.map((g) => g.groupId)).toContain(group);
    const removed = await mallory.request(ApiKey.DeleteGroups, 1, { groupsNames: [group] });
    expect(removed.results[0]!.errorCode).toBe(GROUP);
    expect(await groupMembers()).toEqual([memberId]);
    expect(await committedOffset()).toBe(1n);
  });

  test("cluster APIs: InitProducerId, DescribeConfigs and the ACL APIs refused with Kafka's codes", async () => {
    const init = await mallory.request(ApiKey.InitProducerId, 1, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
    });
    expect(init.errorCode).toBe(CLUSTER);
    expect(init.producerId).toBe(-1n);
    const configs = await mallory.request(ApiKey.DescribeConfigs, 1, {
      resources: [
        { resourceType: 2, resourceName: "secret", configurationKeys: null },
        { resourceType: 4, resourceName: "1", configurationKeys: null },
      ],
    });
    expect(configs.results.map((r) => [r.errorCode, r.configs.length])).toEqual([
      [TOPIC, 0],
      [CLUSTER, 0],
    ]);
    const describe = await mallory.request(ApiKey.DescribeAcls, 1, {
      resourceTypeFilter: 1,
      resourceNameFilter: null,
      patternTypeFilter: 1,
      principalFilter: null,
      hostFilter: null,
      operation: 1,
      permissionType: 1,
    });
    expect(describe.errorCode).toBe(CLUSTER);
    const grant = {
      resourceType: 2,
      resourceName: "secret",
      resourcePatternType: 3,
      principal: "User:mallory",
      host: "*",
      operation: 2,
      permissionType: 3,
    };
    const create = await mallory.request(ApiKey.CreateAcls, 1, { creations: [grant] });
    expect(create.results[0]!.errorCode).toBe(CLUSTER);
    const del = await mallory.request(ApiKey.DeleteAcls, 1, {
      filters: [
        {
          resourceTypeFilter: 1,
          resourceNameFilter: null,
          patternTypeFilter: 1,
          principalFilter: null,
          hostFilter: null,
          operation: 1,
          permissionType: 1,
        },
      ],
    });
    expect(del.filterResults[0]!.errorCode).toBe(CLUSTER);
    // Still refused: mallory's own CreateAcls granted nothing.
    const produce = await mallory.request(ApiKey.Produce, 7, oneRecordProduce("secret", 1, "intruder"));
    expect(produce.responses[0]!.partitionResponses[0]!.errorCode).toBe(TOPIC);
  });
});

describe("a principal with ACLs (alice): deny wins, Metadata hides, her topics are served", () => {
  test("ALL on the prefix alice-, DENY WRITE on alice-locked", async () => {
    const acl = (resourceName: string, patternType: number, operation: number, permissionType: number) => ({
      resourceType: 2,
      resourceName,
      resourcePatternType: patternType,
      principal: "User:alice",
      host: "*",
      operation,
      permissionType,
    });
    // Pattern 4 is PREFIXED, 3 LITERAL; operation 2 is ALL, 4 WRITE; permission 3 ALLOW, 2 DENY.
    const created = await admin.request(ApiKey.CreateAcls, 1, {
      creations: [acl("alice-", 4, 2, 3), acl("alice-locked", 3, 4, 2)],
    });
    expect(created.results.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
    const alice = await rawAs(broker.port, "alice");
    try {
      const made = await alice.request(ApiKey.CreateTopics, 3, {
        topics: [
          { name: "alice-data", numPartitions: 1, replicationFactor: 1 },
          { name: "bob-data", numPartitions: 1, replicationFactor: 1 },
        ],
        timeoutMs: 10_000,
      });
      expect(made.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, TOPIC]);
      const ok = await alice.request(ApiKey.Produce, 7, oneRecordProduce("alice-data", 1, "mine"));
      expect(ok.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
      const read = await alice.request(ApiKey.Fetch, 4, fetchBody("alice-data"));
      expect(read.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      expect(read.responses[0]!.partitions[0]!.records?.length ?? 0).toBeGreaterThan(0);
      const locked = await alice.request(ApiKey.Produce, 7, oneRecordProduce("alice-locked", 1, "nope"));
      expect(locked.responses[0]!.partitionResponses[0]!.errorCode).toBe(TOPIC);
      expect(await offsetAt("alice-locked", -1n)).toBe(0n);
      // READ is not denied on alice-locked: ALL on the prefix still allows it.
      const lockedRead = await alice.request(ApiKey.Fetch, 4, fetchBody("alice-locked"));
      expect(lockedRead.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
      expect(await topicNames(alice)).toEqual(["alice-data", "alice-locked"]);
      expect(await topicNames(admin)).toEqual(["alice-data", "alice-locked", "secret"]);
    } finally {
      alice.close();
    }
  });
});
