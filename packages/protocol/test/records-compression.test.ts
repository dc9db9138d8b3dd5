/**
 * Compression framing and limits: the xerial snappy framing Kafka's Java client writes (a known-answer
 * vector), raw snappy as librdkafka may send it, LZ4 frames, and the ceiling on decompressed bytes that
 * stops decompression bombs for every codec before they allocate. Damaged payloads become typed errors.
 */

import { describe, expect, test } from "bun:test";
import * as zlib from "node:zlib";
import fc from "fast-check";
import * as lz4 from "lz4-napi";
import * as snappy from "snappy";
import { compressRecords, decodeRecordBatch, decompressRecords, encodeRecordBatch } from "../src/index.ts";
import { codecs, reasonOf } from "./records-arbitraries.ts";

const hex = (text: string) => Uint8Array.from(text.match(/../g)!.map((h) => Number.parseInt(h, 16)));
const ascii = (text: string) => new TextEncoder().encode(text);

describe("compression", () => {
  test("xerial snappy known answer: 'foobar\\n' as snappy-java frames it", () => {
    // Header: magic 82 'SNAPPY' 00, version 1, compatible version 1; then one block of 9 bytes.
    const framed = hex("82534e415050590000000001000000010000000907186" + "66f6f6261720a");
    expect(decompressRecords("snappy", framed)).toEqual(ascii("foobar\n"));
    expect(compressRecords("snappy", ascii("foobar\n"))).toEqual(framed);
  });

  test("raw (unframed) snappy is accepted too", () => {
    const data = ascii("kafka ".repeat(500));
    expect(decompressRecords("snappy", snappy.compressSync(data))).toEqual(data);
  });

  test("xerial framing splits input into 32 KiB blocks and joins them back", () => {
    const data = new Uint8Array(100_000).map((_, i) => (i * 31) % 251);
    const framed = compressRecords("snappy", data);
    const view = new DataView(framed.buffer, framed.byteOffset);
    let blocks = 0;
    for (let pos = 16; pos < framed.length; pos += 4 + view.getInt32(pos)) blocks += 1;
    expect(blocks).toBe(4);
    expect(decompressRecords("snappy", framed)).toEqual(data);
  });

  test("lz4 output is an LZ4 frame with independent blocks", () => {
    const framed = compressRecords("lz4", ascii("abc".repeat(100)));
    expect(new DataView(framed.buffer, framed.byteOffset).getUint32(0, true)).toBe(0x184d2204);
    expect(framed[4]! >> 6).toBe(1);
    expect(framed[4]! & 0x20).toBe(0x20);
  });

  test("lz4 frames decode the same on the block path and the library's frame path", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300_000 }),
          fc.string({ maxLength: 20_000 }).map((t) => ascii(t.repeat(3))),
        ),
        fc.boolean(),
        fc.boolean(),
        (data, contentChecksum, blockChecksums) => {
          const frame = lz4.compressFrameSync(Buffer.from(data), { contentChecksum, blockChecksums });
          expect(decompressRecords("lz4", frame)).toEqual(data);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("lz4 uncompressed blocks and several frames in a row", () => {
    // Magic, FLG (version 1, independent blocks), BD (64 KiB), header checksum, one raw block, end mark.
    const frame = (body: Uint8Array) =>
      new Uint8Array([
        0x04,
        0x22,
        0x4d,
        0x18,
        0x60,
        0x40,
        0x82,
        body.length,
        0,
        0,
        0x80,
        ...body,
        0,
        0,
        0,
        0,
      ]);
    const both = new Uint8Array([...frame(ascii("abc")), ...compressRecords("lz4", ascii("defdefdef"))]);
    expect(decompressRecords("lz4", both)).toEqual(ascii("abcdefdefdef"));
    expect(reasonOf(() => decompressRecords("lz4", frame(ascii("abc")).subarray(0, 12)))).toBe("Compression");
  });

  test("every codec round trips empty and large inputs", () => {
    const big = new Uint8Array(300_000).map((_, i) => i % 7);
    for (const codec of codecs) {
      expect(decompressRecords(codec, compressRecords(codec, new Uint8Array(0)))).toEqual(new Uint8Array(0));
      expect(decompressRecords(codec, compressRecords(codec, big))).toEqual(big);
    }
  });

  test("decompression bombs stop at the limit for every codec", () => {
    const zeros = new Uint8Array(4 * 1024 * 1024);
    for (const codec of codecs) {
      if (codec === "none") continue;
      const packed = compressRecords(codec, zeros);
      expect(packed.length).toBeLessThan(zeros.length / 20);
      expect(reasonOf(() => decompressRecords(codec, packed, 1024 * 1024))).toBe("TooLarge");
      expect(decompressRecords(codec, packed, zeros.length).length).toBe(zeros.length);
    }
  });

  test("a raw snappy preamble claiming 4 GiB is refused before decompression", () => {
    const lie = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    expect(reasonOf(() => decompressRecords("snappy", lie))).toBe("TooLarge");
  });

  test("a snappy preamble claiming more than snappy can expand to is refused, within the limit too", () => {
    const lie = new Uint8Array([0x80, 0x80, 0x40, 0x00, 0x00, 0x00]); // claims 1 MiB from 6 bytes
    expect(reasonOf(() => decompressRecords("snappy", lie))).toBe("Compression");
  });

  test("a zstd frame whose content size exceeds what its blocks hold is refused", () => {
    const frame = compressRecords("zstd", ascii("tiny"));
    const descriptor = frame[4]!;
    // Rewrite into a frame with an 8-byte content size of 2^40 and no blocks change.
    const singleSegment = (descriptor & 0x20) !== 0;
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6]!;
    const headerEnd = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 3]!;
    const forged = new Uint8Array(frame.length - fcsBytes + 8);
    forged.set(frame.subarray(0, headerEnd));
    forged[4] = (descriptor & 0x3f) | 0xc0;
    new DataView(forged.buffer).setUint32(headerEnd + 4, 256, true);
    forged.set(frame.subarray(headerEnd + fcsBytes), headerEnd + 8);
    expect(reasonOf(() => decompressRecords("zstd", forged))).toBe("Compression");
  });

  test("damaged payloads are Compression errors", () => {
    for (const codec of ["gzip", "snappy", "lz4", "zstd"] as const) {
      const packed = compressRecords(codec, ascii("some records ".repeat(50)));
      expect(reasonOf(() => decompressRecords(codec, packed.subarray(0, packed.length >> 1)))).toBe(
        "Compression",
      );
      expect(reasonOf(() => decompressRecords(codec, new Uint8Array([1, 2, 3])))).toBe("Compression");
    }
  });

  test("a batch whose payload decompresses to more records bytes than declared is refused", () => {
    const batch = encodeRecordBatch({ compression: "gzip", records: [{ value: ascii("x") }] });
    const tail = zlib.gzipSync(new Uint8Array([2, 0, 0, 0, 2, 2, 0, 0, 0]));
    const forged = new Uint8Array(61 + tail.length);
    forged.set(batch.subarray(0, 61));
    forged.set(tail, 61);
    new DataView(forged.buffer).setInt32(8, forged.length - 12);
    expect(reasonOf(() => decodeRecordBatch(forged, { verifyCrc: false }))).not.toBe("no error");
  });

  test("gzip and zstd levels are honoured", () => {
    const data = ascii("level test ".repeat(1000));
    for (const codec of ["gzip", "zstd"] as const) {
      const fast = compressRecords(codec, data, { level: 1 });
      const slow = compressRecords(codec, data, { level: 9 });
      expect(decompressRecords(codec, fast)).toEqual(data);
      expect(decompressRecords(codec, slow)).toEqual(data);
    }
  });
});
