/**
 * The broker's own counters and histograms, with bounded label sets. Owns their storage and how they
 * are written into an exposition. Values move only through a `Series` handle the hot path caches, so
 * a request costs an array index and an addition, never a string join or a map lookup. Must never
 * grow without bound: each family holds at most `seriesMax` label sets, and a new one past that is
 * dropped and counted (`eddy_metrics_series_dropped_total`), so a client inventing topic names
 * cannot exhaust the broker's memory through its metrics.
 */
import type { Exposition } from "./exposition.ts";

/** Label sets one family holds by default: the controller's own topic limit. */
export const seriesPerFamilyMax = 10_000;
/** Latency buckets of the request histograms, in milliseconds (upper bounds; +Inf is implied). */
export const latencyBucketsMs: readonly number[] = [
  0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000,
];

/** One label set's value; the hot path keeps it and adds to it. */
export interface Series {
  value: number;
}

/** One label set's histogram: counts per bucket (not cumulative), their sum and count. */
export interface HistogramSeries {
  readonly bucketCounts: Float64Array;
  sum: number;
  count: number;
}

const labelKey = (values: readonly string[]): string => values.join("\u0000");

export class CounterFamily {
  private readonly series = new Map<string, { readonly values: readonly string[]; readonly s: Series }>();
  /** A handle for label sets past the limit: adding to it changes nothing that is written. */
  private readonly overflow: Series = { value: 0 };
  droppedCount = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly seriesMax = seriesPerFamilyMax,
  ) {}

  /** The series of these label values, created on first use; past the limit a sink that is never written. */
  handle(values: readonly string[]): Series {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = labelKey(values);
    const found = this.series.get(key);
    if (found !== undefined) return found.s;
    if (this.series.size >= this.seriesMax) {
      this.droppedCount++;
      return this.overflow;
    }
    const s: Series = { value: 0 };
    this.series.set(key, { values: [...values], s });
    return s;
  }

  inc(values: readonly string[], by = 1): void {
    this.handle(values).value += by;
  }

  /** Drops the series whose label values `gone` names (a deleted topic's). */
  forget(gone: (values: readonly string[]) => boolean): void {
    for (const [key, entry] of this.series) if (gone(entry.values)) this.series.delete(key);
  }

  get seriesCount(): number {
    return this.series.size;
  }

  write(out: Exposition): void {
    out.family(this.name, "counter", this.help);
    for (const { values, s } of this.series.values()) {
      out.sample(
        this.labelNames.map((name, i) => [name, values[i]!] as const),
        s.value,
      );
    }
  }
}

export class HistogramFamily {
  private readonly series = new Map<
    string,
    { readonly values: readonly string[]; readonly s: HistogramSeries }
  >();
  private readonly overflow: HistogramSeries;
  droppedCount = 0;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly bucketsLe: readonly number[] = latencyBucketsMs,
    private readonly seriesMax = seriesPerFamilyMax,
  ) {
    for (let i = 1; i < bucketsLe.length; i++) {
      if (!(bucketsLe[i]! > bucketsLe[i - 1]!)) throw new Error(`${name}: buckets must increase`);
    }
    this.overflow = this.fresh();
  }

  private fresh(): HistogramSeries {
    // One more slot than bounds: the +Inf bucket.
    return { bucketCounts: new Float64Array(this.bucketsLe.length + 1), sum: 0, count: 0 };
  }

  handle(values: readonly string[]): HistogramSeries {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values, got ${values.length}`);
    }
    const key = labelKey(values);
    const found = this.series.get(key);
    if (found !== undefined) return found.s;
    if (this.series.size >= this.seriesMax) {
      this.droppedCount++;
      return this.overflow;
    }
    const s = this.fresh();
    this.series.set(key, { values: [...values], s });
    return s;
  }

  /** Adds one observation to a series: its bucket (the first bound at or above it), sum and count. */
  observe(s: HistogramSeries, value: number): void {
    const bounds = this.bucketsLe;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    s.bucketCounts[i]! += 1;
    s.sum += value;
    s.count += 1;
  }

  write(out: Exposition): void {
    out.family(this.name, "histogram", this.help);
    for (const { values, s } of this.series.values()) {
      const labels = this.labelNames.map((name, i) => [name, values[i]!] as const);
      let cumulative = 0;
      for (let i = 0; i <= this.bucketsLe.length; i++) {
        cumulative += s.bucketCounts[i]!;
        const le = i < this.bucketsLe.length ? String(this.bucketsLe[i]) : "+Inf";
        out.sample([...labels, ["le", le]], cumulative, "_bucket");
      }
      out.sample(labels, s.sum, "_sum");
      out.sample(labels, s.count, "_count");
    }
  }
}
