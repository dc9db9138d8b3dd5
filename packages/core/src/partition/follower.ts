/**
 * The follower side of a partition replica: fetching from the leader, appending what it returns,
 * truncating a divergent tail when the leader reports a diverging epoch (KIP-101/279/320), and carrying
 * the leader's high watermark. Follows Kafka's AbstractFetcherThread rules.
 *
 * It must never truncate below its own high watermark (those records are committed), never let its high
 * watermark pass its own log end, and never have two fetches outstanding.
 */

import { invariant } from "../invariant.ts";
import { errorCode } from "../producer/kafkaErrors.ts";
import {
  emptyPartitionProducers,
  expireProducers,
  recordBatch,
  truncateProducers,
} from "../producer/partitionProducers.ts";
import {
  assignEpoch,
  endOffsetForEpoch,
  latestEpoch,
  truncateEpochsFromEnd,
  undefinedEpoch,
  undefinedEpochOffset,
} from "./epochCache.ts";
import { checkMembership } from "./leader.ts";
import { advanceLogStart } from "./logStart.ts";
import type { ReadyBuilder } from "./ready.ts";
import type { EpochEndOffset, PartitionInput, PartitionState, PendingProduce } from "./types.ts";

type Input<T extends PartitionInput["type"]> = Extract<PartitionInput, { type: T }>;

export function becomeFollower(
  state: PartitionState,
  input: Input<"becomeFollower">,
  out: ReadyBuilder,
): PartitionState {
  const self = state.config.brokerId;
  checkMembership(input.replicas, input.isr);
  invariant(input.leaderId >= 0 && input.leaderId !== self, "a follower's leader is another broker");
  invariant(input.leaderEpoch >= 0, "leader epoch must be non-negative");
  if (input.leaderEpoch < state.leaderEpoch) return state;
  if (input.leaderEpoch === state.leaderEpoch && state.role !== "none") {
    // Two leaders must never share an epoch: this replica already saw a different leader for it.
    invariant(
      state.role === "follower" && state.leaderId === input.leaderId,
      () => `epoch ${input.leaderEpoch} has leaders ${state.leaderId} and ${input.leaderId}`,
    );
    if (input.partitionEpoch <= state.partitionEpoch) return state;
    return { ...state, partitionEpoch: input.partitionEpoch, isr: input.isr, replicas: input.replicas };
  }
  // Produce requests waiting on this replica as leader can no longer be acknowledged by it.
  failPending(state.pendingProduces, state, out);
  const next: PartitionState = {
    ...state,
    role: "follower",
    leaderId: input.leaderId,
    leaderEpoch: input.leaderEpoch,
    partitionEpoch: input.partitionEpoch,
    replicas: input.replicas,
    isr: input.isr,
    leaderHighWatermark: state.highWatermark,
    followers: [],
    pendingProduces: [],
    pendingIsrChange: null,
    isrCandidates: [],
    isrCandidatesEpoch: -1,
    fetchInFlight: null,
    fetchBackoffUntilMs: 0,
  };
  return maybeSendFetch(next, out);
}

function failPending(pending: readonly PendingProduce[], state: PartitionState, out: ReadyBuilder): void {
  for (const p of pending) {
    out.addResponse({
      requestId: p.requestId,
      errorCode: errorCode.NOT_LEADER_OR_FOLLOWER,
      baseOffset: -1,
      logStartOffset: state.logStartOffset,
      duplicate: false,
      acks: p.acks,
    });
  }
}

/** Sends the next fetch when none is outstanding, no backoff holds and no local append is in flight. */
export function maybeSendFetch(state: PartitionState, out: ReadyBuilder): PartitionState {
  if (state.role !== "follower" || state.fetchInFlight !== null) return state;
  if (state.nowMs < state.fetchBackoffUntilMs || state.logEndOffset !== state.nextOffset) return state;
  const fetchId = state.fetchIdNext;
  out.addSend(state.leaderId, {
    type: "fetch",
    topic: state.config.topic,
    partition: state.config.partition,
    replicaId: state.config.brokerId,
    incarnation: state.incarnation,
    fetchId,
    currentLeaderEpoch: state.leaderEpoch,
    fetchOffset: state.logEndOffset,
    lastFetchedEpoch: latestEpoch(state.epochs),
  });
  return {
    ...state,
    fetchIdNext: fetchId + 1,
    fetchInFlight: { fetchId, fetchOffset: state.logEndOffset, sentAtMs: state.nowMs },
  };
}

/**
 * Where to truncate after the leader reported a diverging epoch (AbstractFetcherThread's
 * getOffsetTruncationState). When the leader's epoch is unknown locally, truncating to the end of our
 * largest smaller epoch is an intermediate step; the next fetch carries the new last epoch and the leader
 * checks again (KIP-279).
 */
export function truncationOffset(state: PartitionState, diverging: EpochEndOffset): number {
  if (diverging.endOffset === undefinedEpochOffset) return state.highWatermark;
  if (diverging.epoch === undefinedEpoch) return Math.min(diverging.endOffset, state.logEndOffset);
  const local = endOffsetForEpoch(state.epochs, diverging.epoch, state.logEndOffset);
  if (local.endOffset === undefinedEpochOffset) return Math.min(diverging.endOffset, state.logEndOffset);
  if (local.epoch !== diverging.epoch) return Math.min(local.endOffset, state.logEndOffset);
  return Math.min(local.endOffset, diverging.endOffset, state.logEndOffset);
}

function truncateTo(state: PartitionState, offset: number, out: ReadyBuilder): PartitionState {
  // Records below the high watermark are committed: removing one would lose an acknowledged write.
  invariant(
    offset >= state.highWatermark,
    () =>
      `broker ${state.config.brokerId} would truncate to ${offset} below its high watermark ${state.highWatermark}`,
  );
  invariant(state.logEndOffset === state.nextOffset, "truncation with appends in flight");
  if (offset >= state.logEndOffset) {
    // Nothing to cut from the log, but an epoch this replica started as leader without writing to it
    // sits at the log end and conflicts with the leader's history; like Kafka, drop it, or the next
    // fetch would report the same last epoch and diverge again forever.
    const epochs = truncateEpochsFromEnd(state.epochs, state.logEndOffset);
    if (epochs === state.epochs) return state;
    out.addPersist({ type: "epochCheckpoint", entries: epochs });
    return { ...state, epochs };
  }
  out.addPersist({ type: "truncate", offset });
  const epochs = truncateEpochsFromEnd(state.epochs, offset);
  if (epochs !== state.epochs) out.addPersist({ type: "epochCheckpoint", entries: epochs });
  return {
    ...state,
    logEndOffset: offset,
    nextOffset: offset,
    epochs,
    producers: truncateProducers(state.producers, offset),
  };
}

export function fetchResponse(
  state: PartitionState,
  input: Input<"fetchResponse">,
  out: ReadyBuilder,
): PartitionState {
  const inFlight = state.fetchInFlight;
  // Stale, duplicated or misdirected answers are dropped: only the one outstanding fetch is answered.
  if (state.role !== "follower" || inFlight === null) return state;
  if (input.fetchId !== inFlight.fetchId || input.incarnation !== state.incarnation) return state;
  // A response from before a restart can carry a reused fetch id; it answers a different offset.
  if (input.leaderId !== state.leaderId || input.readFromOffset !== inFlight.fetchOffset) return state;
  let next: PartitionState = { ...state, fetchInFlight: null };
  if (input.errorCode !== errorCode.NONE) {
    if (input.errorCode === errorCode.OFFSET_OUT_OF_RANGE && input.logStartOffset > next.logEndOffset) {
      // Everything we hold lies below the leader's log start, deleted there: start over at its start.
      next = truncateFully(next, input.logStartOffset, out);
      return maybeSendFetch(next, out);
    }
    if (input.errorCode === errorCode.OFFSET_OUT_OF_RANGE && input.leaderEndOffset < next.logEndOffset) {
      // Our log runs past the leader's: cut back to its end (Kafka's handleOutOfRangeError). Everything
      // committed is on the leader, so this never reaches below our high watermark (asserted there).
      next = truncateTo(next, input.leaderEndOffset, out);
      return maybeSendFetch(next, out);
    }
    return { ...next, fetchBackoffUntilMs: next.nowMs + next.config.replicaFetchBackoffMs };
  }
  if (input.leaderEpoch !== state.leaderEpoch) return next;
  if (input.divergingEpoch !== null) {
    const offset = truncationOffset(next, input.divergingEpoch);
    if (offset < next.logEndOffset && offset <= input.logStartOffset) {
      // The divergence reaches the leader's log start, below which it no longer knows its epochs (and
      // where our batches need not align): keep nothing and start over at its log start.
      invariant(offset >= next.highWatermark, "divergence below the high watermark");
      next = truncateFully(next, input.logStartOffset, out);
    } else {
      next = truncateTo(next, offset, out);
    }
    return maybeSendFetch(next, out);
  }
  next = { ...next, leaderHighWatermark: input.highWatermark };
  let expected = next.logEndOffset;
  invariant(expected === inFlight.fetchOffset, "log moved while a fetch was outstanding");
  let epochs = next.epochs;
  let producers = next.producers;
  for (const batch of input.batches) {
    invariant(
      batch.baseOffset === expected,
      () => `replicated batch at ${batch.baseOffset}, expected ${expected}`,
    );
    invariant(batch.lastOffset >= batch.baseOffset, "replicated batch has no records");
    invariant(batch.lastOffset < input.readToOffset, "replicated batch beyond the leader's read range");
    invariant(batch.leaderEpoch <= input.leaderEpoch, "replicated batch from a future epoch");
    invariant(batch.leaderEpoch >= latestEpoch(epochs), "replicated batch from an older epoch than our tail");
    if (batch.leaderEpoch > latestEpoch(epochs))
      epochs = assignEpoch(epochs, batch.leaderEpoch, batch.baseOffset);
    const recordCount = batch.lastOffset - batch.baseOffset + 1;
    producers = recordBatch(
      producers,
      { ...batch, recordCount },
      batch.baseOffset,
      batch.lastOffset,
      next.nowMs,
      next.config.producerIdsMax,
    );
    expected = batch.lastOffset + 1;
  }
  const first = input.batches[0];
  if (first !== undefined) {
    out.addPersist({
      type: "appendReplica",
      fetchId: input.fetchId,
      baseOffset: first.baseOffset,
      lastOffset: expected - 1,
    });
    if (epochs !== next.epochs) out.addPersist({ type: "epochCheckpoint", entries: epochs });
    next = { ...next, nextOffset: expected, epochs, producers };
  }
  next = followHighWatermark(next, out);
  // Follow the leader's log start (DeleteRecords, retention), never past our own high watermark.
  if (input.logStartOffset > next.logStartOffset) next = advanceLogStart(next, input.logStartOffset, out);
  return maybeSendFetch(next, out);
}

function truncateFully(state: PartitionState, offset: number, out: ReadyBuilder): PartitionState {
  // Only records below the leader's log start (deleted there) or past a divergence go: nothing committed.
  invariant(
    offset >= state.highWatermark && offset >= state.logStartOffset,
    "full truncation goes backwards",
  );
  invariant(state.logEndOffset === state.nextOffset, "full truncation with appends in flight");
  out.addPersist({ type: "truncateFully", offset });
  if (state.epochs.length > 0) out.addPersist({ type: "epochCheckpoint", entries: [] });
  out.addPersist({ type: "highWatermark", offset });
  return {
    ...state,
    logStartOffset: offset,
    logEndOffset: offset,
    nextOffset: offset,
    highWatermark: offset,
    leaderHighWatermark: Math.max(state.leaderHighWatermark, offset),
    epochs: [],
    producers: emptyPartitionProducers(),
  };
}

/** The follower's high watermark: the leader's, capped by what is durable here, never lowered. */
export function followHighWatermark(state: PartitionState, out: ReadyBuilder): PartitionState {
  const candidate = Math.min(state.leaderHighWatermark, state.logEndOffset);
  if (candidate <= state.highWatermark) return state;
  out.addPersist({ type: "highWatermark", offset: candidate });
  return { ...state, highWatermark: candidate };
}

export function followerTick(state: PartitionState, out: ReadyBuilder): PartitionState {
  let next = state;
  const inFlight = next.fetchInFlight;
  if (inFlight !== null && next.nowMs - inFlight.sentAtMs >= next.config.replicaFetchTimeoutMs) {
    // The fetch or its answer was lost; a later answer to it carries an old fetch id and is ignored.
    next = { ...next, fetchInFlight: null };
  }
  const producers = expireProducers(next.producers, next.nowMs, next.config.producerIdExpirationMs);
  if (producers !== next.producers) next = { ...next, producers };
  return maybeSendFetch(next, out);
}
