/**
 * Runs a batch of seeds and sums it up: the VOPR mode. Seeds are consecutive from `fromSeed`, so a
 * batch is reproducible and any failing seed replays alone with `--seed`.
 */
import type { ClusterFactory, RunResult } from "./run.ts";
import { runOnce } from "./run.ts";
import { type RunConfig, runConfig } from "./run-config.ts";

export interface BatchSummary {
  seeds: number;
  simMs: number;
  wallMs: number;
  events: number;
  checks: number;
  violations: number;
  failed: RunResult[];
  produces: number;
  acked: number;
  polls: number;
  notConverged: number;
}

export function emptySummary(): BatchSummary {
  return {
    seeds: 0,
    simMs: 0,
    wallMs: 0,
    events: 0,
    checks: 0,
    violations: 0,
    failed: [],
    produces: 0,
    acked: 0,
    polls: 0,
    notConverged: 0,
  };
}

export function addResult(s: BatchSummary, r: RunResult): void {
  s.seeds++;
  s.simMs += r.simMs;
  s.wallMs += r.wallMs;
  s.events += r.events;
  s.checks += r.checks;
  s.violations += r.violations.length;
  s.produces += r.produces;
  s.acked += r.acked;
  s.polls += r.polls;
  if (r.convergedAtMs < 0) s.notConverged++;
  if (r.violations.length > 0 && s.failed.length < 20) s.failed.push(r);
}

export function runBatch(
  fromSeed: bigint,
  count: number,
  factory: ClusterFactory,
  base: Partial<RunConfig>,
  onResult?: (r: RunResult, done: number) => void,
): BatchSummary {
  const s = emptySummary();
  for (let i = 0; i < count; i++) {
    const r = runOnce(runConfig(fromSeed + BigInt(i), base), factory);
    addResult(s, r);
    onResult?.(r, i + 1);
  }
  return s;
}

/** simulated seconds per wall second */
export function speed(s: { simMs: number; wallMs: number }): number {
  return s.wallMs > 0 ? s.simMs / s.wallMs : 0;
}

export function summaryTable(s: BatchSummary): string {
  const rows: [string, string][] = [
    ["seeds", String(s.seeds)],
    ["simulated time", `${(s.simMs / 1000).toFixed(1)} s`],
    ["wall time", `${(s.wallMs / 1000).toFixed(2)} s`],
    ["events", String(s.events)],
    ["produces (acked)", `${s.produces} (${s.acked})`],
    ["records polled", String(s.polls)],
    ["invariants checked", String(s.checks)],
    ["violations", String(s.violations)],
    ["failing seeds", String(s.failed.length)],
    ["not converged", String(s.notConverged)],
    ["sim s / wall s", speed(s).toFixed(0)],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const v = Math.max(...rows.map((r) => r[1].length));
  const line = `+${"-".repeat(w + 2)}+${"-".repeat(v + 2)}+`;
  return [line, ...rows.map(([k, x]) => `| ${k.padEnd(w)} | ${x.padStart(v)} |`), line].join("\n");
}
