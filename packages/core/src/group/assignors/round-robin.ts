/**
 * The round-robin assignor (Kafka's RoundRobinAssignor, protocol name "roundrobin"): all partitions of all
 * topics, in topic then partition order, dealt to the members in member order, skipping members not
 * subscribed to the partition's topic. With equal subscriptions the counts differ by at most one.
 */
import { invariant } from "../../invariant.ts";
import { sortedMembers, sortedTopics, toTopicPartitions } from "./member-order.ts";
import type { Assignor, AssignorMember, GroupAssignment } from "./types.ts";

export function roundRobinAssign(
  members: readonly AssignorMember[],
  partitionsPerTopic: ReadonlyMap<string, number>,
): GroupAssignment {
  const ordered = sortedMembers(members);
  const owned = new Map<string, Map<string, number[]>>(ordered.map((m) => [m.memberId, new Map()]));
  let cursor = 0;
  for (const topic of sortedTopics(partitionsPerTopic)) {
    const subscribed = ordered.map((m) => m.topics.includes(topic));
    if (!subscribed.includes(true)) continue;
    const count = partitionsPerTopic.get(topic)!;
    for (let partition = 0; partition < count; partition++) {
      // At most one full turn: some member is subscribed, so the search ends within `ordered.length` steps.
      let steps = 0;
      while (!subscribed[cursor % ordered.length]) {
        cursor++;
        steps++;
        invariant(steps <= ordered.length, "round-robin: no subscriber found in a full turn");
      }
      const member = ordered[cursor % ordered.length]!;
      const byTopic = owned.get(member.memberId)!;
      const list = byTopic.get(topic) ?? [];
      list.push(partition);
      byTopic.set(topic, list);
      cursor++;
    }
  }
  const result: GroupAssignment = new Map();
  for (const member of members) result.set(member.memberId, toTopicPartitions(owned.get(member.memberId)!));
  invariant(result.size === members.length, "round-robin: every member present");
  return result;
}

export const roundRobinAssignor: Assignor = { name: "roundrobin", assign: roundRobinAssign };
