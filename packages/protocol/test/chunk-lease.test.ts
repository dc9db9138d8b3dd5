/**
 * The lease rules of `chunk-lease.ts` on plain buffers: a read is given back only when the reader
 * holds none of it, it is a buffer of its own, and every frame that is a view of it was answered by a
 * handler that keeps nothing; then its bytes are detached at once.
 */
import { expect, test } from "bun:test";
import { frameAnswered, leaseFor, leaseOf, releaseOwnedFrame } from "../src/frame/chunk-lease.ts";

const detached = (buffer: ArrayBuffer): boolean => (buffer as unknown as { detached: boolean }).detached;

test("a read is released when its last view is answered, and only if every view was reusable", () => {
  const chunk = new Uint8Array(64).fill(9);
  const frames = [chunk.subarray(4, 20), chunk.subarray(24, 64)];
  const lease = leaseOf(chunk, frames, true)!;
  expect(lease.framesLeft).toBe(2);
  expect(frameAnswered(lease, true)).toBe(false);
  // Still held by the second frame: its bytes are intact.
  expect(frames[1]![0]).toBe(9);
  expect(frameAnswered(lease, true)).toBe(true);
  expect(detached(chunk.buffer as ArrayBuffer)).toBe(true);
  expect(chunk.length).toBe(0);

  const kept = new Uint8Array(64).fill(5);
  const keptLease = leaseOf(kept, [kept.subarray(0, 32), kept.subarray(32)], true)!;
  expect(frameAnswered(keptLease, false)).toBe(false);
  expect(frameAnswered(keptLease, true)).toBe(false);
  expect(detached(kept.buffer as ArrayBuffer)).toBe(false);
  expect(kept[63]).toBe(5);
});

test("no lease while the reader holds part of the read, for a view into a larger buffer, or without views", () => {
  const chunk = new Uint8Array(32);
  expect(leaseOf(chunk, [chunk.subarray(0, 8)], false)).toBeNull();
  const larger = new Uint8Array(128);
  const view = larger.subarray(0, 64);
  expect(leaseOf(view, [view.subarray(0, 8)], true)).toBeNull();
  // A frame the reader assembled from several reads is a copy: it holds none of this read.
  const assembled = new Uint8Array(16);
  expect(leaseOf(chunk, [assembled], true)).toBeNull();
});

test("only the frames that are views of the read count against its lease", () => {
  const chunk = new Uint8Array(48);
  const assembled = new Uint8Array(16);
  const frames = [assembled, chunk.subarray(0, 16), chunk.subarray(16, 48)];
  const lease = leaseOf(chunk, frames, true)!;
  expect(lease.framesLeft).toBe(2);
  expect(leaseFor(lease, assembled)).toBeNull();
  expect(leaseFor(lease, frames[1]!)).toBe(lease);
  expect(frameAnswered(lease, true)).toBe(false);
  expect(frameAnswered(lease, true)).toBe(true);
  expect(detached(chunk.buffer as ArrayBuffer)).toBe(true);
});

test("a frame that is its whole buffer is released; a view into a shared buffer never is", () => {
  const owned = new Uint8Array(32).fill(1);
  expect(releaseOwnedFrame(owned)).toBe(true);
  expect(detached(owned.buffer as ArrayBuffer)).toBe(true);
  expect(releaseOwnedFrame(owned)).toBe(false);
  const shared = new Uint8Array(64);
  expect(releaseOwnedFrame(shared.subarray(0, 32))).toBe(false);
  expect(detached(shared.buffer as ArrayBuffer)).toBe(false);
});
