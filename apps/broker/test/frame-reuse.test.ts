/**
 * Large produce frames are copied into reused buffers (`net/frame-pool.ts`): once a Produce request is
 * answered its buffer takes the next large frame. Nothing may read a frame after that, or a record
 * would change under a reader. Three producers send 300 KB records of distinct contents at once, with
 * acks=-1, 1 and -1, so buffers are reused while other requests are in flight and while acks=all
 * requests wait; every record is then read back and checked byte for byte.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey, decodeRecordBatches, ErrorCode } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { Broker } from "../src/broker.ts";
import { parseCli } from "../src/config/cli.ts";
import { RawClient } from "./raw-client.ts";

const valueBytes = 300_000;
const recordsPerProducer = 30;
const producersAcks = [-1, 1, -1];

/** The value of record `i` of producer `p`: a pattern no other record has. */
function recordValue(p: number, i: number): Buffer {
  const value = Buffer.alloc(valueBytes);
  for (let at = 0; at < valueBytes; at++) value[at] = (at * 7 + p * 31 + i * 13) & 0xff;
  value.writeUInt32BE(p * 1000 + i, 0);
  return value;
}

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
  const port = broker.portOf("PLAINTEXT");
  const kafka = new Kafka({
    brokers: [`127.0.0.1:${port}`],
    clientId: "frame-reuse",
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "large", numPartitions: 1 }] });
  await admin.disconnect();
  const producers = producersAcks.map(() => kafka.producer({ allowAutoTopicCreation: false }));
  await Promise.all(producers.map((p) => p.connect()));
  // Each producer keeps several sends in flight, one record each (one batch per request).
  await Promise.all(
    producers.map((producer, p) =>
      Promise.all(
        Array.from({ length: recordsPerProducer }, (_, i) =>
          producer.send({
            topic: "large",
            acks: producersAcks[p]!,
            messages: [{ value: recordValue(p, i) }],
          }),
        ),
      ),
    ),
  );
  await Promise.all(producers.map((p) => p.disconnect()));
  expect(broker.framesReused).toBeGreaterThan(0);

  const client = await RawClient.connect(port);
  const seen = new Set<number>();
  let offset = 0n;
  for (let round = 0; round < 1000 && seen.size < producersAcks.length * recordsPerProducer; round++) {
    const answer = await client.request(ApiKey.Fetch, 4, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 4 << 20,
      topics: [
        { topic: "large", partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 4 << 20 }] },
      ],
    });
    const partition = answer.responses[0]!.partitions[0]!;
    expect(partition.errorCode).toBe(ErrorCode.NONE);
    for (const batch of decodeRecordBatches(partition.records ?? new Uint8Array(0))) {
      for (const record of batch.records) {
        const value = Buffer.from(record.value!);
        const id = value.readUInt32BE(0);
        const p = Math.floor(id / 1000);
        const i = id % 1000;
        expect(value.equals(recordValue(p, i))).toBe(true);
        seen.add(id);
      }
      offset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
    }
  }
  client.close();
  expect(seen.size).toBe(producersAcks.length * recordsPerProducer);
}, 60_000);
