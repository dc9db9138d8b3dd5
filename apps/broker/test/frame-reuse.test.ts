/**
 * Large produce frames are copied into reused buffers (`net/frame-pool.ts`): once a Produce request is
 * answered its buffer takes the next large frame. Nothing may read a frame after that, or a record
 * would change under a reader. Three producers send 300 KB records of distinct contents at once, with
 * acks=-1, 1 and -1, so buffers are reused while other requests are in flight and while acks=all
 * requests wait; every record is then read back and checked byte for byte.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Broker } from "../src/broker.ts";
import { parseCli } from "../src/config/cli.ts";
import { type ConcurrentProduce, produceConcurrently, readBackExactly } from "./concurrent-producers.ts";

let broker: Broker;
beforeAll(async () => {
  const config = parseCli(
    [
      "--storage",
      "memory",
      "--admin-port",
      "0",
      "--port",
      "0",
      "--override",
      "auto.create.topics.enable=true",
    ],
    {},
  ).config;
  broker = await Broker.start(config, () => {});
});
afterAll(async () => {
  await broker?.stop();
});

test("every record of three concurrent producers of 300 KB values reads back exactly, with frame buffers reused", async () => {
  // Each producer keeps several sends in flight, one record each (one batch per request).
  const run: ConcurrentProduce = {
    port: broker.portOf("PLAINTEXT"),
    topic: "large",
    producersAcks: [-1, 1, -1],
    recordsPerProducer: 30,
    valueBytes: 300_000,
  };
  await produceConcurrently(run);
  expect(broker.framesReused).toBeGreaterThan(0);
  expect(await readBackExactly(run)).toBe(run.producersAcks.length * run.recordsPerProducer);
}, 60_000);
