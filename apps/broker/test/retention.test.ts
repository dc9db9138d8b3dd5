/**
 * Kafka's on-disk layout and retention, through the broker: a topic's `segment.bytes` rolls segments
 * named by their 20-digit base offset with `.log`, `.index` and `.timeindex` files, and its
 * `retention.ms` / `retention.bytes` delete whole old segments, whether consumed or not, which raises
 * the earliest offset clients see.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";

let broker: RunningBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startBroker({ args: ["--override", "log.retention.check.interval.ms=200"] });
  kafka = new Kafka({ clientId: "retention", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

async function fill(topic: string, configs: { name: string; value: string }[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: configs }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 40; i++) {
    await producer.send({
      topic,
      acks: 1,
      messages: Array.from({ length: 10 }, (_, j) => ({ value: `${i}-${j}`.padEnd(100, ".") })),
    });
  }
  await producer.disconnect();
}

async function earliest(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return Number(offsets[0]!.low);
}

describe("segments and retention", () => {
  test("segment.bytes rolls segments in Kafka's file layout", async () => {
    await fill("rolled", [{ name: "segment.bytes", value: "4096" }]);
    const files = readdirSync(join(broker.dataDir, "rolled-0")).sort();
    const logs = files.filter((f) => f.endsWith(".log"));
    expect(logs.length).toBeGreaterThan(3);
    expect(logs[0]).toBe("00000000000000000000.log");
    for (const log of logs) {
      expect(log).toMatch(/^\d{20}\.log$/);
      const base = log.slice(0, 20);
      expect(files).toContain(`${base}.index`);
      expect(files).toContain(`${base}.timeindex`);
    }
    expect(await earliest("rolled")).toBe(0);
  }, 60_000);

  test("retention.ms deletes whole old segments", async () => {
    await fill("aged", [
      { name: "segment.bytes", value: "4096" },
      { name: "retention.ms", value: "1000" },
    ]);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await earliest("aged")) === 0) await Bun.sleep(200);
    const low = await earliest("aged");
    expect(low).toBeGreaterThan(0);
    // Everything may go once expired (Kafka rolls and deletes the active segment too), but never past the log end.
    expect(low).toBeLessThanOrEqual(400);
  }, 60_000);

  test("retention.bytes keeps the partition near its size limit", async () => {
    await fill("sized", [
      { name: "segment.bytes", value: "4096" },
      { name: "retention.bytes", value: "8192" },
    ]);
    // 400 records of about 1.2 KiB per 10-record batch: 8 KiB of retained segments plus the active
    // one hold well under 150 records. Retention runs every 200 ms, so wait for it to catch up.
    const retained = async () => 400 - (await earliest("sized"));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await retained()) > 150) await Bun.sleep(200);
    expect(await retained()).toBeLessThanOrEqual(150);
    expect(await retained()).toBeGreaterThan(0);
  }, 60_000);
});
