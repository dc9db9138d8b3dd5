/**
 * The leader side of a partition replica: assigning offsets to produced batches, tracking followers'
 * fetch positions, maintaining the ISR (shrink after `replicaLagTimeMaxMs`, expand once caught up, both
 * through AlterPartition to the controller), advancing the high watermark over the ISR and completing
 * acks=1 and acks=all produce requests. Follows Kafka's Partition / ReplicaManager rules.
 *
 * It must never change the ISR on its own authority (only the controller commits an ISR), never let the
 * high watermark decrease, and never acknowledge acks=all before every member of the ISR has the record.
 */

import { invariant } from "../invariant.ts";
import { errorCode } from "../producer/kafkaErrors.ts";
import { checkBatch, expireProducers, recordBatch } from "../producer/partitionProducers.ts";
import { assignEpoch, endOffsetForEpoch, undefinedEpochOffset } from "./epochCache.ts";
import type { ReadyBuilder } from "./ready.ts";
import { replicasMax } from "./state.ts";
import type {
  BrokerId,
  EpochEndOffset,
  FollowerView,
  PartitionInput,
  PartitionState,
  PendingIsrChange,
  PendingProduce,
} from "./types.ts";

type Input<T extends PartitionInput["type"]> = Extract<PartitionInput, { type: T }>;

export function checkMembership(replicas: readonly BrokerId[], isr: readonly BrokerId[]): void {
  invariant(replicas.length >= 1 && replicas.length <= replicasMax, "replica count out of range");
  invariant(new Set(replicas).size === replicas.length, "replicas must be unique");
  invariant(new Set(isr).size === isr.length, "ISR members must be unique");
  invariant(
    isr.every((id) => replicas.includes(id)),
    "ISR must be a subset of the replicas",
  );
}

function freshFollower(state: PartitionState, replicaId: BrokerId, isr: readonly BrokerId[]): FollowerView {
  // ISR members get a full lag window to fetch from the new leader, as Kafka does on makeLeader.
  return {
    replicaId,
    logEndOffset: -1,
    lastCaughtUpTimeMs: isr.includes(replicaId) ? state.nowMs : -1,
    lastFetchLeaderLogEndOffset: -1,
    lastFetchTimeMs: -1,
    highWatermarkSent: -1,
    parkedFetch: null,
    lastIncarnation: -1,
    lastFetchId: 0,
  };
}

export function becomeLeader(
  state: PartitionState,
  input: Input<"becomeLeader">,
  out: ReadyBuilder,
): PartitionState {
  const self = state.config.brokerId;
  checkMembership(input.replicas, input.isr);
  invariant(input.leaderEpoch >= 0 && input.partitionEpoch >= 0, "epochs must be non-negative");
  if (input.leaderEpoch < state.leaderEpoch) return state;
  // The controller elects only from the ISR: a leader outside it could lack committed records.
  invariant(
    input.isr.includes(self),
    () => `broker ${self} became leader outside the ISR ${input.isr.join(",")}`,
  );
  if (input.leaderEpoch === state.leaderEpoch && state.role === "leader") {
    if (input.partitionEpoch <= state.partitionEpoch) return state;
    // Same leader epoch, newer partition epoch: the controller changed the ISR or the replica set.
    const followers = input.replicas
      .filter((id) => id !== self)
      .map((id) => state.followers.find((f) => f.replicaId === id) ?? freshFollower(state, id, input.isr));
    const next: PartitionState = {
      ...state,
      partitionEpoch: input.partitionEpoch,
      isr: input.isr,
      replicas: input.replicas,
      followers,
      pendingIsrChange: null,
    };
    return afterProgress(next, out);
  }
  // Two leaders must never share an epoch: this replica followed someone else in this very epoch.
  invariant(
    input.leaderEpoch > state.leaderEpoch || state.role === "none",
    () => `broker ${self} told to lead epoch ${input.leaderEpoch} that it followed ${state.leaderId} in`,
  );
  const epochs = assignEpoch(state.epochs, input.leaderEpoch, state.nextOffset);
  if (epochs !== state.epochs) out.addPersist({ type: "epochCheckpoint", entries: epochs });
  const latest = epochs[epochs.length - 1]!;
  invariant(latest.epoch === input.leaderEpoch, "the leader's own epoch must be its latest cached epoch");
  const next: PartitionState = {
    ...state,
    role: "leader",
    leaderId: self,
    leaderEpoch: input.leaderEpoch,
    partitionEpoch: input.partitionEpoch,
    replicas: input.replicas,
    isr: input.isr,
    epochs,
    leaderEpochStartOffset: latest.startOffset,
    followers: input.replicas.filter((id) => id !== self).map((id) => freshFollower(state, id, input.isr)),
    pendingIsrChange: null,
    // Requests of an older leader epoch are refused by the controller: nothing of them can still apply.
    isrCandidates: [],
    isrCandidatesEpoch: -1,
    alterPartitionBackoffUntilMs: 0,
    fetchInFlight: null,
    fetchBackoffUntilMs: 0,
  };
  return afterProgress(next, out);
}

function respondError(
  out: ReadyBuilder,
  state: PartitionState,
  requestId: number,
  acks: number,
  code: number,
): void {
  out.addResponse({
    requestId,
    errorCode: code,
    baseOffset: -1,
    logStartOffset: state.logStartOffset,
    duplicate: false,
    acks,
  });
}

export function produce(state: PartitionState, input: Input<"produce">, out: ReadyBuilder): PartitionState {
  const { acks, batch, requestId } = input;
  if (state.role !== "leader") {
    respondError(out, state, requestId, acks, errorCode.NOT_LEADER_OR_FOLLOWER);
    return state;
  }
  if (acks !== 0 && acks !== 1 && acks !== -1) {
    respondError(out, state, requestId, acks, errorCode.INVALID_REQUIRED_ACKS);
    return state;
  }
  if (!Number.isInteger(batch.recordCount) || batch.recordCount < 1 || !(input.timeoutMs >= 0)) {
    respondError(out, state, requestId, acks, errorCode.INVALID_REQUEST);
    return state;
  }
  // Kafka checks min.insync.replicas against the committed ISR before it appends anything.
  if (acks === -1 && state.isr.length < state.config.minInsyncReplicas) {
    respondError(out, state, requestId, acks, errorCode.NOT_ENOUGH_REPLICAS);
    return state;
  }
  if (acks !== 0 && state.pendingProduces.length >= state.config.pendingProducesMax) {
    // Refused before any state changes, so a retry (even an idempotent one) is safe.
    respondError(out, state, requestId, acks, errorCode.REQUEST_TIMED_OUT);
    return state;
  }
  const verdict = checkBatch(state.producers, batch);
  if (verdict.kind === "reject") {
    respondError(out, state, requestId, acks, verdict.errorCode);
    return state;
  }
  let next = state;
  let baseOffset: number;
  let lastOffset: number;
  if (verdict.kind === "duplicate") {
    baseOffset = verdict.firstOffset;
    lastOffset = verdict.lastOffset;
  } else {
    baseOffset = state.nextOffset;
    lastOffset = baseOffset + batch.recordCount - 1;
    out.addPersist({ type: "append", requestId, baseOffset, lastOffset, leaderEpoch: state.leaderEpoch });
    next = {
      ...state,
      nextOffset: lastOffset + 1,
      producers: recordBatch(
        state.producers,
        batch,
        baseOffset,
        lastOffset,
        state.nowMs,
        state.config.producerIdsMax,
      ),
    };
  }
  const duplicate = verdict.kind === "duplicate";
  if (acks === 0) {
    out.addResponse({
      requestId,
      errorCode: 0,
      baseOffset,
      logStartOffset: next.logStartOffset,
      duplicate,
      acks,
    });
    return next;
  }
  const pending: PendingProduce = {
    requestId,
    acks,
    baseOffset,
    lastOffset,
    duplicate,
    deadlineMs: state.nowMs + input.timeoutMs,
  };
  next = { ...next, pendingProduces: [...next.pendingProduces, pending] };
  invariant(
    next.pendingProduces.length <= state.config.pendingProducesMax,
    "pending produces exceed their bound",
  );
  return completePending(next, out);
}

/**
 * The ISR the high watermark must wait for: the committed ISR, any member a pending change adds, and
 * any member a request sent at the current partition epoch proposed (a copy of it may yet be applied).
 */
export function maximalIsr(state: PartitionState): readonly BrokerId[] {
  const pending = state.pendingIsrChange;
  const extra = state.isrCandidatesEpoch === state.partitionEpoch ? state.isrCandidates : [];
  if (pending === null && extra.length === 0) return state.isr;
  const all = [...state.isr];
  for (const id of [...(pending?.proposedIsr ?? []), ...extra]) if (!all.includes(id)) all.push(id);
  invariant(all.length <= replicasMax, "maximal ISR exceeds the replica bound");
  return all;
}

function replicaEndOffset(state: PartitionState, replicaId: BrokerId): number {
  if (replicaId === state.config.brokerId) return state.logEndOffset;
  const follower = state.followers.find((f) => f.replicaId === replicaId);
  invariant(follower !== undefined, () => `ISR member ${replicaId} is not a tracked follower`);
  return follower.logEndOffset;
}

/** Raises the high watermark to the smallest log end offset across the maximal ISR, never lowering it. */
function advanceHighWatermark(state: PartitionState, out: ReadyBuilder): PartitionState {
  invariant(state.role === "leader", "only a leader computes the high watermark");
  let candidate = state.logEndOffset;
  for (const id of maximalIsr(state)) candidate = Math.min(candidate, replicaEndOffset(state, id));
  if (candidate <= state.highWatermark) return state;
  invariant(candidate <= state.logEndOffset, "the high watermark cannot pass the leader's log end");
  out.addPersist({ type: "highWatermark", offset: candidate });
  return { ...state, highWatermark: candidate };
}

/** Answers every pending produce whose condition now holds; the rest keep waiting, in order. */
export function completePending(state: PartitionState, out: ReadyBuilder): PartitionState {
  if (state.pendingProduces.length === 0) return state;
  const waiting: PendingProduce[] = [];
  for (const pending of state.pendingProduces) {
    const reached =
      pending.acks === 1 ? state.logEndOffset > pending.lastOffset : state.highWatermark > pending.lastOffset;
    if (!reached) {
      waiting.push(pending);
      continue;
    }
    // acks=all succeeds only when the committed ISR still satisfies min.insync.replicas (Kafka's
    // checkEnoughReplicasReachOffset); otherwise the record is written but under-replicated.
    const enough = pending.acks === 1 || state.isr.length >= state.config.minInsyncReplicas;
    if (pending.acks === -1 && enough) {
      // Every ISR member whose position this leader knows must hold the record. A member that has not
      // fetched yet in this epoch is covered by the high watermark this replica inherited: records below
      // it were on every ISR member of the previous leader.
      for (const id of state.isr) {
        const end = replicaEndOffset(state, id);
        invariant(end < 0 || end > pending.lastOffset, "acks=all answered before an ISR member had it");
      }
    }
    out.addResponse({
      requestId: pending.requestId,
      errorCode: enough ? errorCode.NONE : errorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
      baseOffset: enough ? pending.baseOffset : -1,
      logStartOffset: state.logStartOffset,
      duplicate: pending.duplicate,
      acks: pending.acks,
    });
  }
  return waiting.length === state.pendingProduces.length ? state : { ...state, pendingProduces: waiting };
}

/** After anything that may move the log end, the ISR or a follower: HW, produces, parked fetches. */
export function afterProgress(state: PartitionState, out: ReadyBuilder): PartitionState {
  let next = advanceHighWatermark(state, out);
  next = completePending(next, out);
  next = releaseParkedFetches(next, out);
  // A follower that caught up while another ISR change was in flight, and whose fetch is now parked,
  // would otherwise wait for its next fetch to be considered. Only a follower fetching right now is
  // considered: a stale position of a replica that has since died must not bring it back.
  for (const follower of next.followers) {
    if (follower.parkedFetch !== null) next = maybeExpandIsr(next, follower, out);
  }
  return next;
}

function sendFetchResponse(
  state: PartitionState,
  out: ReadyBuilder,
  to: BrokerId,
  fetch: { readonly incarnation: number; readonly fetchId: number },
  fetchOffset: number,
  code: number,
  divergingEpoch: EpochEndOffset | null,
): void {
  const readable = code === errorCode.NONE && divergingEpoch === null;
  out.addSend(to, {
    type: "fetchResponse",
    topic: state.config.topic,
    partition: state.config.partition,
    leaderId: state.config.brokerId,
    incarnation: fetch.incarnation,
    fetchId: fetch.fetchId,
    leaderEpoch: state.leaderEpoch,
    errorCode: code,
    highWatermark: state.highWatermark,
    logStartOffset: state.logStartOffset,
    leaderEndOffset: state.nextOffset,
    readFromOffset: fetchOffset,
    readToOffset: readable ? Math.max(fetchOffset, state.logEndOffset) : fetchOffset,
    divergingEpoch,
  });
}

function hasNews(state: PartitionState, follower: FollowerView, fetchOffset: number): boolean {
  return fetchOffset < state.logEndOffset || follower.highWatermarkSent < state.highWatermark;
}

function releaseParkedFetches(state: PartitionState, out: ReadyBuilder): PartitionState {
  let changed = false;
  const followers = state.followers.map((follower) => {
    const parked = follower.parkedFetch;
    const expired = parked !== null && parked.deadlineMs <= state.nowMs;
    if (parked === null || !(expired || hasNews(state, follower, parked.fetchOffset))) return follower;
    changed = true;
    sendFetchResponse(state, out, follower.replicaId, parked, parked.fetchOffset, errorCode.NONE, null);
    return { ...follower, parkedFetch: null, highWatermarkSent: state.highWatermark };
  });
  return changed ? { ...state, followers } : state;
}

/** A follower (or anyone) fetching from this replica as leader. */
export function fetchFromFollower(
  state: PartitionState,
  input: Input<"fetchFromFollower">,
  out: ReadyBuilder,
): PartitionState {
  const reply = (code: number, diverging: EpochEndOffset | null = null): PartitionState => {
    sendFetchResponse(state, out, input.replicaId, input, input.fetchOffset, code, diverging);
    return state;
  };
  if (state.role !== "leader") return reply(errorCode.NOT_LEADER_OR_FOLLOWER);
  if (input.currentLeaderEpoch < state.leaderEpoch) return reply(errorCode.FENCED_LEADER_EPOCH);
  if (input.currentLeaderEpoch > state.leaderEpoch) return reply(errorCode.UNKNOWN_LEADER_EPOCH);
  const index = state.followers.findIndex((f) => f.replicaId === input.replicaId);
  if (index < 0) return reply(errorCode.NOT_LEADER_OR_FOLLOWER);
  const known = state.followers[index]!;
  const stale =
    input.incarnation < known.lastIncarnation ||
    (input.incarnation === known.lastIncarnation && input.fetchId <= known.lastFetchId);
  // The follower has already moved past this fetch and ignores any answer to it: drop it silently.
  if (stale) return state;
  // Below our log start is out of range whatever the epochs say (Kafka checks it first too).
  if (input.fetchOffset < state.logStartOffset) return reply(errorCode.OFFSET_OUT_OF_RANGE);
  if (input.lastFetchedEpoch >= 0) {
    // KIP-320: check the follower's last epoch against ours before serving; a mismatch means its tail diverged.
    const answer = endOffsetForEpoch(state.epochs, input.lastFetchedEpoch, state.logEndOffset);
    if (answer.endOffset === undefinedEpochOffset) return reply(errorCode.OFFSET_OUT_OF_RANGE);
    if (answer.epoch < input.lastFetchedEpoch || answer.endOffset < input.fetchOffset) {
      return reply(errorCode.NONE, answer);
    }
  }
  // Beyond our durable end but within appends still in flight (a new leader finishing its last
  // replicated batches) is not out of range: the records are coming. Only past `nextOffset` is.
  if (input.fetchOffset > state.nextOffset) return reply(errorCode.OFFSET_OUT_OF_RANGE);
  // Counted as no further than our durable end: under-reporting only holds the high watermark back.
  const fetchOffset = Math.min(input.fetchOffset, state.logEndOffset);
  const previous = state.followers[index]!;
  // Kafka's ReplicaState.updateFetchState: caught up now if at our end, or at our end as of its last fetch.
  let lastCaughtUpTimeMs = previous.lastCaughtUpTimeMs;
  if (fetchOffset >= state.logEndOffset) lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, state.nowMs);
  else if (fetchOffset >= previous.lastFetchLeaderLogEndOffset) {
    lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, previous.lastFetchTimeMs);
  }
  const updated: FollowerView = {
    ...previous,
    logEndOffset: fetchOffset,
    lastCaughtUpTimeMs,
    lastFetchLeaderLogEndOffset: state.logEndOffset,
    lastFetchTimeMs: state.nowMs,
    // A newer fetch replaces a parked one; the follower ignores any answer to the old fetch id.
    parkedFetch: null,
    lastIncarnation: input.incarnation,
    lastFetchId: input.fetchId,
  };
  let next: PartitionState = {
    ...state,
    followers: state.followers.map((f, i) => (i === index ? updated : f)),
  };
  next = maybeExpandIsr(next, updated, out);
  next = afterProgress(next, out);
  const follower = next.followers[index]!;
  if (hasNews(next, follower, input.fetchOffset) || next.config.replicaFetchWaitMaxMs === 0) {
    sendFetchResponse(next, out, input.replicaId, input, input.fetchOffset, errorCode.NONE, null);
    return withFollower(next, index, { ...follower, highWatermarkSent: next.highWatermark });
  }
  const parkedFetch = {
    incarnation: input.incarnation,
    fetchId: input.fetchId,
    fetchOffset: input.fetchOffset,
    deadlineMs: next.nowMs + next.config.replicaFetchWaitMaxMs,
  };
  return withFollower(next, index, { ...follower, parkedFetch });
}

function withFollower(state: PartitionState, index: number, follower: FollowerView): PartitionState {
  invariant(state.followers[index]?.replicaId === follower.replicaId, "follower index mismatch");
  return { ...state, followers: state.followers.map((f, i) => (i === index ? follower : f)) };
}

function proposeIsr(
  state: PartitionState,
  proposedIsr: readonly BrokerId[],
  out: ReadyBuilder,
): PartitionState {
  invariant(proposedIsr.includes(state.config.brokerId), "the leader never proposes an ISR without itself");
  checkMembership(state.replicas, proposedIsr);
  out.addSend("controller", {
    type: "alterPartition",
    topic: state.config.topic,
    partition: state.config.partition,
    brokerId: state.config.brokerId,
    incarnation: state.incarnation,
    leaderEpoch: state.leaderEpoch,
    partitionEpoch: state.partitionEpoch,
    newIsr: proposedIsr,
  });
  const previous = state.isrCandidatesEpoch === state.partitionEpoch ? state.isrCandidates : [];
  const added = proposedIsr.filter((id) => !state.isr.includes(id) && !previous.includes(id));
  return {
    ...state,
    pendingIsrChange: { proposedIsr, sentAtMs: state.nowMs, awaitingMetadata: false, awaitingSinceMs: -1 },
    isrCandidates: [...previous, ...added],
    isrCandidatesEpoch: state.partitionEpoch,
  };
}

function canProposeIsr(state: PartitionState): boolean {
  return state.pendingIsrChange === null && state.nowMs >= state.alterPartitionBackoffUntilMs;
}

/** Kafka's isFollowerInSync: at or past the HW and past the start of this leader's epoch. */
function maybeExpandIsr(state: PartitionState, follower: FollowerView, out: ReadyBuilder): PartitionState {
  if (!canProposeIsr(state) || state.isr.includes(follower.replicaId)) return state;
  if (follower.logEndOffset < state.highWatermark || follower.logEndOffset < state.leaderEpochStartOffset)
    return state;
  return proposeIsr(state, [...state.isr, follower.replicaId], out);
}

function isOutOfSync(state: PartitionState, follower: FollowerView): boolean {
  if (follower.logEndOffset === state.logEndOffset) return false;
  return state.nowMs - follower.lastCaughtUpTimeMs > state.config.replicaLagTimeMaxMs;
}

export function leaderTick(state: PartitionState, out: ReadyBuilder): PartitionState {
  let next = state;
  // Produce requests past their timeout: one last check happened in completePending, so they failed.
  const expired = next.pendingProduces.filter((p) => p.deadlineMs <= next.nowMs);
  if (expired.length > 0) {
    for (const pending of expired) {
      respondError(out, next, pending.requestId, pending.acks, errorCode.REQUEST_TIMED_OUT);
    }
    next = { ...next, pendingProduces: next.pendingProduces.filter((p) => p.deadlineMs > next.nowMs) };
  }
  next = releaseParkedFetches(next, out);
  const pending = next.pendingIsrChange;
  if (
    pending !== null &&
    !pending.awaitingMetadata &&
    next.nowMs - pending.sentAtMs >= next.config.alterPartitionRetryMs
  ) {
    // The request or its answer may have been lost: ask again with the same proposal.
    next = proposeIsr({ ...next, pendingIsrChange: null }, pending.proposedIsr, out);
  } else if (
    pending?.awaitingMetadata &&
    next.nowMs - pending.awaitingSinceMs >= next.config.alterPartitionMetadataWaitMs
  ) {
    next = abandonAwaitedChange(next, pending);
  }
  if (canProposeIsr(next)) {
    const lagging = next.followers.filter((f) => next.isr.includes(f.replicaId) && isOutOfSync(next, f));
    if (lagging.length > 0) {
      const shrunk = next.isr.filter((id) => !lagging.some((f) => f.replicaId === id));
      next = proposeIsr(next, shrunk, out);
    }
  }
  if (canProposeIsr(next)) {
    const fenced = fencingIsr(next);
    if (fenced !== null) next = proposeIsr(next, fenced, out);
  }
  for (const follower of next.followers) {
    if (follower.parkedFetch !== null) next = maybeExpandIsr(next, follower, out);
  }
  return next;
}

/**
 * ISR candidates of the current partition epoch that are outside the committed ISR and behind the
 * leader's log end: each holds the high watermark at its last known position (see `maximalIsr`).
 */
function holdingCandidates(state: PartitionState): readonly FollowerView[] {
  if (state.role !== "leader" || state.isrCandidatesEpoch !== state.partitionEpoch) return [];
  return state.followers.filter(
    (f) =>
      state.isrCandidates.includes(f.replicaId) &&
      !state.isr.includes(f.replicaId) &&
      f.logEndOffset < state.logEndOffset,
  );
}

/**
 * A proposal whose only purpose is to move the partition epoch, so the high watermark stops waiting for
 * a candidate that will not come back. A member proposed for the ISR holds the high watermark until the
 * partition epoch moves, because a late copy of that proposal could still be applied (the controller
 * checks epochs only); if the controller refused it (the member is down) and the member stays silent,
 * nothing else would ever move the epoch and acks=all would stall for good. Committing any ISR change
 * kills every older copy, so the leader takes one in-sync member out (it is proposed back at its next
 * fetch, which is at most one fetch round later). The member taken out is the most advanced in-sync one;
 * records below the high watermark this exposes are on the leader, and the committed ISR shrinks only
 * the way Kafka's own lag rule shrinks it, so min.insync.replicas still governs acks=all meanwhile.
 * Returns null when no candidate holds the high watermark, none is silent yet, or no member can be taken
 * out (a leader alone in its ISR waits for another replica to rejoin, which moves the epoch too).
 */
function fencingIsr(state: PartitionState): readonly BrokerId[] | null {
  const atMs = fenceAtMs(state);
  if (atMs === null || state.nowMs < atMs) return null;
  const removed = fenceRemovable(state);
  invariant(removed !== null, "a fence time implies a member to take out");
  return state.isr.filter((id) => id !== removed.replicaId);
}

function fenceRemovable(state: PartitionState): FollowerView | null {
  let removed: FollowerView | null = null;
  for (const f of state.followers) {
    if (!state.isr.includes(f.replicaId) || isOutOfSync(state, f)) continue;
    if (removed === null || f.logEndOffset > removed.logEndOffset) removed = f;
  }
  return removed;
}

/**
 * When `fencingIsr` would act (ignoring the AlterPartition backoff), or null if nothing would: no
 * candidate holds the high watermark, or no in-sync member could be taken out right now.
 */
export function fenceAtMs(state: PartitionState): number | null {
  const holding = holdingCandidates(state);
  if (holding.length === 0 || fenceRemovable(state) === null) return null;
  return Math.min(
    ...holding.map((f) => Math.max(f.lastFetchTimeMs, 0) + state.config.replicaLagTimeMaxMs + 1),
  );
}

/**
 * No metadata settled a change refused with INVALID_UPDATE_VERSION or FENCED_LEADER_EPOCH in time: the
 * refusal may have come from a deposed controller with an old image, which no metadata will ever
 * correct. Drop the change and let the caller propose again from the current state (Kafka's leader
 * likewise re-evaluates its ISR on later ticks). This is safe for the high watermark: every member the
 * change added was recorded in `isrCandidates` at this partition epoch when it was proposed, so the
 * maximal ISR still holds them until the partition epoch moves.
 */
function abandonAwaitedChange(state: PartitionState, pending: PendingIsrChange): PartitionState {
  invariant(
    state.isrCandidatesEpoch === state.partitionEpoch,
    "a pending change is from this partition epoch",
  );
  invariant(
    pending.proposedIsr.every((id) => state.isr.includes(id) || state.isrCandidates.includes(id)),
    "every member a pending change adds is an ISR candidate",
  );
  return { ...state, pendingIsrChange: null };
}

export function alterPartitionResponse(
  state: PartitionState,
  input: Input<"alterPartitionResponse">,
  out: ReadyBuilder,
): PartitionState {
  const pending = state.pendingIsrChange;
  if (state.role !== "leader" || pending === null) return state;
  if (input.errorCode !== errorCode.NONE) {
    if (
      input.errorCode === errorCode.OPERATION_NOT_ATTEMPTED ||
      input.errorCode === errorCode.INELIGIBLE_REPLICA
    ) {
      // The controller says the request was not applied: back to the committed ISR, propose later.
      const backoff = state.nowMs + state.config.alterPartitionRetryMs;
      return { ...state, pendingIsrChange: null, alterPartitionBackoffUntilMs: backoff };
    }
    if (
      input.errorCode === errorCode.INVALID_UPDATE_VERSION ||
      input.errorCode === errorCode.FENCED_LEADER_EPOCH
    ) {
      // An earlier copy of this request may have been applied (retries, lost answers): dropping the
      // pending change could let the high watermark pass a member the controller counts in the ISR.
      // Keep it, stop retrying, and wait for metadata (Kafka does the same).
      if (pending.awaitingMetadata) return state;
      return {
        ...state,
        pendingIsrChange: { ...pending, awaitingMetadata: true, awaitingSinceMs: state.nowMs },
      };
    }
    // Anything else is transient: retry after the usual delay.
    return { ...state, pendingIsrChange: { ...pending, sentAtMs: state.nowMs } };
  }
  // A success for another epoch, or one older than what metadata already told us, changes nothing.
  if (input.leaderEpoch !== state.leaderEpoch || input.partitionEpoch <= state.partitionEpoch) return state;
  checkMembership(state.replicas, input.isr);
  invariant(input.isr.includes(state.config.brokerId), "the controller removed the leader from its own ISR");
  // The answer is the ISR the controller committed at this partition epoch: it replaces the pending change.
  const next: PartitionState = {
    ...state,
    isr: input.isr,
    partitionEpoch: input.partitionEpoch,
    pendingIsrChange: null,
  };
  return afterProgress(next, out);
}

export function leaderExpireProducers(state: PartitionState): PartitionState {
  const producers = expireProducers(state.producers, state.nowMs, state.config.producerIdExpirationMs);
  return producers === state.producers ? state : { ...state, producers };
}
