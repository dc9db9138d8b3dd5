/**
 * Data survives the broker: a clean restart on the same data directory keeps topics and records, and
 * a kill -9 in the middle of acks=-1 production loses no acknowledged record; the broker restarts on
 * the same directory (recovering the torn tail, if any) and serves everything it acknowledged.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { kcat, kcatReadAll, removeDir, startBroker, tempDir, until } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** Every record of `topic` as `partition:offset:value`. */
const readAll = (bootstrap: string, topic: string): string[] => kcatReadAll(bootstrap, topic, "%p:%o:%s\n");

describe("persistence", () => {
  test("topics and records survive a clean restart", async () => {
    const dataDir = tempDir("restart");
    dirs.push(dataDir);
    let broker = await startBroker({ dataDir, args: ["--override", "num.partitions=2"] });
    kcat(["-P", "-b", broker.bootstrap, "-t", "durable", "-K", ":"], "a:1\nb:2\nc:3\nd:4\n");
    const before = readAll(broker.bootstrap, "durable").sort();
    expect(before.length).toBe(4);
    expect(await broker.stop("SIGTERM")).toBe(0);

    broker = await startBroker({ dataDir });
    try {
      expect(kcat(["-L", "-b", broker.bootstrap, "-t", "durable"])).toContain(
        'topic "durable" with 2 partitions',
      );
      expect(readAll(broker.bootstrap, "durable").sort()).toEqual(before);
      // New records continue the offsets.
      kcat(["-P", "-b", broker.bootstrap, "-t", "durable", "-p", "0"], "e\n");
      const p0 = readAll(broker.bootstrap, "durable").filter((r) => r.startsWith("0:"));
      expect(p0.map((r) => Number(r.split(":")[1]))).toEqual(p0.map((_, i) => i));
    } finally {
      expect(await broker.stop()).toBe(0);
    }
  }, 90_000);

  test("kill -9 during acks=-1 production loses no acknowledged record", async () => {
    const dataDir = tempDir("kill9");
    dirs.push(dataDir);
    const broker = await startBroker({ dataDir });
    const kafka = new Kafka({
      clientId: "kill9",
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const acked: string[] = [];
    let stop = false;
    const produce = (async () => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const messages = Array.from({ length: 50 }, (_, j) => ({ value: `r${i}-${j}` }));
        try {
          await producer.send({ topic: "crash", acks: -1, messages });
          acked.push(...messages.map((m) => m.value));
        } catch {
          return;
        }
      }
    })();
    await until("2,000 acknowledged records", () => acked.length >= 2000);
    broker.process.kill("SIGKILL");
    await broker.process.exited;
    stop = true;
    await produce;
    await producer.disconnect().catch(() => {});

    const again = await startBroker({ dataDir });
    try {
      const values = new Set(readAll(again.bootstrap, "crash").map((r) => r.split(":").slice(2).join(":")));
      const lost = acked.filter((v) => !values.has(v));
      expect(lost).toEqual([]);
      expect(values.size).toBeGreaterThanOrEqual(acked.length);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  }, 120_000);
});
