/**
 * Round trips of whole batches: encode then decode gives back every field for every codec, including
 * null keys and values, headers and control batches; and for uncompressed batches decode then encode
 * gives back the same bytes. Method: fast-check properties over generated batch inputs.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  concatBatches,
  controlBatchInput,
  decodeControlBatch,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  iterateBatches,
  type RecordBatch,
  verifyBatchCrc,
} from "../src/index.ts";
import { batchInputArb, codecs, expectedRecord } from "./records-arbitraries.ts";

function plainRecords(batch: RecordBatch): unknown[] {
  return batch.records.map((r) => ({
    attributes: r.attributes,
    timestampDelta: r.timestampDelta,
    offsetDelta: r.offsetDelta,
    key: r.key === null ? null : new Uint8Array(r.key),
    value: r.value === null ? null : new Uint8Array(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : new Uint8Array(h.value) })),
  }));
}

describe("record batch round trip", () => {
  for (const codec of codecs) {
    test(`encode then decode restores every field (${codec})`, () => {
      fc.assert(
        fc.property(batchInputArb(fc.constant(codec)), (input) => {
          const bytes = encodeRecordBatch(input);
          verifyBatchCrc(bytes);
          const batch = decodeRecordBatch(bytes);
          const h = batch.header;
          expect(h.compression).toBe(codec);
          expect(h.baseOffset).toBe(input.baseOffset!);
          expect(h.partitionLeaderEpoch).toBe(input.partitionLeaderEpoch!);
          expect(h.isTransactional).toBe(input.isTransactional!);
          expect(h.isControl).toBe(false);
          expect(h.producerId).toBe(input.producerId!);
          expect(h.producerEpoch).toBe(input.producerEpoch!);
          expect(h.baseSequence).toBe(input.baseSequence!);
          expect(h.recordsCount).toBe(input.records.length);
          expect(h.lastOffsetDelta).toBe(input.records.length - 1);
          expect(h.batchLength + 12).toBe(bytes.length);
          const maxDelta = Math.max(...input.records.map((r) => r.timestampDelta ?? 0));
          expect(h.maxTimestamp).toBe(input.baseTimestamp! + BigInt(maxDelta));
          expect(plainRecords(batch)).toEqual(input.records.map(expectedRecord));
        }),
        { numRuns: 60 },
      );
    });
  }

  test("uncompressed decode then encode gives back the same bytes", () => {
    fc.assert(
      fc.property(batchInputArb(fc.constant("none")), (input) => {
        const bytes = encodeRecordBatch(input);
        const batch = decodeRecordBatch(bytes);
        const again = encodeRecordBatch({ ...batch.header, records: batch.records });
        expect(again).toEqual(bytes);
      }),
      { numRuns: 100 },
    );
  });

  test("a records range of several batches of mixed codecs decodes batch by batch", () => {
    fc.assert(
      fc.property(
        fc.array(batchInputArb(fc.constantFrom(...codecs)), { minLength: 1, maxLength: 4 }),
        (inputs) => {
          const range = concatBatches(inputs.map(encodeRecordBatch));
          const batches = decodeRecordBatches(range);
          expect(batches.map((b) => b.header.compression)).toEqual(inputs.map((i) => i.compression!));
          expect(batches.map(plainRecords)).toEqual(inputs.map((i) => i.records.map(expectedRecord)));
          expect([...iterateBatches(range)].length).toBe(inputs.length);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("empty key, empty value and empty header key are kept apart from null", () => {
    const empty = new Uint8Array(0);
    const bytes = encodeRecordBatch({
      records: [
        { key: empty, value: empty, headers: [{ key: "", value: empty }] },
        { key: null, value: null, headers: [{ key: "", value: null }] },
      ],
    });
    const [a, b] = decodeRecordBatch(bytes).records;
    expect(a!.key).toEqual(empty);
    expect(a!.value).toEqual(empty);
    expect(a!.headers[0]!.value).toEqual(empty);
    expect(b!.key).toBeNull();
    expect(b!.value).toBeNull();
    expect(b!.headers[0]!.value).toBeNull();
  });

  test("control batches carry commit and abort markers", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("commit" as const, "abort" as const),
        fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        fc.bigInt({ min: 0n, max: 2n ** 50n }),
        fc.integer({ min: 0, max: 32767 }),
        (type, coordinatorEpoch, producerId, producerEpoch) => {
          const bytes = encodeRecordBatch(
            controlBatchInput({
              marker: { type, coordinatorEpoch },
              producerId,
              producerEpoch,
              timestampMs: 1234n,
            }),
          );
          const batch = decodeRecordBatch(bytes);
          expect(batch.header.isControl).toBe(true);
          expect(batch.header.isTransactional).toBe(true);
          expect(batch.header.producerId).toBe(producerId);
          expect(batch.header.producerEpoch).toBe(producerEpoch);
          expect(batch.header.baseSequence).toBe(-1);
          expect(decodeControlBatch(batch)).toEqual({ type, coordinatorEpoch });
        },
      ),
      { numRuns: 100 },
    );
  });

  test("timestamp type and delete horizon bits survive", () => {
    const bytes = encodeRecordBatch({
      records: [{ value: new Uint8Array([1]) }],
      timestampType: "LogAppendTime",
      hasDeleteHorizon: true,
    });
    const h = decodeRecordBatch(bytes).header;
    expect(h.timestampType).toBe("LogAppendTime");
    expect(h.hasDeleteHorizon).toBe(true);
    expect(h.attributes).toBe(0x48);
  });
});
