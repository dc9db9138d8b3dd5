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
import { type PartitionDraft, replicasMax } from "./state.ts";
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

export function becomeLeader(d: PartitionDraft, input: Input<"becomeLeader">, out: ReadyBuilder): void {
  const self = d.config.brokerId;
  checkMembership(input.replicas, input.isr);
  invariant(input.leaderEpoch >= 0 && input.partitionEpoch >= 0, "epochs must be non-negative");
  if (input.leaderEpoch < d.leaderEpoch) return;
  // The controller elects only from the ISR: a leader outside it could lack committed records.
  invariant(
    input.isr.includes(self),
    () => `broker ${self} became leader outside the ISR ${input.isr.join(",")}`,
  );
  if (input.leaderEpoch === d.leaderEpoch && d.role === "leader") {
    if (input.partitionEpoch <= d.partitionEpoch) return;
    // Same leader epoch, newer partition epoch: the controller changed the ISR or the replica set.
    const followers = input.replicas
      .filter((id) => id !== self)
      .map((id) => d.followers.find((f) => f.replicaId === id) ?? freshFollower(d, id, input.isr));
    d.partitionEpoch = input.partitionEpoch;
    d.isr = input.isr;
    d.replicas = input.replicas;
    d.followers = followers;
    d.pendingIsrChange = null;
    afterProgress(d, out);
    return;
  }
  // Two leaders must never share an epoch: this replica followed someone else in this very epoch.
  invariant(
    input.leaderEpoch > d.leaderEpoch || d.role === "none",
    () => `broker ${self} told to lead epoch ${input.leaderEpoch} that it followed ${d.leaderId} in`,
  );
  const epochs = assignEpoch(d.epochs, input.leaderEpoch, d.nextOffset);
  if (epochs !== d.epochs) out.addPersist({ type: "epochCheckpoint", entries: epochs });
  const latest = epochs[epochs.length - 1]!;
  invariant(latest.epoch === input.leaderEpoch, "the leader's own epoch must be its latest cached epoch");
  const followers = input.replicas.filter((id) => id !== self).map((id) => freshFollower(d, id, input.isr));
  d.role = "leader";
  d.leaderId = self;
  d.leaderEpoch = input.leaderEpoch;
  d.partitionEpoch = input.partitionEpoch;
  d.replicas = input.replicas;
  d.isr = input.isr;
  d.epochs = epochs;
  d.leaderEpochStartOffset = latest.startOffset;
  d.followers = followers;
  d.pendingIsrChange = null;
  // Requests of an older leader epoch are refused by the controller: nothing of them can still apply.
  d.isrCandidates = [];
  d.isrCandidatesEpoch = -1;
  d.alterPartitionBackoffUntilMs = 0;
  d.fetchInFlight = null;
  d.fetchBackoffUntilMs = 0;
  afterProgress(d, out);
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

export function produce(d: PartitionDraft, input: Input<"produce">, out: ReadyBuilder): void {
  const { acks, batch, requestId } = input;
  if (d.role !== "leader") {
    respondError(out, d, requestId, acks, errorCode.NOT_LEADER_OR_FOLLOWER);
    return;
  }
  if (acks !== 0 && acks !== 1 && acks !== -1) {
    respondError(out, d, requestId, acks, errorCode.INVALID_REQUIRED_ACKS);
    return;
  }
  if (!Number.isInteger(batch.recordCount) || batch.recordCount < 1 || !(input.timeoutMs >= 0)) {
    respondError(out, d, requestId, acks, errorCode.INVALID_REQUEST);
    return;
  }
  // Kafka checks min.insync.replicas against the committed ISR before it appends anything.
  if (acks === -1 && d.isr.length < d.config.minInsyncReplicas) {
    respondError(out, d, requestId, acks, errorCode.NOT_ENOUGH_REPLICAS);
    return;
  }
  if (acks !== 0 && d.pendingProduces.length >= d.config.pendingProducesMax) {
    // Refused before any state changes, so a retry (even an idempotent one) is safe.
    respondError(out, d, requestId, acks, errorCode.REQUEST_TIMED_OUT);
    return;
  }
  const verdict = checkBatch(d.producers, batch);
  if (verdict.kind === "reject") {
    respondError(out, d, requestId, acks, verdict.errorCode);
    return;
  }
  let baseOffset: number;
  let lastOffset: number;
  if (verdict.kind === "duplicate") {
    baseOffset = verdict.firstOffset;
    lastOffset = verdict.lastOffset;
  } else {
    baseOffset = d.nextOffset;
    lastOffset = baseOffset + batch.recordCount - 1;
    out.addPersist({ type: "append", requestId, baseOffset, lastOffset, leaderEpoch: d.leaderEpoch });
    d.nextOffset = lastOffset + 1;
    d.producers = recordBatch(d.producers, batch, baseOffset, lastOffset, d.nowMs, d.config.producerIdsMax);
  }
  const duplicate = verdict.kind === "duplicate";
  if (acks === 0) {
    out.addResponse({
      requestId,
      errorCode: 0,
      baseOffset,
      logStartOffset: d.logStartOffset,
      duplicate,
      acks,
    });
    return;
  }
  const pending: PendingProduce = {
    requestId,
    acks,
    baseOffset,
    lastOffset,
    duplicate,
    deadlineMs: d.nowMs + input.timeoutMs,
  };
  d.pendingProduces = [...d.pendingProduces, pending];
  invariant(d.pendingProduces.length <= d.config.pendingProducesMax, "pending produces exceed their bound");
  completePending(d, out);
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
  let follower: FollowerView | undefined;
  for (const f of state.followers) {
    if (f.replicaId === replicaId) {
      follower = f;
      break;
    }
  }
  // Built only on failure: a lazy message would allocate a closure per call.
  if (follower === undefined) invariant(false, `ISR member ${replicaId} is not a tracked follower`);
  return follower.logEndOffset;
}

/** Raises the high watermark to the smallest log end offset across the maximal ISR, never lowering it. */
function advanceHighWatermark(d: PartitionDraft, out: ReadyBuilder): void {
  invariant(d.role === "leader", "only a leader computes the high watermark");
  let candidate = d.logEndOffset;
  for (const id of maximalIsr(d)) candidate = Math.min(candidate, replicaEndOffset(d, id));
  if (candidate <= d.highWatermark) return;
  invariant(candidate <= d.logEndOffset, "the high watermark cannot pass the leader's log end");
  out.addPersist({ type: "highWatermark", offset: candidate });
  d.highWatermark = candidate;
}

/** Answers every pending produce whose condition now holds; the rest keep waiting, in order. */
export function completePending(state: PartitionDraft, out: ReadyBuilder): void {
  if (state.pendingProduces.length === 0) return;
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
  if (waiting.length !== state.pendingProduces.length) state.pendingProduces = waiting;
}

/** After anything that may move the log end, the ISR or a follower: HW, produces, parked fetches. */
export function afterProgress(d: PartitionDraft, out: ReadyBuilder): void {
  advanceHighWatermark(d, out);
  completePending(d, out);
  releaseParkedFetches(d, out);
  // A follower that caught up while another ISR change was in flight, and whose fetch is now parked,
  // would otherwise wait for its next fetch to be considered. Only a follower fetching right now is
  // considered: a stale position of a replica that has since died must not bring it back.
  for (const follower of d.followers) {
    if (follower.parkedFetch !== null) maybeExpandIsr(d, follower, out);
  }
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

function releaseParkedFetches(d: PartitionDraft, out: ReadyBuilder): void {
  // The follower list is copied only when a parked fetch is answered (most calls answer none).
  let followers: FollowerView[] | null = null;
  const current = d.followers;
  for (let i = 0; i < current.length; i++) {
    const follower = current[i]!;
    const parked = follower.parkedFetch;
    if (parked === null) continue;
    const expired = parked.deadlineMs <= d.nowMs;
    if (!(expired || hasNews(d, follower, parked.fetchOffset))) continue;
    sendFetchResponse(d, out, follower.replicaId, parked, parked.fetchOffset, errorCode.NONE, null);
    if (followers === null) followers = current.slice();
    followers[i] = { ...follower, parkedFetch: null, highWatermarkSent: d.highWatermark };
  }
  if (followers !== null) d.followers = followers;
}

function replyToFetch(
  d: PartitionDraft,
  input: Input<"fetchFromFollower">,
  out: ReadyBuilder,
  code: number,
  diverging: EpochEndOffset | null = null,
): void {
  sendFetchResponse(d, out, input.replicaId, input, input.fetchOffset, code, diverging);
}

/** A follower (or anyone) fetching from this replica as leader. */
export function fetchFromFollower(
  d: PartitionDraft,
  input: Input<"fetchFromFollower">,
  out: ReadyBuilder,
): void {
  if (d.role !== "leader") {
    replyToFetch(d, input, out, errorCode.NOT_LEADER_OR_FOLLOWER);
    return;
  }
  if (input.currentLeaderEpoch < d.leaderEpoch) {
    replyToFetch(d, input, out, errorCode.FENCED_LEADER_EPOCH);
    return;
  }
  if (input.currentLeaderEpoch > d.leaderEpoch) {
    replyToFetch(d, input, out, errorCode.UNKNOWN_LEADER_EPOCH);
    return;
  }
  let index = -1;
  for (let i = 0; i < d.followers.length; i++) {
    if (d.followers[i]!.replicaId === input.replicaId) {
      index = i;
      break;
    }
  }
  if (index < 0) {
    replyToFetch(d, input, out, errorCode.NOT_LEADER_OR_FOLLOWER);
    return;
  }
  const known = d.followers[index]!;
  const stale =
    input.incarnation < known.lastIncarnation ||
    (input.incarnation === known.lastIncarnation && input.fetchId <= known.lastFetchId);
  // The follower has already moved past this fetch and ignores any answer to it: drop it silently.
  if (stale) return;
  // Below our log start is out of range whatever the epochs say (Kafka checks it first too).
  if (input.fetchOffset < d.logStartOffset) {
    replyToFetch(d, input, out, errorCode.OFFSET_OUT_OF_RANGE);
    return;
  }
  if (input.lastFetchedEpoch >= 0) {
    // KIP-320: check the follower's last epoch against ours before serving; a mismatch means its tail diverged.
    const answer = endOffsetForEpoch(d.epochs, input.lastFetchedEpoch, d.logEndOffset);
    if (answer.endOffset === undefinedEpochOffset) {
      replyToFetch(d, input, out, errorCode.OFFSET_OUT_OF_RANGE);
      return;
    }
    if (answer.epoch < input.lastFetchedEpoch || answer.endOffset < input.fetchOffset) {
      replyToFetch(d, input, out, errorCode.NONE, answer);
      return;
    }
  }
  // Beyond our durable end but within appends still in flight (a new leader finishing its last
  // replicated batches) is not out of range: the records are coming. Only past `nextOffset` is.
  if (input.fetchOffset > d.nextOffset) {
    replyToFetch(d, input, out, errorCode.OFFSET_OUT_OF_RANGE);
    return;
  }
  // Counted as no further than our durable end: under-reporting only holds the high watermark back.
  const fetchOffset = Math.min(input.fetchOffset, d.logEndOffset);
  const previous = known;
  // Kafka's ReplicaState.updateFetchState: caught up now if at our end, or at our end as of its last fetch.
  let lastCaughtUpTimeMs = previous.lastCaughtUpTimeMs;
  if (fetchOffset >= d.logEndOffset) lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, d.nowMs);
  else if (fetchOffset >= previous.lastFetchLeaderLogEndOffset) {
    lastCaughtUpTimeMs = Math.max(lastCaughtUpTimeMs, previous.lastFetchTimeMs);
  }
  const updated: FollowerView = {
    replicaId: previous.replicaId,
    logEndOffset: fetchOffset,
    lastCaughtUpTimeMs,
    lastFetchLeaderLogEndOffset: d.logEndOffset,
    lastFetchTimeMs: d.nowMs,
    highWatermarkSent: previous.highWatermarkSent,
    // A newer fetch replaces a parked one; the follower ignores any answer to the old fetch id.
    parkedFetch: null,
    lastIncarnation: input.incarnation,
    lastFetchId: input.fetchId,
  };
  const followers = setFollower(d, index, updated);
  maybeExpandIsr(d, updated, out);
  afterProgress(d, out);
  const follower = d.followers[index]!;
  let final: FollowerView;
  if (hasNews(d, follower, input.fetchOffset) || d.config.replicaFetchWaitMaxMs === 0) {
    sendFetchResponse(d, out, input.replicaId, input, input.fetchOffset, errorCode.NONE, null);
    final = { ...follower, highWatermarkSent: d.highWatermark };
  } else {
    const parkedFetch = {
      incarnation: input.incarnation,
      fetchId: input.fetchId,
      fetchOffset: input.fetchOffset,
      deadlineMs: d.nowMs + d.config.replicaFetchWaitMaxMs,
    };
    final = { ...follower, parkedFetch };
  }
  // The list made above is this step's own while the draft still holds it: set the entry in place.
  if (d.followers === followers) {
    invariant(followers[index]?.replicaId === final.replicaId, "follower index mismatch");
    followers[index] = final;
  } else setFollower(d, index, final);
}

/** Replaces follower `index` in a fresh copy of the list, which it returns. */
function setFollower(d: PartitionDraft, index: number, follower: FollowerView): FollowerView[] {
  invariant(d.followers[index]?.replicaId === follower.replicaId, "follower index mismatch");
  const followers = d.followers.slice();
  followers[index] = follower;
  d.followers = followers;
  return followers;
}

function proposeIsr(state: PartitionDraft, proposedIsr: readonly BrokerId[], out: ReadyBuilder): void {
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
  state.pendingIsrChange = {
    proposedIsr,
    sentAtMs: state.nowMs,
    awaitingMetadata: false,
    awaitingSinceMs: -1,
  };
  state.isrCandidates = [...previous, ...added];
  state.isrCandidatesEpoch = state.partitionEpoch;
}

function canProposeIsr(state: PartitionState): boolean {
  return state.pendingIsrChange === null && state.nowMs >= state.alterPartitionBackoffUntilMs;
}

/**
 * Kafka's isFollowerInSync (at or past the HW and past the start of this leader's epoch) and
 * isReplicaIsrEligible (the metadata does not show it fenced or shutting down). A follower still
 * fetching while its broker stops cleanly is caught up but ineligible: proposing it would only be
 * refused, and would leave it an ISR candidate holding the high watermark (see `ineligibleReplicas`).
 */
function maybeExpandIsr(d: PartitionDraft, follower: FollowerView, out: ReadyBuilder): void {
  if (!canProposeIsr(d) || d.isr.includes(follower.replicaId)) return;
  if (follower.logEndOffset < d.highWatermark || follower.logEndOffset < d.leaderEpochStartOffset) return;
  if (d.ineligibleReplicas.includes(follower.replicaId)) return;
  proposeIsr(d, [...d.isr, follower.replicaId], out);
}

/**
 * The metadata's replicas that may not join the ISR now. Kept in every role, so a replica that becomes
 * leader already knows them. A replica that turned eligible is considered at once if its fetch is parked.
 */
export function isrEligibility(
  d: PartitionDraft,
  ineligibleReplicas: readonly BrokerId[],
  out: ReadyBuilder,
): void {
  invariant(ineligibleReplicas.length <= replicasMax, "more ineligible replicas than replicas");
  invariant(new Set(ineligibleReplicas).size === ineligibleReplicas.length, "ineligible replicas repeat");
  const same =
    ineligibleReplicas.length === d.ineligibleReplicas.length &&
    ineligibleReplicas.every((id) => d.ineligibleReplicas.includes(id));
  if (same) return;
  d.ineligibleReplicas = ineligibleReplicas;
  if (d.role === "leader") afterProgress(d, out);
}

function isOutOfSync(state: PartitionState, follower: FollowerView): boolean {
  if (follower.logEndOffset === state.logEndOffset) return false;
  return state.nowMs - follower.lastCaughtUpTimeMs > state.config.replicaLagTimeMaxMs;
}

export function leaderTick(d: PartitionDraft, out: ReadyBuilder): void {
  const nowMs = d.nowMs;
  // Produce requests past their timeout: one last check happened in completePending, so they failed.
  let expired = 0;
  for (const pending of d.pendingProduces) if (pending.deadlineMs <= nowMs) expired++;
  if (expired > 0) {
    for (const pending of d.pendingProduces) {
      if (pending.deadlineMs <= nowMs)
        respondError(out, d, pending.requestId, pending.acks, errorCode.REQUEST_TIMED_OUT);
    }
    d.pendingProduces = unexpired(d.pendingProduces, nowMs);
  }
  releaseParkedFetches(d, out);
  const pending = d.pendingIsrChange;
  if (
    pending !== null &&
    !pending.awaitingMetadata &&
    d.nowMs - pending.sentAtMs >= d.config.alterPartitionRetryMs
  ) {
    // The request or its answer may have been lost: ask again with the same proposal.
    d.pendingIsrChange = null;
    proposeIsr(d, pending.proposedIsr, out);
  } else if (
    pending?.awaitingMetadata &&
    d.nowMs - pending.awaitingSinceMs >= d.config.alterPartitionMetadataWaitMs
  ) {
    abandonAwaitedChange(d, pending);
  }
  if (canProposeIsr(d) && anyLagging(d)) proposeIsr(d, shrunkIsr(d), out);
  if (canProposeIsr(d)) {
    const fenced = fencingIsr(d);
    if (fenced !== null) proposeIsr(d, fenced, out);
  }
  for (const follower of d.followers) {
    if (follower.parkedFetch !== null) maybeExpandIsr(d, follower, out);
  }
}

// The callbacks below live in their own functions: a closure inside `leaderTick` over its variables
// would make every tick allocate a scope for them.
function unexpired(pending: readonly PendingProduce[], nowMs: number): PendingProduce[] {
  return pending.filter((p) => p.deadlineMs > nowMs);
}

/** The ISR without its out-of-sync followers. */
function shrunkIsr(state: PartitionState): BrokerId[] {
  const lagging = state.followers.filter((f) => state.isr.includes(f.replicaId) && isOutOfSync(state, f));
  return state.isr.filter((id) => !lagging.some((f) => f.replicaId === id));
}

function anyLagging(state: PartitionState): boolean {
  for (const f of state.followers) if (state.isr.includes(f.replicaId) && isOutOfSync(state, f)) return true;
  return false;
}

/**
 * Whether `f` is an ISR candidate of the current partition epoch that is outside the committed ISR and
 * behind the leader's log end: it holds the high watermark at its last known position (see `maximalIsr`).
 */
function holdsHighWatermark(state: PartitionState, f: FollowerView): boolean {
  return (
    state.isrCandidates.includes(f.replicaId) &&
    !state.isr.includes(f.replicaId) &&
    f.logEndOffset < state.logEndOffset
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
  if (state.role !== "leader" || state.isrCandidatesEpoch !== state.partitionEpoch) return null;
  let atMs = Number.POSITIVE_INFINITY;
  let holding = false;
  for (const f of state.followers) {
    if (!holdsHighWatermark(state, f)) continue;
    holding = true;
    atMs = Math.min(atMs, Math.max(f.lastFetchTimeMs, 0) + state.config.replicaLagTimeMaxMs + 1);
  }
  if (!holding || fenceRemovable(state) === null) return null;
  return atMs;
}

/**
 * No metadata settled a change refused with INVALID_UPDATE_VERSION or FENCED_LEADER_EPOCH in time: the
 * refusal may have come from a deposed controller with an old image, which no metadata will ever
 * correct. Drop the change and let the caller propose again from the current state (Kafka's leader
 * likewise re-evaluates its ISR on later ticks). This is safe for the high watermark: every member the
 * change added was recorded in `isrCandidates` at this partition epoch when it was proposed, so the
 * maximal ISR still holds them until the partition epoch moves.
 */
function abandonAwaitedChange(state: PartitionDraft, pending: PendingIsrChange): void {
  invariant(
    state.isrCandidatesEpoch === state.partitionEpoch,
    "a pending change is from this partition epoch",
  );
  invariant(
    pending.proposedIsr.every((id) => state.isr.includes(id) || state.isrCandidates.includes(id)),
    "every member a pending change adds is an ISR candidate",
  );
  state.pendingIsrChange = null;
}

export function alterPartitionResponse(
  d: PartitionDraft,
  input: Input<"alterPartitionResponse">,
  out: ReadyBuilder,
): void {
  const pending = d.pendingIsrChange;
  if (d.role !== "leader" || pending === null) return;
  if (input.errorCode !== errorCode.NONE) {
    if (
      input.errorCode === errorCode.OPERATION_NOT_ATTEMPTED ||
      input.errorCode === errorCode.INELIGIBLE_REPLICA
    ) {
      // The controller says the request was not applied: back to the committed ISR, propose later.
      d.pendingIsrChange = null;
      d.alterPartitionBackoffUntilMs = d.nowMs + d.config.alterPartitionRetryMs;
      return;
    }
    if (
      input.errorCode === errorCode.INVALID_UPDATE_VERSION ||
      input.errorCode === errorCode.FENCED_LEADER_EPOCH
    ) {
      // An earlier copy of this request may have been applied (retries, lost answers): dropping the
      // pending change could let the high watermark pass a member the controller counts in the ISR.
      // Keep it, stop retrying, and wait for metadata (Kafka does the same).
      if (pending.awaitingMetadata) return;
      d.pendingIsrChange = { ...pending, awaitingMetadata: true, awaitingSinceMs: d.nowMs };
      return;
    }
    // Anything else is transient: retry after the usual delay.
    d.pendingIsrChange = { ...pending, sentAtMs: d.nowMs };
    return;
  }
  // A success for another epoch, or one older than what metadata already told us, changes nothing.
  if (input.leaderEpoch !== d.leaderEpoch || input.partitionEpoch <= d.partitionEpoch) return;
  checkMembership(d.replicas, input.isr);
  invariant(input.isr.includes(d.config.brokerId), "the controller removed the leader from its own ISR");
  // The answer is the ISR the controller committed at this partition epoch: it replaces the pending change.
  d.isr = input.isr;
  d.partitionEpoch = input.partitionEpoch;
  d.pendingIsrChange = null;
  afterProgress(d, out);
}

export function leaderExpireProducers(d: PartitionDraft): void {
  d.producers = expireProducers(d.producers, d.nowMs, d.config.producerIdExpirationMs);
}
