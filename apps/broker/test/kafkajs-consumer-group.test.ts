/**
 * A kafkajs 2.2.4 consumer group against `bun run broker`: members join a six-partition topic one by
 * one and one leaves; after every rebalance each partition is owned by exactly one member (checked
 * both in the members' own GROUP_JOIN events and in DescribeGroups), every produced message is
 * consumed, the committed offsets read back with admin.fetchOffsets equal the end of each partition,
 * and the admin client lists, describes and deletes the group.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AssignerProtocol, type Consumer, Kafka, logLevel } from "kafkajs";
import { type RunningBroker, removeDir, startBroker, until } from "./harness.ts";

let broker: RunningBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startBroker();
  kafka = new Kafka({ clientId: "eddy-group", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

const topic = "jobs";
const groupId = "workers";
const partitionCount = 6;

interface Member {
  readonly name: string;
  readonly consumer: Consumer;
  /** The member id and assignment of its latest GROUP_JOIN event. */
  latest: { memberId: string; partitions: number[] } | null;
}

describe("kafkajs consumer group", () => {
  test("rebalances on join and leave with one owner per partition; commits offsets", async () => {
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    const seen = new Map<string, number>();
    const members: Member[] = [];
    const start = async (name: string): Promise<Member> => {
      const consumer = kafka.consumer({
        groupId,
        sessionTimeout: 10_000,
        rebalanceTimeout: 20_000,
        heartbeatInterval: 500,
        maxWaitTimeInMs: 500,
      });
      const member: Member = { name, consumer, latest: null };
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        member.latest = {
          memberId: event.payload.memberId,
          partitions: [...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b),
        };
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const value = message.value?.toString() ?? "";
          seen.set(value, (seen.get(value) ?? 0) + 1);
        },
      });
      members.push(member);
      return member;
    };
    /** Two members of one generation owning a partition, as DescribeGroups showed it. */
    const conflicts: string[] = [];
    /** Waits until `live` are exactly the group's members and own every partition once. */
    const settled = async (live: Member[]) => {
      const described = await until(`a stable group of ${live.map((m) => m.name).join(", ")}`, async () => {
        const described = (await admin.describeGroups([groupId])).groups[0];
        if (described?.state !== "Stable" || described.members.length !== live.length) return null;
        const owners = new Map<number, string>();
        for (const m of described.members) {
          const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
          for (const p of decoded?.assignment[topic] ?? []) {
            if (owners.has(p)) conflicts.push(`partition ${p}: ${owners.get(p)} and ${m.memberId}`);
            owners.set(p, m.memberId);
          }
        }
        if (owners.size !== partitionCount) return null;
        // Each live member's own view (its latest GROUP_JOIN) agrees with the coordinator's.
        const viewed = new Map<number, string>();
        for (const m of live) {
          if (m.latest === null || !described.members.some((d) => d.memberId === m.latest?.memberId))
            return null;
          for (const p of m.latest.partitions) {
            if (viewed.has(p)) return null;
            viewed.set(p, m.latest.memberId);
          }
        }
        if (viewed.size !== partitionCount) return null;
        for (const [p, owner] of owners) if (viewed.get(p) !== owner) return null;
        return described;
      });
      expect(conflicts).toEqual([]);
      return described;
    };
    const produce = async (prefix: string, count: number) => {
      await producer.send({
        topic,
        messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}` })),
      });
    };
    const allSeen = (prefix: string, count: number) =>
      until(`${prefix} consumed`, () =>
        Array.from({ length: count }, (_, i) => `${prefix}-${i}`).every((v) => seen.has(v)) ? true : null,
      );
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitionCount }] });
      await produce("a", 60);
      const one = await start("one");
      const two = await start("two");
      await settled([one, two]);
      await allSeen("a", 60);
      const three = await start("three");
      const withThree = await settled([one, two, three]);
      expect(withThree.protocolType).toBe("consumer");
      expect(withThree.protocol).toBe("RoundRobinAssigner");
      for (const m of [one, two, three]) expect(m.latest?.partitions).toHaveLength(2);
      await produce("b", 60);
      await allSeen("b", 60);
      // Leaving sends LeaveGroup; the others take over its partitions.
      await two.consumer.disconnect();
      members.splice(members.indexOf(two), 1);
      await settled([one, three]);
      await produce("c", 30);
      await allSeen("c", 30);
      expect((await admin.listGroups()).groups).toContainEqual({ groupId, protocolType: "consumer" });
    } finally {
      for (const m of members) await m.consumer.disconnect();
      await producer.disconnect();
    }
    try {
      // Every consumed message was committed on the way out: the group's offsets are the partition ends.
      const ends = await admin.fetchTopicOffsets(topic);
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(committed).toHaveLength(1);
      const byPartition = new Map(committed[0]!.partitions.map((p) => [p.partition, p.offset]));
      expect(byPartition.size).toBe(partitionCount);
      for (const end of ends) expect(byPartition.get(end.partition)).toBe(end.high);
      expect(ends.reduce((n, e) => n + Number(e.high), 0)).toBe(150);
      const empty = (await admin.describeGroups([groupId])).groups[0];
      expect(empty?.state).toBe("Empty");
      expect(empty?.members).toEqual([]);
      // Offsets can be reset while the group is empty, and the group deleted.
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: "1" }] });
      const reset = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(reset[0]!.partitions.find((p) => p.partition === 0)?.offset).toBe("1");
      await admin.deleteGroups([groupId]);
      expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId);
      const gone = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(gone[0]!.partitions.map((p) => p.offset)).toEqual(Array(partitionCount).fill("-1"));
    } finally {
      await admin.disconnect();
    }
  }, 180_000);
});
