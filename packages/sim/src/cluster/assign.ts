/**
 * Partition assignment for the simulated group leader. Range and round-robin follow Kafka's consumer
 * assignors (members sorted by id; range gives each member a contiguous block, the first ones one
 * extra; round-robin deals partitions in turn) for one topic. The result is plain data the consumer
 * sends in SyncGroup.
 */
import { invariant } from "@eddy/core";

export const groupMembersMax = 64;

export function assignPartitions(
  protocol: "range" | "roundrobin",
  members: readonly string[],
  partitionCount: number,
): { memberId: string; partitions: number[] }[] {
  invariant(members.length <= groupMembersMax, "assign: too many members");
  const sorted = [...members].sort();
  const out = sorted.map((memberId) => ({ memberId, partitions: [] as number[] }));
  if (out.length === 0) return out;
  if (protocol === "roundrobin") {
    for (let p = 0; p < partitionCount; p++) out[p % out.length]!.partitions.push(p);
  } else {
    const per = Math.floor(partitionCount / out.length);
    const extra = partitionCount % out.length;
    let next = 0;
    for (let i = 0; i < out.length; i++) {
      const n = per + (i < extra ? 1 : 0);
      for (let k = 0; k < n; k++) out[i]!.partitions.push(next++);
    }
  }
  return out;
}
