/**
 * `bun bench/e2e-attribution.ts TRACE NAME=STALLS...`: which records of an `e2e-trace.ts` run were
 * late, and whether a process was stalled while they travelled. TRACE is the batch file; each
 * NAME=STALLS is one process's `loop-stalls.ts` output (for example broker=b.txt producer=p.txt
 * consumer=c.txt). Prints the record-weighted end-to-end percentiles (delivery minus CreateTime less
 * 0.5 ms, the mean of CreateTime's truncation), then, for records over `--slow-ms` (5), the share
 * whose trip (CreateTime to delivery) overlaps a stall of each combination of processes, beside the
 * share of records under 2 ms that overlap any stall (what chance alone gives).
 */
import { readFileSync } from "node:fs";

const slowAt = process.argv.indexOf("--slow-ms");
const slowMs = slowAt > 0 ? Number(process.argv[slowAt + 1]) : 5;
const positional = process.argv
  .slice(2)
  .filter((a, i, all) => a !== "--slow-ms" && all[i - 1] !== "--slow-ms");
const [tracePath, ...stallArgs] = positional;
if (tracePath === undefined || stallArgs.length === 0) {
  console.error("usage: bun bench/e2e-attribution.ts TRACE NAME=STALLS... [--slow-ms 5]");
  process.exit(2);
}

interface Span {
  readonly fromMs: number;
  readonly toMs: number;
}
const stalls = stallArgs.map((a) => {
  const [name, path] = a.split("=");
  const spans: Span[] = [];
  for (const line of readFileSync(path!, "utf8").split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const [from, to] = line.split(" ");
    spans.push({ fromMs: Number(from), toMs: Number(to) });
  }
  return { name: name!, spans };
});

interface Batch {
  readonly createMs: number;
  readonly deliveredMs: number;
  readonly latencyMs: number;
  readonly count: number;
}
const batches: Batch[] = [];
for (const line of readFileSync(tracePath, "utf8").split("\n")) {
  const f = line.split(" ");
  if (f[0] !== "B") continue;
  const deliveredMs = Number(f[2]);
  const createMs = Number(f[3]);
  batches.push({ createMs, deliveredMs, latencyMs: deliveredMs - createMs - 0.5, count: Number(f[4]) });
}
const total = batches.reduce((n, b) => n + b.count, 0);
const byLatency = [...batches].sort((a, b) => a.latencyMs - b.latencyMs);
const percentile = (p: number): string => {
  let seen = 0;
  for (const b of byLatency) {
    seen += b.count;
    if (seen >= (p / 100) * total) return b.latencyMs.toFixed(2);
  }
  return byLatency[byLatency.length - 1]!.latencyMs.toFixed(2);
};
console.log(
  `${total} records in ${batches.length} batches: end-to-end p50 ${percentile(50)} p99 ${percentile(99)} p99.9 ${percentile(99.9)} max ${percentile(100)} ms`,
);

const stalledDuring = (b: Batch): string[] =>
  stalls
    .filter((s) => s.spans.some((span) => span.fromMs < b.deliveredMs && span.toMs > b.createMs))
    .map((s) => s.name);
const slow = batches.filter((b) => b.latencyMs > slowMs);
const slowCount = slow.reduce((n, b) => n + b.count, 0);
const shares = new Map<string, number>();
for (const b of slow) {
  const key = stalledDuring(b).join("+") || "no stall";
  shares.set(key, (shares.get(key) ?? 0) + b.count);
}
const pct = (n: number, of: number): string => `${((100 * n) / Math.max(1, of)).toFixed(1)}%`;
console.log(
  `${slowCount} records (${pct(slowCount, total)}) over ${slowMs} ms; their trip overlaps a stall of:`,
);
for (const [key, n] of [...shares].sort((a, b) => b[1] - a[1]))
  console.log(`  ${key}: ${n} (${pct(n, slowCount)})`);
const fast = batches.filter((b) => b.latencyMs <= 2);
const fastCount = fast.reduce((n, b) => n + b.count, 0);
const fastStalled = fast.filter((b) => stalledDuring(b).length > 0).reduce((n, b) => n + b.count, 0);
console.log(`records under 2 ms whose trip overlaps any stall: ${pct(fastStalled, fastCount)}`);
