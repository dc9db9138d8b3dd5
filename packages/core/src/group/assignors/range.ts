/**
 * The range assignor (Kafka's RangeAssignor, protocol name "range"): per topic, the members subscribed to
 * it (in member order) get contiguous ranges; the first `partitions % members` get one extra. Runs in the
 * group leader (a client), never in the coordinator.
 */
import { invariant } from "../../invariant.ts";
import { sortedMembers, sortedTopics, toTopicPartitions } from "./member-order.ts";
import type { Assignor, AssignorMember, GroupAssignment } from "./types.ts";

export function rangeAssign(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): GroupAssignment {
  const ordered = sortedMembers(members);
  const owned = new Map<string, Map<string, number[]>>(ordered.map((m) => [m.memberId, new Map()]));
  let assignedCount = 0;
  for (const topic of sortedTopics(partitionsPerTopic)) {
    const count = partitionsPerTopic.get(topic)!;
    const subscribers = ordered.filter((m) => m.topics.includes(topic));
    if (subscribers.length === 0) continue;
    const base = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    let next = 0;
    subscribers.forEach((member, i) => {
      const length = base + (i < extra ? 1 : 0);
      if (length === 0) return;
      const partitions = Array.from({ length }, (_, k) => next + k);
      owned.get(member.memberId)!.set(topic, partitions);
      next += length;
    });
    invariant(next === count, () => `range: ${topic} assigned ${next} of ${count}`);
    assignedCount += count;
  }
  const result: GroupAssignment = new Map();
  for (const member of members) result.set(member.memberId, toTopicPartitions(owned.get(member.memberId)!));
  invariant(result.size === members.length, "range: every member present");
  invariant(assignedCount >= 0, "range: negative count");
  return result;
}

export const rangeAssignor: Assignor = { name: "range", assign: rangeAssign };
