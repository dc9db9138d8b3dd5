/**
 * Consumer groups in a cluster of three processes (issue 12): a group's coordinator is the leader of
 * its `__consumer_offsets` partition, and its metadata and committed offsets are replicated there.
 * A kafkajs consumer group commits offsets; the coordinator's process is killed with SIGKILL; a new
 * coordinator takes over from the replicated partition with every committed offset, and the group
 * resumes from them (nothing read twice that was committed, nothing skipped).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { TestCluster } from "./cluster-harness.ts";
import { until } from "./harness.ts";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({
    nodes: 3,
    properties: { "min.insync.replicas": "2", "offsets.topic.num.partitions": "6" },
  });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const kafkaFor = (bootstrap: string) =>
  new Kafka({
    clientId: "eddy-cluster-groups",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
  });

/** Kafka's partition of a group in __consumer_offsets: abs(String.hashCode) mod the partition count. */
function offsetsPartitionOf(groupId: string, count: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
  return (hash & 0x7fff_ffff) % count;
}

describe("consumer groups in a cluster", () => {
  test("committed offsets survive a SIGKILL of the group's coordinator", async () => {
    const topic = "orders";
    const groupId = "billing";
    const kafka = kafkaFor(cluster.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }] });
    const producer = kafka.producer();
    await producer.connect();
    const first = Array.from({ length: 300 }, (_, i) => ({ partition: i % 3, value: `a-${i}` }));
    await producer.send({ topic, acks: -1, messages: first });

    // Read the first 300 and commit them.
    const seen: string[] = [];
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
      },
    });
    await until("the first 300 records consumed", () => seen.length >= 300, 60_000);
    await consumer.stop();
    await consumer.disconnect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions.map((p) => Number(p.offset)).sort()).toEqual([100, 100, 100]);
    await admin.disconnect();

    // The coordinator is the leader of the group's __consumer_offsets partition.
    const offsetsPartition = offsetsPartitionOf(groupId, 6);
    const coordinator = cluster.partitions("__consumer_offsets")[offsetsPartition]!.leader;
    expect(cluster.liveNodeIds).toContain(coordinator);
    await cluster.stopNode(coordinator, "SIGKILL");
    const survivors = cluster.liveNodeIds;
    await until("a new leader for the group's offsets partition", () => {
      const leader = cluster.partitions("__consumer_offsets")[offsetsPartition]?.leader;
      return leader !== undefined && leader !== coordinator && survivors.includes(leader);
    });

    // The new coordinator answers with every offset committed before the kill.
    const kafka2 = kafkaFor(cluster.bootstrapOf(survivors));
    const admin2 = kafka2.admin();
    await admin2.connect();
    const after = await until("offsets from the new coordinator", async () => {
      const fetched = await admin2.fetchOffsets({ groupId, topics: [topic] });
      return fetched[0]!.partitions.every((p) => Number(p.offset) === 100) ? fetched : null;
    });
    expect(after[0]!.partitions.length).toBe(3);
    await admin2.disconnect();

    // The group resumes where it committed: only the new records are read.
    const producer2 = kafka2.producer();
    await producer2.connect();
    await producer2.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `b-${i}` })),
    });
    await producer2.disconnect();
    const resumed: string[] = [];
    const consumer2 = kafka2.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500 });
    await consumer2.connect();
    await consumer2.subscribe({ topic, fromBeginning: true });
    await consumer2.run({
      eachMessage: async ({ message }) => {
        resumed.push(message.value!.toString());
      },
    });
    await until("the 30 new records consumed", () => resumed.length >= 30, 60_000);
    await consumer2.stop();
    await consumer2.disconnect();
    expect(resumed.every((v) => v.startsWith("b-"))).toBe(true);
    expect(resumed.length).toBe(30);
    await producer.disconnect().catch(() => {});
    await cluster.startNode(coordinator);
  }, 180_000);
});
