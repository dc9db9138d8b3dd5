import { expect, test } from "bun:test";
import { histogramValueUsMax, LatencyHistogram } from "../src/histogram.ts";

test("percentiles are within 0.8% of the exact ones and ordered", () => {
  const h = new LatencyHistogram();
  const values: number[] = [];
  let seed = 7;
  for (let i = 0; i < 100_000; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const v = Math.floor((seed / 2 ** 31) ** 4 * 5_000_000);
    values.push(v);
    h.record(v);
  }
  values.sort((a, b) => a - b);
  for (const p of [50, 90, 99, 99.9, 100]) {
    const exact = values[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]!;
    const got = h.percentileUs(p);
    expect(got).toBeGreaterThanOrEqual(exact);
    expect(got).toBeLessThanOrEqual(Math.max(exact * 1.008, exact + 1));
  }
  expect(h.percentileUs(50)).toBeLessThanOrEqual(h.percentileUs(99));
  expect(h.percentileUs(99.9)).toBeLessThanOrEqual(h.maxUs);
  expect(h.maxUs).toBe(values[values.length - 1]!);
  expect(h.count).toBe(100_000);
});

test("small values are exact, counts are weighted, huge values are clamped and counted", () => {
  const h = new LatencyHistogram();
  h.record(3, 10);
  h.record(200);
  expect(h.percentileUs(50)).toBe(3);
  expect(h.percentileUs(100)).toBe(200);
  expect(h.meanUs).toBeCloseTo((30 + 200) / 11);
  h.record(2 ** 45);
  expect(h.clampedCount).toBe(1);
  expect(h.maxUs).toBe(histogramValueUsMax);
  expect(new LatencyHistogram().percentileUs(99)).toBe(0);
});

test("values across every octave land in increasing buckets", () => {
  const h = new LatencyHistogram();
  for (let bits = 0; bits < 40; bits++) h.record(2 ** bits);
  let last = -1;
  for (let i = 1; i <= 40; i++) {
    const p = h.percentileUs((i / 40) * 100);
    expect(p).toBeGreaterThan(last);
    last = p;
  }
});
