/**
 * Topic configs that a partition reads while it is open reach it as soon as IncrementalAlterConfigs
 * commits, with no restart (issue 16), on one broker started as users start it. As in Kafka, a topic
 * of replication factor 1 whose min.insync.replicas becomes 2 refuses acks=all with
 * NOT_ENOUGH_REPLICAS (acks=1 still succeeds), and accepts it again once the key is deleted; a
 * lowered max.message.bytes refuses a larger batch with MESSAGE_TOO_LARGE at once, and a raised one
 * admits it; flush.messages=1 set live keeps produce answering (the fsync-before-ack path itself is
 * checked in packages/node/test/partition-replica-retune.test.ts, where the fsync is observable).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import { oneRecordProduce } from "./produce-request.ts";
import { RawClient } from "./raw-client.ts";

const topicResource = 2;
const opSet = 0;
const opDelete = 1;

let broker: RunningBroker;
let client: RawClient;

beforeAll(async () => {
  broker = await startBroker();
  client = await RawClient.connect(broker.port);
});
afterAll(async () => {
  client.close();
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

async function createTopic(name: string): Promise<void> {
  const response = await client.request(ApiKey.CreateTopics, 4, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, configs: [] }],
  });
  expect(response.topics[0]!.errorCode).toBe(ErrorCode.NONE);
}

async function alter(topic: string, name: string, op: number, value: string | null): Promise<void> {
  const response = await client.request(ApiKey.IncrementalAlterConfigs, 0, {
    resources: [
      { resourceType: topicResource, resourceName: topic, configs: [{ name, configOperation: op, value }] },
    ],
    validateOnly: false,
  });
  expect(response.responses[0]!.errorCode).toBe(ErrorCode.NONE);
}

/** Produces one batch of one record of `valueBytes` bytes; answers the partition's error code. */
async function produce(topic: string, acks: number, valueBytes = 10): Promise<number> {
  const response = await client.request(
    ApiKey.Produce,
    7,
    oneRecordProduce(topic, acks, "v".repeat(valueBytes)),
  );
  return response.responses[0]!.partitionResponses[0]!.errorCode;
}

describe("topic configs applied live", () => {
  test("min.insync.replicas 2 on a replication-factor-1 topic refuses acks=all at once; deleting it admits it", async () => {
    await createTopic("live-isr");
    expect(await produce("live-isr", -1)).toBe(ErrorCode.NONE);
    await alter("live-isr", "min.insync.replicas", opSet, "2");
    expect(await produce("live-isr", -1)).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(await produce("live-isr", 1)).toBe(ErrorCode.NONE);
    await alter("live-isr", "min.insync.replicas", opDelete, null);
    expect(await produce("live-isr", -1)).toBe(ErrorCode.NONE);
  });

  test("max.message.bytes lowered refuses a larger batch at once; raised admits it", async () => {
    await createTopic("live-size");
    expect(await produce("live-size", 1, 2_000)).toBe(ErrorCode.NONE);
    await alter("live-size", "max.message.bytes", opSet, "1000");
    expect(await produce("live-size", 1, 2_000)).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(await produce("live-size", 1, 100)).toBe(ErrorCode.NONE);
    await alter("live-size", "max.message.bytes", opSet, "3000");
    expect(await produce("live-size", 1, 2_000)).toBe(ErrorCode.NONE);
  });

  test("flush.messages=1 set live keeps acks=1 and acks=all answered", async () => {
    await createTopic("live-flush");
    await alter("live-flush", "flush.messages", opSet, "1");
    for (const acks of [1, -1, 1]) expect(await produce("live-flush", acks)).toBe(ErrorCode.NONE);
  });
});
