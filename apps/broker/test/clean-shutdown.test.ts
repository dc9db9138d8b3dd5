/**
 * Kafka's clean-shutdown marker through the broker as users run it: SIGTERM leaves
 * `.kafka_cleanshutdown` and a producer-state snapshot beside each partition's log; the next start
 * takes the marker away before serving and serves every record and new ones at the next offsets; a
 * kill -9 leaves no marker and loses nothing acknowledged, and the next clean stop writes it again.
 */
import { afterAll, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { kcat, kcatReadAll, removeDir, startBroker, tempDir } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/**
 * The broker as `bun run broker` runs it, but as the harness's own child (a preload makes the harness
 * start `bun --preload P apps/broker/src/main.ts`), so SIGKILL reaches the broker itself. The preload
 * is the benchmarks' fsync probe, which only reads two counters.
 */
function start(dataDir: string) {
  const probeOut = join(dataDir, "..", `${dataDir.split("/").pop()}-fsyncs.json`);
  dirs.push(probeOut);
  return startBroker({
    dataDir,
    preload: join(import.meta.dir, "../bench/fsync-probe.ts"),
    env: { FSYNC_PROBE_OUT: probeOut },
  });
}

test("a clean stop writes the marker and the producer snapshot; the next start serves as before", async () => {
  const dataDir = tempDir("clean-shutdown");
  dirs.push(dataDir);
  const marker = join(dataDir, ".kafka_cleanshutdown");
  let broker = await start(dataDir);
  const kafka = () =>
    new Kafka({
      clientId: "clean",
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 2 },
    });
  const producer = kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: "clean", acks: -1, messages: [{ value: "a" }, { value: "b" }] });
  await producer.disconnect();
  expect(existsSync(marker)).toBe(false);
  expect(await broker.stop("SIGTERM")).toBe(0);
  expect(existsSync(marker)).toBe(true);
  expect(readdirSync(join(dataDir, "clean-0")).some((name) => name.endsWith(".producers.snapshot"))).toBe(
    true,
  );

  broker = await start(dataDir);
  try {
    expect(existsSync(marker)).toBe(false);
    expect(kcatReadAll(broker.bootstrap, "clean", "%o:%s\n")).toEqual(["0:a", "1:b"]);
    kcat(["-P", "-b", broker.bootstrap, "-t", "clean", "-p", "0"], "c\n");
    expect(kcatReadAll(broker.bootstrap, "clean", "%o:%s\n")).toEqual(["0:a", "1:b", "2:c"]);
  } finally {
    // kill -9: no marker, and the next start still serves everything acknowledged.
    await broker.stop("SIGKILL");
  }
  expect(existsSync(marker)).toBe(false);
  broker = await start(dataDir);
  try {
    expect(kcatReadAll(broker.bootstrap, "clean", "%o:%s\n")).toEqual(["0:a", "1:b", "2:c"]);
  } finally {
    expect(await broker.stop()).toBe(0);
  }
  expect(existsSync(marker)).toBe(true);
}, 120_000);
