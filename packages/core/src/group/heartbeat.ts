/**
 * Heartbeat (API key 12): keeps a member's session alive and tells it when a rebalance is under way
 * (REBALANCE_IN_PROGRESS), so it rejoins. Stale generations and unknown members are fenced.
 *
 * It must never change the group's state, only the member's session deadline.
 */
import { invariant } from "../invariant.ts";
import { type Context, respond } from "./context.ts";
import { ErrorCode, type ErrorCodeValue } from "./errors.ts";
import { scheduleSession, validateMember } from "./rebalance.ts";
import type { HeartbeatInput } from "./types.ts";

export function heartbeat(ctx: Context, input: HeartbeatInput): void {
  const errorCode = heartbeatError(ctx, input);
  respond(ctx, { kind: "heartbeat", requestId: input.requestId, errorCode });
  invariant(ctx.answered.has(input.requestId), "heartbeat: unanswered");
}

function heartbeatError(ctx: Context, input: HeartbeatInput): ErrorCodeValue {
  if (input.groupId === "") return ErrorCode.INVALID_GROUP_ID;
  const group = ctx.state.groups.get(input.groupId);
  if (group === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  const validation = validateMember(group, input.memberId, input.groupInstanceId);
  if (validation !== ErrorCode.NONE) return validation;
  const member = group.members.get(input.memberId);
  invariant(member !== undefined, "heartbeat: validated member missing");
  if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  const stateBefore = group.state;
  scheduleSession(ctx, member);
  invariant(group.state === stateBefore, "heartbeat: state changed");
  switch (group.state) {
    case "PreparingRebalance":
      return ErrorCode.REBALANCE_IN_PROGRESS;
    case "CompletingRebalance":
    case "Stable":
      return ErrorCode.NONE;
    case "Empty":
      invariant(false, () => `heartbeat: member in a ${group.state} group`);
  }
}
