/**
 * The TCP frame reader: frames come out whole and in order whatever the chunking, frames inside one
 * chunk are views (no copy), sizes above the limit or below zero are typed errors that poison the
 * reader, and memory follows the bytes received rather than a declared size. Method: fast-check over
 * random frame lists cut at random points, plus targeted cases.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  assemblyBytesMin,
  FrameError,
  FrameReader,
  frameBytesMaxDefault,
  pendingChunksMax,
} from "../src/index.ts";

function encodeFrames(frames: readonly Uint8Array[]): Uint8Array {
  const total = frames.reduce((sum, f) => sum + 4 + f.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const frame of frames) {
    view.setInt32(pos, frame.length);
    out.set(frame, pos + 4);
    pos += 4 + frame.length;
  }
  return out;
}

function cut(stream: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const point of [...points, stream.length]) {
    chunks.push(stream.subarray(last, point));
    last = point;
  }
  return chunks;
}

function errorOf(run: () => unknown): FrameError | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof FrameError) return error;
    throw error;
  }
  return undefined;
}

describe("frame reader", () => {
  test("any chunking of a stream gives back the same frames in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, cuts) => {
          const stream = encodeFrames(frames);
          const reader = new FrameReader();
          const out: Uint8Array[] = [];
          for (const chunk of cut(stream, cuts)) out.push(...reader.push(chunk));
          expect(out).toEqual(frames);
          expect(reader.isIdle).toBe(true);
          expect(reader.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("one byte at a time works, with bounded pending chunks", () => {
    const frames = [new Uint8Array(2000).fill(3), new Uint8Array(0), new Uint8Array([1, 2, 3])];
    const stream = encodeFrames(frames);
    const reader = new FrameReader();
    const out: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i += 1) {
      out.push(...reader.push(stream.subarray(i, i + 1)));
      expect((reader as unknown as { pending: unknown[] }).pending.length).toBeLessThanOrEqual(
        pendingChunksMax + 1,
      );
    }
    expect(out).toEqual(frames);
  });

  test("frames in hundreds of tiny chunks come back whole and in order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1000, maxLength: 6000 }), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 9 }),
        (frames, pieceBytes) => {
          const stream = encodeFrames(frames);
          const reader = new FrameReader();
          const out: Uint8Array[] = [];
          for (let at = 0; at < stream.length; at += pieceBytes)
            out.push(...reader.push(stream.subarray(at, at + pieceBytes)));
          expect(out).toEqual(frames);
          expect(reader.isIdle).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("a frame in a few reads is copied once, when its last byte arrives", () => {
    const frame = new Uint8Array(1 << 20).map((_, i) => i % 251);
    const stream = encodeFrames([frame]);
    const reader = new FrameReader();
    expect(reader.push(stream.subarray(0, 300_000))).toEqual([]);
    expect(reader.push(stream.subarray(300_000, 800_000))).toEqual([]);
    expect(reader.bytesCopied).toBe(0);
    const out = reader.push(stream.subarray(800_000));
    expect(out).toEqual([frame]);
    expect(reader.bytesCopied).toBe(frame.length);
  });

  test("a large frame in thousands of chunks is copied at most three times, not once per merge", () => {
    // 4 MiB in 1 KiB chunks (a TLS stream delivers 16 KiB records): merging the chunk list into one
    // buffer every pendingChunksMax chunks copied it about ten times.
    const frame = new Uint8Array(4 << 20).map((_, i) => (i * 7) % 256);
    const stream = encodeFrames([frame]);
    const reader = new FrameReader();
    const out: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += 1024) out.push(...reader.push(stream.subarray(at, at + 1024)));
    expect(out).toEqual([frame]);
    expect(reader.bytesCopied).toBeGreaterThanOrEqual(frame.length);
    expect(reader.bytesCopied).toBeLessThanOrEqual(3 * frame.length);
  });

  test("assembling a frame in many chunks holds at most twice the bytes received", () => {
    const reader = new FrameReader();
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, frameBytesMaxDefault);
    reader.push(prefix);
    const held = () => (reader as unknown as { assembly: Uint8Array | null }).assembly?.length ?? 0;
    for (let i = 0; i < 4 * pendingChunksMax; i++) {
      expect(reader.push(new Uint8Array(512))).toEqual([]);
      const received = reader.bufferedBytes - 4;
      expect(held()).toBeLessThanOrEqual(Math.max(2 * received, assemblyBytesMin));
    }
    expect(held()).toBeGreaterThan(0);
    expect(reader.bufferedBytes).toBe(4 + 4 * pendingChunksMax * 512);
  });

  test("frames inside one chunk are views of it; only spanning frames are copies", () => {
    const frames = [new Uint8Array([1, 2]), new Uint8Array([3, 4, 5]), new Uint8Array([6, 7, 8, 9])];
    const stream = encodeFrames(frames);
    const reader = new FrameReader();
    const first = reader.push(stream.subarray(0, 12));
    expect(first).toEqual([frames[0]!]);
    expect(first[0]!.buffer).toBe(stream.buffer);
    const rest = reader.push(stream.slice(12));
    expect(rest).toEqual([frames[1]!, frames[2]!]);
    expect(rest[0]!.buffer).not.toBe(stream.buffer);
  });

  test("a frame above the limit is a typed error as soon as its size is seen, and poisons the reader", () => {
    const reader = new FrameReader({ frameBytesMax: 1024 });
    const header = new Uint8Array([0, 0, 4, 1]);
    const error = errorOf(() => reader.push(header.subarray(0, 4)));
    expect(error?.reason).toBe("TooLarge");
    expect(error?.frameBytes).toBe(1025);
    expect(errorOf(() => reader.push(new Uint8Array([0])))?.reason).toBe("Poisoned");
  });

  test("the size prefix split across chunks is still checked", () => {
    const reader = new FrameReader({ frameBytesMax: 10 });
    expect(reader.push(new Uint8Array([0, 0]))).toEqual([]);
    expect(errorOf(() => reader.push(new Uint8Array([0, 11, 1])))?.reason).toBe("TooLarge");
  });

  test("negative sizes are typed errors", () => {
    const reader = new FrameReader();
    expect(errorOf(() => reader.push(new Uint8Array([0xff, 0xff, 0xff, 0xfe])))?.reason).toBe("NegativeSize");
  });

  test("a huge declared size never allocates ahead of the bytes", () => {
    const reader = new FrameReader();
    const prefix = new Uint8Array(4);
    new DataView(prefix.buffer).setInt32(0, frameBytesMaxDefault);
    expect(reader.push(prefix)).toEqual([]);
    expect(reader.push(new Uint8Array(10))).toEqual([]);
    expect(reader.bufferedBytes).toBe(14);
    expect(reader.isIdle).toBe(false);
  });

  test("the limit can be raised and lowered, and is checked", () => {
    expect(new FrameReader({ frameBytesMax: 5 }).frameBytesMax).toBe(5);
    expect(new FrameReader().frameBytesMax).toBe(100 * 1024 * 1024);
    expect(() => new FrameReader({ frameBytesMax: -1 })).toThrow(RangeError);
  });

  test("random bytes give frames or a FrameError, and nothing after the error", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const reader = new FrameReader({ frameBytesMax: 512 });
        let failed = false;
        for (const chunk of chunks) {
          const error = errorOf(() => {
            for (const frame of reader.push(chunk)) expect(frame.length).toBeLessThanOrEqual(512);
          });
          if (failed) expect(error?.reason).toBe("Poisoned");
          else if (error !== undefined) {
            expect(["TooLarge", "NegativeSize"]).toContain(error.reason);
            failed = true;
          }
        }
        expect(reader.bufferedBytes).toBeLessThanOrEqual(4 + 512);
      }),
      { numRuns: 1000 },
    );
  });
});
