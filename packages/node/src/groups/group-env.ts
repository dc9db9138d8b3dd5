/**
 * What the group coordinator is handed by the node it lives on: a clock, wake-up timers, persistence
 * of the core's records, a fresh seed for each coordinator it builds, and a log. The broker binds
 * these to the wall clock, `setTimeout` and the storage port (writes that complete later); the
 * simulator binds them to its virtual clock, its timers and a list of records that survives crashes
 * (writes that are durable on return). Replies go to the callback each request was handed with.
 *
 * The hooks are the simulator's: its known-bug switches wrap the core's step, and its online checker
 * watches what is made durable. The broker passes none. This module holds types only.
 */
import type { group } from "@eddy/core";
import type { GroupCoordinator } from "./group-coordinator.ts";

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A request for the coordinator, without the request id the driver assigns. */
export type GroupRequest = DistributiveOmit<
  Exclude<group.Input, group.TickInput | group.LoadInput>,
  "requestId"
>;

/** The core's answer to a request of type `T`. */
export type GroupAnswer<T extends GroupRequest["type"]> = Extract<group.Response, { kind: T }>;

/**
 * Called once with a request's answer, or with `null` when the coordinator cannot answer it (too
 * many waiting, a failed write, a failed rebuild, closed): the broker answers NOT_COORDINATOR then,
 * on which clients rediscover the coordinator and retry.
 */
export type GroupReply<T extends GroupRequest["type"] = GroupRequest["type"]> = (
  answer: GroupAnswer<T> | null,
) => void;

export interface GroupEnv {
  /**
   * The node's clock in ms. It may jump back (a wall clock set back, a skewed simulated clock): the
   * coordinator never lets its own time go backwards, so the core never sees it.
   */
  nowMs(): number;
  /** Calls `coordinator.onWakeTimer()` after `delayMs` (>= 0). Extra or early calls are harmless. */
  wakeAfter(coordinator: GroupCoordinator, delayMs: number): void;
  /**
   * Makes one batch of the core's records durable, in order. Returns true when they are durable on
   * return (the simulator's list). Otherwise returns false and later calls
   * `coordinator.persistCompleted(batchId)` or `coordinator.persistFailed(batchId, error)`, never
   * inside this call. The coordinator never has more than one batch in flight.
   */
  persist(coordinator: GroupCoordinator, batchId: number, records: readonly group.PersistRecord[]): boolean;
  /**
   * Reads back every durable record, for a rebuild after a failed write or a failed core step; later
   * calls `coordinator.loaded(records)` or `coordinator.loadFailed(error)`, never inside this call.
   */
  reload(coordinator: GroupCoordinator): void;
  /**
   * The seed of the next coordinator state built (at open and at each rebuild). Member ids must not
   * repeat across restarts and rebuilds, so the broker draws a fresh random one; the simulator draws
   * from its seeded stream, so a run replays.
   */
  seed(): number;
  /**
   * The core threw on a step (one of its invariants failed), so the state it advanced in place cannot
   * be trusted. The broker logs it and the coordinator rebuilds from durable records; the simulator
   * rethrows, so the run reports the broken invariant.
   */
  coreFailed(coordinator: GroupCoordinator, input: group.Input, error: unknown): void;
  log(line: string): void;
}

/** The next step function in a chain of hooks: the core's step, or the next wrapper. */
export type GroupStepFn = (state: group.CoordinatorState, input: group.Input) => group.StepResult;

/** Observers and switches the simulator attaches; every field is optional and the broker sets none. */
export interface GroupHooks {
  /** Wraps the core's step (known-bug switches); must call `next` for the core's own answer. */
  readonly step?: (
    coordinator: GroupCoordinator,
    state: group.CoordinatorState,
    input: group.Input,
    next: GroupStepFn,
  ) => group.StepResult;
  /** Called for each record once it is durable, in order, before any answer that depends on it. */
  readonly persisted?: (coordinator: GroupCoordinator, record: group.PersistRecord) => void;
}
