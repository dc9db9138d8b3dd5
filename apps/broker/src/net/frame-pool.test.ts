import { expect, test } from "bun:test";
import { FrameBufferPool, pooledFrameBytesMin, poolIdleBytesMax } from "./frame-pool.ts";

test("a large frame's buffer is reused once given back, and only then", () => {
  const pool = new FrameBufferPool();
  const first = pool.take(300_000);
  expect(first.length).toBe(300_000);
  // Not given back yet: the next frame gets a buffer of its own.
  const second = pool.take(300_000);
  expect(second.buffer).not.toBe(first.buffer);
  pool.give(first);
  const third = pool.take(290_000);
  expect(third.buffer).toBe(first.buffer);
  expect(third.length).toBe(290_000);
  expect(pool.reusedCount).toBe(1);
  // Given back twice, a buffer is pooled once: two frames never share it.
  pool.give(third);
  pool.give(third);
  const a = pool.take(300_000);
  const b = pool.take(300_000);
  expect(a.buffer).not.toBe(b.buffer);
});

test("small frames and frames the pool did not make are left alone, and idle bytes are bounded", () => {
  const pool = new FrameBufferPool();
  const small = pool.take(pooledFrameBytesMin - 1);
  pool.give(small);
  expect(pool.idleBytesHeld).toBe(0);
  pool.give(new Uint8Array(1 << 20));
  expect(pool.idleBytesHeld).toBe(0);
  const taken = Array.from({ length: 40 }, () => pool.take(1 << 20));
  for (const frame of taken) pool.give(frame);
  expect(pool.idleBytesHeld).toBeLessThanOrEqual(poolIdleBytesMax);
  expect(pool.idleBytesHeld).toBe(poolIdleBytesMax);
});
