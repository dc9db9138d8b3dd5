/**
 * Partition replica state machine (leader and follower), one instance per partition per broker.
 *
 * API
 *   initialState(config: PartitionConfigInput, recovered?: RecoveredLog, nowMs?: number, incarnation?: number)
 *     incarnation: a number that grows with every restart of this replica (restart count, broker epoch),
 *     so answers to fetches sent before a restart are ignored after it.
 *   step(state: PartitionState, input: PartitionInput): { state: PartitionState; ready: PartitionReady }
 *   consumerReadBounds / offsetForLeaderEpoch / listOffsets: read-only queries on a state.
 *
 * Inputs (`PartitionInput`, discriminated on `type`):
 *   becomeLeader {leaderEpoch, partitionEpoch, isr, replicas}      controller metadata (same epoch + newer
 *   becomeFollower {leaderId, leaderEpoch, partitionEpoch, isr, replicas}   partitionEpoch = ISR update)
 *   produce {requestId, acks, timeoutMs, batch}                    client produce of one batch (metadata only)
 *   appendCompleted {logEndOffset}                                 local append I/O finished up to here
 *   fetchFromFollower {replicaId, incarnation, fetchId, currentLeaderEpoch, fetchOffset, lastFetchedEpoch}
 *   fetchResponse {…fetchResponse message, batches}                (follower side; shell attached the batches)
 *   alterPartitionResponse {errorCode, leaderEpoch, partitionEpoch, isr}   controller's ISR answer
 *   advanceLogStart {offset}                                       retention / DeleteRecords (capped at the HW)
 *   isrEligibility {ineligibleReplicas}                            metadata: fenced or stopping replicas, never
 *                                                                  proposed for the ISR (send before becomeLeader)
 *   tick {nowMs}                                                   logical time; the only clock
 *
 * Ready (`PartitionReady`), acted on in this order:
 *   1. persist: `append` (write the request's batch at baseOffset with leaderEpoch), `appendReplica`
 *      (write the fetched batches), `truncate` (drop offsets >= offset), `advanceLogStart` (records
 *      below may go), `truncateFully` (empty the log, restart it at offset), `epochCheckpoint`,
 *      `highWatermark`. In order; appends complete asynchronously and are reported with
 *      `appendCompleted` in offset order.
 *   2. send: envelopes `{to: brokerId | "controller", message}` with `fetch`, `fetchResponse` (the
 *      shell reads [readFromOffset, readToOffset) from the local log and hands the batches to the
 *      follower's `fetchResponse` input) and `alterPartition`.
 *   3. respond: produce responses (Kafka error codes; for acks=0 nothing goes on the wire).
 *   4. wakeAtMs: deliver a `tick` no later than this (null: nothing waits on time).
 *
 * Shell duties the core relies on:
 *   - A fetch response is read from the local log when it is sent; the follower's `fetchResponse` input
 *     carries batches that start at readFromOffset and are contiguous (a prefix is fine: size limits).
 *     `appendReplica` writes exactly the batches of the fetch response with that fetchId.
 *   - `advanceLogStart` offsets are batch boundaries: the shell rounds DeleteRecords down to the base
 *     offset of the batch holding it (a follower restarting at a mid-batch log start could not fetch).
 *   - A failed append is not an input: crash the replica and restart it from storage with
 *     `initialState(config, recovered, nowMs, incarnation + 1)`; drop leader-epoch entries that start
 *     at or past the recovered log end (as Kafka does) and rebuild producers with `producer.recordBatch`.
 *   - The controller refuses AlterPartition from an older incarnation of the broker (STALE_BROKER_EPOCH;
 *     the shell puts its broker epoch, or anything that grows per restart, in `incarnation`).
 *   - The controller answers AlterPartition and also publishes the committed ISR as metadata
 *     (becomeLeader, same leaderEpoch, newer partitionEpoch). After INVALID_UPDATE_VERSION or
 *     FENCED_LEADER_EPOCH the leader waits for that metadata (at most `alterPartitionMetadataWaitMs`,
 *     then it proposes again from its current state); it refuses fenced brokers with
 *     INELIGIBLE_REPLICA (KIP-841) and elects leaders only from the ISR.
 *
 * Rules kept (asserted on every step): the high watermark never decreases and never passes the log end;
 * acks=all is answered only once every ISR member has the record and the ISR has min.insync.replicas
 * members (else NOT_ENOUGH_REPLICAS before the append, NOT_ENOUGH_REPLICAS_AFTER_APPEND after); a
 * leader is always in its ISR and two leaders never share an epoch; truncation never goes below the high
 * watermark; the ISR changes only through the controller (AlterPartition).
 *
 * This module must never perform I/O, read a clock or draw randomness.
 */

export { endOffsetForEpoch, epochEntriesMax, latestEpoch } from "./epochCache.ts";
export { maximalIsr } from "./leader.ts";
export {
  consumerReadBounds,
  earliestTimestamp,
  latestTimestamp,
  listOffsets,
  offsetForLeaderEpoch,
  type ReadBounds,
} from "./queries.ts";
export { readyItemsMax, wakeAt } from "./ready.ts";
export {
  initialState,
  makeConfig,
  type PartitionConfigInput,
  partitionConfigDefaults,
  pendingProducesMaxLimit,
  type RecoveredLog,
  replicasMax,
} from "./state.ts";
export { checkState, checkTransition, step } from "./step.ts";
export type {
  BrokerId,
  Envelope,
  EpochEndOffset,
  EpochEntry,
  FollowerView,
  PartitionConfig,
  PartitionInput,
  PartitionReady,
  PartitionState,
  PartitionStepResult,
  PeerMessage,
  PendingProduce,
  PersistOp,
  ProduceBatch,
  ProduceResponse,
  ReplicatedBatch,
  Role,
} from "./types.ts";
