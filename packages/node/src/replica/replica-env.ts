/**
 * What a partition replica is handed by the node it lives on: a clock, timers, a transport to its
 * peers and the controller, a place to record high watermarks, a disk to make durable, and what to do
 * when storage fails. The broker's runtime binds these to real time, sockets and files; the simulator
 * binds them to its virtual clock, network and memory disk. The hooks are the simulator's: its online
 * checkers observe every step, and its known-bug switches wrap the core's step. The broker passes none.
 */
import type { partition } from "@eddy/core";
import type { AppendResult, StorageError } from "@eddy/storage";
import type { PartitionReplica } from "./partition-replica.ts";

type PState = partition.PartitionState;
type PInput = partition.PartitionInput;
type PResult = partition.PartitionStepResult;

export interface ReplicaEnv {
  /**
   * The node's clock in ms. It may jump back (a wall clock set back, a skewed simulated clock): the
   * replica never lets its own time go backwards, so the core never sees it.
   */
  nowMs(): number;
  /** Calls `replica.onWakeTimer()` after `delayMs` (>= 0). Extra or early calls are harmless. */
  wakeAfter(replica: PartitionReplica, delayMs: number): void;
  /**
   * Makes the replica's log durable. The environment must later call `replica.completeFlushNow()` (a
   * simulated disk, after its latency) or `replica.completeFlushAsync()` (a real disk), never inside
   * this call: completions are inputs of their own, after the step that asked for them.
   */
  flush(replica: PartitionReplica): void;
  /** Sends a replication message to broker `to` with the record batches it carries (empty for a fetch). */
  sendPeer(replica: PartitionReplica, to: number, message: partition.PeerMessage, records: Uint8Array): void;
  /** Sends an AlterPartition to the active controller; its answer comes back with the same `requestId`. */
  sendAlterPartition(
    replica: PartitionReplica,
    requestId: number,
    message: Extract<partition.PeerMessage, { type: "alterPartition" }>,
  ): void;
  /** Records the replica's high watermark for the node's `replication-offset-checkpoint` (lazily written). */
  recordHighWatermark(replica: PartitionReplica, offset: number): void;
  /**
   * Storage failed under this replica (it is offline from now on and has answered its waiting
   * produces with KAFKA_STORAGE_ERROR). The broker logs it; the simulator fail-stops the node.
   */
  storageFailed(replica: PartitionReplica, error: StorageError): void;
  log(line: string): void;
}

/** The next step function in a chain of hooks: the core's step, or the next wrapper. */
export type StepFn = (state: PState, input: PInput) => PResult;

/** Observers and switches the simulator attaches; every field is optional and the broker sets none. */
export interface ReplicaHooks {
  /** Wraps the core's step (known-bug switches); must call `next` for the core's own answer. */
  readonly step?: (replica: PartitionReplica, state: PState, input: PInput, next: StepFn) => PResult;
  /** May move a truncation the core asked for (a known-bug switch); returns the offset to truncate to. */
  readonly truncateOffset?: (replica: PartitionReplica, offset: number, before: PState) => number;
  /** Called before a truncation (or full truncation) is written, with the replica's HW before the step. */
  readonly truncating?: (replica: PartitionReplica, offset: number, full: boolean, before: PState) => void;
  /** Called after each write to the log; returning false means the process died in that write. */
  readonly appended?: (replica: PartitionReplica, appended: AppendResult, bytes: Uint8Array) => boolean;
  /** Called after every step has been acted on. */
  readonly stepped?: (replica: PartitionReplica, before: PState, after: PState) => void;
  /** Called when a produce is answered, before its caller sees the answer. */
  readonly produceAnswered?: (replica: PartitionReplica, response: partition.ProduceResponse) => void;
  /** Called when a consumer read is served, with the high watermark it exposed. */
  readonly consumerRead?: (replica: PartitionReplica, highWatermark: number) => void;
  /**
   * A known-bug switch: serve consumers while a new leader's high watermark is still below its
   * epoch's start offset (Kafka answers OFFSET_NOT_AVAILABLE then).
   */
  readonly exposeHwBelowEpochStart?: () => boolean;
}
