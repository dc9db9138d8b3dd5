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

/** The output list of a step that produced nothing of that kind; frozen, so no caller can fill it. */
const emptyList: readonly never[] = Object.freeze([]);

export class ReadyBuilder {
  // Most steps produce nothing of some kind (often of any): each list is made on its first item, and
  // the builder is written without class fields, which cost an initializer call per instance.
  private persist: PersistOp[] | null;
  private send: Envelope[] | null;
  private respond: ProduceResponse[] | null;

  constructor() {
    this.persist = null;
    this.send = null;
    this.respond = null;
  }

  addPersist(op: PersistOp): void {
    if (this.persist === null) this.persist = [];
    invariant(this.persist.length < readyItemsMax, "too many persist ops in one step");
    this.persist.push(op);
  }

  addSend(to: number | "controller", message: PeerMessage): void {
    if (this.send === null) this.send = [];
    invariant(this.send.length < readyItemsMax, "too many messages in one step");
    this.send.push({ to, message });
  }

  addResponse(response: ProduceResponse): void {
    if (this.respond === null) this.respond = [];
    invariant(this.respond.length < readyItemsMax, "too many responses in one step");
    invariant(
      response.errorCode === errorCode.NONE || response.baseOffset === -1,
      "an error carries no offset",
    );
    this.respond.push(response);
  }

  seal(state: PartitionState): PartitionReady {
    return {
      persist: this.persist ?? emptyList,
      send: this.send ?? emptyList,
      respond: this.respond ?? emptyList,
      wakeAtMs: wakeAt(state),
    };
  }
}

/** The earliest time at which `tick` would act: a deadline, a lag expiry, a retry or a backoff ending. */
export function wakeAt(state: PartitionState): number | null {
  // Each candidate time counts from one millisecond after now at the earliest (written out inline
  // rather than through a helper closure: this runs after every step).
  const floorMs = state.nowMs + 1;
  let earliest = Number.POSITIVE_INFINITY;
  const config = state.config;
  if (state.role === "leader") {
    for (const pending of state.pendingProduces)
      earliest = Math.min(earliest, Math.max(pending.deadlineMs, floorMs));
    // A lagging ISR member matters to time only while an ISR change could be proposed; while one is
    // pending, its retry or the answer comes first (and waking every millisecond would spin).
    const canPropose = state.pendingIsrChange === null;
    for (const follower of state.followers) {
      if (follower.parkedFetch !== null)
        earliest = Math.min(earliest, Math.max(follower.parkedFetch.deadlineMs, floorMs));
      if (
        canPropose &&
        follower.logEndOffset !== state.logEndOffset &&
        state.isr.includes(follower.replicaId)
      ) {
        const outOfSyncAtMs = follower.lastCaughtUpTimeMs + config.replicaLagTimeMaxMs + 1;
        earliest = Math.min(earliest, Math.max(outOfSyncAtMs, state.alterPartitionBackoffUntilMs, floorMs));
      }
    }
    // An ISR candidate holding the high watermark is fenced out once it has been silent for the lag time.
    const fenceAt = canPropose ? fenceAtMs(state) : null;
    if (fenceAt !== null)
      earliest = Math.min(earliest, Math.max(fenceAt, state.alterPartitionBackoffUntilMs, floorMs));
    if (canPropose && state.alterPartitionBackoffUntilMs > state.nowMs)
      earliest = Math.min(earliest, Math.max(state.alterPartitionBackoffUntilMs, floorMs));
    const pendingChange = state.pendingIsrChange;
    if (pendingChange !== null && !pendingChange.awaitingMetadata) {
      earliest = Math.min(earliest, Math.max(pendingChange.sentAtMs + config.alterPartitionRetryMs, floorMs));
    } else if (pendingChange !== null) {
      earliest = Math.min(
        earliest,
        Math.max(pendingChange.awaitingSinceMs + config.alterPartitionMetadataWaitMs, floorMs),
      );
    }
  } else if (state.role === "follower") {
    if (state.fetchInFlight !== null)
      earliest = Math.min(
        earliest,
        Math.max(state.fetchInFlight.sentAtMs + config.replicaFetchTimeoutMs, floorMs),
      );
    else if (state.fetchBackoffUntilMs > state.nowMs)
      earliest = Math.min(earliest, Math.max(state.fetchBackoffUntilMs, floorMs));
  }
  return Number.isFinite(earliest) ? earliest : null;
}
