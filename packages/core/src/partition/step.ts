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
  leaderExpireProducers,
  leaderTick,
  produce,
} from "./leader.ts";
import { advanceLogStart } from "./logStart.ts";
import { ReadyBuilder } from "./ready.ts";
import { replicasMax } from "./state.ts";
import type { PartitionInput, PartitionState, PartitionStepResult } from "./types.ts";

export function step(state: PartitionState, input: PartitionInput): PartitionStepResult {
  const out = new ReadyBuilder();
  let current = state;
  if (current.epochCheckpointPending) {
    out.addPersist({ type: "epochCheckpoint", entries: current.epochs });
    current = { ...current, epochCheckpointPending: false };
  }
  const next = route(current, input, out);
  checkState(next);
  checkTransition(state, next);
  invariant(!next.epochCheckpointPending, "a recovered epoch cache was not written back");
  return { state: next, ready: out.seal(next) };
}

function route(state: PartitionState, input: PartitionInput, out: ReadyBuilder): PartitionState {
  switch (input.type) {
    case "becomeLeader":
      return becomeLeader(state, input, out);
    case "becomeFollower":
      return becomeFollower(state, input, out);
    case "produce":
      return produce(state, input, out);
    case "appendCompleted":
      return appendCompleted(state, input.logEndOffset, out);
    case "fetchFromFollower":
      return fetchFromFollower(state, input, out);
    case "fetchResponse":
      return followerFetchResponse(state, input, out);
    case "alterPartitionResponse":
      return alterPartitionResponse(state, input, out);
    case "advanceLogStart":
      return advanceLogStart(state, input.offset, out);
    case "tick":
      return tick(state, input.nowMs, out);
    default:
      return unreachable(input, "partition input");
  }
}

function appendCompleted(state: PartitionState, logEndOffset: number, out: ReadyBuilder): PartitionState {
  invariant(
    logEndOffset >= state.logEndOffset && logEndOffset <= state.nextOffset,
    () => `append completed to ${logEndOffset} outside [${state.logEndOffset}, ${state.nextOffset}]`,
  );
  if (logEndOffset === state.logEndOffset) return state;
  const next: PartitionState = { ...state, logEndOffset };
  if (next.role === "leader") return afterProgress(next, out);
  if (next.role === "follower") return maybeSendFetch(followHighWatermark(next, out), out);
  return next;
}

function tick(state: PartitionState, nowMs: number, out: ReadyBuilder): PartitionState {
  invariant(Number.isFinite(nowMs), "tick time must be finite");
  invariant(nowMs >= state.nowMs, () => `time went backwards: ${nowMs} < ${state.nowMs}`);
  const next: PartitionState = { ...state, nowMs };
  if (next.role === "leader") return leaderTick(leaderExpireProducers(next), out);
  if (next.role === "follower") return followerTick(next, out);
  return next;
}

/** Invariants of a single state; each guards a rule whose violation loses or exposes data. */
export function checkState(state: PartitionState): void {
  const config = state.config;
  invariant(state.logStartOffset >= 0, "log start offset must be non-negative");
  invariant(state.logStartOffset <= state.highWatermark, "high watermark below the log start");
  invariant(state.highWatermark <= state.logEndOffset, "high watermark beyond the durable log end");
  invariant(state.logEndOffset <= state.nextOffset, "durable log end beyond the assigned end");
  checkEpochs(state.epochs, state.nextOffset);
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
    invariant(
      state.isrCandidates.length <= replicasMax &&
        (state.isrCandidatesEpoch !== state.partitionEpoch ||
          state.isrCandidates.every((id) => state.replicas.includes(id))),
      "ISR candidates must be replicas",
    );
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
