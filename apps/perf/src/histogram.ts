/**
 * A latency histogram in the manner of HdrHistogram: log-linear buckets over integer microseconds, so
 * every percentile is within 1/128 (0.8%) of the true value while memory stays fixed. Owns counting
 * values and answering percentiles, the mean and the exact min and max. Must never grow with the number
 * of values recorded: its one array is sized at construction (4,480 buckets, 35 KiB) for values up to
 * 2^40 microseconds (12.7 days); larger values are clamped into the last bucket and counted as clamped.
 */

/** Values below this are counted exactly, one bucket each. */
const linearBucketsCount = 256;
/** Each octave above the linear range is split into this many equal buckets. */
const bucketsPerOctave = 128;
/** log2 of the largest value tracked, in microseconds. */
const valueBitsMax = 40;
const bucketsCount = linearBucketsCount + (valueBitsMax - 8) * bucketsPerOctave;
export const histogramValueUsMax = 2 ** valueBitsMax - 1;

/** Bucket index of a non-negative integer value. */
function bucketOf(valueUs: number): number {
  if (valueUs < linearBucketsCount) return valueUs;
  // For v in [2^m, 2^(m+1)), v >> (m - 7) lies in [128, 256): 128 buckets per octave.
  // Math.clz32 sees 32 bits, so values of 2^31 and above are first divided down into its range.
  const octave =
    valueUs < 2 ** 31 ? 31 - Math.clz32(valueUs) : 62 - Math.clz32(Math.floor(valueUs / 2 ** 31));
  const shift = octave - 7;
  return bucketsPerOctave * (octave - 7) + Math.floor(valueUs / 2 ** shift);
}

/** Largest value that falls in bucket `index` (HdrHistogram's "highest equivalent value"). */
function bucketValueMax(index: number): number {
  if (index < linearBucketsCount) return index;
  const octave = Math.floor(index / bucketsPerOctave) + 6;
  const shift = octave - 7;
  const mantissa = index - bucketsPerOctave * (octave - 7);
  return (mantissa + 1) * 2 ** shift - 1;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(bucketsCount);
  private countTotal = 0;
  private sumUs = 0;
  private valueUsMinSeen = Number.POSITIVE_INFINITY;
  private valueUsMaxSeen = 0;
  /** How many values were above `histogramValueUsMax` and were counted as that value. */
  clampedCount = 0;

  /** Counts `count` occurrences of `valueUs` (rounded to whole microseconds; negatives count as 0). */
  record(valueUs: number, count = 1): void {
    let v = Math.round(valueUs);
    if (!(v >= 0)) v = 0;
    if (v > histogramValueUsMax) {
      v = histogramValueUsMax;
      this.clampedCount += count;
    }
    this.counts[bucketOf(v)]! += count;
    this.countTotal += count;
    this.sumUs += v * count;
    if (v < this.valueUsMinSeen) this.valueUsMinSeen = v;
    if (v > this.valueUsMaxSeen) this.valueUsMaxSeen = v;
  }

  get count(): number {
    return this.countTotal;
  }

  get meanUs(): number {
    return this.countTotal === 0 ? 0 : this.sumUs / this.countTotal;
  }

  get maxUs(): number {
    return this.valueUsMaxSeen;
  }

  get minUs(): number {
    return this.countTotal === 0 ? 0 : this.valueUsMinSeen;
  }

  /**
   * The value at or below which `percent` percent of the values fall, as the largest value of its
   * bucket but never above the exact maximum; 0 when empty. So p50 <= p99 <= p99.9 <= max always holds.
   */
  percentileUs(percent: number): number {
    if (this.countTotal === 0) return 0;
    const rank = Math.max(1, Math.ceil((percent / 100) * this.countTotal));
    let seen = 0;
    for (let i = 0; i < bucketsCount; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(bucketValueMax(i), this.valueUsMaxSeen);
    }
    return this.valueUsMaxSeen;
  }
}
