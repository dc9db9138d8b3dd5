/**
 * One run driven a step at a time, for teaching tools (the studio) and for replaying one exact
 * moment: the same setup, events, phases and liveness checks as `runOnce`, in the same order, so a
 * stepped run that reaches its end has `runOnce`'s trace hash (test/stepped-run.test.ts). A step is
 * the simulator's work up to the next trace event (or the run's end). Between two steps a learner may
 * apply inputs (learner-input.ts); each is recorded with the step it was applied at, so `replayTo`
 * rebuilds any moment from (config, inputs, step). This module owns the pacing and that record only;
 * it must never change what a run without inputs does, read the wall clock or draw randomness.
 */
import type { ClusterView } from "./cluster/cluster-view.ts";
import type { History } from "./history.ts";
import { applyInput, resolveInput } from "./learner-apply.ts";
import { type LearnerInput, learnerInputsMax, type TimedInput } from "./learner-input.ts";
import {
  type ClusterFactory,
  checkConverged,
  closeRun,
  finalChecks,
  guardRun,
  livenessCheckIntervalMs,
  type NodeDisk,
  type OpenRun,
  openRun,
  type RunResult,
} from "./run.ts";
import type { RunConfig } from "./run-config.ts";
import type { MessageInFlight } from "./simulator.ts";
import type { Violation } from "./violation.ts";

/** A message between two nodes named as the trace names them ("b0"), with its send and arrival times. */
export interface NamedMessage {
  readonly from: string;
  readonly to: string;
  readonly label: string;
  readonly sentMs: number;
  /** -1 when the network dropped it. */
  readonly arriveMs: number;
}

/**
 * A step ends at the next trace event; events that leave no trace line (a message to a crashed node,
 * a timer of an earlier incarnation) are processed on the way, at most this many per step.
 */
export const eventsPerStepMax = 100_000;

export type RunPhase = "safety" | "liveness" | "ended";

export class SteppedRun {
  private readonly run: OpenRun;
  private readonly endMs: number;
  /** The next virtual time at which the liveness phase checks convergence, as `runOnce` does. */
  private nextCheckMs: number;
  private result: RunResult | undefined = undefined;
  private stepsTaken = 0;
  private readonly applied: TimedInput[] = [];

  constructor(config: RunConfig, factory: ClusterFactory) {
    this.run = openRun(config, factory);
    this.endMs = config.safetyMs + config.livenessMs;
    this.nextCheckMs = config.safetyMs + livenessCheckIntervalMs;
    if (this.run.crashed) this.finish();
  }

  get config(): RunConfig {
    return this.run.config;
  }

  /** Virtual time of the last processed event (or liveness check). */
  get nowMs(): number {
    return this.run.sim.nowMs;
  }

  /**
   * Steps taken so far: every `step()` call that did work, the one that ended the run included, so
   * replaying this many steps reaches the same moment, ended or not.
   */
  get stepCount(): number {
    return this.stepsTaken;
  }

  /** The inputs applied so far, each with the step it was applied at, in the order applied. */
  get inputs(): readonly TimedInput[] {
    return this.applied;
  }

  /** What the clients did so far (sends, acknowledgements, polls, commits), for teaching views. */
  get history(): History {
    return this.run.history;
  }

  /**
   * The values in a live broker's log of one partition, offset by offset from the log start, for
   * teaching views that show what a failover lost; undefined while the broker is down or before the
   * topic exists. Reading never changes the run.
   */
  replicaValues(brokerId: number, partition: number): readonly number[] | undefined {
    const log = this.run.world.brokerLog?.(brokerId, partition);
    return log?.values(log.start, log.end, false);
  }

  /**
   * The brokers' memory disks as they are now (segment files, indexes, checkpoints), for teaching
   * views that show a log's segments and sparse index; reading them never changes the run.
   */
  disks(): readonly NodeDisk[] {
    return this.run.model.disks?.() ?? [];
  }

  /** Trace events so far (the `i` of the next trace line). */
  get traceEvents(): number {
    return this.run.trace.count;
  }

  get phase(): RunPhase {
    if (this.result !== undefined) return "ended";
    return this.run.sim.nowMs < this.run.config.safetyMs ? "safety" : "liveness";
  }

  get convergedAtMs(): number {
    return this.run.convergedAtMs;
  }

  get violations(): readonly Violation[] {
    return this.run.violations.list;
  }

  /** The run's figures once it has ended, as `runOnce` returns them. */
  get ended(): RunResult | undefined {
    return this.result;
  }

  /** The running trace hash (the final one once ended). */
  get hashHex(): string {
    return this.run.trace.hashHex();
  }

  view(): ClusterView | undefined {
    return this.run.model.view?.();
  }

  /**
   * Messages sent and not yet delivered, at most `countMax`, with node names, send and arrival times
   * (the network decided both at send), for views that draw them moving. Reading never changes the run.
   */
  messagesInFlight(countMax: number): NamedMessage[] {
    return this.run.sim.messagesInFlight(countMax).map((m) => this.named(m));
  }

  /** The last messages the network dropped at send, oldest first (`arriveMs` is -1). */
  messagesDropped(): NamedMessage[] {
    return this.run.sim.messagesDropped().map((m) => this.named(m));
  }

  private named(m: MessageInFlight): NamedMessage {
    const nodes = this.run.sim.nodes;
    return { ...m, from: nodes[m.from]!.name, to: nodes[m.to]!.name };
  }

  /** The last `count` trace lines (JSON), oldest first, when the run's config records its trace. */
  traceTail(count: number): string[] {
    return this.run.trace.tail(count);
  }

  /**
   * Applies a learner input now, after `stepCount` steps: a role alias in it ("leader:0") is resolved
   * to the node it names now, and the resolved input is recorded. Returns the recorded input, or a
   * refusal in words (nothing changes then: an alias naming nobody, no spare consumer, the run over).
   */
  apply(input: LearnerInput): TimedInput | string {
    if (this.result !== undefined) return "the run has ended";
    if (this.applied.length >= learnerInputsMax) return `at most ${learnerInputsMax} inputs per run`;
    const resolved = resolveInput(this.run, input);
    if (typeof resolved === "string") return resolved;
    let refusal: string | undefined;
    guardRun(this.run, () => {
      refusal = applyInput(this.run, resolved);
    });
    if (refusal !== undefined) return refusal;
    const timed: TimedInput = { step: this.stepsTaken, input: resolved };
    this.applied.push(timed);
    if (this.run.crashed) this.finish();
    return timed;
  }

  /** Advances to the next trace event; returns false once the run has ended. */
  step(): boolean {
    if (this.result !== undefined) return false;
    this.stepsTaken++;
    const run = this.run;
    const sim = run.sim;
    const traceBefore = run.trace.count;
    guardRun(run, () => {
      for (let i = 0; i < eventsPerStepMax && run.trace.count === traceBefore; i++) {
        if (sim.nowMs < run.config.safetyMs || sim.queue.peekTimeMs() === run.config.safetyMs) {
          // The safety phase runs every event up to and including its last millisecond.
          if (sim.runNext(run.config.safetyMs)) continue;
          sim.runUntil(run.config.safetyMs);
        }
        if (this.nextCheckMs > this.endMs) {
          this.finish();
          return;
        }
        // An event after the next check waits for it: `runOnce` checks at each boundary first.
        if (sim.runNext(this.nextCheckMs)) continue;
        sim.runUntil(this.nextCheckMs);
        this.nextCheckMs += livenessCheckIntervalMs;
        if (checkConverged(run)) {
          this.finish();
          return;
        }
      }
    });
    if (run.crashed && this.result === undefined) this.finish();
    return this.result === undefined;
  }

  /** Up to `count` steps; returns how many were taken. */
  steps(count: number): number {
    let taken = 0;
    while (taken < count && this.step()) taken++;
    return taken;
  }

  private finish(): void {
    if (this.result !== undefined) return;
    guardRun(this.run, () => finalChecks(this.run));
    this.result = closeRun(this.run);
  }
}

/**
 * Rebuilds the moment after `step` steps of a run with `inputs` (each applied when the run has taken
 * its step count, before the next step): the same config, inputs and step always give the same run.
 * Inputs after `step` are left out. An input the run refuses is skipped, as it was when first given.
 */
export function replayTo(
  config: RunConfig,
  factory: ClusterFactory,
  inputs: readonly TimedInput[],
  step: number,
): SteppedRun {
  const run = new SteppedRun(config, factory);
  let next = 0;
  for (;;) {
    while (next < inputs.length && inputs[next]!.step <= run.stepCount) {
      if (inputs[next]!.step === run.stepCount) run.apply(inputs[next]!.input);
      next++;
    }
    if (run.stepCount >= step || !run.step()) break;
  }
  return run;
}
