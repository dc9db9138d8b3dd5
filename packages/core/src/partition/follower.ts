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
import type { PartitionDraft } from "./state.ts";
import type { EpochEndOffset, PartitionInput, PartitionState, PendingProduce } from "./types.ts";

type Input<T extends PartitionInput["type"]> = Extract<PartitionInput, { type: T }>;

export function becomeFollower(d: PartitionDraft, input: Input<"becomeFollower">, out: ReadyBuilder): void {
  const self = d.config.brokerId;
  checkMembership(input.replicas, input.isr);
  invariant(input.leaderId >= 0 && input.leaderId !== self, "a follower's leader is another broker");
  invariant(input.leaderEpoch >= 0, "leader epoch must be non-negative");
  if (input.leaderEpoch < d.leaderEpoch) return;
  if (input.leaderEpoch === d.leaderEpoch && d.role !== "none") {
    // Two leaders must never share an epoch: this replica already saw a different leader for it.
    invariant(
      d.role === "follower" && d.leaderId === input.leaderId,
      () => `epoch ${input.leaderEpoch} has leaders ${d.leaderId} and ${input.leaderId}`,
    );
    if (input.partitionEpoch <= d.partitionEpoch) return;
    d.partitionEpoch = input.partitionEpoch;
    d.isr = input.isr;
    d.replicas = input.replicas;
    return;
  }
  // Produce requests waiting on this replica as leader can no longer be acknowledged by it.
  failPending(d.pendingProduces, d, out);
  d.role = "follower";
  d.leaderId = input.leaderId;
  d.leaderEpoch = input.leaderEpoch;
  d.partitionEpoch = input.partitionEpoch;
  d.replicas = input.replicas;
  d.isr = input.isr;
  d.leaderHighWatermark = d.highWatermark;
  d.followers = [];
  d.pendingProduces = [];
  d.pendingIsrChange = null;
  d.isrCandidates = [];
  d.isrCandidatesEpoch = -1;
  d.fetchInFlight = null;
  d.fetchBackoffUntilMs = 0;
  maybeSendFetch(d, out);
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
export function maybeSendFetch(state: PartitionDraft, out: ReadyBuilder): void {
  if (state.role !== "follower" || state.fetchInFlight !== null) return;
  if (state.nowMs < state.fetchBackoffUntilMs || state.logEndOffset !== state.nextOffset) return;
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
  state.fetchInFlight = { fetchId, fetchOffset: state.logEndOffset, sentAtMs: state.nowMs };
  state.fetchIdNext = fetchId + 1;
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

function truncateTo(d: PartitionDraft, offset: number, out: ReadyBuilder): void {
  // Records below the high watermark are committed: removing one would lose an acknowledged write.
  invariant(
    offset >= d.highWatermark,
    () =>
      `broker ${d.config.brokerId} would truncate to ${offset} below its high watermark ${d.highWatermark}`,
  );
  invariant(d.logEndOffset === d.nextOffset, "truncation with appends in flight");
  if (offset >= d.logEndOffset) {
    // Nothing to cut from the log, but an epoch this replica started as leader without writing to it
    // sits at the log end and conflicts with the leader's history; like Kafka, drop it, or the next
    // fetch would report the same last epoch and diverge again forever.
    const epochs = truncateEpochsFromEnd(d.epochs, d.logEndOffset);
    if (epochs === d.epochs) return;
    out.addPersist({ type: "epochCheckpoint", entries: epochs });
    d.epochs = epochs;
    return;
  }
  out.addPersist({ type: "truncate", offset });
  const epochs = truncateEpochsFromEnd(d.epochs, offset);
  if (epochs !== d.epochs) out.addPersist({ type: "epochCheckpoint", entries: epochs });
  d.logEndOffset = offset;
  d.nextOffset = offset;
  d.epochs = epochs;
  d.producers = truncateProducers(d.producers, offset);
}

export function fetchResponse(d: PartitionDraft, input: Input<"fetchResponse">, out: ReadyBuilder): void {
  const inFlight = d.fetchInFlight;
  // Stale, duplicated or misdirected answers are dropped: only the one outstanding fetch is answered.
  if (d.role !== "follower" || inFlight === null) return;
  if (input.fetchId !== inFlight.fetchId || input.incarnation !== d.incarnation) return;
  // A response from before a restart can carry a reused fetch id; it answers a different offset.
  if (input.leaderId !== d.leaderId || input.readFromOffset !== inFlight.fetchOffset) return;
  d.fetchInFlight = null;
  if (input.errorCode !== errorCode.NONE) {
    if (input.errorCode === errorCode.OFFSET_OUT_OF_RANGE && input.logStartOffset > d.logEndOffset) {
      // Everything we hold lies below the leader's log start, deleted there: start over at its start.
      truncateFully(d, input.logStartOffset, out);
      maybeSendFetch(d, out);
      return;
    }
    if (input.errorCode === errorCode.OFFSET_OUT_OF_RANGE && input.leaderEndOffset < d.logEndOffset) {
      // Our log runs past the leader's: cut back to its end (Kafka's handleOutOfRangeError). Everything
      // committed is on the leader, so this never reaches below our high watermark (asserted there).
      truncateTo(d, input.leaderEndOffset, out);
      maybeSendFetch(d, out);
      return;
    }
    d.fetchBackoffUntilMs = d.nowMs + d.config.replicaFetchBackoffMs;
    return;
  }
  if (input.leaderEpoch !== d.leaderEpoch) return;
  if (input.divergingEpoch !== null) {
    const offset = truncationOffset(d, input.divergingEpoch);
    if (offset < d.logEndOffset && offset <= input.logStartOffset) {
      // The divergence reaches the leader's log start, below which it no longer knows its epochs (and
      // where our batches need not align): keep nothing and start over at its log start.
      invariant(offset >= d.highWatermark, "divergence below the high watermark");
      truncateFully(d, input.logStartOffset, out);
    } else {
      truncateTo(d, offset, out);
    }
    maybeSendFetch(d, out);
    return;
  }
  d.leaderHighWatermark = input.highWatermark;
  let expected = d.logEndOffset;
  invariant(expected === inFlight.fetchOffset, "log moved while a fetch was outstanding");
  let epochs = d.epochs;
  let producers = d.producers;
  for (const batch of input.batches) {
    // Built only on failure: a lazy message would allocate a closure per batch.
    if (batch.baseOffset !== expected)
      invariant(false, `replicated batch at ${batch.baseOffset}, expected ${expected}`);
    invariant(batch.lastOffset >= batch.baseOffset, "replicated batch has no records");
    invariant(batch.lastOffset < input.readToOffset, "replicated batch beyond the leader's read range");
    invariant(batch.leaderEpoch <= input.leaderEpoch, "replicated batch from a future epoch");
    invariant(batch.leaderEpoch >= latestEpoch(epochs), "replicated batch from an older epoch than our tail");
    if (batch.leaderEpoch > latestEpoch(epochs))
      epochs = assignEpoch(epochs, batch.leaderEpoch, batch.baseOffset);
    const info = {
      producerId: batch.producerId,
      producerEpoch: batch.producerEpoch,
      baseSequence: batch.baseSequence,
      recordCount: batch.lastOffset - batch.baseOffset + 1,
    };
    producers = recordBatch(
      producers,
      info,
      batch.baseOffset,
      batch.lastOffset,
      d.nowMs,
      d.config.producerIdsMax,
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
    if (epochs !== d.epochs) out.addPersist({ type: "epochCheckpoint", entries: epochs });
    d.nextOffset = expected;
    d.epochs = epochs;
    d.producers = producers;
  }
  followHighWatermark(d, out);
  // Follow the leader's log start (DeleteRecords, retention), never past our own high watermark.
  if (input.logStartOffset > d.logStartOffset) advanceLogStart(d, input.logStartOffset, out);
  maybeSendFetch(d, out);
}

function truncateFully(d: PartitionDraft, offset: number, out: ReadyBuilder): void {
  // Only records below the leader's log start (deleted there) or past a divergence go: nothing committed.
  invariant(offset >= d.highWatermark && offset >= d.logStartOffset, "full truncation goes backwards");
  invariant(d.logEndOffset === d.nextOffset, "full truncation with appends in flight");
  out.addPersist({ type: "truncateFully", offset });
  if (d.epochs.length > 0) out.addPersist({ type: "epochCheckpoint", entries: [] });
  out.addPersist({ type: "highWatermark", offset });
  d.logStartOffset = offset;
  d.logEndOffset = offset;
  d.nextOffset = offset;
  d.highWatermark = offset;
  d.leaderHighWatermark = Math.max(d.leaderHighWatermark, offset);
  d.epochs = [];
  d.producers = emptyPartitionProducers();
}

/** The follower's high watermark: the leader's, capped by what is durable here, never lowered. */
export function followHighWatermark(d: PartitionDraft, out: ReadyBuilder): void {
  const candidate = Math.min(d.leaderHighWatermark, d.logEndOffset);
  if (candidate <= d.highWatermark) return;
  out.addPersist({ type: "highWatermark", offset: candidate });
  d.highWatermark = candidate;
}

export function followerTick(d: PartitionDraft, out: ReadyBuilder): void {
  const inFlight = d.fetchInFlight;
  if (inFlight !== null && d.nowMs - inFlight.sentAtMs >= d.config.replicaFetchTimeoutMs) {
    // The fetch or its answer was lost; a later answer to it carries an old fetch id and is ignored.
    d.fetchInFlight = null;
  }
  d.producers = expireProducers(d.producers, d.nowMs, d.config.producerIdExpirationMs);
  maybeSendFetch(d, out);
}
