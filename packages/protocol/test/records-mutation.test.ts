/**
 * Mutation tests: corrupt bytes must end in a RecordBatchError or in a correct read, never in a crash,
 * a hang or a silently different record. Method: flip one byte anywhere in batches of every codec and
 * classify by field; then, with CRC checks off, scramble, truncate and extend batches at random and
 * require that decoding either succeeds or throws a RecordBatchError.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  BatchField,
  decodeRecordBatch,
  decodeRecords,
  encodeRecordBatch,
  iterateBatches,
  readBatchHeader,
} from "../src/index.ts";
import { batchInputArb, codecs, reasonOf } from "./records-arbitraries.ts";

describe("record batch mutations", () => {
  test("flipping any one byte gives a typed error, or a correct read of the changed unchecked field", () => {
    fc.assert(
      fc.property(
        batchInputArb(fc.constantFrom(...codecs)),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (input, at, mask) => {
          const original = encodeRecordBatch(input);
          const expected = decodeRecordBatch(original);
          const bytes = original.slice();
          const i = at % bytes.length;
          bytes[i]! ^= mask;
          const result = reasonOf(() => decodeRecordBatch(bytes));
          if (i < BatchField.batchLength) {
            expect(result).toBe("no error");
            const got = decodeRecordBatch(bytes);
            expect(got.header.baseOffset).not.toBe(expected.header.baseOffset);
            expect(got.records).toEqual(expected.records);
          } else if (i < BatchField.partitionLeaderEpoch) {
            expect(["BadLength", "Truncated", "BadCrc"]).toContain(result);
          } else if (i < BatchField.magic) {
            expect(result).toBe("no error");
            expect(decodeRecordBatch(bytes).records).toEqual(expected.records);
          } else if (i === BatchField.magic) {
            expect(result).toBe("UnsupportedMagic");
          } else {
            expect(result).toBe("BadCrc");
          }
          expect(reasonOf(() => [...iterateBatches(bytes)])).toBe(result);
        },
      ),
      { numRuns: 400 },
    );
  });

  test("every byte position of one batch per codec is covered", () => {
    for (const compression of codecs) {
      const original = encodeRecordBatch({
        compression,
        records: [
          {
            key: new Uint8Array([1, 2]),
            value: new Uint8Array(40).fill(7),
            headers: [{ key: "h", value: null }],
          },
          { key: null, value: new Uint8Array([9]) },
        ],
      });
      for (let i = BatchField.crc; i < original.length; i += 1) {
        const bytes = original.slice();
        bytes[i]! ^= 0x80;
        expect(reasonOf(() => decodeRecordBatch(bytes))).toBe("BadCrc");
      }
    }
  });

  test("with CRC checks off, random damage never escapes as an untyped error", () => {
    fc.assert(
      fc.property(
        batchInputArb(fc.constantFrom(...codecs)),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: -20, max: 20 }),
        (input, edits, resize) => {
          const original = encodeRecordBatch(input);
          let bytes = original.slice();
          for (const [at, byte] of edits) {
            // Leave batchLength alone half the time so damage reaches the records, not just the frame.
            const i = at % bytes.length;
            if (i >= BatchField.batchLength && i < BatchField.partitionLeaderEpoch && byte % 2 === 0)
              continue;
            if (i === BatchField.magic) continue;
            bytes[i] = byte;
          }
          if (resize < 0) bytes = bytes.subarray(0, Math.max(0, bytes.length + resize));
          if (resize > 0) {
            const longer = new Uint8Array(bytes.length + resize);
            longer.set(bytes);
            bytes = longer;
          }
          const result = reasonOf(() =>
            decodeRecordBatch(bytes, { verifyCrc: false, decompressedBytesMax: 1 << 20 }),
          );
          expect(typeof result).toBe("string");
          reasonOf(() => [...iterateBatches(bytes, { verifyCrc: false })]);
          reasonOf(() => readBatchHeader(bytes));
        },
      ),
      { numRuns: 1500 },
    );
  });

  test("random bytes as a records section never escape as an untyped error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 0, max: 50 }), (bytes, count) => {
        reasonOf(() => decodeRecords(bytes, 0, bytes.length, count));
      }),
      { numRuns: 3000 },
    );
  });
});
