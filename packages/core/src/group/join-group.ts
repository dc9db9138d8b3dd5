/**
 * JoinGroup (API key 11) for the classic protocol: validation, new and known members, MEMBER_ID_REQUIRED
 * from v4, static members (group.instance.id) replacing their previous incarnation, and handing the
 * request to the rebalance machinery, which holds it until the rebalance completes.
 *
 * It never answers a held request itself; `rebalance.ts` does when the generation is formed.
 */
import { invariant } from "../invariant.ts";
import { assertAnsweredOrHeld, type Context, joinError, persistGroup, respond } from "./context.ts";
import { ErrorCode, type ErrorCodeValue } from "./errors.ts";
import {
  currentGenerationJoin,
  maybePrepareRebalance,
  prepareRebalance,
  protocolsMatch,
  scheduleSession,
  selectProtocol,
  supportsProtocols,
  tryCompleteJoin,
  validateMember,
} from "./rebalance.ts";
import { drawMemberId, nameCharsMax, newGroup } from "./state.ts";
import type { Group, JoinGroupInput, Member } from "./types.ts";

/** The first JoinGroup version whose new dynamic members must come back with the id they are given. */
export const memberIdRequiredVersionMin = 4;

function validate(ctx: Context, input: JoinGroupInput): ErrorCodeValue {
  const options = ctx.state.options;
  if (input.groupId.length === 0 || input.groupId.length > nameCharsMax) return ErrorCode.INVALID_GROUP_ID;
  if (
    !Number.isSafeInteger(input.sessionTimeoutMs) ||
    input.sessionTimeoutMs < options.sessionTimeoutMsMin ||
    input.sessionTimeoutMs > options.sessionTimeoutMsMax
  ) {
    return ErrorCode.INVALID_SESSION_TIMEOUT;
  }
  if (
    !Number.isSafeInteger(input.rebalanceTimeoutMs) ||
    input.rebalanceTimeoutMs < 0 ||
    input.protocols.length > options.protocolsPerMemberMax ||
    input.memberId.length > nameCharsMax ||
    input.clientId.length > nameCharsMax ||
    input.clientHost.length > nameCharsMax ||
    input.protocolType.length > nameCharsMax ||
    (input.groupInstanceId !== null &&
      (input.groupInstanceId.length === 0 || input.groupInstanceId.length > nameCharsMax))
  ) {
    return ErrorCode.INVALID_REQUEST;
  }
  const names = new Set<string>();
  for (const protocol of input.protocols) {
    if (protocol.name.length === 0 || protocol.name.length > nameCharsMax) return ErrorCode.INVALID_REQUEST;
    if (protocol.metadata.length > options.protocolMetadataBytesMax) return ErrorCode.INVALID_REQUEST;
    if (names.has(protocol.name)) return ErrorCode.INVALID_REQUEST;
    names.add(protocol.name);
  }
  if (input.protocolType.length === 0 || input.protocols.length === 0)
    return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
  return ErrorCode.NONE;
}

export function joinGroup(ctx: Context, input: JoinGroupInput): void {
  const validation = validate(ctx, input);
  if (validation !== ErrorCode.NONE) {
    respond(ctx, joinError(input.requestId, input.memberId, validation));
    return;
  }
  let group = ctx.state.groups.get(input.groupId);
  let created = false;
  if (group === undefined) {
    if (input.memberId !== "") {
      respond(ctx, joinError(input.requestId, input.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return;
    }
    if (ctx.state.groups.size >= ctx.state.options.groupsMax) {
      // Out of group slots: a retriable error, so clients back off while old groups expire.
      respond(ctx, joinError(input.requestId, input.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
      return;
    }
    group = newGroup(input.groupId, ctx.nowMs, null);
    ctx.state.groups.set(group.groupId, group);
    created = true;
  }
  const names = input.protocols.map((p) => p.name);
  if (!supportsProtocols(group, input.protocolType, names)) {
    respond(ctx, joinError(input.requestId, input.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  } else if (input.memberId === "") {
    joinNewMember(ctx, group, input);
  } else {
    joinKnownMember(ctx, group, input);
  }
  tryCompleteJoin(ctx, group);
  assertAnsweredOrHeld(ctx, group, input.requestId);
  if (
    created &&
    group.state === "Empty" &&
    group.members.size === 0 &&
    group.pendingMembers.size === 0 &&
    group.offsetCount === 0
  ) {
    // The join was refused before anything was stored: forget the group rather than let refusals fill the table.
    ctx.state.groups.delete(group.groupId);
  }
}

function groupFull(ctx: Context, group: Group): boolean {
  return group.members.size + group.pendingMembers.size >= ctx.state.options.membersPerGroupMax;
}

function joinNewMember(ctx: Context, group: Group, input: JoinGroupInput): void {
  if (input.groupInstanceId !== null) {
    const existingId = group.staticMembers.get(input.groupInstanceId);
    if (existingId !== undefined) {
      replaceStaticMember(ctx, group, existingId, input);
      return;
    }
  }
  if (groupFull(ctx, group)) {
    respond(ctx, joinError(input.requestId, input.memberId, ErrorCode.GROUP_MAX_SIZE_REACHED));
    return;
  }
  const [memberId, prng] = drawMemberId(ctx.state.prng, input.clientId);
  ctx.state.prng = prng;
  invariant(!group.members.has(memberId) && !group.pendingMembers.has(memberId), "member id collision");
  if (input.groupInstanceId === null && input.apiVersion >= memberIdRequiredVersionMin) {
    // KIP-394: the member must come back with this id, so a retried join cannot leave a defunct member behind.
    group.pendingMembers.set(memberId, ctx.nowMs + input.sessionTimeoutMs);
    respond(ctx, joinError(input.requestId, memberId, ErrorCode.MEMBER_ID_REQUIRED));
    return;
  }
  addMemberAndRebalance(ctx, group, memberId, input);
}

function joinKnownMember(ctx: Context, group: Group, input: JoinGroupInput): void {
  const memberId = input.memberId;
  if (group.pendingMembers.has(memberId)) {
    group.pendingMembers.delete(memberId);
    addMemberAndRebalance(ctx, group, memberId, input);
    return;
  }
  const validation = validateMember(group, memberId, input.groupInstanceId);
  if (validation !== ErrorCode.NONE) {
    respond(ctx, joinError(input.requestId, memberId, validation));
    return;
  }
  const member = group.members.get(memberId);
  invariant(member !== undefined, "joinKnownMember: validated member missing");
  switch (group.state) {
    case "PreparingRebalance":
      updateMemberAndRebalance(ctx, group, member, input);
      return;
    case "CompletingRebalance":
      if (protocolsMatch(member, input.protocols)) {
        // The member lost its JoinGroup response: send the same one again.
        scheduleSession(ctx, member);
        respond(ctx, currentGenerationJoin(group, member, input.requestId, memberId === group.leaderId));
      } else {
        updateMemberAndRebalance(ctx, group, member, input);
      }
      return;
    case "Stable":
      if (memberId === group.leaderId || !protocolsMatch(member, input.protocols)) {
        // A leader's rejoin means it wants a new assignment (for example, topic metadata changed).
        updateMemberAndRebalance(ctx, group, member, input);
      } else {
        scheduleSession(ctx, member);
        respond(ctx, currentGenerationJoin(group, member, input.requestId, false));
      }
      return;
    case "Empty":
      invariant(false, () => `joinKnownMember: member in a ${group.state} group`);
  }
}

function addMemberAndRebalance(ctx: Context, group: Group, memberId: string, input: JoinGroupInput): void {
  invariant(!group.members.has(memberId), "addMemberAndRebalance: already a member");
  const member: Member = {
    memberId,
    groupInstanceId: input.groupInstanceId,
    clientId: input.clientId,
    clientHost: input.clientHost,
    sessionTimeoutMs: input.sessionTimeoutMs,
    rebalanceTimeoutMs: input.rebalanceTimeoutMs,
    protocolType: input.protocolType,
    protocols: input.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
    assignment: new Uint8Array(0),
    awaitingJoin: { requestId: input.requestId },
    awaitingSync: null,
    isNew: true,
    // A new member cannot heartbeat before it has a generation, so it gets a fixed grace instead.
    sessionDeadlineMs: ctx.nowMs + ctx.state.options.newMemberJoinTimeoutMs,
  };
  // Kafka extends the initial delay (a rebalance that started from Empty) for every member that arrives in it.
  if (group.state === "PreparingRebalance" && group.join?.kind === "initial") group.newMemberAdded = true;
  if (group.members.size === 0) group.protocolType = input.protocolType;
  group.members.set(memberId, member);
  if (input.groupInstanceId !== null) group.staticMembers.set(input.groupInstanceId, memberId);
  if (group.leaderId === null) group.leaderId = memberId;
  maybePrepareRebalance(ctx, group);
  invariant(
    group.state !== "Empty" && group.state !== "Stable",
    "addMemberAndRebalance: no rebalance started",
  );
}

function updateMember(ctx: Context, member: Member, input: JoinGroupInput): void {
  if (member.awaitingJoin !== null && member.awaitingJoin.requestId !== input.requestId) {
    // A newer JoinGroup supersedes the held one; answering it keeps every request answered exactly once.
    respond(ctx, joinError(member.awaitingJoin.requestId, member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  }
  member.protocols = input.protocols.map((p) => ({ name: p.name, metadata: p.metadata }));
  member.sessionTimeoutMs = input.sessionTimeoutMs;
  member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
  member.clientId = input.clientId;
  member.clientHost = input.clientHost;
  member.awaitingJoin = { requestId: input.requestId };
  scheduleSession(ctx, member);
  invariant(
    member.awaitingSync === null || member.awaitingSync.requestId !== input.requestId,
    "updateMember: reused id",
  );
}

function updateMemberAndRebalance(ctx: Context, group: Group, member: Member, input: JoinGroupInput): void {
  invariant(group.members.get(member.memberId) === member, "updateMemberAndRebalance: not a member");
  updateMember(ctx, member, input);
  maybePrepareRebalance(ctx, group);
  invariant(group.state !== "Stable" && group.state !== "Empty", "updateMemberAndRebalance: no rebalance");
}

/**
 * A static member rejoined without its member id (it restarted): it takes over the previous incarnation's
 * place under a new id, and the old id is fenced. A Stable group whose protocol would not change keeps its
 * generation and assignment, which is the point of static membership.
 */
function replaceStaticMember(ctx: Context, group: Group, oldMemberId: string, input: JoinGroupInput): void {
  const old = group.members.get(oldMemberId);
  invariant(old !== undefined, "replaceStaticMember: indexed member missing");
  if (old.awaitingJoin !== null) {
    respond(ctx, joinError(old.awaitingJoin.requestId, oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
  }
  if (old.awaitingSync !== null) {
    respond(ctx, {
      kind: "syncGroup",
      requestId: old.awaitingSync.requestId,
      errorCode: ErrorCode.FENCED_INSTANCE_ID,
      protocolType: null,
      protocolName: null,
      assignment: new Uint8Array(0),
    });
  }
  const previousLeaderId = group.leaderId;
  const [memberId, prng] = drawMemberId(ctx.state.prng, input.clientId);
  ctx.state.prng = prng;
  invariant(!group.members.has(memberId), "replaceStaticMember: id collision");
  const member: Member = { ...old, memberId, awaitingJoin: null, awaitingSync: null };
  // Rebuild the map so the new id keeps the old one's place in join order.
  const members = new Map<string, Member>();
  for (const [id, m] of group.members)
    members.set(id === oldMemberId ? memberId : id, id === oldMemberId ? member : m);
  group.members = members;
  group.staticMembers.set(input.groupInstanceId!, memberId);
  if (group.leaderId === oldMemberId) group.leaderId = memberId;
  if (group.pendingSyncMembers.delete(oldMemberId)) group.pendingSyncMembers.add(memberId);
  updateMember(ctx, member, input);
  switch (group.state) {
    case "Stable": {
      const protocolKept = selectProtocol(group) === group.protocolName;
      if (protocolKept) {
        member.awaitingJoin = null;
        persistGroup(ctx, group);
        // As Kafka (without KIP-814 skipAssignment): the answer names the leader as it was before the
        // replacement, so a restarted static leader does not think it must assign again.
        const answer = currentGenerationJoin(group, member, input.requestId, false);
        respond(ctx, { ...answer, leaderId: previousLeaderId ?? answer.leaderId });
      } else {
        prepareRebalance(ctx, group);
      }
      return;
    }
    case "CompletingRebalance":
      // The leader may already be assigning to the old id: only a new generation gets the new id an assignment.
      prepareRebalance(ctx, group);
      return;
    case "PreparingRebalance":
      return;
    case "Empty":
      invariant(false, () => `replaceStaticMember: member in a ${group.state} group`);
  }
}
