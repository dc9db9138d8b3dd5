/**
 * A preload that reports one process's own stalls, for telling a latency tail from the machine:
 * `bun --preload ./apps/perf/bench/loop-stalls.ts <program>`, with `LOOP_STALLS_OUT=<file>`. A 1 ms
 * timer records how late it fires; each stall above 1.5 ms is listed as a wall-clock span (start, end,
 * ms late), so spans from the broker, the producer and the consumer can be laid over a record's trip.
 * The first line sums them and adds, from /proc (Linux), the main thread's CPU time, its time runnable
 * but waiting for a core (schedstat's run-queue wait) and its involuntary context switches, beside the
 * CPU time of all its threads (the runtime's GC, JIT and I/O threads compete for the same cores).
 * Written at exit and on SIGUSR2 (which also starts a new span), so a long-running broker can be
 * sampled per run.
 */
import { readFileSync, writeFileSync } from "node:fs";

const tickMs = 1;
const stallMsMin = 1.5;
const bucketsPerMs = 10;
const lateBuckets = new Float64Array(200 * bucketsPerMs + 1);
let expectedMs = performance.now() + tickMs;
let ticks = 0;
let lateMsMax = 0;
const stalls: string[] = [];

interface Sched {
  readonly atMs: number;
  readonly cpuMs: number;
  readonly runQueueMs: number;
  readonly involuntary: number;
  /** CPU time of every thread of the process (JIT, GC and I/O threads too), from /proc/self/stat. */
  readonly processCpuMs: number;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const procTicksPerSecond = 100;

function processCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / procTicksPerSecond;
}

function sched(): Sched {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").trim().split(" ");
    const involuntary = /nr_involuntary_switches\s*:\s*(\d+)/.exec(readFileSync("/proc/self/sched", "utf8"));
    return {
      atMs: performance.now(),
      cpuMs: Number(stat[0]) / 1e6,
      runQueueMs: Number(stat[1]) / 1e6,
      involuntary: Number(involuntary?.[1] ?? 0),
      processCpuMs: processCpuMs(),
    };
  } catch {
    return {
      atMs: performance.now(),
      cpuMs: Number.NaN,
      runQueueMs: Number.NaN,
      involuntary: Number.NaN,
      processCpuMs: Number.NaN,
    };
  }
}

let since = sched();
setInterval(() => {
  const nowMs = performance.now();
  const lateMs = Math.max(0, nowMs - expectedMs);
  lateBuckets[Math.min(lateBuckets.length - 1, Math.floor(lateMs * bucketsPerMs))]!++;
  ticks++;
  lateMsMax = Math.max(lateMsMax, lateMs);
  if (lateMs > stallMsMin) {
    const origin = performance.timeOrigin;
    stalls.push(
      `${(origin + expectedMs - tickMs).toFixed(2)} ${(origin + nowMs).toFixed(2)} ${lateMs.toFixed(2)}`,
    );
  }
  expectedMs = nowMs + tickMs;
}, tickMs).unref();

function percentileMs(p: number): number {
  let seen = 0;
  for (let i = 0; i < lateBuckets.length; i++) {
    seen += lateBuckets[i]!;
    if (seen >= (p / 100) * ticks) return i / bucketsPerMs;
  }
  return (lateBuckets.length - 1) / bucketsPerMs;
}

function write(): void {
  const now = sched();
  const stalledMs = stalls.reduce((sum, line) => sum + Number(line.split(" ")[2]), 0);
  const summary =
    `# ${ticks} ticks, lateness p50 ${percentileMs(50)} p99 ${percentileMs(99)} p99.9 ${percentileMs(99.9)} ` +
    `max ${lateMsMax.toFixed(2)} ms; ${stalls.length} stalls over ${stallMsMin} ms, ${stalledMs.toFixed(0)} ms in all; ` +
    `over ${(now.atMs - since.atMs).toFixed(0)} ms the main thread ran ${(now.cpuMs - since.cpuMs).toFixed(0)} ms, ` +
    `waited for a core ${(now.runQueueMs - since.runQueueMs).toFixed(0)} ms, ` +
    `involuntary switches ${now.involuntary - since.involuntary}; all its threads ran ${(now.processCpuMs - since.processCpuMs).toFixed(0)} ms`;
  writeFileSync(
    process.env.LOOP_STALLS_OUT ?? `loop-stalls-${process.pid}.txt`,
    `${summary}\n${stalls.join("\n")}\n`,
  );
}

process.on("exit", write);
process.on("SIGUSR2", () => {
  write();
  lateBuckets.fill(0);
  ticks = 0;
  lateMsMax = 0;
  stalls.length = 0;
  since = sched();
});
