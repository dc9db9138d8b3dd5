/**
 * Unit tests of the metadata controller: placement, topic creation errors, fencing on session expiry
 * with election from the ISR, offline partitions and unclean election, ISR changes with epoch checks,
 * preferred election, and standby behaviour.
 */
import { describe, expect, test } from "bun:test";
import * as controller from "../src/controller/index.ts";
import { InvariantError } from "../src/invariant.ts";
import { prngFromSeed } from "../src/prng.ts";
import { Driver } from "./controller-driver.ts";

function threeBrokers(config: Partial<controller.ControllerConfig> = {}): Driver {
  const d = new Driver(config);
  for (const id of [1, 2, 3]) d.register(id, 0);
  for (const id of [1, 2, 3]) d.heartbeat(id, 0);
  return d;
}

describe("controller: placement", () => {
  test("partition i starts on broker i mod n, its j-th replica on (i + j) mod n, over sorted ids", () => {
    const result = controller.placeReplicas([30, 10, 20], 4, 2);
    expect(result).toEqual({
      ok: true,
      assignment: [
        [10, 20],
        [20, 30],
        [30, 10],
        [10, 20],
      ],
    });
  });

  test("never more replicas than brokers", () => {
    expect(controller.placeReplicas([1, 2], 1, 3)).toEqual({
      ok: false,
      error: "INVALID_REPLICATION_FACTOR",
    });
    expect(controller.placeReplicas([1, 2], 0, 1)).toEqual({ ok: false, error: "INVALID_PARTITIONS" });
  });
});

describe("controller: topics", () => {
  test("creates a 3-partition topic with replication factor 3 on three brokers", () => {
    const d = threeBrokers();
    const ready = d.send({
      type: "createTopics",
      topics: [{ name: "t", partitions: 3, replicationFactor: 3 }],
    });
    expect(ready.response).toMatchObject({ type: "createTopics", topics: [{ name: "t", error: "NONE" }] });
    expect(d.image.topics.t?.partitions.map((p) => [p.replicas, p.leader])).toEqual([
      [[1, 2, 3], 1],
      [[2, 3, 1], 2],
      [[3, 1, 2], 3],
    ]);
    expect(d.image.topics.t?.topicId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  test("answers typed errors for bad requests and stores nothing", () => {
    const d = threeBrokers();
    d.send({ type: "createTopics", topics: [{ name: "t", partitions: 1, replicationFactor: 1 }] });
    const offset = d.offset;
    const ready = d.send({
      type: "createTopics",
      topics: [
        { name: "t", partitions: 1, replicationFactor: 1 },
        { name: "big", partitions: 1, replicationFactor: 4 },
        { name: "none", partitions: 0, replicationFactor: 1 },
        { name: "bad/name", partitions: 1, replicationFactor: 1 },
        { name: "dup", partitions: 1, replicationFactor: 1 },
        { name: "dup", partitions: 1, replicationFactor: 1 },
        {
          name: "cfg",
          partitions: 1,
          replicationFactor: 1,
          configs: { "unclean.leader.election.enable": "maybe" },
        },
      ],
    });
    expect(ready.records).toEqual([]);
    expect(d.offset).toBe(offset);
    expect(ready.response).toEqual({
      type: "createTopics",
      topics: [
        { name: "t", error: "TOPIC_ALREADY_EXISTS", topicId: null },
        { name: "big", error: "INVALID_REPLICATION_FACTOR", topicId: null },
        { name: "none", error: "INVALID_PARTITIONS", topicId: null },
        { name: "bad/name", error: "INVALID_TOPIC_EXCEPTION", topicId: null },
        { name: "dup", error: "INVALID_REQUEST", topicId: null },
        { name: "dup", error: "INVALID_REQUEST", topicId: null },
        { name: "cfg", error: "INVALID_CONFIG", topicId: null },
      ],
    });
  });

  test("a caller may choose the topic id; a malformed or taken one is refused", () => {
    const d = threeBrokers();
    const id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const create = (name: string, topicId: string) =>
      d.send({ type: "createTopics", topics: [{ name, partitions: 1, replicationFactor: 1, topicId }] })
        .response;
    expect(create("a", id)).toMatchObject({ topics: [{ error: "NONE", topicId: id }] });
    expect(d.image.topics.a?.topicId).toBe(id);
    expect(create("b", id)).toMatchObject({ topics: [{ error: "TOPIC_ALREADY_EXISTS" }] });
    expect(create("c", "not-a-uuid")).toMatchObject({ topics: [{ error: "INVALID_REQUEST" }] });
    expect(create("d", "00000000-0000-0000-0000-000000000000")).toMatchObject({
      topics: [{ error: "INVALID_REQUEST" }],
    });
  });

  test("partitions -1 and replicationFactor -1 take the cluster defaults", () => {
    const d = new Driver({ defaultPartitions: 2, defaultReplicationFactor: 3 });
    for (const id of [1, 2, 3]) d.register(id, 0);
    for (const id of [1, 2, 3]) d.heartbeat(id, 0);
    const r = d.send({
      type: "createTopics",
      topics: [{ name: "t", partitions: -1, replicationFactor: -1 }],
    });
    expect(r.response).toMatchObject({ topics: [{ error: "NONE" }] });
    expect(d.image.topics.t?.partitions.map((p) => p.replicas)).toEqual([
      [1, 2, 3],
      [2, 3, 1],
    ]);
  });

  test("fenced brokers are not placement targets", () => {
    const d = threeBrokers();
    d.heartbeat(2, 0, true);
    const ready = d.send({
      type: "createTopics",
      topics: [{ name: "t", partitions: 2, replicationFactor: 2 }],
    });
    expect(ready.response).toMatchObject({ topics: [{ error: "NONE" }] });
    expect(d.image.topics.t?.partitions.map((p) => p.replicas)).toEqual([
      [1, 3],
      [3, 1],
    ]);
  });

  test("createPartitions continues the rotation; deleteTopics removes the topic", () => {
    const d = threeBrokers();
    d.send({ type: "createTopics", topics: [{ name: "t", partitions: 2, replicationFactor: 2 }] });
    d.send({ type: "createPartitions", topics: [{ name: "t", count: 4 }] });
    expect(d.image.topics.t?.partitions.map((p) => p.replicas)).toEqual([
      [1, 2],
      [2, 3],
      [3, 1],
      [1, 2],
    ]);
    const bad = d.send({ type: "createPartitions", topics: [{ name: "t", count: 4 }] });
    expect(bad.response).toEqual({
      type: "createPartitions",
      topics: [{ name: "t", error: "INVALID_PARTITIONS" }],
    });
    d.send({ type: "deleteTopics", names: ["t"] });
    expect(d.image.topics.t).toBeUndefined();
  });
});

describe("controller: fencing and elections", () => {
  test("a broker that stops heartbeating is fenced after the session timeout; leaders move within the ISR", () => {
    const d = threeBrokers();
    d.send({ type: "createTopics", topics: [{ name: "t", partitions: 3, replicationFactor: 3 }] });
    // Brokers 2 and 3 keep heartbeating; broker 1 stops.
    for (let now = 2000; now <= 10_000; now += 2000) {
      d.heartbeat(2, now);
      d.heartbeat(3, now);
      d.send({ type: "tick", nowMs: now });
    }
    expect(controller.findBroker(d.image, 1)?.fenced).toBe(true);
    const p0 = d.partition("t", 0);
    expect(p0).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [2, 3], partitionEpoch: 1 });
    expect(d.partition("t", 1)).toMatchObject({ leader: 2, leaderEpoch: 0, isr: [2, 3], partitionEpoch: 1 });
    expect(d.partition("t", 2)).toMatchObject({ leader: 3, leaderEpoch: 0, isr: [3, 2], partitionEpoch: 1 });
  });

  test("not fenced before the session timeout", () => {
    const d = threeBrokers();
    d.send({ type: "tick", nowMs: 9000 });
    expect(controller.findBroker(d.image, 1)?.fenced).toBe(false);
    d.send({ type: "tick", nowMs: 9001 });
    expect(controller.findBroker(d.image, 1)?.fenced).toBe(true);
  });

  test("with unclean election off, a partition whose ISR is gone stays offline until an ISR member returns", () => {
    const d = threeBrokers();
    d.send({ type: "createTopics", topics: [{ name: "t", partitions: 1, replicationFactor: 2 }] });
    // Leader 1 drops follower 2 from the ISR, then broker 1 dies.
    d.send({
      type: "alterPartition",
      brokerId: 1,
      brokerEpoch: 1,
      topic: "t",
      partition: 0,
      leaderEpoch: 0,
      partitionEpoch: 0,
      isr: [1],
    });
    d.heartbeat(1, 0, true);
    expect(d.partition("t", 0)).toMatchObject({ leader: -1, isr: [1], leaderEpoch: 1 });
    // Broker 2 is live but not in the ISR: no election.
    const elect = d.send({
      type: "electLeaders",
      electionType: "preferred",
      partitions: [{ topic: "t", partition: 0 }],
    });
    expect(elect.response).toMatchObject({ partitions: [{ error: "PREFERRED_LEADER_NOT_AVAILABLE" }] });
    // Broker 1 comes back: it is the ISR, so it leads again cleanly with a new epoch.
    d.heartbeat(1, 1000);
    expect(d.partition("t", 0)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 2 });
    expect(d.batches.flat().some((r) => r.type === "PartitionChange" && r.unclean)).toBe(false);
  });

  test("with unclean election on (topic config), a live non-ISR replica leads and the change is flagged", () => {
    const d = threeBrokers();
    d.send({
      type: "createTopics",
      topics: [
        {
          name: "t",
          partitions: 1,
          replicationFactor: 2,
          configs: { "unclean.leader.election.enable": "true" },
        },
      ],
    });
    d.send({
      type: "alterPartition",
      brokerId: 1,
      brokerEpoch: 1,
      topic: "t",
      partition: 0,
      leaderEpoch: 0,
      partitionEpoch: 0,
      isr: [1],
    });
    d.heartbeat(1, 0, true);
    expect(d.partition("t", 0)).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 1 });
    const change = d.batches.flat().find((r) => r.type === "PartitionChange" && r.leader === 2);
    expect(change).toMatchObject({ unclean: true });
  });

  test("AlterPartition checks leader, leader epoch, partition epoch and eligibility", () => {
    const d = threeBrokers();
    d.send({ type: "createTopics", topics: [{ name: "t", partitions: 1, replicationFactor: 3 }] });
    const base = { type: "alterPartition" as const, topic: "t", partition: 0, brokerEpoch: 1 };
    const answer = (over: Partial<controller.AlterPartitionRequest>) =>
      d.send({ ...base, brokerId: 1, leaderEpoch: 0, partitionEpoch: 0, isr: [1, 2], ...over }).response;
    expect(answer({ brokerId: 2 })).toMatchObject({ error: "NOT_LEADER_OR_FOLLOWER" });
    expect(answer({ leaderEpoch: 5 })).toMatchObject({ error: "FENCED_LEADER_EPOCH" });
    expect(answer({ partitionEpoch: 3 })).toMatchObject({ error: "INVALID_UPDATE_VERSION" });
    expect(answer({ brokerEpoch: 9 })).toMatchObject({ error: "STALE_BROKER_EPOCH" });
    expect(answer({ isr: [2, 3] })).toMatchObject({ error: "INVALID_REQUEST" });
    expect(answer({})).toMatchObject({
      error: "NONE",
      partition: { isr: [1, 2], partitionEpoch: 1, leaderEpoch: 0 },
    });
    // Broker 3 is fenced: it may not rejoin.
    d.heartbeat(3, 0, true);
    const p = d.partition("t", 0);
    expect(answer({ partitionEpoch: p.partitionEpoch, isr: [1, 2, 3] })).toMatchObject({
      error: "INELIGIBLE_REPLICA",
    });
  });

  test("preferred election moves leadership back to replicas[0] with a new epoch", () => {
    const d = threeBrokers();
    d.send({ type: "createTopics", topics: [{ name: "t", partitions: 1, replicationFactor: 3 }] });
    d.heartbeat(1, 0, true);
    expect(d.partition("t", 0)).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [2, 3] });
    d.heartbeat(1, 100);
    const p = d.partition("t", 0);
    d.send({
      type: "alterPartition",
      brokerId: 2,
      brokerEpoch: 1,
      topic: "t",
      partition: 0,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
      isr: [2, 3, 1],
    });
    const ready = d.send({
      type: "electLeaders",
      electionType: "preferred",
      partitions: [{ topic: "t", partition: 0 }],
    });
    expect(ready.response).toMatchObject({ partitions: [{ error: "NONE" }] });
    expect(d.partition("t", 0)).toMatchObject({ leader: 1, leaderEpoch: 2 });
  });

  test("a re-registering broker gives up its leaderships first and returns fenced", () => {
    const d = threeBrokers();
    d.send({ type: "createTopics", topics: [{ name: "t", partitions: 1, replicationFactor: 3 }] });
    const epoch = d.register(1, 500);
    expect(epoch).toBe(2);
    expect(controller.findBroker(d.image, 1)).toMatchObject({ fenced: true, brokerEpoch: 2 });
    expect(d.partition("t", 0)).toMatchObject({ leader: 2, leaderEpoch: 1 });
    expect(
      d.send({ type: "brokerHeartbeat", nowMs: 600, brokerId: 1, brokerEpoch: 1, wantFence: false }).response,
    ).toEqual({
      type: "brokerHeartbeat",
      error: "STALE_BROKER_EPOCH",
      isFenced: true,
    });
  });
});

describe("controller: roles", () => {
  test("a standby answers NOT_CONTROLLER and proposes nothing, but applies committed batches", () => {
    let s = controller.initialState({ prng: prngFromSeed(1) });
    const r = controller.step(s, {
      type: "createTopics",
      topics: [{ name: "t", partitions: 1, replicationFactor: 1 }],
    });
    expect(r.ready).toEqual({
      records: [],
      response: { type: "createTopics", topics: [{ name: "t", error: "NOT_CONTROLLER", topicId: null }] },
    });
    s = controller.step(s, {
      type: "committed",
      offset: 4,
      records: [{ type: "RegisterBroker", brokerId: 1, brokerEpoch: 1, host: "h", port: 1, rack: null }],
    }).state;
    expect(s.image.offset).toBe(4);
    expect(s.image.brokers.map((b) => b.brokerId)).toEqual([1]);
  });

  test("applying a record that breaks an election rule fails loudly", () => {
    const d = threeBrokers();
    d.send({ type: "createTopics", topics: [{ name: "t", partitions: 1, replicationFactor: 3 }] });
    const t = d.image.topics.t!;
    expect(() =>
      controller.applyRecord(d.image, {
        type: "PartitionChange",
        topic: "t",
        topicId: t.topicId,
        partition: 0,
        leader: 2,
        leaderEpoch: 0,
        isr: [1, 2, 3],
        partitionEpoch: 1,
        unclean: false,
      }),
    ).toThrow(InvariantError);
  });

  test("a newly active controller gives every broker a fresh session", () => {
    const d = threeBrokers();
    d.send({ type: "deactivate" });
    d.send({ type: "activate", nowMs: 50_000 });
    d.send({ type: "tick", nowMs: 55_000 });
    expect(d.image.brokers.every((b) => !b.fenced)).toBe(true);
    d.send({ type: "tick", nowMs: 59_001 });
    expect(d.image.brokers.every((b) => b.fenced)).toBe(true);
  });

  test("a clock that steps back never expires a session early", () => {
    const d = threeBrokers();
    d.send({ type: "tick", nowMs: 5000 });
    d.heartbeat(1, 100);
    d.heartbeat(2, 5000);
    d.heartbeat(3, 5000);
    // Broker 1's heartbeat at "100" counts as 5000, so at 14_000 its session (9 s) has not run out.
    d.send({ type: "tick", nowMs: 14_000 });
    expect(controller.findBroker(d.image, 1)?.fenced).toBe(false);
    expect(d.state.nowMs).toBe(14_000);
  });
});
