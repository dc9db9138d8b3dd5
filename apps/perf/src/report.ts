/**
 * What the perf tool prints: a progress line per reporting interval (records/s, MB/s, average and
 * maximum latency over the interval, as Kafka's perf tests print) and one final line, as text or as a
 * JSON object. Owns the interval counters, the whole-run histogram, the steady-state split of
 * `--warmup-records` and the formatting. Must never keep a value per record: the interval is three
 * numbers and each of the run and its steady state is one fixed-size histogram.
 */
import { LatencyHistogram } from "./histogram.ts";

/** Kafka's perf tests count a megabyte as 1024 * 1024 bytes. */
const bytesPerMb = 1024 * 1024;

export class RunStats {
  readonly latency = new LatencyHistogram();
  recordsCount = 0;
  bytesCount = 0;
  private windowRecords = 0;
  private windowBytes = 0;
  private windowLatencyUsSum = 0;
  private windowLatencyCount = 0;
  private windowLatencyUsMax = 0;
  private windowStartMs = performance.now();

  /** Counts records done without a latency (Produce with acks=0). */
  countDone(records: number, bytes: number): void {
    this.recordsCount += records;
    this.bytesCount += bytes;
    this.windowRecords += records;
    this.windowBytes += bytes;
  }

  /** Records `count` latencies of `latencyUs` each. */
  recordLatency(latencyUs: number, count = 1): void {
    this.latency.record(latencyUs, count);
    this.windowLatencyUsSum += latencyUs * count;
    this.windowLatencyCount += count;
    if (latencyUs > this.windowLatencyUsMax) this.windowLatencyUsMax = latencyUs;
  }

  /** The progress line for the interval since the last call, which starts a new interval. */
  takeProgressLine(verb: string, latencyLabel: string): string {
    const now = performance.now();
    const seconds = Math.max(1e-9, (now - this.windowStartMs) / 1000);
    const line =
      `${this.windowRecords} records ${verb}, ${fixed(this.windowRecords / seconds, 1)} records/sec ` +
      `(${fixed(this.windowBytes / bytesPerMb / seconds, 2)} MB/sec)` +
      (this.windowLatencyCount === 0
        ? ""
        : `, ${fixed(this.windowLatencyUsSum / this.windowLatencyCount / 1000, 2)} ms avg ${latencyLabel}, ` +
          `${fixed(this.windowLatencyUsMax / 1000, 2)} ms max ${latencyLabel}.`);
    this.windowRecords = 0;
    this.windowBytes = 0;
    this.windowLatencyUsSum = 0;
    this.windowLatencyCount = 0;
    this.windowLatencyUsMax = 0;
    this.windowStartMs = now;
    return line;
  }
}

export interface FinalFigures {
  readonly kind: "produce" | "consume";
  /**
   * "all" for the whole run; "steady state" for the records after `--warmup-records`, which Kafka's
   * producer perf test reports on a second line (KIP-1052) so that start-up does not set the tail.
   */
  readonly phase: "all" | "steady state";
  readonly records: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  readonly mbPerSecond: number;
  /** What the latency measures: "request" (send to acknowledgement) or "end-to-end" (CreateTime to delivery). */
  readonly latencyOf: "request" | "end-to-end" | "none";
  readonly latencyCount: number;
  readonly latencyMsAvg: number | null;
  readonly latencyMsP50: number | null;
  readonly latencyMsP99: number | null;
  readonly latencyMsP999: number | null;
  readonly latencyMsMax: number | null;
  readonly cpuSeconds: number;
  readonly cpuSecondsPerMillionRecords: number;
  readonly errors: number;
  readonly extra: Readonly<Record<string, number | string | null>>;
  /** The figures of the records after the warm-up; null without `--warmup-records`. */
  readonly steadyState: FinalFigures | null;
}

/**
 * Kafka's `--warmup-records N`: every record counts in the whole run, and the records from number N
 * on (0-based, in the order the run counts them) count again in a steady state of their own, with its
 * own clock and CPU reading, started by its first record. Without a warm-up there is no steady state.
 */
export class WarmupSplit {
  private steadyStats: RunStats | null = null;
  private steadyStartMs = 0;
  private steadyCpuStart: NodeJS.CpuUsage | null = null;

  constructor(readonly warmupRecords: number) {}

  /** Whether record number `index` of the run (0-based) is past the warm-up. */
  isSteady(index: number): boolean {
    return this.warmupRecords > 0 && index >= this.warmupRecords;
  }

  /** Of `count` records, the first being record number `first` of the run, how many are past the warm-up. */
  steadyCountOf(first: number, count: number): number {
    if (this.warmupRecords <= 0) return 0;
    return Math.max(0, first + count - Math.max(first, this.warmupRecords));
  }

  /** The steady state's stats; the first call starts its clock. */
  steady(): RunStats {
    if (this.steadyStats === null) {
      this.steadyStats = new RunStats();
      this.steadyStartMs = performance.now();
      this.steadyCpuStart = process.cpuUsage();
    }
    return this.steadyStats;
  }

  /** The steady state's final figures at `endMs`, or null when no record passed the warm-up. */
  figures(
    kind: FinalFigures["kind"],
    endMs: number,
    latencyOf: FinalFigures["latencyOf"],
  ): FinalFigures | null {
    if (this.steadyStats === null || this.steadyCpuStart === null) return null;
    const seconds = (endMs - this.steadyStartMs) / 1000;
    return {
      ...finalFigures(kind, this.steadyStats, seconds, this.steadyCpuStart, latencyOf, 0),
      phase: "steady state",
    };
  }
}

/** The final figures of a run from its stats, wall seconds and the process's CPU use since it started. */
export function finalFigures(
  kind: FinalFigures["kind"],
  stats: RunStats,
  seconds: number,
  cpuStart: NodeJS.CpuUsage,
  latencyOf: FinalFigures["latencyOf"],
  errors: number,
  extra: FinalFigures["extra"] = {},
  steadyState: FinalFigures | null = null,
): FinalFigures {
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const h = stats.latency;
  const ms = (us: number): number | null => (h.count === 0 ? null : round(us / 1000, 3));
  const wall = Math.max(seconds, 1e-9);
  return {
    kind,
    phase: "all",
    records: stats.recordsCount,
    bytes: stats.bytesCount,
    seconds: round(seconds, 3),
    recordsPerSecond: round(stats.recordsCount / wall, 1),
    mbPerSecond: round(stats.bytesCount / bytesPerMb / wall, 2),
    latencyOf: h.count === 0 ? "none" : latencyOf,
    latencyCount: h.count,
    latencyMsAvg: ms(h.meanUs),
    latencyMsP50: ms(h.percentileUs(50)),
    latencyMsP99: ms(h.percentileUs(99)),
    latencyMsP999: ms(h.percentileUs(99.9)),
    latencyMsMax: ms(h.maxUs),
    cpuSeconds: round(cpuSeconds, 3),
    cpuSecondsPerMillionRecords: round(cpuSeconds / Math.max(stats.recordsCount / 1e6, 1e-9), 3),
    errors,
    extra,
    steadyState,
  };
}

/**
 * The final line: Kafka's perf-test wording with percentiles, or one JSON object (the steady state
 * nested in it). As text, a steady state follows on a line of its own, as Kafka's tool prints it.
 */
export function formatFinal(f: FinalFigures, output: "text" | "json"): string {
  if (output === "json") return JSON.stringify(f);
  return f.steadyState === null
    ? formatFinalLine(f)
    : `${formatFinalLine(f)}\n${formatFinalLine(f.steadyState)}`;
}

function formatFinalLine(f: FinalFigures): string {
  const verb = f.kind === "produce" ? "sent" : "consumed";
  const latency =
    f.latencyMsAvg === null
      ? ", no latency measured (acks=0 gets no acknowledgement)"
      : `, ${fixed(f.latencyMsAvg, 2)} ms avg ${f.latencyOf} latency, ${fixed(f.latencyMsMax!, 2)} ms max, ` +
        `${fixed(f.latencyMsP50!, 2)} ms p50, ${fixed(f.latencyMsP99!, 2)} ms p99, ` +
        `${fixed(f.latencyMsP999!, 2)} ms p99.9`;
  const extra = Object.entries(f.extra)
    .map(([k, v]) => `, ${k} ${v}`)
    .join("");
  return (
    `${f.records}${f.phase === "steady state" ? " steady state" : ""} records ${verb} in ${fixed(f.seconds, 2)} s, ${fixed(f.recordsPerSecond, 1)} records/sec ` +
    `(${fixed(f.mbPerSecond, 2)} MB/sec)${latency}${extra}; ` +
    `perf tool CPU ${fixed(f.cpuSeconds, 2)} s (${fixed(f.cpuSecondsPerMillionRecords, 3)} s per million records)` +
    (f.errors > 0 ? `; ${f.errors} errors` : "")
  );
}

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
