/**
 * The exclusivity check behind simulator invariant 15: within one generation, each partition is owned
 * by at most one member. The coordinator relays assignments without reading them, so this check runs
 * over what the members received, in tests and in the simulator's checker.
 */
import { invariant } from "../../invariant.ts";
import type { TopicPartitions } from "./types.ts";

export interface OwnershipConflict {
  readonly topic: string;
  readonly partition: number;
  readonly memberIds: readonly string[];
}

/** Partitions owned by more than one member of the same generation, sorted by topic and partition. */
export function assignmentConflicts(
  assignments: ReadonlyMap<string, readonly TopicPartitions[]>,
): OwnershipConflict[] {
  const owners = new Map<string, { topic: string; partition: number; memberIds: string[] }>();
  for (const [memberId, owned] of assignments) {
    for (const { topic, partitions } of owned) {
      for (const partition of partitions) {
        const key = `${topic}\u0000${partition}`;
        const entry = owners.get(key) ?? { topic, partition, memberIds: [] };
        if (!entry.memberIds.includes(memberId)) entry.memberIds.push(memberId);
        owners.set(key, entry);
      }
    }
  }
  const conflicts = [...owners.values()].filter((o) => o.memberIds.length > 1);
  conflicts.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  invariant(
    conflicts.every((c) => c.memberIds.length >= 2),
    "assignmentConflicts: singleton conflict",
  );
  return conflicts;
}
