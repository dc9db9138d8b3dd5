/**
 * The session cache's slots and Kafka's eviction order: a full cache refuses an equal newcomer, a
 * follower's session evicts a consumer's, the least recently used session goes once it is stale, and a
 * session older than the eviction time gives way to one with more partitions. Time is passed in, so
 * each case states the exact milliseconds it depends on.
 */
import { describe, expect, test } from "bun:test";
import {
  type CachedPartition,
  FetchSessionCache,
  nextEpoch,
  sessionIdNone,
  topicKey,
} from "./fetch-session-cache.ts";

/** Session ids 1, 2, 3, … in order, so each case can name the sessions it expects. */
function counter(): () => number {
  let next = 0;
  return () => ++next;
}

function partitions(count: number, topic = "t"): Map<string, CachedPartition> {
  const map = new Map<string, CachedPartition>();
  for (let p = 0; p < count; p++) {
    const key = topicKey(topic, p);
    map.set(key, {
      key,
      topic,
      partition: p,
      fetchOffset: 0n,
      partitionMaxBytes: 1 << 20,
      currentLeaderEpoch: -1,
      lastFetchedEpoch: -1,
      fetcherLogStartOffset: -1n,
      highWatermark: 0n,
      logStartOffset: 0n,
    });
  }
  return map;
}

const evictionMs = 1000;
const cacheOf = (slotsMax: number, randomId = counter()) =>
  new FetchSessionCache({ slotsMax, evictionMs, partitionsPerSessionMax: 100 }, randomId);

describe("FetchSessionCache", () => {
  test("epochs count from 1 and wrap to 1; a negative one stays final", () => {
    expect(nextEpoch(0)).toBe(1);
    expect(nextEpoch(41)).toBe(42);
    expect(nextEpoch(0x7fff_ffff)).toBe(1);
    expect(nextEpoch(-1)).toBe(-1);
  });

  test("a new session expects epoch 1; no session for no partitions or no slots", () => {
    const cache = cacheOf(2);
    const id = cache.maybeCreate(0, false, false, partitions(3));
    expect(id).toBe(1);
    expect(cache.get(id)?.epoch).toBe(1);
    expect(cache.partitionCount).toBe(3);
    expect(cache.maybeCreate(0, false, false, new Map())).toBe(sessionIdNone);
    expect(cacheOf(0).maybeCreate(0, true, false, partitions(3))).toBe(sessionIdNone);
  });

  test("a drawn id already in use is drawn again", () => {
    const draws = [7, 7, 9];
    const cache = cacheOf(3, () => draws.shift() ?? 1);
    expect(cache.maybeCreate(0, false, false, partitions(1))).toBe(7);
    expect(cache.maybeCreate(0, false, false, partitions(1))).toBe(9);
  });

  test("a full cache of fresh consumer sessions refuses another consumer, even a larger one", () => {
    const cache = cacheOf(2);
    cache.maybeCreate(0, false, false, partitions(1));
    cache.maybeCreate(0, false, false, partitions(1));
    expect(cache.maybeCreate(10, false, false, partitions(50))).toBe(sessionIdNone);
    expect(cache.size).toBe(2);
    expect(cache.evictionCount).toBe(0);
  });

  test("a follower's session evicts the consumer session with the fewest partitions", () => {
    const cache = cacheOf(2);
    const big = cache.maybeCreate(0, false, false, partitions(5));
    const small = cache.maybeCreate(0, false, false, partitions(2));
    const follower = cache.maybeCreate(10, true, false, partitions(1));
    expect(follower).not.toBe(sessionIdNone);
    expect(cache.get(small)).toBeUndefined();
    expect(cache.get(big)).toBeDefined();
    expect(cache.evictionCount).toBe(1);
    // A fresh follower's session is not evicted by another follower with as many partitions.
    const cache2 = cacheOf(1);
    cache2.maybeCreate(0, true, false, partitions(2));
    expect(cache2.maybeCreate(10, true, false, partitions(2))).toBe(sessionIdNone);
  });

  test("the least recently used session goes once it is unused for longer than the eviction time", () => {
    const cache = cacheOf(2);
    const a = cache.maybeCreate(0, false, false, partitions(9));
    const b = cache.maybeCreate(0, false, false, partitions(9));
    cache.touch(cache.get(a)!, 500);
    // At 1000 b is unused for exactly the eviction time: not yet stale, and too young to be outweighed.
    expect(cache.maybeCreate(1000, false, false, partitions(1))).toBe(sessionIdNone);
    const c = cache.maybeCreate(1001, false, false, partitions(1));
    expect(c).not.toBe(sessionIdNone);
    expect(cache.get(b)).toBeUndefined();
    expect(cache.get(a)).toBeDefined();
  });

  test("a session older than the eviction time, though in use, gives way to one with more partitions", () => {
    const cache = cacheOf(2);
    const small = cache.maybeCreate(0, false, false, partitions(2));
    const large = cache.maybeCreate(0, false, false, partitions(8));
    cache.touch(cache.get(small)!, 1500);
    cache.touch(cache.get(large)!, 1500);
    // As many partitions as the smallest: not worth more, refused.
    expect(cache.maybeCreate(1600, false, false, partitions(2))).toBe(sessionIdNone);
    const bigger = cache.maybeCreate(1600, false, false, partitions(3));
    expect(bigger).not.toBe(sessionIdNone);
    expect(cache.get(small)).toBeUndefined();
    expect(cache.get(large)).toBeDefined();
    expect(cache.size).toBe(2);
  });

  test("bad settings and bad id draws are refused with the reason", () => {
    expect(() => cacheOf(-1)).toThrow(/slotsMax/);
    expect(() => cacheOf(1, () => 0).maybeCreate(0, false, false, partitions(1))).toThrow(/bad session id/);
  });
});
