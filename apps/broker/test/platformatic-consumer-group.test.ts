/**
 * @platformatic/kafka 2.12 (under Bun, as users run it) against `bun run broker`: a producer writes
 * keyed messages, a consumer in a group reads them all from the committed position (falling back to
 * the earliest), commits each message, and the committed offsets read back equal the partition ends.
 * A second consumer of the same group then receives only what is produced after the first left.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  Admin,
  Consumer,
  type Message,
  type MessagesStream,
  Producer,
  stringDeserializers,
  stringSerializers,
} from "@platformatic/kafka";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

const topic = "plt-events";
const groupId = "plt-group";
const partitionCount = 2;

type StringMessage = Message<string, string, string, string>;

/** Collects messages from a stream until `count` arrived (or the time is up), committing each. */
async function collect(
  stream: MessagesStream<string, string, string, string>,
  count: number,
  timeoutMs: number,
): Promise<StringMessage[]> {
  const received: StringMessage[] = [];
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.off("data", onData);
      resolve(received);
    }, timeoutMs);
    const onData = (message: StringMessage) => {
      received.push(message);
      void Promise.resolve(message.commit()).then(
        () => {
          if (received.length >= count && count > 0) {
            clearTimeout(timer);
            stream.off("data", onData);
            resolve(received);
          }
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    };
    stream.on("data", onData);
  });
}

function newConsumer(): Consumer<string, string, string, string> {
  return new Consumer({
    clientId: "plt-consumer",
    groupId,
    bootstrapBrokers: [broker.bootstrap],
    deserializers: stringDeserializers,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
    maxWaitTime: 500,
  });
}

describe("@platformatic/kafka consumer group", () => {
  test("produces, consumes in a group from the committed offset, commits", async () => {
    const admin = new Admin({ clientId: "plt-admin", bootstrapBrokers: [broker.bootstrap] });
    const producer = new Producer({
      clientId: "plt-producer",
      bootstrapBrokers: [broker.bootstrap],
      serializers: stringSerializers,
    });
    try {
      await admin.createTopics({ topics: [topic], partitions: partitionCount, replicas: 1 });
      await producer.send({
        messages: Array.from({ length: 20 }, (_, i) => ({ topic, key: `key-${i}`, value: `first-${i}` })),
      });

      const first = newConsumer();
      try {
        const stream = await first.consume({
          topics: [topic],
          mode: "committed",
          fallbackMode: "earliest",
          autocommit: false,
        });
        const messages = await collect(stream, 20, 60_000);
        expect(messages.map((m) => m.value).sort()).toEqual(
          Array.from({ length: 20 }, (_, i) => `first-${i}`).sort(),
        );
        // Within a partition, offsets arrive in order.
        for (let p = 0; p < partitionCount; p++) {
          const offsets = messages.filter((m) => m.partition === p).map((m) => m.offset);
          expect(offsets).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        }
        const committed = await first.listCommittedOffsets({
          topics: [{ topic, partitions: Array.from({ length: partitionCount }, (_, i) => i) }],
        });
        const lastOffsets = new Map<number, bigint>();
        for (const m of messages) {
          const last = lastOffsets.get(m.partition) ?? -1n;
          if (m.offset > last) lastOffsets.set(m.partition, m.offset);
        }
        const perPartition = committed.get(topic) ?? [];
        expect(perPartition).toHaveLength(partitionCount);
        for (let p = 0; p < partitionCount; p++) {
          // The committed offset is the next one to read.
          expect(perPartition[p]).toBe((lastOffsets.get(p) ?? -1n) + 1n);
        }
        await stream.close();
      } finally {
        await first.close(true);
      }

      await producer.send({
        messages: Array.from({ length: 5 }, (_, i) => ({ topic, key: `key-${i}`, value: `second-${i}` })),
      });
      const second = newConsumer();
      try {
        const stream = await second.consume({
          topics: [topic],
          mode: "committed",
          fallbackMode: "earliest",
          autocommit: false,
        });
        const messages = await collect(stream, 5, 60_000);
        expect(messages.map((m) => m.value).sort()).toEqual(
          Array.from({ length: 5 }, (_, i) => `second-${i}`).sort(),
        );
        // Nothing else arrives: the first member's commits held.
        const more = await collect(stream, 0, 2_000);
        expect(more).toEqual([]);
        await stream.close();
      } finally {
        await second.close(true);
      }
    } finally {
      await producer.close();
      await admin.close();
    }
  }, 150_000);
});
