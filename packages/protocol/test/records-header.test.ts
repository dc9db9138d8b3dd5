/**
 * The header-only view: iterating batches of a records range, validation of length, magic and CRC,
 * rewriting base offsets and leader epochs in place (CRC stays valid, records untouched), assigning
 * offsets to a produce request, stamping LogAppendTime, and refusing legacy message sets.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  assignOffsets,
  BatchField,
  concatBatches,
  crc32c,
  decodeRecordBatch,
  decodeRecordBatches,
  ErrorCode,
  encodeRecordBatch,
  incrementSequence,
  isRecordBatchError,
  iterateBatches,
  lastSequenceOf,
  noSequence,
  RecordBatchError,
  readBatchHeader,
  readBatchHeaders,
  recordBatchErrorCode,
  rewriteBaseOffset,
  rewritePartitionLeaderEpoch,
  stampLogAppendTime,
  verifyBatchCrc,
} from "../src/index.ts";
import { batchInputArb, codecs, reasonOf } from "./records-arbitraries.ts";

const value = (text: string) => new TextEncoder().encode(text);

describe("batch header view", () => {
  test("base offset and leader epoch rewrites leave the CRC valid and the records untouched", () => {
    fc.assert(
      fc.property(
        batchInputArb(fc.constantFrom(...codecs)),
        fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
        fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        (input, offset, epoch) => {
          const bytes = encodeRecordBatch(input);
          const before = bytes.slice(BatchField.magic);
          rewriteBaseOffset(bytes, offset);
          rewritePartitionLeaderEpoch(bytes, epoch);
          verifyBatchCrc(bytes);
          expect(bytes.slice(BatchField.magic)).toEqual(before);
          const [slice] = [...iterateBatches(bytes)];
          expect(slice!.header.baseOffset).toBe(offset);
          expect(slice!.header.partitionLeaderEpoch).toBe(epoch);
          expect(decodeRecordBatch(bytes).records.length).toBe(input.records.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("iterateBatches yields zero-copy slices at the right positions", () => {
    const a = encodeRecordBatch({ records: [{ value: value("a") }] });
    const b = encodeRecordBatch({
      records: [{ value: value("bb") }, { value: value("c") }],
      compression: "lz4",
    });
    const range = concatBatches([a, b]);
    const slices = [...iterateBatches(range)];
    expect(slices.map((s) => s.position)).toEqual([0, a.length]);
    expect(slices[1]!.bytes.buffer).toBe(range.buffer);
    expect(slices[1]!.bytes).toEqual(b);
    expect(slices[1]!.header.recordsCount).toBe(2);
    expect(readBatchHeaders(range).map((h) => h.compression)).toEqual(["none", "lz4"]);
  });

  test("assignOffsets numbers batches consecutively and reports the next offset", () => {
    const batches = [3, 1, 5].map((n) =>
      encodeRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ value: value(`v${i}`) })) }),
    );
    const range = concatBatches(batches);
    const result = assignOffsets(range, 100n, 7);
    expect(result).toEqual({ nextOffset: 109n, batchCount: 3, recordCount: 9, maxTimestamp: 0n });
    const headers = readBatchHeaders(range);
    expect(headers.map((h) => h.baseOffset)).toEqual([100n, 103n, 104n]);
    expect(headers.map((h) => h.partitionLeaderEpoch)).toEqual([7, 7, 7]);
  });

  test("assignOffsets changes nothing when any batch is bad", () => {
    const good = encodeRecordBatch({ records: [{ value: value("x") }] });
    const bad = encodeRecordBatch({ records: [{ value: value("y") }] });
    bad[bad.length - 1]! ^= 1;
    const range = concatBatches([good, bad]);
    const copy = range.slice();
    expect(reasonOf(() => assignOffsets(range, 5n))).toBe("BadCrc");
    expect(range).toEqual(copy);
  });

  test("stampLogAppendTime sets the type bit and max timestamp and re-signs the batch", () => {
    const bytes = encodeRecordBatch({
      records: [{ value: value("x"), timestampDelta: 3 }],
      baseTimestamp: 10n,
    });
    stampLogAppendTime(bytes, 999n);
    verifyBatchCrc(bytes);
    const header = readBatchHeader(bytes);
    expect(header.timestampType).toBe("LogAppendTime");
    expect(header.maxTimestamp).toBe(999n);
    bytes[bytes.length - 1]! ^= 1;
    expect(reasonOf(() => stampLogAppendTime(bytes, 1n))).toBe("BadCrc");
  });

  test("legacy message sets (magic 0 and 1) and unknown magic are refused, never misread", () => {
    for (const magic of [0, 1, 3, -1]) {
      const bytes = encodeRecordBatch({ records: [{ value: value("legacy?") }] });
      bytes[BatchField.magic] = magic & 0xff;
      const error = (() => {
        try {
          decodeRecordBatch(bytes);
        } catch (e) {
          return e;
        }
      })();
      expect(isRecordBatchError(error, "UnsupportedMagic")).toBe(true);
      if (magic === 0 || magic === 1) expect(String(error)).toContain("legacy");
      expect(reasonOf(() => [...iterateBatches(bytes)])).toBe("UnsupportedMagic");
      expect(reasonOf(() => rewriteBaseOffset(bytes, 1n))).toBe("UnsupportedMagic");
    }
  });

  test("a real magic-1 message set is refused", () => {
    // offset 0, size 20, crc, magic 1, attributes 0, timestamp, key -1, value "" (legacy v1 layout).
    const legacy = new Uint8Array([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 26, 0x12, 0x34, 0x56, 0x78, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
      0xff, 0xff, 0, 0, 0, 0,
    ]);
    expect(reasonOf(() => [...iterateBatches(legacy)])).toBe("UnsupportedMagic");
  });

  test("lengths: truncated input, short batchLength, partial trailing batch", () => {
    const bytes = encodeRecordBatch({ records: [{ value: value("abc") }] });
    expect(reasonOf(() => [...iterateBatches(bytes.subarray(0, 11))])).toBe("Truncated");
    expect(reasonOf(() => [...iterateBatches(bytes.subarray(0, bytes.length - 1))])).toBe("Truncated");
    const short = bytes.slice();
    new DataView(short.buffer).setInt32(BatchField.batchLength, 48);
    expect(reasonOf(() => readBatchHeader(short))).toBe("BadLength");
    const negative = bytes.slice();
    new DataView(negative.buffer).setInt32(BatchField.batchLength, -5);
    expect(reasonOf(() => readBatchHeader(negative))).toBe("BadLength");
    const partial = concatBatches([bytes, bytes.subarray(0, 30)]);
    expect(reasonOf(() => [...iterateBatches(partial)])).toBe("Truncated");
    expect([...iterateBatches(partial, { partialTrailing: "stop" })].length).toBe(1);
    expect(reasonOf(() => decodeRecordBatches(partial))).toBe("Truncated");
    expect(decodeRecordBatches(partial, { partialTrailing: "stop" }).length).toBe(1);
  });

  test("a record count larger than the bytes could hold is refused before any allocation", () => {
    const bytes = encodeRecordBatch({ records: [{ value: value("abc") }] });
    new DataView(bytes.buffer).setInt32(BatchField.recordsCount, 2 ** 31 - 1);
    expect(reasonOf(() => readBatchHeader(bytes))).toBe("BadLength");
    new DataView(bytes.buffer).setInt32(BatchField.recordsCount, -1);
    expect(reasonOf(() => readBatchHeader(bytes))).toBe("BadRecord");
  });

  test("unknown compression id is a Compression error", () => {
    const bytes = encodeRecordBatch({ records: [{ value: value("abc") }] });
    bytes[BatchField.attributes + 1] = 0x05;
    expect(reasonOf(() => readBatchHeader(bytes))).toBe("Compression");
  });

  test("producer sequences advance per record and wrap past int32 max", () => {
    const bytes = encodeRecordBatch({
      records: [{ value: value("a") }, { value: value("b") }, { value: value("c") }],
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 2 ** 31 - 2,
    });
    const header = readBatchHeader(bytes);
    expect([header.producerId, header.producerEpoch, header.baseSequence]).toEqual([42n, 3, 2 ** 31 - 2]);
    expect(lastSequenceOf(header)).toBe(0);
    expect(incrementSequence(5, 10)).toBe(15);
    expect(incrementSequence(2 ** 31 - 1, 1)).toBe(0);
    expect(incrementSequence(noSequence, 4)).toBe(noSequence);
  });

  test("refusals map to the Kafka error a broker answers with", () => {
    const code = (reason: ConstructorParameters<typeof RecordBatchError>[0]) =>
      recordBatchErrorCode(new RecordBatchError(reason, "x"));
    expect(code("BadCrc")).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(code("Truncated")).toBe(ErrorCode.CORRUPT_MESSAGE);
    expect(code("UnsupportedMagic")).toBe(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
    expect(code("TooLarge")).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(code("BadRecord")).toBe(ErrorCode.INVALID_RECORD);
  });

  test("CRC32C is Castagnoli: the standard check value of '123456789' is e3069283", () => {
    expect(crc32c(value("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});
