/**
 * Which partition a record goes to, as Kafka's Java producer decides it: a keyed record by the
 * murmur2 hash of its key (so `eddy produce` and a Java client put one key in the same partition), an
 * unkeyed one to the partition the caller is filling this flush (sticky, as Kafka's default
 * partitioner since 2.4). Owns the hash. Must never depend on anything but the key bytes and the
 * partition count: the same key always lands in the same partition of a topic that has not grown.
 */

const seed = 0x9747b28c;
const multiplier = 0x5bd1e995;

/** Kafka's `Utils.murmur2`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (seed ^ length) | 0;
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
  const left = length % 4;
  if (left >= 3) h ^= data[tail + 2]! << 16;
  if (left >= 2) h ^= data[tail + 1]! << 8;
  if (left >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, multiplier);
  }
  h ^= h >>> 13;
  h = Math.imul(h, multiplier);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of a keyed record: `toPositive(murmur2(key)) % partitionsCount`, as Kafka computes it. */
export function partitionForKey(key: Uint8Array, partitionsCount: number): number {
  if (!Number.isInteger(partitionsCount) || partitionsCount < 1) {
    throw new Error(`bug: partitionForKey with ${partitionsCount} partitions`);
  }
  return (murmur2(key) & 0x7fffffff) % partitionsCount;
}
