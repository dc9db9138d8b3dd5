/**
 * A test fixture for the produce frames' buffer rules (the frame pool, the release of socket reads):
 * several kafkajs producers send distinct records at once, each with its own acks and many sends in
 * flight, and every record is then fetched back and compared byte for byte with what was sent. Each
 * value carries its producer and index in its first four bytes and a pattern no other record has, so
 * a record whose bytes changed after its answer reads back different.
 */
import { expect } from "bun:test";
import { ApiKey, decodeRecordBatches, ErrorCode } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { RawClient } from "./raw-client.ts";

/** Records one producer may send: the index part of a value's id. */
const recordsPerProducerMax = 100_000;

/** The value of record `i` of producer `p`, `valueBytes` long (at least 4). */
export function recordValue(p: number, i: number, valueBytes: number): Buffer {
  const value = Buffer.alloc(valueBytes);
  for (let at = 0; at < valueBytes; at++) value[at] = (at * 7 + p * 31 + i * 13) & 0xff;
  value.writeUInt32BE(p * recordsPerProducerMax + i, 0);
  return value;
}

export interface ConcurrentProduce {
  readonly port: number;
  readonly topic: string;
  /** One producer per entry, with that acks. */
  readonly producersAcks: readonly number[];
  readonly recordsPerProducer: number;
  readonly valueBytes: number;
}

/** Creates the one-partition topic, then has every producer send its records, one per request, at once. */
export async function produceConcurrently(run: ConcurrentProduce): Promise<void> {
  const kafka = new Kafka({
    brokers: [`127.0.0.1:${run.port}`],
    clientId: "concurrent-producers",
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: run.topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producers = run.producersAcks.map(() => kafka.producer({ allowAutoTopicCreation: false }));
  await Promise.all(producers.map((p) => p.connect()));
  await Promise.all(
    producers.map((producer, p) =>
      Promise.all(
        Array.from({ length: run.recordsPerProducer }, (_, i) =>
          producer.send({
            topic: run.topic,
            acks: run.producersAcks[p]!,
            messages: [{ value: recordValue(p, i, run.valueBytes) }],
          }),
        ),
      ),
    ),
  );
  await Promise.all(producers.map((p) => p.disconnect()));
}

/**
 * Fetches the topic from its start (at `port`, which may be another broker process than the one
 * produced to) and checks every record against the value it was sent with; returns how many distinct
 * records it read.
 */
export async function readBackExactly(run: ConcurrentProduce, port = run.port): Promise<number> {
  const client = await RawClient.connect(port);
  const seen = new Set<number>();
  let offset = 0n;
  const wanted = run.producersAcks.length * run.recordsPerProducer;
  try {
    for (let round = 0; round < 1000 && seen.size < wanted; round++) {
      const answer = await client.request(ApiKey.Fetch, 4, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 4 << 20,
        topics: [
          {
            topic: run.topic,
            partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 4 << 20 }],
          },
        ],
      });
      const partition = answer.responses[0]!.partitions[0]!;
      expect(partition.errorCode).toBe(ErrorCode.NONE);
      for (const batch of decodeRecordBatches(partition.records ?? new Uint8Array(0))) {
        for (const record of batch.records) {
          const value = Buffer.from(record.value!);
          const id = value.readUInt32BE(0);
          const sent = recordValue(
            Math.floor(id / recordsPerProducerMax),
            id % recordsPerProducerMax,
            run.valueBytes,
          );
          expect(value.equals(sent)).toBe(true);
          seen.add(id);
        }
        offset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
      }
    }
  } finally {
    client.close();
  }
  return seen.size;
}
