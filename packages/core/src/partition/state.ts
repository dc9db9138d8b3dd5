/**
 * Configuration defaults, limits and the initial state of a partition replica, including the state it
 * restarts from after a crash (the recovered log end, high-watermark checkpoint and leader-epoch
 * checkpoint). It must never read storage itself: the shell recovers those values and passes them in.
 */

import { invariant } from "../invariant.ts";
import {
  emptyPartitionProducers,
  type PartitionProducers,
  producerIdExpirationMsDefault,
  producerIdsMaxLimit,
} from "../producer/partitionProducers.ts";
import { checkEpochs, truncateEpochsFromEnd } from "./epochCache.ts";
import type { EpochEntry, PartitionConfig, PartitionState } from "./types.ts";

/** Bound on the replica set (and so the ISR and the followers the leader tracks). */
export const replicasMax = 64;
/** Kafka's largest INT, the most `min.insync.replicas` may say. */
export const minInsyncReplicasMax = 2 ** 31 - 1;
/** Hard ceiling on `pendingProducesMax`. */
export const pendingProducesMaxLimit = 100_000;

export const partitionConfigDefaults = {
  replicaLagTimeMaxMs: 30_000,
  minInsyncReplicas: 1,
  replicaFetchWaitMaxMs: 500,
  replicaFetchBackoffMs: 1_000,
  replicaFetchTimeoutMs: 30_000,
  alterPartitionRetryMs: 1_000,
  alterPartitionMetadataWaitMs: 5_000,
  pendingProducesMax: 4_096,
  producerIdsMax: 10_000,
  producerIdExpirationMs: producerIdExpirationMsDefault,
} as const;

export type PartitionConfigInput = Pick<PartitionConfig, "topic" | "partition" | "brokerId"> &
  Partial<Omit<PartitionConfig, "topic" | "partition" | "brokerId">>;

/** What the shell recovered from local storage on start; all zero for a new replica. */
export interface RecoveredLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** From the HW checkpoint; clamped to the recovered log (a lost tail may sit below it). */
  readonly highWatermark: number;
  readonly epochs: readonly EpochEntry[];
  /** Producer state rebuilt by the shell (from a snapshot or by replaying batches with `recordBatch`). */
  readonly producers?: PartitionProducers;
}

export function makeConfig(input: PartitionConfigInput): PartitionConfig {
  const config: PartitionConfig = { ...partitionConfigDefaults, ...input };
  invariant(
    Number.isInteger(config.brokerId) && config.brokerId >= 0,
    "brokerId must be a non-negative integer",
  );
  invariant(
    Number.isInteger(config.partition) && config.partition >= 0,
    "partition must be a non-negative integer",
  );
  invariant(config.replicaLagTimeMaxMs > 0, "replicaLagTimeMaxMs must be positive");
  // Kafka accepts any positive INT here, more than a partition can have replicas too: acks=all is then
  // refused with NOT_ENOUGH_REPLICAS until the setting is lowered.
  invariant(
    Number.isInteger(config.minInsyncReplicas) &&
      config.minInsyncReplicas >= 1 &&
      config.minInsyncReplicas <= minInsyncReplicasMax,
    "minInsyncReplicas out of range",
  );
  invariant(
    config.replicaFetchWaitMaxMs >= 0 && config.replicaFetchBackoffMs >= 0,
    "fetch delays must be >= 0",
  );
  invariant(
    config.replicaFetchTimeoutMs > 0 &&
      config.alterPartitionRetryMs > 0 &&
      config.alterPartitionMetadataWaitMs > 0,
    "timeouts must be positive",
  );
  invariant(
    config.pendingProducesMax >= 1 && config.pendingProducesMax <= pendingProducesMaxLimit,
    "pendingProducesMax out of range",
  );
  invariant(
    config.producerIdsMax >= 1 && config.producerIdsMax <= producerIdsMaxLimit,
    "producerIdsMax out of range",
  );
  return config;
}

/**
 * The working copy one `step` changes in place. Only its own fields are reassigned; arrays and objects
 * it shares with the state it was copied from are never changed, so that state stays intact.
 */
export type PartitionDraft = { -readonly [K in keyof PartitionState]: PartitionState[K] };

/**
 * A copy of `s` with every field written out, in `initialState`'s order: one allocation of a fixed shape
 * per step, which is much cheaper than a chain of object spreads.
 */
export function draftOf(s: PartitionState): PartitionDraft {
  return {
    config: s.config,
    nowMs: s.nowMs,
    role: s.role,
    leaderId: s.leaderId,
    leaderEpoch: s.leaderEpoch,
    partitionEpoch: s.partitionEpoch,
    replicas: s.replicas,
    isr: s.isr,
    logStartOffset: s.logStartOffset,
    logEndOffset: s.logEndOffset,
    nextOffset: s.nextOffset,
    highWatermark: s.highWatermark,
    leaderHighWatermark: s.leaderHighWatermark,
    epochs: s.epochs,
    epochCheckpointPending: s.epochCheckpointPending,
    leaderEpochStartOffset: s.leaderEpochStartOffset,
    followers: s.followers,
    pendingProduces: s.pendingProduces,
    pendingIsrChange: s.pendingIsrChange,
    isrCandidates: s.isrCandidates,
    isrCandidatesEpoch: s.isrCandidatesEpoch,
    ineligibleReplicas: s.ineligibleReplicas,
    alterPartitionBackoffUntilMs: s.alterPartitionBackoffUntilMs,
    fetchInFlight: s.fetchInFlight,
    fetchBackoffUntilMs: s.fetchBackoffUntilMs,
    fetchIdNext: s.fetchIdNext,
    incarnation: s.incarnation,
    producers: s.producers,
  };
}

/**
 * Whether every field of `a` but the clock is the very value of `b`'s: a step that only moved time
 * (most ticks) changed nothing a single-state invariant looks at.
 */
export function sameFieldsButClock(a: PartitionState, b: PartitionState): boolean {
  return (
    a.config === b.config &&
    a.role === b.role &&
    a.leaderId === b.leaderId &&
    a.leaderEpoch === b.leaderEpoch &&
    a.partitionEpoch === b.partitionEpoch &&
    a.replicas === b.replicas &&
    a.isr === b.isr &&
    a.logStartOffset === b.logStartOffset &&
    a.logEndOffset === b.logEndOffset &&
    a.nextOffset === b.nextOffset &&
    a.highWatermark === b.highWatermark &&
    a.leaderHighWatermark === b.leaderHighWatermark &&
    a.epochs === b.epochs &&
    a.epochCheckpointPending === b.epochCheckpointPending &&
    a.leaderEpochStartOffset === b.leaderEpochStartOffset &&
    a.followers === b.followers &&
    a.pendingProduces === b.pendingProduces &&
    a.pendingIsrChange === b.pendingIsrChange &&
    a.isrCandidates === b.isrCandidates &&
    a.isrCandidatesEpoch === b.isrCandidatesEpoch &&
    a.ineligibleReplicas === b.ineligibleReplicas &&
    a.alterPartitionBackoffUntilMs === b.alterPartitionBackoffUntilMs &&
    a.fetchInFlight === b.fetchInFlight &&
    a.fetchBackoffUntilMs === b.fetchBackoffUntilMs &&
    a.fetchIdNext === b.fetchIdNext &&
    a.incarnation === b.incarnation &&
    a.producers === b.producers
  );
}

/** A replica with no role yet; it waits for `becomeLeader` or `becomeFollower` from the controller's metadata. */
export function initialState(
  configInput: PartitionConfigInput,
  recovered?: RecoveredLog,
  nowMs = 0,
  incarnation = 0,
): PartitionState {
  const config = makeConfig(configInput);
  const log = recovered ?? { logStartOffset: 0, logEndOffset: 0, highWatermark: 0, epochs: [] };
  invariant(
    log.logStartOffset >= 0 && log.logStartOffset <= log.logEndOffset,
    "recovered log bounds are inverted",
  );
  checkEpochs(log.epochs, Number.MAX_SAFE_INTEGER);
  // Like Kafka's recovery, epochs starting at or past the recovered log end are dropped: their records
  // were lost (or never written), and a later append of an older epoch there would contradict them.
  // The cleaned cache is written back by the first step. The leader epoch keeps the newest one seen.
  // (A shell should pass the checkpoint as read; filtering it first is harmless.)
  const epochs = truncateEpochsFromEnd(log.epochs, log.logEndOffset);
  const highWatermark = Math.min(Math.max(log.highWatermark, log.logStartOffset), log.logEndOffset);
  invariant(nowMs >= 0, "nowMs must be non-negative");
  invariant(
    Number.isSafeInteger(incarnation) && incarnation >= 0,
    "incarnation must be a non-negative integer",
  );
  return {
    config,
    nowMs,
    role: "none",
    leaderId: -1,
    leaderEpoch: log.epochs[log.epochs.length - 1]?.epoch ?? -1,
    partitionEpoch: -1,
    replicas: [],
    isr: [],
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    nextOffset: log.logEndOffset,
    highWatermark,
    leaderHighWatermark: highWatermark,
    epochs,
    // Written back even when unchanged here: a shell that filtered the entries itself has not yet
    // replaced the stale checkpoint on disk, and a stale entry would resurface at the next restart.
    epochCheckpointPending: recovered !== undefined,
    leaderEpochStartOffset: log.logEndOffset,
    followers: [],
    pendingProduces: [],
    pendingIsrChange: null,
    isrCandidates: [],
    isrCandidatesEpoch: -1,
    ineligibleReplicas: [],
    alterPartitionBackoffUntilMs: 0,
    fetchInFlight: null,
    fetchBackoffUntilMs: 0,
    fetchIdNext: 1,
    incarnation,
    producers: log.producers ?? emptyPartitionProducers(),
  };
}
