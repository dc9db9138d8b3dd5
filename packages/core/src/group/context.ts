/**
 * The working context of one step: the state being advanced, the time the current event happens at, and
 * the Ready under construction. Handlers append to it; only `step` creates one. This module must never
 * decide anything about groups.
 */
import { invariant } from "../invariant.ts";
import { ErrorCode, type ErrorCodeValue } from "./errors.ts";
import type {
  CoordinatorState,
  Group,
  JoinGroupResponse,
  PersistRecord,
  RequestId,
  Response,
  SyncGroupResponse,
} from "./types.ts";

export interface Context {
  readonly state: CoordinatorState;
  /** The time the event being handled happens at: `state.nowMs` for requests, a deadline inside a tick. */
  nowMs: number;
  readonly persist: PersistRecord[];
  readonly respond: Response[];
  /** The request ids answered in this step, to assert each is answered once. */
  readonly answered: Set<RequestId>;
}

const emptyBytes = new Uint8Array(0);

export function noBytes(): Uint8Array {
  invariant(emptyBytes.length === 0, "noBytes: shared empty array was written to");
  return emptyBytes;
}

/** Whether a request is held by a member of the group (a delayed JoinGroup or SyncGroup). */
export function isHeld(group: Group | undefined, requestId: RequestId): boolean {
  if (group === undefined) return false;
  for (const member of group.members.values()) {
    if (member.awaitingJoin?.requestId === requestId || member.awaitingSync?.requestId === requestId)
      return true;
  }
  return false;
}

/** Every request leaves its handler answered or held, never both and never neither. */
export function assertAnsweredOrHeld(ctx: Context, group: Group | undefined, requestId: RequestId): void {
  const answered = ctx.answered.has(requestId);
  const held = isHeld(group, requestId);
  invariant(answered !== held, () => `request ${requestId}: answered=${answered} held=${held}`);
}

export function respond(ctx: Context, response: Response): void {
  invariant(
    !ctx.answered.has(response.requestId),
    () => `respond: request ${response.requestId} answered twice`,
  );
  ctx.answered.add(response.requestId);
  ctx.respond.push(response);
  invariant(ctx.answered.size === ctx.respond.length, "respond: answered set out of sync");
}

export function joinError(
  requestId: RequestId,
  memberId: string,
  errorCode: ErrorCodeValue,
): JoinGroupResponse {
  invariant(errorCode !== ErrorCode.NONE, "joinError: NONE is not an error");
  return {
    kind: "joinGroup",
    requestId,
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leaderId: "",
    memberId,
    members: [],
  };
}

export function syncError(requestId: RequestId, errorCode: ErrorCodeValue): SyncGroupResponse {
  invariant(errorCode !== ErrorCode.NONE, "syncError: NONE is not an error");
  return {
    kind: "syncGroup",
    requestId,
    errorCode,
    protocolType: null,
    protocolName: null,
    assignment: noBytes(),
  };
}

/** The group metadata record Kafka writes when a generation's assignment is settled or the group empties. */
export function persistGroup(ctx: Context, group: Group): void {
  invariant(group.state === "Stable" || group.state === "Empty", () => `persistGroup: in ${group.state}`);
  const protocolName = group.protocolName;
  ctx.persist.push({
    kind: "groupMetadata",
    groupId: group.groupId,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName,
    leaderId: group.leaderId,
    stateTimestampMs: group.stateSinceMs,
    members: [...group.members.values()].map((member) => {
      const subscription = member.protocols.find((p) => p.name === protocolName)?.metadata;
      invariant(subscription !== undefined, () => `persistGroup: ${member.memberId} lacks ${protocolName}`);
      return {
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
        clientId: member.clientId,
        clientHost: member.clientHost,
        sessionTimeoutMs: member.sessionTimeoutMs,
        rebalanceTimeoutMs: member.rebalanceTimeoutMs,
        subscription,
        assignment: member.assignment,
      };
    }),
  });
}
