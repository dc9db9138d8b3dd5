/**
 * Runs a batch of seeds and sums it up: the VOPR mode. Seeds are consecutive from `fromSeed`, so a
 * batch is reproducible and any failing seed replays alone with `--seed`. This module owns the
 * summary and the order in which results are folded into it (always seed order, so every figure but
 * the wall-clock ones is the same whether seeds ran on one thread or many); it never starts threads
 * (see batch-parallel.ts) and never reads the wall clock except to report speed.
 */
import type { ClusterFactory, RunResult } from "./run.ts";
import { runOnce } from "./run.ts";
import { type RunConfig, runConfig } from "./run-config.ts";
import { wyhash } from "./wyhash.ts";

/** The failing runs a summary keeps in full (their replay lines); the rest are only counted. */
export const failedKeptMax = 20;

/**
 * What a batch keeps of one run: plain data only (no trace, no probes), so it crosses a worker
 * boundary by structured clone. A `RunResult` is one.
 */
export type SeedOutcome = Pick<
  RunResult,
  | "config"
  | "schedule"
  | "hash"
  | "events"
  | "simMs"
  | "wallMs"
  | "violations"
  | "checks"
  | "convergedAtMs"
  | "produces"
  | "acked"
  | "polls"
>;

export interface BatchSummary {
  seeds: number;
  simMs: number;
  /** Wall-clock time of the whole batch, start to finish (thread start-up included). */
  wallMs: number;
  /** Sum of the per-seed wall times: the thread time the seeds took, over all workers. */
  seedWallMs: number;
  /** Threads that ran seeds (1 = in-process). */
  workers: number;
  events: number;
  checks: number;
  violations: number;
  /** Seeds with at least one violation. */
  failing: number;
  /** The first `failedKeptMax` failing runs in seed order. */
  failed: SeedOutcome[];
  produces: number;
  acked: number;
  polls: number;
  notConverged: number;
  /** Rolling 64-bit hash over (seed, trace hash) in seed order: equal batches have equal hashes. */
  batchHash: bigint;
}

export function emptySummary(): BatchSummary {
  return {
    seeds: 0,
    simMs: 0,
    wallMs: 0,
    seedWallMs: 0,
    workers: 1,
    events: 0,
    checks: 0,
    violations: 0,
    failing: 0,
    failed: [],
    produces: 0,
    acked: 0,
    polls: 0,
    notConverged: 0,
    batchHash: 0n,
  };
}

/** The plain-data part of a run, for sending to another thread. */
export function seedOutcome(r: RunResult): SeedOutcome {
  return {
    config: r.config,
    schedule: r.schedule,
    hash: r.hash,
    events: r.events,
    simMs: r.simMs,
    wallMs: r.wallMs,
    violations: r.violations,
    checks: r.checks,
    convergedAtMs: r.convergedAtMs,
    produces: r.produces,
    acked: r.acked,
    polls: r.polls,
  };
}

/**
 * Folds one run into the summary. Callers must add runs in seed order: the batch hash and the kept
 * failures depend on it. The wall clock is not touched here: `seedWallMs` sums the runs' own times and
 * `wallMs` is set by whoever timed the whole batch.
 */
export function addResult(s: BatchSummary, r: SeedOutcome): void {
  s.seeds++;
  s.simMs += r.simMs;
  s.seedWallMs += r.wallMs;
  s.events += r.events;
  s.checks += r.checks;
  s.violations += r.violations.length;
  s.produces += r.produces;
  s.acked += r.acked;
  s.polls += r.polls;
  if (r.convergedAtMs < 0) s.notConverged++;
  if (r.violations.length > 0) {
    s.failing++;
    if (s.failed.length < failedKeptMax) s.failed.push(r);
  }
  s.batchHash = wyhash(`${r.config.seed}:${r.hash}`, s.batchHash);
}

export function batchHashHex(s: BatchSummary): string {
  return s.batchHash.toString(16).padStart(16, "0");
}

/** Runs the batch in this thread, in seed order. */
export function runBatch(
  fromSeed: bigint,
  count: number,
  factory: ClusterFactory,
  base: Partial<RunConfig>,
): BatchSummary {
  const start = performance.now();
  const s = emptySummary();
  for (let i = 0; i < count; i++) {
    addResult(s, runOnce(runConfig(fromSeed + BigInt(i), base), factory));
  }
  s.wallMs = performance.now() - start;
  return s;
}

/** Simulated seconds per wall second of the whole batch: the throughput of all workers together. */
export function speed(s: { simMs: number; wallMs: number }): number {
  return s.wallMs > 0 ? s.simMs / s.wallMs : 0;
}

/** Simulated seconds per second of thread time spent in runs: the speed of one core. */
export function threadSpeed(s: { simMs: number; seedWallMs: number }): number {
  return s.seedWallMs > 0 ? s.simMs / s.seedWallMs : 0;
}

export function summaryTable(s: BatchSummary): string {
  const workers = `${s.workers} ${s.workers === 1 ? "worker" : "workers"}`;
  const rows: [string, string][] = [
    ["seeds", String(s.seeds)],
    ["simulated time", `${(s.simMs / 1000).toFixed(1)} s`],
    ["events", String(s.events)],
    ["produces (acked)", `${s.produces} (${s.acked})`],
    ["records polled", String(s.polls)],
    ["invariants checked", String(s.checks)],
    ["violations", String(s.violations)],
    ["failing seeds", String(s.failing)],
    ["not converged", String(s.notConverged)],
    ["batch hash", batchHashHex(s)],
    ["wall time", `${(s.wallMs / 1000).toFixed(2)} s`],
    [`thread time (${workers})`, `${(s.seedWallMs / 1000).toFixed(2)} s`],
    [`sim s / wall s (${workers})`, speed(s).toFixed(0)],
    ["sim s / thread s (per core)", threadSpeed(s).toFixed(0)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const v = Math.max(...rows.map((r) => r[1].length));
  const line = `+${"-".repeat(w + 2)}+${"-".repeat(v + 2)}+`;
  return [line, ...rows.map(([k, x]) => `| ${k.padEnd(w)} | ${x.padStart(v)} |`), line].join("\n");
}
