import { describe, expect, test } from "bun:test";
import { prngFromSeed, prngJump, prngNextU32 } from "@eddy/core";
import { noopCluster } from "../src/cluster/noop-cluster.ts";
import { EventQueue } from "../src/event-queue.ts";
import { Network } from "../src/network.ts";
import { Rng, splitStreams } from "../src/rng.ts";
import { runOnce } from "../src/run.ts";
import { runConfig } from "../src/run-config.ts";

describe("Rng", () => {
  test("matches the core's pure xoshiro128** draw for draw", () => {
    let pure = prngJump(prngFromSeed(12345n));
    const fast = new Rng(pure);
    for (let i = 0; i < 1000; i++) {
      const [u, next] = prngNextU32(pure);
      pure = next;
      expect(fast.nextU32()).toBe(u);
    }
  });

  test("streams are independent: drawing from one leaves the others unchanged", () => {
    const a = splitStreams(7n);
    const b = splitStreams(7n);
    for (let i = 0; i < 100; i++) a.network.nextU32();
    expect(a.workload.nextU32()).toBe(b.workload.nextU32());
    expect(a.faults.int(0, 1000)).toBe(b.faults.int(0, 1000));
  });
});

describe("EventQueue", () => {
  test("pops by time, then insertion order", () => {
    const q = new EventQueue<string>();
    const rng = new Rng(prngFromSeed(1n));
    const pushed: { t: number; s: number }[] = [];
    for (let i = 0; i < 500; i++) {
      const t = rng.int(0, 20);
      pushed.push({ t, s: q.push(t, String(i)) });
    }
    const expected = [...pushed].sort((a, b) => a.t - b.t || a.s - b.s).map((x) => x.s);
    const got: number[] = [];
    for (let e = q.pop(); e !== undefined; e = q.pop()) got.push(e.seq);
    expect(got).toEqual(expected);
  });
});

describe("Network", () => {
  test("links are FIFO without reordering and cut by partitions", () => {
    const rng = new Rng(prngFromSeed(3n));
    const net = new Network(
      3,
      {
        dropPerMillion: 0,
        duplicatePerMillion: 0,
        reorderPerMillion: 0,
        delayMinMs: 0,
        delayMaxMs: 50,
        longTailPerMillion: 0,
        longTailMs: 0,
      },
      rng,
    );
    const out = [0, 0];
    let last = 0;
    for (let t = 0; t < 100; t++) {
      expect(net.route(0, 1, t, out)).toBe(1);
      expect(out[0]!).toBeGreaterThanOrEqual(last);
      last = out[0]!;
    }
    net.partition([0]);
    expect(net.route(0, 1, 200, out)).toBe(0);
    expect(net.route(1, 2, 200, out)).toBe(1);
    net.healAll();
    net.blockOneWay(1, 2);
    expect(net.route(1, 2, 300, out)).toBe(0);
    expect(net.route(2, 1, 300, out)).toBe(1);
  });
});

describe("event loop", () => {
  test("the same seed gives the same trace hash; another seed differs", () => {
    const a = runOnce(runConfig(42n, { safetyMs: 2_000, livenessMs: 500 }), noopCluster);
    const b = runOnce(runConfig(42n, { safetyMs: 2_000, livenessMs: 500 }), noopCluster);
    const c = runOnce(runConfig(43n, { safetyMs: 2_000, livenessMs: 500 }), noopCluster);
    expect(a.events).toBeGreaterThan(100);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
    expect(a.violations).toEqual([]);
  });
});
