/**
 * The member order Kafka's assignors use: static members by instance id, then dynamic ones by member id.
 * It must never depend on the order the members arrived in, or two leaders would assign differently.
 */
import { invariant } from "../../invariant.ts";
import { assignorMembersMax, partitionsPerTopicMax } from "./limits.ts";
import type { AssignorMember } from "./types.ts";

function orderKey(member: AssignorMember): [number, string] {
  return member.groupInstanceId ? [0, member.groupInstanceId] : [1, member.memberId];
}

export function sortedMembers(members: readonly AssignorMember[]): AssignorMember[] {
  invariant(members.length <= assignorMembersMax, "assignor: too many members");
  const ids = new Set(members.map((m) => m.memberId));
  invariant(ids.size === members.length, "assignor: duplicate member ids");
  const sorted = [...members].sort((a, b) => {
    const [ra, ka] = orderKey(a);
    const [rb, kb] = orderKey(b);
    if (ra !== rb) return ra - rb;
    if (ka !== kb) return ka < kb ? -1 : 1;
    return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
  });
  invariant(sorted.length === members.length, "assignor: sort lost members");
  return sorted;
}

/** Checks the partition counts and returns the topics in sorted order. */
export function sortedTopics(partitionsPerTopic: ReadonlyMap<string, number>): string[] {
  for (const [topic, count] of partitionsPerTopic) {
    invariant(
      Number.isSafeInteger(count) && count >= 0 && count <= partitionsPerTopicMax,
      () => `assignor: bad partition count ${count} for ${topic}`,
    );
  }
  return [...partitionsPerTopic.keys()].sort();
}

/** Turns topic -> partitions into the sorted list form, dropping empty topics. */
export function toTopicPartitions(byTopic: Map<string, number[]>) {
  return [...byTopic.keys()]
    .sort()
    .map((topic) => ({ topic, partitions: byTopic.get(topic)!.sort((a, b) => a - b) }))
    .filter((tp) => tp.partitions.length > 0);
}
