/**
 * Fetch sessions (KIP-227) with a real client against `bun run broker`. Of the installed clients only
 * @platformatic/kafka 2.12 keeps a session (its consumer sends SessionId/SessionEpoch and only the
 * partitions whose position moved); kafkajs 2.2 always sends epoch -1, kafka-python 2.0.2 sends Fetch
 * v4 (no sessions) and librdkafka 2.0.2 (kcat) sends epoch -1. A platformatic consumer of a topic of
 * 200 partitions must receive every record of every partition, in order, across two rounds of
 * produces, while /metrics shows its session cached with all 200 partitions and incremental fetches
 * served. Without sessions on the broker the counters stay at 0 and the test fails.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  Admin,
  Consumer,
  type Message,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import { type AdminBroker, sampleValue, scrapeMetrics, startAdminBroker } from "./admin-harness.ts";
import { removeDir } from "./harness.ts";

let running: AdminBroker;
beforeAll(async () => {
  running = await startAdminBroker();
});
afterAll(async () => {
  expect(await running.broker.stop()).toBe(0);
  removeDir(running.broker.dataDir);
});

const topic = "session-many";
const partitionCount = 200;
const perPartitionPerRound = 3;

type StringMessage = Message<string, string, string, string>;

async function produceRound(
  producer: Producer<string, string, string, string>,
  round: number,
): Promise<void> {
  const messages = [];
  for (let p = 0; p < partitionCount; p++)
    for (let i = 0; i < perPartitionPerRound; i++)
      messages.push({ topic, partition: p, key: `k${p}`, value: `${p}:${round * perPartitionPerRound + i}` });
  await producer.send({ messages });
}

/** Waits until `received` holds `count` messages or `timeoutMs` passes. */
async function until(received: StringMessage[], count: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (received.length < count && Date.now() < deadline) await Bun.sleep(50);
}

describe("fetch sessions with @platformatic/kafka", () => {
  test("a consumer of 200 partitions gets every record in order over incremental fetches", async () => {
    const bootstrap = [running.broker.bootstrap];
    const admin = new Admin({ clientId: "session-admin", bootstrapBrokers: bootstrap });
    const producer = new Producer({
      clientId: "session-producer",
      bootstrapBrokers: bootstrap,
      serializers: stringSerializers,
    });
    const consumer = new Consumer({
      clientId: "session-consumer",
      groupId: "session-group",
      bootstrapBrokers: bootstrap,
      deserializers: stringDeserializers,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTime: 200,
    });
    try {
      await admin.createTopics({ topics: [topic], partitions: partitionCount, replicas: 1 });
      await produceRound(producer, 0);
      const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
      const received: StringMessage[] = [];
      stream.on("data", (message: StringMessage) => received.push(message));
      const firstCount = partitionCount * perPartitionPerRound;
      await until(received, firstCount, 60_000);
      expect(received.length).toBe(firstCount);

      // Idle for a few long polls, then a second round read by the same session.
      await Bun.sleep(1000);
      const idle = await scrapeMetrics(running.admin);
      await produceRound(producer, 1);
      await until(received, 2 * firstCount, 60_000);
      const after = await scrapeMetrics(running.admin);
      await stream.close();

      expect(received.length).toBe(2 * firstCount);
      for (let p = 0; p < partitionCount; p++) {
        const values = received.filter((m) => m.partition === p).map((m) => m.value);
        expect(values).toEqual(Array.from({ length: 2 * perPartitionPerRound }, (_, i) => `${p}:${i}`));
        const offsets = received.filter((m) => m.partition === p).map((m) => Number(m.offset));
        expect(offsets).toEqual(Array.from({ length: 2 * perPartitionPerRound }, (_, i) => i));
      }

      const name = (suffix: string) => `kafka_server_fetchsessioncache_${suffix}`;
      expect(sampleValue(idle.families, name("numincrementalfetchsessions"))).toBe(1);
      expect(sampleValue(idle.families, name("numincrementalfetchpartitionscached"))).toBe(partitionCount);
      const incrementalIdle = sampleValue(idle.families, "eddy_fetchsession_incremental_fetches_total") ?? 0;
      const incrementalAfter =
        sampleValue(after.families, "eddy_fetchsession_incremental_fetches_total") ?? 0;
      expect(incrementalIdle).toBeGreaterThan(0);
      // The second round was read incrementally too, by the same session.
      expect(incrementalAfter).toBeGreaterThan(incrementalIdle);
      expect(sampleValue(after.families, name("numincrementalfetchsessions"))).toBe(1);
      expect(sampleValue(after.families, name("incrementalfetchsessionevictions_total"))).toBe(0);
    } finally {
      await consumer.close(true);
      await producer.close();
      await admin.close();
    }
  }, 150_000);
});
