/**
 * Socket reads are given back as soon as every produce request in them is answered
 * (`@eddy/protocol`'s `chunk-lease.ts`: the read's buffer is detached, so its bytes are freed without waiting for
 * a full collection). Nothing may read a produce frame after its answer, or records would read back
 * empty or throw. Three kafkajs producers of small records (acks -1, 1 and -1, many sends in flight,
 * so one read carries several requests) write to a broker on the file system; the broker must have
 * released reads, and every record must read back exactly, from the hot tail and from the files after
 * a restart.
 */
import { afterAll, expect, test } from "bun:test";
import { ApiKey, decodeRecordBatches, ErrorCode } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { Broker } from "../src/broker.ts";
import { parseCli } from "../src/config/cli.ts";
import { removeDir, tempDir } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

const valueBytes = 200;
const recordsPerProducer = 600;
const producersAcks = [-1, 1, -1];
const dataDir = tempDir("chunk-release");

function recordValue(p: number, i: number): Buffer {
  const value = Buffer.alloc(valueBytes);
  for (let at = 0; at < valueBytes; at++) value[at] = (at * 11 + p * 29 + i * 17) & 0xff;
  value.writeUInt32BE(p * 100_000 + i, 0);
  return value;
}

async function startBroker(): Promise<Broker> {
  const { config } = parseCli(["--data-dir", dataDir, "--admin-port", "0", "--port", "0"], {});
  return await Broker.start(config, () => {});
}

/** Every record of topic "small", checked against the value it was sent with; returns their ids. */
async function readBack(port: number): Promise<Set<number>> {
  const client = await RawClient.connect(port);
  const seen = new Set<number>();
  let offset = 0n;
  const wanted = producersAcks.length * recordsPerProducer;
  for (let round = 0; round < 1000 && seen.size < wanted; round++) {
    const answer = await client.request(ApiKey.Fetch, 4, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      topics: [
        { topic: "small", partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] },
      ],
    });
    const partition = answer.responses[0]!.partitions[0]!;
    expect(partition.errorCode).toBe(ErrorCode.NONE);
    for (const batch of decodeRecordBatches(partition.records ?? new Uint8Array(0))) {
      for (const record of batch.records) {
        const value = Buffer.from(record.value!);
        const id = value.readUInt32BE(0);
        expect(value.equals(recordValue(Math.floor(id / 100_000), id % 100_000))).toBe(true);
        seen.add(id);
      }
      offset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
    }
  }
  client.close();
  return seen;
}

afterAll(() => removeDir(dataDir));

test("reads are released once their produce requests are answered, and every record reads back exactly", async () => {
  let broker = await startBroker();
  try {
    const port = broker.portOf("PLAINTEXT");
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${port}`],
      clientId: "chunks",
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "small", numPartitions: 1 }] });
    await admin.disconnect();
    const producers = producersAcks.map(() => kafka.producer({ allowAutoTopicCreation: false }));
    await Promise.all(producers.map((p) => p.connect()));
    await Promise.all(
      producers.map((producer, p) =>
        Promise.all(
          Array.from({ length: recordsPerProducer }, (_, i) =>
            producer.send({
              topic: "small",
              acks: producersAcks[p]!,
              messages: [{ value: recordValue(p, i) }],
            }),
          ),
        ),
      ),
    );
    await Promise.all(producers.map((p) => p.disconnect()));
    expect(broker.chunksReleased).toBeGreaterThan(0);
    expect((await readBack(port)).size).toBe(producersAcks.length * recordsPerProducer);
  } finally {
    await broker.stop();
  }
  // After a restart the records come from the segment files, which were written from the frames.
  broker = await startBroker();
  try {
    expect((await readBack(broker.portOf("PLAINTEXT"))).size).toBe(producersAcks.length * recordsPerProducer);
  } finally {
    await broker.stop();
  }
}, 90_000);
