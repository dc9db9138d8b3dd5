/**
 * Socket reads are given back as soon as every produce request in them is answered
 * (`@eddy/protocol`'s `chunk-lease.ts`: the read's buffer is detached, so its bytes are freed without
 * waiting for a full collection). Nothing may read a produce frame after its answer, or records would
 * read back empty or throw. Three kafkajs producers of small records (acks -1, 1 and -1, many sends
 * in flight, so one read carries several requests) write to a broker on the file system; the broker
 * must have released reads, and every record must read back exactly, from the hot tail and from the
 * files after a restart.
 */
import { afterAll, expect, test } from "bun:test";
import { Broker } from "../src/broker.ts";
import { parseCli } from "../src/config/cli.ts";
import { type ConcurrentProduce, produceConcurrently, readBackExactly } from "./concurrent-producers.ts";
import { removeDir, tempDir } from "./harness.ts";

const dataDir = tempDir("chunk-release");

async function startBroker(): Promise<Broker> {
  const { config } = parseCli(["--data-dir", dataDir, "--admin-port", "0", "--port", "0"], {});
  return await Broker.start(config, () => {});
}

afterAll(() => removeDir(dataDir));

test("reads are released once their produce requests are answered, and every record reads back exactly", async () => {
  let broker = await startBroker();
  const run: ConcurrentProduce = {
    port: broker.portOf("PLAINTEXT"),
    topic: "small",
    producersAcks: [-1, 1, -1],
    recordsPerProducer: 600,
    valueBytes: 200,
  };
  const recordsCount = run.producersAcks.length * run.recordsPerProducer;
  try {
    await produceConcurrently(run);
    expect(broker.chunksReleased).toBeGreaterThan(0);
    expect(await readBackExactly(run)).toBe(recordsCount);
  } finally {
    await broker.stop();
  }
  // After a restart the records come from the segment files, which were written from the frames.
  broker = await startBroker();
  try {
    expect(await readBackExactly(run, broker.portOf("PLAINTEXT"))).toBe(recordsCount);
  } finally {
    await broker.stop();
  }
}, 90_000);
