/**
 * One run driven a step at a time, for teaching tools (the studio) and for replaying one exact
 * moment: the same setup, events, phases and liveness checks as `runOnce`, in the same order, so a
 * stepped run that reaches its end has `runOnce`'s trace hash (test/stepped-run.test.ts). A step is
 * the simulator's work up to the next trace event (or the run's end). This module owns the pacing
 * only; it must never change what a run does, read the wall clock or draw randomness.
 */
import type { ClusterView } from "./cluster/cluster-view.ts";
import {
  type ClusterFactory,
  checkConverged,
  closeRun,
  finalChecks,
  guardRun,
  livenessCheckIntervalMs,
  type OpenRun,
  openRun,
  type RunResult,
} from "./run.ts";
import type { RunConfig } from "./run-config.ts";
import type { Violation } from "./violation.ts";

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

  /** The last `count` trace lines (JSON), oldest first, when the run's config records its trace. */
  traceTail(count: number): string[] {
    return this.run.trace.tail(count);
  }

  /** Advances to the next trace event; returns false once the run has ended. */
  step(): boolean {
    if (this.result !== undefined) return false;
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
