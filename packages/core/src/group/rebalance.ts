/**
 * The rebalance machinery of one classic group, following Kafka's GroupCoordinator: moving between
 * Empty, PreparingRebalance, CompletingRebalance and Stable; holding JoinGroup requests until every
 * member has rejoined (or the rebalance timeout or the initial delay runs out); electing the leader and
 * the protocol; removing members; and the timers (sessions, pending members, pending syncs).
 *
 * It owns group transitions and never validates requests (the handlers do) nor touches offsets.
 */
import { invariant } from "../invariant.ts";
import { type Context, joinError, noBytes, persistGroup, respond, syncError } from "./context.ts";
import { ErrorCode, type ErrorCodeValue } from "./errors.ts";
import { groupRebalanceTimeoutMs, membersAwaitingJoinCount } from "./state.ts";
import type { CoordinatorOptions, Group, HeldGroupStateName, Member } from "./types.ts";

const validTransitions: Record<HeldGroupStateName, readonly HeldGroupStateName[]> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["CompletingRebalance", "Empty"],
  CompletingRebalance: ["PreparingRebalance", "Stable"],
  Stable: ["PreparingRebalance"],
};

export function transition(ctx: Context, group: Group, next: HeldGroupStateName): void {
  invariant(
    validTransitions[group.state].includes(next),
    () => `group ${group.groupId}: illegal transition ${group.state} -> ${next}`,
  );
  group.state = next;
  group.stateSinceMs = ctx.nowMs;
}

/** Whether the member offers exactly these protocols, in order, with the same metadata. */
export function protocolsMatch(
  member: Member,
  protocols: readonly { name: string; metadata: Uint8Array }[],
): boolean {
  if (member.protocols.length !== protocols.length) return false;
  for (let i = 0; i < protocols.length; i++) {
    const a = member.protocols[i]!;
    const b = protocols[i]!;
    if (a.name !== b.name || a.metadata.length !== b.metadata.length) return false;
    for (let j = 0; j < a.metadata.length; j++) if (a.metadata[j] !== b.metadata[j]) return false;
  }
  return true;
}

/**
 * Kafka's `supportsProtocols`: an Empty group takes any non-empty protocol type and list; otherwise the
 * type must match and one of the offered protocols must be supported by every current member.
 */
export function supportsProtocols(group: Group, protocolType: string, names: readonly string[]): boolean {
  if (group.members.size === 0) return protocolType.length > 0 && names.length > 0;
  if (group.protocolType !== protocolType) return false;
  return names.some((name) => {
    for (const member of group.members.values()) {
      if (!member.protocols.some((p) => p.name === name)) return false;
    }
    return true;
  });
}

/**
 * Kafka's protocol vote: candidates are the protocols every member supports; each member votes for its
 * most preferred candidate and the most votes win. Ties go to the candidate listed first by the earliest
 * member, which keeps the choice deterministic.
 */
export function selectProtocol(group: Group): string {
  const members = [...group.members.values()];
  invariant(members.length > 0, "selectProtocol: no members");
  const candidates = members[0]!.protocols
    .map((p) => p.name)
    .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  invariant(candidates.length > 0, () => `group ${group.groupId}: no protocol supported by all members`);
  const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
  for (const member of members) {
    const choice = member.protocols.find((p) => votes.has(p.name));
    invariant(choice !== undefined, "selectProtocol: member without a candidate");
    votes.set(choice.name, votes.get(choice.name)! + 1);
  }
  let best = candidates[0]!;
  for (const name of candidates) if (votes.get(name)! > votes.get(best)!) best = name;
  return best;
}

/** Whether a member is exempt from session expiry right now (it waits inside a rebalance). */
function sessionDeadlineOf(member: Member): number | null {
  if (member.awaitingSync !== null) return null;
  if (member.awaitingJoin !== null && !member.isNew) return null;
  return member.sessionDeadlineMs;
}

export function scheduleSession(ctx: Context, member: Member): void {
  member.sessionDeadlineMs = ctx.nowMs + member.sessionTimeoutMs;
  invariant(member.sessionDeadlineMs >= ctx.nowMs, "scheduleSession: deadline in the past");
}

/** Takes a member out of the group's maps without any reaction of the group (the callers react). */
function detachMember(ctx: Context, group: Group, memberId: string): Member {
  const member = group.members.get(memberId);
  invariant(member !== undefined, () => `detachMember: ${memberId} not in ${group.groupId}`);
  if (member.awaitingJoin !== null) {
    respond(ctx, joinError(member.awaitingJoin.requestId, memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingJoin = null;
  }
  if (member.awaitingSync !== null) {
    respond(ctx, syncError(member.awaitingSync.requestId, ErrorCode.UNKNOWN_MEMBER_ID));
    member.awaitingSync = null;
  }
  group.members.delete(memberId);
  if (member.groupInstanceId !== null && group.staticMembers.get(member.groupInstanceId) === memberId) {
    group.staticMembers.delete(member.groupInstanceId);
  }
  group.pendingSyncMembers.delete(memberId);
  if (group.pendingSyncMembers.size === 0) group.pendingSyncDeadlineMs = null;
  if (group.leaderId === memberId) {
    const next = group.members.keys().next();
    group.leaderId = next.done ? null : next.value;
  }
  invariant(!group.members.has(memberId), "detachMember: still a member");
  return member;
}

/** Kafka's removeMemberAndUpdateGroup: a member leaves or expires and the group reacts. */
export function removeMember(ctx: Context, group: Group, memberId: string): void {
  detachMember(ctx, group, memberId);
  switch (group.state) {
    case "Stable":
    case "CompletingRebalance":
      prepareRebalance(ctx, group);
      break;
    case "PreparingRebalance":
      tryCompleteJoin(ctx, group);
      break;
    case "Empty":
      invariant(false, () => `removeMember: group ${group.groupId} had a member while ${group.state}`);
  }
}

/** Starts a rebalance unless one is already under way. */
export function maybePrepareRebalance(ctx: Context, group: Group): void {
  if (group.state === "Stable" || group.state === "CompletingRebalance" || group.state === "Empty") {
    prepareRebalance(ctx, group);
  }
  // A rebalance is under way, or it already completed (everyone had rejoined): never still Stable.
  invariant(group.state !== "Stable", "maybePrepareRebalance: still Stable");
}

export function prepareRebalance(ctx: Context, group: Group): void {
  invariant(group.state !== "PreparingRebalance", "prepareRebalance: bad state");
  const options = ctx.state.options;
  if (group.state === "CompletingRebalance") {
    // The assignment of this generation will never be settled: everyone waiting for it rejoins instead.
    for (const member of group.members.values()) {
      member.assignment = noBytes();
      if (member.awaitingSync !== null) {
        respond(ctx, syncError(member.awaitingSync.requestId, ErrorCode.REBALANCE_IN_PROGRESS));
        member.awaitingSync = null;
      }
    }
  }
  group.pendingSyncMembers.clear();
  group.pendingSyncDeadlineMs = null;
  const rebalanceTimeoutMs = groupRebalanceTimeoutMs(group);
  if (group.state === "Empty" && options.initialRebalanceDelayMs > 0) {
    group.join = {
      kind: "initial",
      deadlineMs: ctx.nowMs + options.initialRebalanceDelayMs,
      remainingMs: Math.max(rebalanceTimeoutMs - options.initialRebalanceDelayMs, 0),
    };
  } else {
    group.join = { kind: "normal", deadlineMs: ctx.nowMs + rebalanceTimeoutMs, remainingMs: 0 };
  }
  transition(ctx, group, "PreparingRebalance");
  tryCompleteJoin(ctx, group);
}

/** Completes a normal delayed join as soon as every member has rejoined and no pending member is left. */
export function tryCompleteJoin(ctx: Context, group: Group): void {
  if (group.state !== "PreparingRebalance") return;
  invariant(group.join !== null, "tryCompleteJoin: no join timer");
  if (group.join.kind !== "normal") return;
  if (membersAwaitingJoinCount(group) === group.members.size && group.pendingMembers.size === 0) {
    completeJoin(ctx, group);
  }
}

/**
 * Kafka's onCompleteJoin: drop the members that did not rejoin, start the next generation, answer every
 * held JoinGroup (the leader's answer carries all members' metadata) and wait for SyncGroups.
 */
function completeJoin(ctx: Context, group: Group): void {
  invariant(group.state === "PreparingRebalance", "completeJoin: not preparing");
  for (const member of [...group.members.values()]) {
    if (member.awaitingJoin === null) detachMember(ctx, group, member.memberId);
  }
  group.join = null;
  group.newMemberAdded = false;
  const generationBefore = group.generationId;
  group.generationId += 1;
  if (group.members.size === 0) {
    group.protocolName = null;
    transition(ctx, group, "Empty");
    persistGroup(ctx, group);
  } else {
    group.protocolName = selectProtocol(group);
    transition(ctx, group, "CompletingRebalance");
    const protocolName = group.protocolName;
    const leaderId = group.leaderId;
    invariant(
      leaderId !== null && group.members.get(leaderId)?.awaitingJoin,
      "completeJoin: leader did not join",
    );
    const roster = [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.protocols.find((p) => p.name === protocolName)!.metadata,
    }));
    for (const member of group.members.values()) {
      const pending = member.awaitingJoin;
      invariant(pending !== null, "completeJoin: member not awaiting join");
      respond(ctx, {
        kind: "joinGroup",
        requestId: pending.requestId,
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName,
        leaderId,
        memberId: member.memberId,
        members: member.memberId === leaderId ? roster : [],
      });
      member.awaitingJoin = null;
      member.isNew = false;
      scheduleSession(ctx, member);
      group.pendingSyncMembers.add(member.memberId);
    }
    group.pendingSyncDeadlineMs = ctx.nowMs + groupRebalanceTimeoutMs(group);
  }
  invariant(group.generationId === generationBefore + 1, "completeJoin: generation must advance by one");
}

/** The answer to a member that rejoins without changes while the group is settled (no new rebalance). */
export function currentGenerationJoin(group: Group, member: Member, requestId: number, withRoster: boolean) {
  invariant(
    group.protocolName !== null && group.leaderId !== null,
    "currentGenerationJoin: group not settled",
  );
  const protocolName = group.protocolName;
  return {
    kind: "joinGroup" as const,
    requestId,
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName,
    leaderId: group.leaderId,
    memberId: member.memberId,
    members: withRoster
      ? [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          metadata: m.protocols.find((p) => p.name === protocolName)!.metadata,
        }))
      : [],
  };
}

type TimerEvent =
  | { kind: "member"; atMs: number; memberId: string }
  | { kind: "pendingMember"; atMs: number; memberId: string }
  | { kind: "join"; atMs: number }
  | { kind: "pendingSync"; atMs: number };

/** The group's earliest timed event, or null when nothing is timed. Called after every step: no allocation per member. */
export function nextTimerEvent(group: Group): TimerEvent | null {
  let atMs = Number.POSITIVE_INFINITY;
  let kind: TimerEvent["kind"] | null = null;
  let memberId = "";
  if (group.join !== null && group.join.deadlineMs < atMs) {
    atMs = group.join.deadlineMs;
    kind = "join";
  }
  if (group.pendingSyncDeadlineMs !== null && group.pendingSyncDeadlineMs < atMs) {
    atMs = group.pendingSyncDeadlineMs;
    kind = "pendingSync";
  }
  for (const [id, deadlineMs] of group.pendingMembers) {
    if (deadlineMs < atMs) {
      atMs = deadlineMs;
      kind = "pendingMember";
      memberId = id;
    }
  }
  for (const member of group.members.values()) {
    const deadlineMs = sessionDeadlineOf(member);
    if (deadlineMs !== null && deadlineMs < atMs) {
      atMs = deadlineMs;
      kind = "member";
      memberId = member.memberId;
    }
  }
  switch (kind) {
    case null:
      return null;
    case "join":
    case "pendingSync":
      return { kind, atMs };
    case "member":
    case "pendingMember":
      invariant(memberId !== "", "nextTimerEvent: member event without a member");
      return { kind, atMs, memberId };
  }
}

/** Timed events handled per group per tick; the rest wait for the next tick (see `nextTickAtMs`). */
export function timerEventsPerTickMax(options: CoordinatorOptions): number {
  return 4 * options.membersPerGroupMax + 64;
}

/**
 * Handles, in deadline order, every timed event of the group due by `nowMs`, each at its own deadline
 * (so a coarse tick behaves like Kafka's timers). Returns whether events are left over.
 */
export function advanceTimers(ctx: Context, group: Group, nowMs: number): boolean {
  const eventsMax = timerEventsPerTickMax(ctx.state.options);
  for (let handled = 0; handled < eventsMax; handled++) {
    const event = nextTimerEvent(group);
    if (event === null || event.atMs > nowMs) return false;
    const before = ctx.nowMs;
    ctx.nowMs = Math.max(ctx.nowMs, event.atMs);
    invariant(ctx.nowMs >= before && ctx.nowMs <= nowMs, "advanceTimers: time went backwards");
    handleTimerEvent(ctx, group, event);
  }
  const event = nextTimerEvent(group);
  return event !== null && event.atMs <= nowMs;
}

function handleTimerEvent(ctx: Context, group: Group, event: TimerEvent): void {
  switch (event.kind) {
    case "member":
      removeMember(ctx, group, event.memberId);
      return;
    case "pendingMember":
      group.pendingMembers.delete(event.memberId);
      tryCompleteJoin(ctx, group);
      return;
    case "join": {
      const join = group.join;
      invariant(join !== null && group.state === "PreparingRebalance", "join timer outside a rebalance");
      const delayMs = ctx.state.options.initialRebalanceDelayMs;
      if (join.kind === "initial" && group.newMemberAdded && join.remainingMs > 0) {
        // A member arrived during the initial delay: wait once more, as long as the rebalance timeout allows.
        group.newMemberAdded = false;
        const nextDelayMs = Math.min(delayMs, join.remainingMs);
        group.join = {
          kind: "initial",
          deadlineMs: ctx.nowMs + nextDelayMs,
          remainingMs: Math.max(join.remainingMs - delayMs, 0),
        };
        invariant(group.join.remainingMs < join.remainingMs, "initial delay must shrink");
      } else {
        completeJoin(ctx, group);
      }
      return;
    }
    case "pendingSync": {
      invariant(
        group.state === "CompletingRebalance" || group.state === "Stable",
        "pending sync outside a generation",
      );
      // Members that never sent SyncGroup within the rebalance timeout are dropped and the group rebalances.
      for (const memberId of [...group.pendingSyncMembers]) detachMember(ctx, group, memberId);
      invariant(group.pendingSyncDeadlineMs === null, "pending sync deadline must clear");
      prepareRebalance(ctx, group);
      return;
    }
  }
}

/**
 * Kafka's ClassicGroup.validateMember, shared by SyncGroup, Heartbeat and OffsetCommit: a request naming an
 * instance id must come from that instance's current member id; any request must name a current member.
 */
export function validateMember(
  group: Group,
  memberId: string,
  groupInstanceId: string | null,
): ErrorCodeValue {
  if (groupInstanceId !== null) {
    const current = group.staticMembers.get(groupInstanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  if (!group.members.has(memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
  return ErrorCode.NONE;
}

/** Kafka's isStaticMemberFenced: the instance id now belongs to another member id. */
export function staticMemberFenced(group: Group, groupInstanceId: string | null, memberId: string): boolean {
  if (groupInstanceId === null) return false;
  const current = group.staticMembers.get(groupInstanceId);
  return current !== undefined && current !== memberId;
}
