/**
 * kafkajs 2.2.4 against `bun run broker`: the admin client creates, lists, describes and deletes
 * topics and reads partition offsets; the producer writes with acks 0, 1 and -1 and as an
 * idempotent producer, and every acknowledged record is read back at its offset.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { kcatReadAll, type RunningBroker, removeDir, startBroker } from "./harness.ts";

let broker: RunningBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startBroker();
  kafka = new Kafka({ clientId: "eddy-test", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

/** Every record of `topic` as `partition:offset:value`. */
const readAll = (topic: string): string[] => kcatReadAll(broker.bootstrap, topic, "%p:%o:%s\n");

describe("kafkajs admin", () => {
  test("create, list, describe, fetch offsets, delete topics", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(
        await admin.createTopics({ topics: [{ topic: "admin-a", numPartitions: 4 }, { topic: "admin-b" }] }),
      ).toBe(true);
      // Creating an existing topic is not an error for kafkajs (it answers false).
      expect(await admin.createTopics({ topics: [{ topic: "admin-a", numPartitions: 4 }] })).toBe(false);
      const names = await admin.listTopics();
      expect(names).toContain("admin-a");
      expect(names).toContain("admin-b");
      const metadata = await admin.fetchTopicMetadata({ topics: ["admin-a"] });
      expect(metadata.topics[0]!.partitions.length).toBe(4);
      for (const p of metadata.topics[0]!.partitions) {
        expect(p.leader).toBe(1);
        expect(p.isr).toEqual([1]);
      }
      const offsets = await admin.fetchTopicOffsets("admin-a");
      expect(offsets.map((o) => [o.partition, o.low, o.high]).sort()).toEqual([
        [0, "0", "0"],
        [1, "0", "0"],
        [2, "0", "0"],
        [3, "0", "0"],
      ]);
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: "admin-a" }],
      });
      const retention = configs.resources[0]!.configEntries.find((e) => e.configName === "retention.ms");
      expect(retention?.configValue).toBe(String(168 * 3_600_000));
      await admin.createPartitions({ topicPartitions: [{ topic: "admin-b", count: 3 }] });
      expect((await admin.fetchTopicMetadata({ topics: ["admin-b"] })).topics[0]!.partitions.length).toBe(3);
      // DeleteRecords raises the low watermark; the high watermark stays.
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: "admin-b",
        messages: Array.from({ length: 10 }, (_, i) => ({ value: `d${i}`, partition: 0 })),
      });
      await producer.disconnect();
      await admin.deleteTopicRecords({ topic: "admin-b", partitions: [{ partition: 0, offset: "6" }] });
      const afterDelete = (await admin.fetchTopicOffsets("admin-b")).find((o) => o.partition === 0)!;
      expect([afterDelete.low, afterDelete.high]).toEqual(["6", "10"]);
      await admin.deleteTopics({ topics: ["admin-b"] });
      expect(await admin.listTopics()).not.toContain("admin-b");
      // The broker refuses the name with INVALID_TOPIC_EXCEPTION for that topic.
      await expect(admin.createTopics({ topics: [{ topic: "bad name!" }] })).rejects.toMatchObject({
        errors: [{ type: "INVALID_TOPIC_EXCEPTION" }],
      });
    } finally {
      await admin.disconnect();
    }
  }, 60_000);
});

describe("kafkajs producer", () => {
  for (const acks of [1, -1]) {
    test(`acks=${acks}: acknowledged offsets hold the records sent`, async () => {
      const topic = `produce-acks${acks}`;
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await producer.connect();
      const acked: [number, string][] = [];
      for (let i = 0; i < 20; i++) {
        const value = `v${i}`;
        const [meta] = await producer.send({ topic, acks, messages: [{ value }] });
        expect(meta!.errorCode).toBe(0);
        acked.push([Number(meta!.baseOffset), value]);
      }
      await producer.disconnect();
      const rows = readAll(topic);
      for (const [offset, value] of acked) expect(rows).toContain(`0:${offset}:${value}`);
      expect(acked.map(([o]) => o)).toEqual(acked.map((_, i) => i));
    }, 60_000);
  }

  test("acks=0: no response is awaited and the records still arrive", async () => {
    const topic = "produce-acks0";
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic }] });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) await producer.send({ topic, acks: 0, messages: [{ value: `z${i}` }] });
    // acks=0 resolves at once; a following acks=1 send proves the connection kept its order.
    await producer.send({ topic, acks: 1, messages: [{ value: "last" }] });
    await producer.disconnect();
    expect(readAll(topic).map((r) => r.split(":")[2])).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `z${i}`),
      "last",
    ]);
  }, 60_000);

  test("idempotent producer: InitProducerId, sequences, no duplicates", async () => {
    const topic = "produce-idempotent";
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
    });
    await producer.connect();
    for (let i = 0; i < 10; i++) {
      await producer.send({ topic, messages: [{ value: `i${i}a` }, { value: `i${i}b` }] });
    }
    await producer.disconnect();
    const values = readAll(topic).map((r) => r.split(":")[2]);
    expect(values.length).toBe(20);
    expect(new Set(values).size).toBe(20);
  }, 60_000);
});
