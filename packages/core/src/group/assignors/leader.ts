/**
 * The group leader's side of a rebalance, for the simulator's clients and for teaching: from the roster a
 * JoinGroup response gives the leader, decode each member's subscription, run the assignor, and encode
 * each member's assignment for SyncGroup. Pure; a member whose subscription does not decode gets nothing.
 */
import { invariant } from "../../invariant.ts";
import { encodeAssignment, tryDecodeSubscription } from "./consumer-protocol.ts";
import { rangeAssignor } from "./range.ts";
import { roundRobinAssignor } from "./round-robin.ts";
import type { Assignor } from "./types.ts";

/** The built-in assignors by protocol name. */
export const assignorsByName: ReadonlyMap<string, Assignor> = new Map([
  [rangeAssignor.name, rangeAssignor],
  [roundRobinAssignor.name, roundRobinAssignor],
]);

export function assignForLeader(
  roster: readonly {
    readonly memberId: string;
    readonly groupInstanceId: string | null;
    readonly metadata: Uint8Array;
  }[],
  assignor: Assignor,
  partitionsPerTopic: ReadonlyMap<string, number>,
): { memberId: string; assignment: Uint8Array }[] {
  const members = roster.map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    topics: tryDecodeSubscription(m.metadata)?.topics ?? [],
  }));
  const result = assignor.assign(members, partitionsPerTopic);
  const assignments = roster.map((m) => ({
    memberId: m.memberId,
    assignment: encodeAssignment({ assignedPartitions: result.get(m.memberId) ?? [], userData: null }),
  }));
  invariant(assignments.length === roster.length, "assignForLeader: one assignment per member");
  return assignments;
}
