/**
 * Partition assignment for the simulated group leader, through the core's client-side assignors
 * (range and round-robin) for the one simulated topic. The `double-assignment` bug switch hands
 * partition 0 to every member, re-creating a broken assignor.
 */
import { group } from "@eddy/core";

export const topicName = "t";

export function assignPartitions(
  protocol: "range" | "roundrobin",
  members: readonly string[],
  partitionCount: number,
  doubleAssignmentBug = false,
): { memberId: string; partitions: number[] }[] {
  const assign = protocol === "range" ? group.assignors.rangeAssign : group.assignors.roundRobinAssign;
  const result = assign(
    members.map((memberId) => ({ memberId, topics: [topicName] })),
    new Map([[topicName, partitionCount]]),
  );
  const out: { memberId: string; partitions: number[] }[] = [];
  for (const memberId of members) {
    const parts = (result.get(memberId) ?? []).flatMap((tp) =>
      tp.topic === topicName ? [...tp.partitions] : [],
    );
    if (doubleAssignmentBug && !parts.includes(0)) parts.unshift(0);
    out.push({ memberId, partitions: parts });
  }
  return out;
}
