/**
 * Replica placement, the rule of the product's documents: over the brokers sorted by id (n of them),
 * partition i's first replica goes on broker (i mod n) and its j-th replica on broker ((i + j) mod n),
 * and a partition never has more replicas than there are brokers. This module only computes; it must
 * never look at anything but its arguments.
 */
import { invariant } from "../invariant.ts";
import { type BrokerId, partitionsPerTopicMax, replicationFactorMax } from "./types.ts";

export type PlacementResult =
  | { readonly ok: true; readonly assignment: readonly (readonly BrokerId[])[] }
  | { readonly ok: false; readonly error: "INVALID_REPLICATION_FACTOR" | "INVALID_PARTITIONS" };

/**
 * Places partitions `firstPartition .. firstPartition + count - 1` (later partitions of an existing
 * topic continue the same rotation) with `replicationFactor` replicas each.
 */
export function placeReplicas(
  brokerIds: readonly BrokerId[],
  count: number,
  replicationFactor: number,
  firstPartition = 0,
): PlacementResult {
  if (!Number.isInteger(count) || count < 1 || firstPartition + count > partitionsPerTopicMax) {
    return { ok: false, error: "INVALID_PARTITIONS" };
  }
  const brokers = [...new Set(brokerIds)].sort((a, b) => a - b);
  invariant(brokers.length === brokerIds.length, "placement: duplicate broker ids");
  invariant(Number.isInteger(firstPartition) && firstPartition >= 0, "placement: bad first partition");
  const n = brokers.length;
  if (
    !Number.isInteger(replicationFactor) ||
    replicationFactor < 1 ||
    replicationFactor > n ||
    replicationFactor > replicationFactorMax
  ) {
    return { ok: false, error: "INVALID_REPLICATION_FACTOR" };
  }
  const assignment: BrokerId[][] = [];
  for (let i = firstPartition; i < firstPartition + count; i++) {
    const replicas: BrokerId[] = [];
    for (let j = 0; j < replicationFactor; j++) replicas.push(brokers[(i + j) % n]!);
    invariant(new Set(replicas).size === replicationFactor, "placement: a broker holds two replicas");
    assignment.push(replicas);
  }
  invariant(assignment.length === count, "placement: wrong partition count");
  return { ok: true, assignment };
}
