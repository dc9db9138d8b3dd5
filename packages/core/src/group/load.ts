/**
 * Rebuilding groups and offsets from the records earlier steps asked the shell to persist, when this
 * coordinator takes over a group log (Kafka's loading of a `__consumer_offsets` partition). Groups with
 * members come back Stable with fresh session deadlines, as in Kafka; Empty groups come back Empty.
 *
 * It must never invent state that the records do not hold.
 */
import { invariant } from "../invariant.ts";
import type { Context } from "./context.ts";
import { deleteOffset, setOffset } from "./offsets.ts";
import { newGroup } from "./state.ts";
import type { Group, Member, PersistRecord } from "./types.ts";

function groupFor(ctx: Context, groupId: string): Group {
  let group = ctx.state.groups.get(groupId);
  if (group === undefined) {
    invariant(ctx.state.groups.size < ctx.state.options.groupsMax, "load: more groups than groupsMax");
    group = newGroup(groupId, ctx.nowMs, null);
    ctx.state.groups.set(groupId, group);
  }
  return group;
}

export function load(ctx: Context, records: readonly PersistRecord[]): Set<string> {
  const touched = new Set<string>();
  for (const record of records) {
    touched.add(record.groupId);
    switch (record.kind) {
      case "offsetCommit": {
        const group = groupFor(ctx, record.groupId);
        setOffset(group, record.topic, record.partition, {
          offset: record.offset,
          leaderEpoch: record.leaderEpoch,
          metadata: record.metadata,
          commitTimestampMs: record.commitTimestampMs,
        });
        invariant(
          group.offsetCount <= ctx.state.options.offsetsPerGroupMax,
          "load: more offsets than offsetsPerGroupMax",
        );
        break;
      }
      case "offsetTombstone": {
        const group = ctx.state.groups.get(record.groupId);
        if (group !== undefined) deleteOffset(group, record.topic, record.partition);
        break;
      }
      case "groupTombstone":
        ctx.state.groups.delete(record.groupId);
        break;
      case "groupMetadata": {
        const previous = ctx.state.groups.get(record.groupId);
        for (const member of previous?.members.values() ?? []) {
          // Replacing a member that holds a request would leave that request unanswered forever.
          invariant(
            member.awaitingJoin === null && member.awaitingSync === null,
            "load: a group with held requests cannot be replaced; load into a fresh coordinator",
          );
        }
        const group = groupFor(ctx, record.groupId);
        invariant(
          previous === undefined ||
            previous.members.size === 0 ||
            record.generationId >= previous.generationId,
          "load: group generation went backwards",
        );
        invariant(record.members.length <= ctx.state.options.membersPerGroupMax, "load: too many members");
        group.generationId = record.generationId;
        group.protocolType = record.protocolType;
        group.protocolName = record.protocolName;
        group.members = new Map();
        group.staticMembers = new Map();
        for (const m of record.members) {
          invariant(
            record.protocolName !== null && record.protocolType !== null,
            "load: members without protocol",
          );
          const member: Member = {
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            sessionTimeoutMs: m.sessionTimeoutMs,
            rebalanceTimeoutMs: m.rebalanceTimeoutMs,
            protocolType: record.protocolType,
            protocols: [{ name: record.protocolName, metadata: m.subscription }],
            assignment: m.assignment,
            awaitingJoin: null,
            awaitingSync: null,
            isNew: false,
            sessionDeadlineMs: ctx.nowMs + m.sessionTimeoutMs,
          };
          group.members.set(m.memberId, member);
          if (m.groupInstanceId !== null) group.staticMembers.set(m.groupInstanceId, m.memberId);
        }
        group.leaderId = group.members.size > 0 ? record.leaderId : null;
        group.state = group.members.size > 0 ? "Stable" : "Empty";
        group.stateSinceMs = record.stateTimestampMs;
        group.join = null;
        group.pendingMembers = new Map();
        group.pendingSyncMembers = new Set();
        group.pendingSyncDeadlineMs = null;
        break;
      }
    }
  }
  return touched;
}
