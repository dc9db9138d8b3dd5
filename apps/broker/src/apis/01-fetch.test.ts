/**
 * Fetch's long poll against `bun run broker`: a read that holds fewer than `minBytes` waits for the
 * log to grow rather than answering with what it has, a read that fails is answered at once, and a
 * parked read is answered in the turn the high watermark moves, not by a timer.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { decodeResponse, ErrorCode, encodeRecordBatch } from "@eddy/protocol";
import { type RunningBroker, removeDir, startBroker } from "../../test/harness.ts";
import { RawClient } from "../../test/raw-client.ts";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

/** Stamped now: a batch at time 0 would be older than the retention time and deleted. */
const batch = (value: string) =>
  encodeRecordBatch({
    baseTimestamp: BigInt(Date.now()),
    records: [{ value: new TextEncoder().encode(value) }],
  });

function fetchBody(fetchOffset: bigint, minBytes: number, topic = "poll") {
  return {
    replicaId: -1,
    maxWaitMs: 10_000,
    minBytes,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    topics: [
      {
        topic,
        partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, partitionMaxBytes: 1 << 20 }],
      },
    ],
  };
}

describe("Fetch long poll", () => {
  test("fewer bytes than minBytes wait for the next append; a failed read answers at once", async () => {
    const client = await RawClient.connect(broker.port);
    const produce = async (records: Uint8Array) => {
      const r = await client.request(0, 7, {
        acks: 1,
        timeoutMs: 5000,
        transactionalId: null,
        topicData: [{ name: "poll", partitionData: [{ index: 0, records }] }],
      });
      return r.responses[0]!.partitionResponses[0]!.errorCode;
    };
    // Metadata creates the topic (auto.create.topics.enable is on by default).
    await client.request(3, 8, {
      topics: [{ name: "poll" }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    let created = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION as number;
    for (let i = 0; i < 100 && created !== ErrorCode.NONE; i++) {
      created = await produce(batch("first"));
      if (created !== ErrorCode.NONE) await Bun.sleep(50);
    }
    expect(created).toBe(ErrorCode.NONE);
    const first = batch("first").length;

    // The first batch alone is below minBytes, so the fetch is still parked when the second arrives
    // on another connection, and answers with both.
    const waiting = client.send(1, 11, fetchBody(0n, first + 1));
    const other = await RawClient.connect(broker.port);
    await Bun.sleep(200);
    const second = await other.request(0, 7, {
      acks: 1,
      timeoutMs: 5000,
      transactionalId: null,
      topicData: [{ name: "poll", partitionData: [{ index: 0, records: batch("second") }] }],
    });
    expect(second.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    const frame = await client.nextFrame(15_000);
    expect(frame).not.toBeNull();
    const answer = decodeResponse(frame!, 1, 11);
    expect(answer.correlationId).toBe(waiting);
    const partition = answer.body.responses[0]!.partitions[0]!;
    expect(partition.errorCode).toBe(ErrorCode.NONE);
    expect(partition.highWatermark).toBe(2n);
    expect(partition.records!.length).toBeGreaterThan(first);

    // An offset past the log end cannot be read by waiting: OFFSET_OUT_OF_RANGE comes back at once,
    // within the raw client's 5 s answer limit rather than after the 10 s wait.
    const outOfRange = await client.request(1, 11, fetchBody(100n, 1));
    expect(outOfRange.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    client.close();
    other.close();
  }, 30_000);

  test("a fetch parked on an empty partition is answered within a few ms of a produce, for acks 1 and -1", async () => {
    // With one replica the high watermark moves in the step that completes the append, and the parked
    // read is woken in that step: its answer leaves with the produce's acknowledgement, not after a
    // timer or the 10 s maxWaitMs. Rounds are timed from the produce's send to the fetch's answer.
    const consumer = await RawClient.connect(broker.port);
    const producer = await RawClient.connect(broker.port);
    const produce = async (topic: string, acks: number, value: string) => {
      const r = await producer.request(0, 7, {
        acks,
        timeoutMs: 5000,
        transactionalId: null,
        topicData: [{ name: topic, partitionData: [{ index: 0, records: batch(value) }] }],
      });
      return r.responses[0]!.partitionResponses[0]!;
    };
    const rounds = 15;
    for (const acks of [1, -1]) {
      const topic = `wake-acks${acks}`;
      await producer.request(3, 8, {
        topics: [{ name: topic }],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      let next = -1n;
      for (let i = 0; i < 100 && next < 0n; i++) {
        const first = await produce(topic, acks, "first");
        if (first.errorCode === ErrorCode.NONE) next = first.baseOffset + 1n;
        else await Bun.sleep(50);
      }
      expect(next).toBe(1n);
      const answeredMs: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const waiting = consumer.send(1, 11, fetchBody(next, 1, topic));
        // Long enough for the fetch to be read and parked (an empty read) before the produce.
        await Bun.sleep(20);
        const sentMs = performance.now();
        const fetched = consumer.nextFrame(15_000).then((frame) => ({ frame, atMs: performance.now() }));
        const acked = await produce(topic, acks, `round ${round}`);
        expect(acked.errorCode).toBe(ErrorCode.NONE);
        expect(acked.baseOffset).toBe(next);
        const { frame, atMs } = await fetched;
        expect(frame).not.toBeNull();
        const answer = decodeResponse(frame!, 1, 11);
        expect(answer.correlationId).toBe(waiting);
        const partition = answer.body.responses[0]!.partitions[0]!;
        expect(partition.errorCode).toBe(ErrorCode.NONE);
        expect(partition.highWatermark).toBe(next + 1n);
        expect(partition.records!.length).toBeGreaterThan(0);
        answeredMs.push(atMs - sentMs);
        next++;
      }
      answeredMs.sort((a, b) => a - b);
      const median = answeredMs[Math.floor(rounds / 2)]!;
      // A few ms on a loaded 2-core machine; a wake-up by timer or at maxWaitMs would be far above both.
      expect(median).toBeLessThan(5);
      expect(answeredMs[rounds - 1]!).toBeLessThan(250);
    }
    consumer.close();
    producer.close();
  }, 30_000);
});
