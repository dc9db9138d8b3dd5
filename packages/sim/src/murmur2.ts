/**
 * The partition a simulated producer gives a keyed record, as the Java producer's default partitioner
 * does: the key serialized as its decimal text (what a `StringSerializer` producer sends), placed by
 * Kafka's murmur2 (`@eddy/protocol`'s, the one `eddy produce` uses too). Owns only the key's text and
 * the assertions; it must never read anything but its arguments.
 */
import { invariant } from "@eddy/core";
import { murmur2, partitionForKey, toPositive } from "@eddy/protocol";

export { murmur2, toPositive };

const encoder = new TextEncoder();

/** The partition Kafka's default partitioner gives a record with this key among `partitions`. */
export function keyHashPartition(key: number, partitions: number): number {
  invariant(Number.isInteger(partitions) && partitions > 0, "keyHashPartition: no partitions");
  const partition = partitionForKey(encoder.encode(String(key)), partitions);
  invariant(partition >= 0 && partition < partitions, "keyHashPartition: out of range");
  return partition;
}
