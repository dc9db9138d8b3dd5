/**
 * The single entry point of the partition replica: `step(state, input) -> { state, ready }`. It routes
 * each input to the leader or follower rules, then checks the invariants that protect acknowledged data
 * on every transition (they stay on in production). It must never perform I/O or read a clock.
 */

import { invariant, unreachable } from "../invariant.ts";
import { producerIdsMaxLimit } from "../producer/partitionProducers.ts";
import { checkEpochs } from "./epochCache.ts";
import {
  becomeFollower,
  fetchResponse as followerFetchResponse,
  followerTick,
  followHighWatermark,
  maybeSendFetch,
} from "./follower.ts";
import {
  afterProgress,
  alterPartitionResponse,
  becomeLeader,
  fetchFromFollower,
  isrEligibility,
  leaderExpireProducers,
  leaderTick,
  produce,
} from "./leader.ts";
import { advanceLogStart } from "./logStart.ts";
import { ReadyBuilder } from "./ready.ts";
import { draftOf, makeConfig, type PartitionDraft, replicasMax, sameFieldsButClock } from "./state.ts";
import type { PartitionInput, PartitionState, PartitionStepResult } from "./types.ts";

export function step(state: PartitionState, input: PartitionInput): PartitionStepResult {
  const out = new ReadyBuilder();
  // One copy per step: the rules below change this draft in place and it becomes the next state.
  const next = draftOf(state);
  if (next.epochCheckpointPending) {
    out.addPersist({ type: "epochCheckpoint", entries: next.epochs });
    next.epochCheckpointPending = false;
  }
  route(next, input, out);
  // Invariants are checked where state changes: a step that only moved the clock (most ticks) leaves
  // every field `checkState` reads as it found them, so only the transition is checked then.
  const clockOnly = sameFieldsButClock(next, state);
  if (!clockOnly) checkChangedState(state, next);
  checkTransition(state, next);
  invariant(!next.epochCheckpointPending, "a recovered epoch cache was not written back");
  // A step that changed nothing hands back the state it was given, so callers may compare by identity.
  const result = clockOnly && next.nowMs === state.nowMs ? state : next;
  return { state: result, ready: out.seal(result) };
}

function route(d: PartitionDraft, input: PartitionInput, out: ReadyBuilder): void {
  switch (input.type) {
    case "becomeLeader":
      becomeLeader(d, input, out);
      return;
    case "becomeFollower":
      becomeFollower(d, input, out);
      return;
    case "produce":
      produce(d, input, out);
      return;
    case "appendCompleted":
      appendCompleted(d, input.logEndOffset, out);
      return;
    case "fetchFromFollower":
      fetchFromFollower(d, input, out);
      return;
    case "fetchResponse":
      followerFetchResponse(d, input, out);
      return;
    case "alterPartitionResponse":
      alterPartitionResponse(d, input, out);
      return;
    case "advanceLogStart":
      advanceLogStart(d, input.offset, out);
      return;
    case "isrEligibility":
      isrEligibility(d, input.ineligibleReplicas, out);
      return;
    case "configure":
      configure(d, input.minInsyncReplicas);
      return;
    case "tick":
      tick(d, input.nowMs, out);
      return;
    default:
      unreachable(input, "partition input");
  }
}

function appendCompleted(d: PartitionDraft, logEndOffset: number, out: ReadyBuilder): void {
  // Messages on hot paths are built only when the check fails: a lazy message would still allocate
  // a closure on every call.
  if (!(logEndOffset >= d.logEndOffset && logEndOffset <= d.nextOffset))
    invariant(false, `append completed to ${logEndOffset} outside [${d.logEndOffset}, ${d.nextOffset}]`);
  if (logEndOffset === d.logEndOffset) return;
  d.logEndOffset = logEndOffset;
  if (d.role === "leader") afterProgress(d, out);
  else if (d.role === "follower") {
    followHighWatermark(d, out);
    maybeSendFetch(d, out);
  }
}

/**
 * A new `min.insync.replicas`. Nothing is answered here: the produce check reads it at once, and an
 * acks=all produce waiting for the high watermark is judged against it when it is answered (Kafka's
 * checkEnoughReplicasReachOffset reads the log's current config the same way).
 */
function configure(d: PartitionDraft, minInsyncReplicas: number): void {
  if (minInsyncReplicas === d.config.minInsyncReplicas) return;
  d.config = makeConfig({ ...d.config, minInsyncReplicas });
  invariant(d.config.minInsyncReplicas === minInsyncReplicas, "configure: min.insync.replicas not applied");
}

function tick(d: PartitionDraft, nowMs: number, out: ReadyBuilder): void {
  invariant(Number.isFinite(nowMs), "tick time must be finite");
  if (!(nowMs >= d.nowMs)) invariant(false, `time went backwards: ${nowMs} < ${d.nowMs}`);
  d.nowMs = nowMs;
  if (d.role === "leader") {
    leaderExpireProducers(d);
    leaderTick(d, out);
  } else if (d.role === "follower") followerTick(d, out);
}

/** Invariants of a single state; each guards a rule whose violation loses or exposes data. */
export function checkState(state: PartitionState): void {
  checkEpochs(state.epochs, state.nextOffset);
  checkStateButEpochs(state);
}

/**
 * `checkState` after a step from `before`: the epoch cache is walked only when the step replaced it or
 * cut the log end below where it was (an unchanged cache within a log that did not shrink keeps its shape).
 */
function checkChangedState(before: PartitionState, after: PartitionState): void {
  if (after.epochs !== before.epochs || after.nextOffset < before.nextOffset)
    checkEpochs(after.epochs, after.nextOffset);
  checkStateButEpochs(after);
}

function checkStateButEpochs(state: PartitionState): void {
  const config = state.config;
  invariant(state.logStartOffset >= 0, "log start offset must be non-negative");
  invariant(state.logStartOffset <= state.highWatermark, "high watermark below the log start");
  invariant(state.highWatermark <= state.logEndOffset, "high watermark beyond the durable log end");
  invariant(state.logEndOffset <= state.nextOffset, "durable log end beyond the assigned end");
  const latest = state.epochs[state.epochs.length - 1];
  invariant(
    latest === undefined || latest.epoch <= state.leaderEpoch,
    "a cached epoch is newer than the leader epoch",
  );
  invariant(
    state.replicas.length <= replicasMax && state.isr.length <= state.replicas.length,
    "membership too large",
  );
  invariant(state.pendingProduces.length <= config.pendingProducesMax, "pending produces exceed their bound");
  invariant(state.ineligibleReplicas.length <= replicasMax, "ineligible replicas exceed the replica bound");
  invariant(
    state.producers.entries.length <= Math.min(config.producerIdsMax, producerIdsMaxLimit),
    "too many producers",
  );
  if (state.role === "leader") {
    invariant(state.leaderId === config.brokerId, "a leader leads itself");
    invariant(state.isr.includes(config.brokerId), "a leader is always in its own ISR");
    invariant(latest !== undefined && latest.epoch === state.leaderEpoch, "a leader caches its own epoch");
    invariant(state.followers.length === state.replicas.length - 1, "a leader tracks every other replica");
    invariant(state.fetchInFlight === null, "a leader does not fetch");
    invariant(state.isrCandidates.length <= replicasMax, "ISR candidates must be replicas");
    if (state.isrCandidatesEpoch === state.partitionEpoch) {
      for (const id of state.isrCandidates)
        invariant(state.replicas.includes(id), "ISR candidates must be replicas");
    }
    for (const pending of state.pendingProduces) {
      invariant(pending.lastOffset < state.nextOffset, "a pending produce points past the assigned log");
      invariant(pending.baseOffset <= pending.lastOffset, "a pending produce covers no offsets");
    }
    for (const follower of state.followers) {
      invariant(follower.logEndOffset <= state.logEndOffset, "a follower is ahead of its leader");
    }
  } else {
    invariant(state.pendingProduces.length === 0, "only a leader holds produce requests");
    invariant(
      state.followers.length === 0 && state.pendingIsrChange === null,
      "only a leader tracks followers",
    );
  }
  if (state.fetchInFlight !== null) {
    invariant(state.role === "follower", "only a follower fetches");
    invariant(state.fetchInFlight.fetchOffset === state.logEndOffset, "log moved under an outstanding fetch");
    invariant(state.fetchInFlight.fetchId < state.fetchIdNext, "fetch ids only grow");
  }
}

/** Invariants across one step: epochs and the high watermark never go back, and nothing committed is cut. */
export function checkTransition(before: PartitionState, after: PartitionState): void {
  invariant(after.leaderEpoch >= before.leaderEpoch, "leader epoch decreased");
  invariant(after.highWatermark >= before.highWatermark, "high watermark decreased");
  invariant(after.nextOffset >= before.highWatermark, "truncated below the high watermark");
  invariant(after.nowMs >= before.nowMs, "time decreased");
  invariant(after.logStartOffset >= before.logStartOffset, "log start moved back");
  invariant(after.fetchIdNext >= before.fetchIdNext, "fetch ids decreased");
  invariant(after.incarnation === before.incarnation, "incarnation changed within a run");
  if (after.leaderEpoch === before.leaderEpoch && before.partitionEpoch >= 0) {
    invariant(
      after.partitionEpoch >= before.partitionEpoch,
      "partition epoch decreased within a leader epoch",
    );
  }
}
