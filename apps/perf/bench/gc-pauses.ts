/**
 * `bun bench/gc-pauses.ts LOG [--seconds S]`: sums a Bun process's collections from its
 * `BUN_JSC_logGC=1` output (its stderr), so a latency tail can be laid beside the pauses that caused
 * it: collections by kind (eden, full), pause total, mean, p50/p90/max, and, given the run's length,
 * the share of the run spent paused (a request arriving in a pause waits for it, so a p99 below the
 * typical pause needs that share under 1%). Also the bytes that triggered collections, split as JSC
 * logs them (normal and oversized). Reads the log once; never starts a process.
 */
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const secondsAt = args.indexOf("--seconds");
const seconds = secondsAt >= 0 ? Number(args[secondsAt + 1]) : null;
const path = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--seconds");
if (path === undefined || (seconds !== null && !(seconds > 0))) {
  console.error("usage: bun bench/gc-pauses.ts LOG [--seconds S]   (LOG: the stderr of BUN_JSC_logGC=1)");
  process.exit(2);
}
const text = readFileSync(path, "utf8");
const kinds = [...text.matchAll(/=> (\w+)Collection/g)].map((m) => m[1]!);
const pausesMs = [...text.matchAll(/\bp=([0-9.]+)ms/g)].map((m) => Number(m[1]));
let normalBytes = 0;
let oversizedBytes = 0;
for (const m of text.matchAll(/normal bytes: (\d+) oversized bytes: (\d+)/g)) {
  normalBytes += Number(m[1]);
  oversizedBytes += Number(m[2]);
}
const sorted = [...pausesMs].sort((a, b) => a - b);
const at = (p: number): string =>
  sorted.length === 0
    ? "-"
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2);
const totalMs = pausesMs.reduce((sum, ms) => sum + ms, 0);
const count = (kind: string): number => kinds.filter((k) => k === kind).length;
console.log(
  `${kinds.length} collections (${count("Eden")} eden, ${count("Full")} full); pauses ${totalMs.toFixed(0)} ms in all, ` +
    `mean ${(totalMs / Math.max(1, pausesMs.length)).toFixed(2)}, p50 ${at(50)}, p90 ${at(90)}, max ${at(100)} ms` +
    (seconds === null ? "" : `, ${((100 * totalMs) / (seconds * 1000)).toFixed(1)}% of ${seconds} s`) +
    `; triggered by ${(normalBytes / 1e6).toFixed(0)} MB normal and ${(oversizedBytes / 1e6).toFixed(0)} MB oversized allocations`,
);
