/**
 * Kafka's murmur2 hash (`org.apache.kafka.common.utils.Utils.murmur2`), its `toPositive`, and the
 * partition the Java producer's default partitioner gives a keyed record: `toPositive(murmur2(key)) %
 * partitions`. A client that places keys with it puts each key in the partition a Java client would;
 * `eddy produce` (apps/cli) and the simulator's producers (packages/sim) both do.
 *
 * Owns the arithmetic only, in 32-bit integers exactly as Java's `int` wraps. It must never read
 * anything but its arguments nor allocate beyond its result.
 */

const seed = 0x9747b28c | 0;
const multiplier = 0x5bd1e995;

/**
 * Kafka's murmur2 of `data`, as the signed 32-bit int Java returns. Its one loop runs once per four
 * bytes of the key, and a key is bounded by the record that carries it (`recordBytesMax`).
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = seed ^ length;
  const words = length >> 2;
  for (let i = 0; i < words; i++) {
    const at = i * 4;
    let k = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16) | (data[at + 3]! << 24);
    k = Math.imul(k, multiplier);
    k ^= k >>> 24;
    k = Math.imul(k, multiplier);
    h = Math.imul(h, multiplier);
    h ^= k;
  }
  const tail = length & ~3;
  // Java's switch falls through from 3 to 1, and only the last arm multiplies.
  const rest = length % 4;
  if (rest >= 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, multiplier);
  }
  h ^= h >>> 13;
  h = Math.imul(h, multiplier);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: the hash with its sign bit cleared (not `Math.abs`, which overflows). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition of a record keyed `key` among `partitionCount`, as Kafka's default partitioner picks it. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  if (!Number.isInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`a keyed record needs a whole number of partitions above 0, not ${partitionCount}`);
  }
  return toPositive(murmur2(key)) % partitionCount;
}
