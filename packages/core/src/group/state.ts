/**
 * Construction and structural checks of the coordinator state: default options (Kafka's defaults where
 * Kafka has one), `initialState`, deterministic member ids, and `checkGroup`, the invariant sweep run
 * after every change to a group. This module must never answer a request.
 */
import { invariant } from "../invariant.ts";
import { type PrngState, prngFromSeed, prngNextU32 } from "../prng.ts";
import type { CoordinatorOptions, CoordinatorState, Group, Member } from "./types.ts";

export const defaultOptions: CoordinatorOptions = {
  seed: 0,
  groupsMax: 10_000,
  membersPerGroupMax: 1_000,
  offsetsPerGroupMax: 100_000,
  protocolsPerMemberMax: 16,
  protocolMetadataBytesMax: 1024 * 1024,
  offsetMetadataBytesMax: 4096,
  requestEntriesMax: 100_000,
  sessionTimeoutMsMin: 6_000,
  sessionTimeoutMsMax: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  newMemberJoinTimeoutMs: 5 * 60 * 1000,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 10 * 60 * 1000,
};

/**
 * Characters of a group id, member id, client id or host, topic name or protocol name (the wire allows
 * 32767 bytes).
 */
export const nameCharsMax = 32_767;

/** Builds an empty coordinator at time `nowMs` (default 0) from options layered over the defaults. */
export function initialState(options: Partial<CoordinatorOptions> = {}, nowMs = 0): CoordinatorState {
  const merged: CoordinatorOptions = { ...defaultOptions, ...options };
  for (const [key, value] of Object.entries(merged)) {
    if (key === "seed") continue;
    invariant(
      typeof value === "number" && Number.isSafeInteger(value) && value >= 0,
      () => `group options: ${key} must be a non-negative integer, got ${String(value)}`,
    );
  }
  invariant(merged.groupsMax > 0 && merged.membersPerGroupMax > 0, "group options: limits must be positive");
  invariant(merged.sessionTimeoutMsMin <= merged.sessionTimeoutMsMax, "group options: session timeout range");
  invariant(
    merged.offsetsRetentionCheckIntervalMs > 0,
    "group options: retention check interval must be > 0",
  );
  invariant(Number.isSafeInteger(nowMs) && nowMs >= 0, "initialState: nowMs must be a non-negative integer");
  return {
    options: merged,
    nowMs,
    prng: prngFromSeed(merged.seed),
    groups: new Map(),
    nextOffsetExpiryCheckMs: nowMs + merged.offsetsRetentionCheckIntervalMs,
  };
}

/** A fresh group in state Empty. */
export function newGroup(groupId: string, nowMs: number, protocolType: string | null): Group {
  invariant(groupId.length > 0, "newGroup: empty group id");
  return {
    groupId,
    state: "Empty",
    stateSinceMs: nowMs,
    protocolType,
    protocolName: null,
    generationId: 0,
    leaderId: null,
    members: new Map(),
    staticMembers: new Map(),
    pendingMembers: new Map(),
    join: null,
    newMemberAdded: false,
    pendingSyncMembers: new Set(),
    pendingSyncDeadlineMs: null,
    offsets: new Map(),
    offsetCount: 0,
  };
}

function hex(value: number, digits: number): string {
  return value
    .toString(16)
    .padStart(8, "0")
    .slice(8 - digits);
}

/**
 * Draws a member id shaped like Kafka's `clientId-<uuid v4>`, from the coordinator's seeded generator so
 * runs replay. Returns the id and the advanced generator.
 */
export function drawMemberId(prng: PrngState, clientId: string): [string, PrngState] {
  let state = prng;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [word, next] = prngNextU32(state);
    words.push(word);
    state = next;
  }
  const [a, b, c, d] = words as [number, number, number, number];
  const version = ((b & 0x0fff) | 0x4000) >>> 0;
  const variant = (((c >>> 16) & 0x3fff) | 0x8000) >>> 0;
  const uuid = `${hex(a, 8)}-${hex(b >>> 16, 4)}-${hex(version, 4)}-${hex(variant, 4)}-${hex(c & 0xffff, 4)}${hex(d, 8)}`;
  invariant(uuid.length === 36, "drawMemberId: malformed uuid");
  return [`${clientId}-${uuid}`, state];
}

/** The group's rebalance timeout: the largest of its members', as Kafka. */
export function groupRebalanceTimeoutMs(group: Group): number {
  let timeoutMs = 0;
  for (const member of group.members.values()) timeoutMs = Math.max(timeoutMs, member.rebalanceTimeoutMs);
  return timeoutMs;
}

export function membersAwaitingJoinCount(group: Group): number {
  let count = 0;
  for (const member of group.members.values()) if (member.awaitingJoin !== null) count++;
  return count;
}

/**
 * The structural invariants of one group, asserted after every change. They hold between steps, whatever
 * the clients sent; a failure here is a coordinator bug.
 */
export function checkGroup(state: CoordinatorState, group: Group): void {
  const options = state.options;
  invariant(state.groups.get(group.groupId) === group, () => `group ${group.groupId}: not registered`);
  invariant(group.generationId >= 0, () => `group ${group.groupId}: negative generation`);
  invariant(
    group.members.size + group.pendingMembers.size <= options.membersPerGroupMax,
    () => `group ${group.groupId}: ${group.members.size} members over membersPerGroupMax`,
  );
  invariant(
    group.offsetCount <= options.offsetsPerGroupMax,
    () => `group ${group.groupId}: too many offsets`,
  );
  let offsetCount = 0;
  for (const partitions of group.offsets.values()) {
    invariant(partitions.size > 0, () => `group ${group.groupId}: empty topic entry kept`);
    offsetCount += partitions.size;
  }
  invariant(offsetCount === group.offsetCount, () => `group ${group.groupId}: offsetCount out of sync`);

  const empty = group.members.size === 0;
  if (group.state === "Empty") {
    invariant(empty, () => `group ${group.groupId}: Empty with members`);
    invariant(group.join === null, () => `group ${group.groupId}: Empty with a join timer`);
  } else {
    // PreparingRebalance may be memberless while an initial delay runs out; the settled states may not.
    invariant(
      !empty || group.state === "PreparingRebalance",
      () => `group ${group.groupId}: ${group.state} without members`,
    );
    invariant(group.protocolType !== null, () => `group ${group.groupId}: members without protocol type`);
  }
  invariant(
    (group.state === "PreparingRebalance") === (group.join !== null),
    () => `group ${group.groupId}: join timer iff PreparingRebalance (state ${group.state})`,
  );
  if (group.state === "CompletingRebalance" || group.state === "Stable") {
    invariant(group.protocolName !== null, () => `group ${group.groupId}: no protocol in ${group.state}`);
    invariant(group.generationId > 0, () => `group ${group.groupId}: generation 0 in ${group.state}`);
  } else {
    invariant(
      group.pendingSyncMembers.size === 0,
      () => `group ${group.groupId}: pending syncs in ${group.state}`,
    );
  }
  invariant(
    group.pendingSyncMembers.size > 0 === (group.pendingSyncDeadlineMs !== null),
    () => `group ${group.groupId}: pending sync deadline iff pending sync members`,
  );
  if (empty) invariant(group.leaderId === null, () => `group ${group.groupId}: leader without members`);
  else
    invariant(
      group.leaderId !== null && group.members.has(group.leaderId),
      () => `group ${group.groupId}: bad leader`,
    );

  let staticCount = 0;
  for (const [memberId, member] of group.members) {
    checkMember(group, memberId, member);
    if (member.groupInstanceId !== null) {
      staticCount++;
      invariant(
        group.staticMembers.get(member.groupInstanceId) === memberId,
        () => `group ${group.groupId}: static member ${memberId} not indexed`,
      );
    }
  }
  invariant(staticCount === group.staticMembers.size, () => `group ${group.groupId}: stale static index`);
  for (const memberId of group.pendingSyncMembers) {
    invariant(
      group.members.has(memberId),
      () => `group ${group.groupId}: pending sync of non-member ${memberId}`,
    );
  }
  for (const memberId of group.pendingMembers.keys()) {
    invariant(
      !group.members.has(memberId),
      () => `group ${group.groupId}: ${memberId} both pending and member`,
    );
  }
}

function checkMember(group: Group, memberId: string, member: Member): void {
  invariant(member.memberId === memberId, () => `group ${group.groupId}: member keyed under another id`);
  invariant(
    member.protocols.length > 0,
    () => `group ${group.groupId}: member ${memberId} without protocols`,
  );
  invariant(member.protocolType === group.protocolType, () => `group ${group.groupId}: member protocol type`);
  if (member.awaitingJoin !== null) {
    invariant(
      group.state === "PreparingRebalance",
      () => `group ${group.groupId}: join held in ${group.state}`,
    );
  }
  if (member.awaitingSync !== null) {
    invariant(
      group.state === "CompletingRebalance",
      () => `group ${group.groupId}: sync held in ${group.state}`,
    );
  }
  invariant(
    !(member.awaitingJoin !== null && member.awaitingSync !== null),
    () => `group ${group.groupId}: ${memberId} awaits join and sync`,
  );
}
