/**
 * The page's plain logic without a browser: the pacing that keeps tables from being rebuilt every
 * frame while playing (and never skips one when paused), where a message in flight is drawn (on its
 * link, between the two circles, at the share of its trip done), and the producer settings fields'
 * partitioner (a bad partition field makes no input).
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { flightPoint, placeOf } from "../src/page/flight-geometry.ts";
import { Pacing, tablesRedrawMsMin } from "../src/page/pacing.ts";
import { keyOf, partitionerOf } from "../src/page/producer-controls.ts";
import { tripShare } from "../src/page/render-messages.ts";

test("while playing a region is redrawn at most every tablesRedrawMsMin; paused, always", () => {
  const pacing = new Pacing();
  pacing.playing = true;
  expect(pacing.due("partitions", 1_000)).toBe(true);
  expect(pacing.due("partitions", 1_000 + tablesRedrawMsMin - 1)).toBe(false);
  // Another region has its own schedule.
  expect(pacing.due("clients", 1_001)).toBe(true);
  expect(pacing.due("partitions", 1_000 + tablesRedrawMsMin)).toBe(true);
  expect(pacing.due("address", 2_000, 1_000)).toBe(true);
  expect(pacing.due("address", 2_500, 1_000)).toBe(false);
  pacing.playing = false;
  expect(pacing.due("partitions", 1_000 + tablesRedrawMsMin + 1)).toBe(true);
  expect(pacing.due("partitions", 1_000 + tablesRedrawMsMin + 1)).toBe(true);
});

test("a message's dot lies on its link, between the circles, in the order of its trip", () => {
  const names = ["b0", "b1", "b2", "c0", "c1", "c2", "p0", "p1", "p2", "k0", "k1", "k2", "k3"];
  fc.assert(
    fc.property(
      fc.constantFrom(...names),
      fc.constantFrom(...names),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (a, b, s1, s2) => {
        fc.pre(a !== b);
        const from = placeOf(a)!;
        const to = placeOf(b)!;
        const p = flightPoint(from, to, s1);
        const length = Math.hypot(to.x - from.x, to.y - from.y);
        const cross = (p.x - from.x) * (to.y - from.y) - (p.y - from.y) * (to.x - from.x);
        expect(Math.abs(cross) / length).toBeLessThan(1e-6);
        const fromStart = Math.hypot(p.x - from.x, p.y - from.y);
        expect(fromStart).toBeGreaterThanOrEqual(Math.min(24, length / 2) - 1e-6);
        expect(length - fromStart).toBeGreaterThanOrEqual(Math.min(24, length / 2) - 1e-6);
        // Further along the trip is further from the sender.
        const q = flightPoint(from, to, s2);
        const qStart = Math.hypot(q.x - from.x, q.y - from.y);
        if (s1 < s2) expect(fromStart).toBeLessThanOrEqual(qStart + 1e-9);
      },
    ),
  );
  expect(placeOf("x1")).toBeUndefined();
});

test("the share of a trip runs 0 to 1 from send to arrival and stays there outside it", () => {
  const m = { from: "b0", to: "b1", label: "Fetch", sentMs: 100, arriveMs: 104 };
  expect(tripShare(m, 100)).toBe(0);
  expect(tripShare(m, 102)).toBe(0.5);
  expect(tripShare(m, 104)).toBe(1);
  expect(tripShare(m, 99)).toBe(0);
  expect(tripShare(m, 200)).toBe(1);
  // A message that arrives the moment it is sent is there at once.
  expect(tripShare({ ...m, arriveMs: 100 }, 100)).toBe(1);
});

test("the partitioner fields make Kafka's three partitioners, and nothing for a bad partition", () => {
  expect(partitionerOf("hash", "")).toEqual({ kind: "keyHash" });
  expect(partitionerOf("rr", "x")).toEqual({ kind: "roundRobin" });
  expect(partitionerOf("explicit", "3")).toEqual({ kind: "explicit", partition: 3 });
  for (const bad of ["", " ", "-1", "1.5", "64", "abc"])
    expect(partitionerOf("explicit", bad)).toBeUndefined();
  expect(partitionerOf("sticky", "0")).toBeUndefined();
  expect(keyOf("")).toBeUndefined();
  expect(keyOf("7")).toBe(7);
  for (const bad of ["-1", "2.5", "x", "1000001"]) expect(keyOf(bad)).toBeNull();
});
