/**
 * Collects the outputs of one `step` and seals them into a `PartitionReady`, including the next time at
 * which a `tick` could change anything (so a simulator can skip idle time). It must never decide
 * anything: the leader and follower modules choose what goes in.
 */

import { invariant } from "../invariant.ts";
import { errorCode } from "../producer/kafkaErrors.ts";
import { fenceAtMs } from "./leader.ts";
import type {
  Envelope,
  PartitionReady,
  PartitionState,
  PeerMessage,
  PersistOp,
  ProduceResponse,
} from "./types.ts";

/** Bound on outputs of one step; a step touches at most every pending produce and every follower. */
export const readyItemsMax = 200_000;

export class ReadyBuilder {
  readonly persist: PersistOp[] = [];
  readonly send: Envelope[] = [];
  readonly respond: ProduceResponse[] = [];

  addPersist(op: PersistOp): void {
    invariant(this.persist.length < readyItemsMax, "too many persist ops in one step");
    this.persist.push(op);
  }

  addSend(to: number | "controller", message: PeerMessage): void {
    invariant(this.send.length < readyItemsMax, "too many messages in one step");
    this.send.push({ to, message });
  }

  addResponse(response: ProduceResponse): void {
    invariant(this.respond.length < readyItemsMax, "too many responses in one step");
    invariant(
      response.errorCode === errorCode.NONE || response.baseOffset === -1,
      "an error carries no offset",
    );
    this.respond.push(response);
  }

  seal(state: PartitionState): PartitionReady {
    return { persist: this.persist, send: this.send, respond: this.respond, wakeAtMs: wakeAt(state) };
  }
}

/** The earliest time at which `tick` would act: a deadline, a lag expiry, a retry or a backoff ending. */
export function wakeAt(state: PartitionState): number | null {
  let earliest = Number.POSITIVE_INFINITY;
  const consider = (atMs: number): void => {
    earliest = Math.min(earliest, Math.max(atMs, state.nowMs + 1));
  };
  const config = state.config;
  if (state.role === "leader") {
    for (const pending of state.pendingProduces) consider(pending.deadlineMs);
    // A lagging ISR member matters to time only while an ISR change could be proposed; while one is
    // pending, its retry or the answer comes first (and waking every millisecond would spin).
    const canPropose = state.pendingIsrChange === null;
    for (const follower of state.followers) {
      if (follower.parkedFetch !== null) consider(follower.parkedFetch.deadlineMs);
      const inIsr = state.isr.includes(follower.replicaId);
      if (canPropose && inIsr && follower.logEndOffset !== state.logEndOffset) {
        const outOfSyncAtMs = follower.lastCaughtUpTimeMs + config.replicaLagTimeMaxMs + 1;
        consider(Math.max(outOfSyncAtMs, state.alterPartitionBackoffUntilMs));
      }
    }
    // An ISR candidate holding the high watermark is fenced out once it has been silent for the lag time.
    const fenceAt = canPropose ? fenceAtMs(state) : null;
    if (fenceAt !== null) consider(Math.max(fenceAt, state.alterPartitionBackoffUntilMs));
    if (canPropose && state.alterPartitionBackoffUntilMs > state.nowMs)
      consider(state.alterPartitionBackoffUntilMs);
    const pendingChange = state.pendingIsrChange;
    if (pendingChange !== null && !pendingChange.awaitingMetadata) {
      consider(pendingChange.sentAtMs + config.alterPartitionRetryMs);
    } else if (pendingChange !== null) {
      consider(pendingChange.awaitingSinceMs + config.alterPartitionMetadataWaitMs);
    }
  } else if (state.role === "follower") {
    if (state.fetchInFlight !== null) consider(state.fetchInFlight.sentAtMs + config.replicaFetchTimeoutMs);
    else if (state.fetchBackoffUntilMs > state.nowMs) consider(state.fetchBackoffUntilMs);
  }
  return Number.isFinite(earliest) ? earliest : null;
}
