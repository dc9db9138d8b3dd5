/**
 * Kafka's murmur2 hash (`org.apache.kafka.common.utils.Utils.murmur2`) and its `toPositive`, which
 * the Java producer's default partitioner uses to place a keyed record: `toPositive(murmur2(key)) %
 * partitions`. Owns the arithmetic only, in 32-bit integers exactly as Java's `int` wraps; it must
 * never allocate per call beyond its result, nor read anything but its argument.
 */
import { invariant } from "@eddy/core";

/** Keys hashed at most this many bytes long (a learner's key is a short decimal text). */
export const murmur2KeyBytesMax = 1 << 20;

const seed = 0x9747b28c | 0;
const m = 0x5bd1e995;

/** Kafka's murmur2 of `data`, as the signed 32-bit int Java returns. */
export function murmur2(data: Uint8Array): number {
  invariant(data.length <= murmur2KeyBytesMax, "murmur2: key too long");
  const length = data.length;
  let h = seed ^ length;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = length & ~3;
  // Java's switch falls through from 3 to 1, and only the last arm multiplies.
  const rest = length % 4;
  if (rest >= 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: the hash with its sign bit cleared (not `Math.abs`, which overflows). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

const encoder = new TextEncoder();

/**
 * The partition Kafka's default partitioner gives a record with this key among `partitions`: the key
 * serialized as its decimal text (what a `StringSerializer` producer sends), hashed with murmur2.
 */
export function keyHashPartition(key: number, partitions: number): number {
  invariant(Number.isInteger(partitions) && partitions > 0, "keyHashPartition: no partitions");
  const partition = toPositive(murmur2(encoder.encode(String(key)))) % partitions;
  invariant(partition >= 0 && partition < partitions, "keyHashPartition: out of range");
  return partition;
}
