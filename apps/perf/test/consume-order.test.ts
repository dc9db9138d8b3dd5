/**
 * The perf consumer's fetch loop against a scripted connection (no broker): it works in the order
 * Kafka's consumer does, checking a response's batches, sending the next fetch from past them, and
 * only then handing the records on and counting their latency, so the next fetch waits at the broker
 * while this one's records are processed. The order shows in the figures: the connection spends 40
 * ms (a busy loop, not a timer) inside the second fetch's send, and every record of the first
 * response is measured at least that late, which it would not be if it were counted before that send.
 * The run also ends once its records are counted, without waiting for the fetch still in flight.
 */
import { expect, test } from "bun:test";
import type { KafkaConnection } from "@eddy/client";
import { ApiKey, rewriteBaseOffset } from "@eddy/protocol";
import { buildBatch } from "../src/batch-builder.ts";
import type { ConsumeOptions } from "../src/cli.ts";
import { consumeFrom } from "../src/consume.ts";

const sendSpinMs = 40;

/** A consumer of partition 0 of "t" over a scripted connection, reading `recordsCount` records. */
function scriptedOptions(recordsCount: number, warmupRecords: number): ConsumeOptions {
  return {
    kind: "consume",
    topic: "t",
    recordsCount,
    bootstrapHost: "scripted",
    bootstrapPort: 0,
    reportingIntervalMs: 3_600_000,
    output: "json",
    timeoutMs: 10_000,
    warmupRecords,
    group: null,
    fromLatest: false,
    fetchBytesMax: 1 << 20,
    fetchWaitMsMax: 500,
  };
}

test("the next fetch is sent from past the checked batches before the records are counted", async () => {
  const fetchOffsets: bigint[] = [];
  const released: object[] = [];
  const batch = buildBatch(new Uint8Array(10).fill(65), Date.now(), [{ timestampDelta: 0, count: 5 }]);
  rewriteBaseOffset(batch, 7n);
  const connection = {
    address: "scripted:0",
    release(response: object) {
      // Given back only once its records were counted: the second fetch was already sent.
      expect(fetchOffsets.length).toBe(2);
      released.push(response);
    },
    request(apiKey: number, _version: number, body: { topics: { partitions: { fetchOffset: bigint }[] }[] }) {
      expect(apiKey).toBe(ApiKey.Fetch);
      fetchOffsets.push(body.topics[0]!.partitions[0]!.fetchOffset);
      if (fetchOffsets.length === 2) {
        const until = performance.now() + sendSpinMs;
        while (performance.now() < until) {}
      }
      // The first fetch gets the batch; the second is never answered (the run must not wait for it).
      if (fetchOffsets.length > 1) return new Promise(() => {});
      return Promise.resolve({
        errorCode: 0,
        responses: [{ topic: "t", partitions: [{ partitionIndex: 0, errorCode: 0, records: batch }] }],
      });
    },
  } as unknown as KafkaConnection;
  const options = scriptedOptions(5, 0);
  const cursor = { partition: 0, connection, nextOffset: 7n, fetchOffset: 7n };
  const figures = await consumeFrom(options, [cursor], () => {}, 0);
  expect(figures.records).toBe(5);
  expect(fetchOffsets).toEqual([7n, 12n]);
  // The counted response was handed back to the connection once, to give its reads back.
  expect(released.length).toBe(1);
  expect(cursor.nextOffset).toBe(12n);
  // CreateTime is whole milliseconds, so a record can look up to 1 ms younger than it is.
  expect(figures.latencyMsP50!).toBeGreaterThanOrEqual(sendSpinMs - 1);
});

test("with --warmup-records, the records after the warm-up count again in a steady state", async () => {
  const batch = buildBatch(new Uint8Array(10).fill(65), Date.now(), [{ timestampDelta: 0, count: 5 }]);
  const connection = {
    address: "scripted:0",
    release() {},
    request(
      _apiKey: number,
      _version: number,
      body: { topics: { partitions: { fetchOffset: bigint }[] }[] },
    ) {
      if (body.topics[0]!.partitions[0]!.fetchOffset > 0n) return new Promise(() => {});
      return Promise.resolve({
        errorCode: 0,
        responses: [{ topic: "t", partitions: [{ partitionIndex: 0, errorCode: 0, records: batch }] }],
      });
    },
  } as unknown as KafkaConnection;
  const options = scriptedOptions(5, 2);
  const cursor = { partition: 0, connection, nextOffset: 0n, fetchOffset: 0n };
  const figures = await consumeFrom(options, [cursor], () => {}, 0);
  expect(figures.records).toBe(5);
  expect(figures.latencyCount).toBe(5);
  // One run of five records split at the warm-up: three are steady, with their share of the bytes.
  expect(figures.steadyState?.records).toBe(3);
  expect(figures.steadyState?.latencyCount).toBe(3);
  expect(figures.steadyState?.bytes).toBe((figures.bytes * 3) / 5);
  expect(figures.steadyState?.steadyState).toBeNull();
});
