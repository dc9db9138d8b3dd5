/**
 * fast-check generators shared by the record-batch tests: records with null and empty keys and values,
 * headers, and batch inputs for every codec. Kept small so that a property run stays fast. Also the
 * helper those tests use to name the RecordBatchError a call throws.
 */

import fc from "fast-check";
import {
  type CompressionName,
  type KafkaRecordInput,
  RecordBatchError,
  type RecordBatchInput,
  type RecordHeader,
} from "../src/index.ts";

export const codecs: readonly CompressionName[] = ["none", "gzip", "snappy", "lz4", "zstd"];

const bytes = fc.uint8Array({ maxLength: 64 });
const nullableBytes = fc.option(bytes, { nil: null, freq: 4 });

export const headerArb: fc.Arbitrary<RecordHeader> = fc.record({
  key: fc.string({ maxLength: 12 }),
  value: nullableBytes,
});

export const recordArb: fc.Arbitrary<KafkaRecordInput> = fc.record({
  key: nullableBytes,
  value: nullableBytes,
  headers: fc.array(headerArb, { maxLength: 3 }),
  timestampDelta: fc.integer({ min: -1_000_000, max: 1_000_000_000 }),
});

export const batchInputArb = (compression: fc.Arbitrary<CompressionName>): fc.Arbitrary<RecordBatchInput> =>
  fc.record({
    records: fc.array(recordArb, { minLength: 1, maxLength: 8 }),
    compression,
    baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 1_000_000 }),
    baseTimestamp: fc.bigInt({ min: -1n, max: 2n ** 45n }),
    isTransactional: fc.boolean(),
    producerId: fc.bigInt({ min: -1n, max: 2n ** 40n }),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
  });

/** Normalises an input record the way decode reports it, for comparison. */
export function expectedRecord(input: KafkaRecordInput, index: number) {
  return {
    attributes: input.attributes ?? 0,
    timestampDelta: input.timestampDelta ?? 0,
    offsetDelta: input.offsetDelta ?? index,
    key: input.key ?? null,
    value: input.value ?? null,
    headers: (input.headers ?? []).map((h) => ({ key: h.key, value: h.value })),
  };
}

/** The reason of the RecordBatchError `run` throws, or "no error"; any other exception propagates. */
export function reasonOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof RecordBatchError) return error.reason;
    throw error;
  }
  return "no error";
}
