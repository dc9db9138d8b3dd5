/**
 * LeaveGroup (API key 13): members leave (v3+ in batches, static members by instance id) and the group
 * rebalances without them. Pending members (MEMBER_ID_REQUIRED) just disappear.
 *
 * It must never remove a member whose instance id now belongs to another member id.
 */
import { invariant } from "../invariant.ts";
import { type Context, respond } from "./context.ts";
import { ErrorCode, type ErrorCodeValue } from "./errors.ts";
import { removeMember, staticMemberFenced, tryCompleteJoin } from "./rebalance.ts";
import type { LeaveGroupInput } from "./types.ts";

export function leaveGroup(ctx: Context, input: LeaveGroupInput): void {
  if (input.members.length === 0 || input.members.length > ctx.state.options.requestEntriesMax) {
    respond(ctx, {
      kind: "leaveGroup",
      requestId: input.requestId,
      errorCode: ErrorCode.INVALID_REQUEST,
      members: [],
    });
    return;
  }
  if (input.groupId === "") {
    respond(ctx, {
      kind: "leaveGroup",
      requestId: input.requestId,
      errorCode: ErrorCode.INVALID_GROUP_ID,
      members: [],
    });
    return;
  }
  const group = ctx.state.groups.get(input.groupId);
  const results: { memberId: string; groupInstanceId: string | null; errorCode: ErrorCodeValue }[] = [];
  for (const leaving of input.members) {
    let errorCode: ErrorCodeValue = ErrorCode.NONE;
    if (group === undefined) {
      errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
    } else if (
      leaving.memberId !== "" &&
      staticMemberFenced(group, leaving.groupInstanceId, leaving.memberId)
    ) {
      errorCode = ErrorCode.FENCED_INSTANCE_ID;
    } else if (group.pendingMembers.has(leaving.memberId) && leaving.groupInstanceId === null) {
      group.pendingMembers.delete(leaving.memberId);
      tryCompleteJoin(ctx, group);
    } else {
      const staticId =
        leaving.groupInstanceId === null ? undefined : group.staticMembers.get(leaving.groupInstanceId);
      const memberId = staticId ?? leaving.memberId;
      if (!group.members.has(memberId)) {
        errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
      } else {
        removeMember(ctx, group, memberId);
        invariant(!group.members.has(memberId), "leaveGroup: member still present");
      }
    }
    results.push({ memberId: leaving.memberId, groupInstanceId: leaving.groupInstanceId, errorCode });
  }
  invariant(results.length === input.members.length, "leaveGroup: one result per member");
  respond(ctx, {
    kind: "leaveGroup",
    requestId: input.requestId,
    errorCode: ErrorCode.NONE,
    members: results,
  });
}
