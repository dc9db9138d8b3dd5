/**
 * SyncGroup (API key 14): the leader hands in the assignment it computed on the client side; the
 * coordinator relays each member its part. Followers that arrive before the leader are held until the
 * leader's assignment lands (or the generation is abandoned). The coordinator never reads the bytes.
 *
 * It must never accept an assignment for anything but the current generation in CompletingRebalance.
 */
import { invariant } from "../invariant.ts";
import { assertAnsweredOrHeld, type Context, persistGroup, respond, syncError } from "./context.ts";
import { ErrorCode } from "./errors.ts";
import { scheduleSession, transition, validateMember } from "./rebalance.ts";
import type { Group, SyncGroupInput } from "./types.ts";

export function syncGroup(ctx: Context, input: SyncGroupInput): void {
  const options = ctx.state.options;
  const group = ctx.state.groups.get(input.groupId);
  if (
    input.assignments.length > options.membersPerGroupMax ||
    input.assignments.some((a) => a.assignment.length > options.protocolMetadataBytesMax)
  ) {
    respond(ctx, syncError(input.requestId, ErrorCode.INVALID_REQUEST));
    return;
  }
  if (input.groupId === "") {
    respond(ctx, syncError(input.requestId, ErrorCode.INVALID_GROUP_ID));
    return;
  }
  if (group === undefined) {
    respond(ctx, syncError(input.requestId, ErrorCode.UNKNOWN_MEMBER_ID));
    return;
  }
  const validation = validateMember(group, input.memberId, input.groupInstanceId);
  if (validation !== ErrorCode.NONE) {
    respond(ctx, syncError(input.requestId, validation));
    return;
  }
  const member = group.members.get(input.memberId);
  invariant(member !== undefined, "syncGroup: validated member missing");
  if (input.generationId !== group.generationId) {
    respond(ctx, syncError(input.requestId, ErrorCode.ILLEGAL_GENERATION));
    return;
  }
  if (
    (input.protocolType !== null && input.protocolType !== group.protocolType) ||
    (input.protocolName !== null && input.protocolName !== group.protocolName)
  ) {
    respond(ctx, syncError(input.requestId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  switch (group.state) {
    case "PreparingRebalance":
      scheduleSession(ctx, member);
      respond(ctx, syncError(input.requestId, ErrorCode.REBALANCE_IN_PROGRESS));
      return;
    case "CompletingRebalance": {
      if (member.awaitingSync !== null) {
        // A newer SyncGroup supersedes the held one.
        respond(ctx, syncError(member.awaitingSync.requestId, ErrorCode.REBALANCE_IN_PROGRESS));
      }
      member.awaitingSync = { requestId: input.requestId };
      group.pendingSyncMembers.delete(member.memberId);
      if (group.pendingSyncMembers.size === 0) group.pendingSyncDeadlineMs = null;
      scheduleSession(ctx, member);
      if (member.memberId === group.leaderId) settleAssignment(ctx, group, input);
      assertAnsweredOrHeld(ctx, group, input.requestId);
      return;
    }
    case "Stable":
      group.pendingSyncMembers.delete(member.memberId);
      if (group.pendingSyncMembers.size === 0) group.pendingSyncDeadlineMs = null;
      scheduleSession(ctx, member);
      respond(ctx, {
        kind: "syncGroup",
        requestId: input.requestId,
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      });
      return;
    case "Empty":
      invariant(false, () => `syncGroup: member in a ${group.state} group`);
  }
}

/**
 * The leader's assignment settles the generation: store it with the group (the shell persists it before
 * any of these responses leave), move to Stable and answer every member held in SyncGroup.
 */
function settleAssignment(ctx: Context, group: Group, input: SyncGroupInput): void {
  invariant(group.state === "CompletingRebalance", "settleAssignment: not completing");
  const byMember = new Map<string, Uint8Array>();
  for (const entry of input.assignments) byMember.set(entry.memberId, entry.assignment);
  for (const member of group.members.values())
    member.assignment = byMember.get(member.memberId) ?? new Uint8Array(0);
  transition(ctx, group, "Stable");
  persistGroup(ctx, group);
  let answered = 0;
  for (const member of group.members.values()) {
    if (member.awaitingSync === null) continue;
    respond(ctx, {
      kind: "syncGroup",
      requestId: member.awaitingSync.requestId,
      errorCode: ErrorCode.NONE,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: member.assignment,
    });
    member.awaitingSync = null;
    answered++;
  }
  invariant(answered >= 1, "settleAssignment: the leader itself must be answered");
}
