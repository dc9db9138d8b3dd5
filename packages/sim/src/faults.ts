/**
 * Faults as plain data. A run is driven by (seed, fault rates, explicit schedule); swarm testing draws
 * the rates per seed and expands them into an explicit schedule up front, so every run, swarm or not,
 * is described by data that fast-check can shrink and one printed line can replay.
 *
 * Node names are strings ("b0".."b2" for brokers, "c0".."c2" for controllers) so schedules stay
 * readable in replay lines. This module only builds and validates data; it never touches a cluster.
 */
import { invariant } from "@eddy/core";
import type { NetworkRates } from "./network.ts";
import type { Rng } from "./rng.ts";

export const scheduleEventsMax = 200;

export type FaultEvent =
  /** Hard crash: the process stops and loses every write not yet flushed. */
  | { readonly atMs: number; readonly kind: "crash"; readonly node: string }
  | { readonly atMs: number; readonly kind: "restart"; readonly node: string }
  /**
   * Clean stop (SIGTERM): a broker first asks the controller to fence it (Kafka's controlled shutdown,
   * which moves its leaderships and takes it out of the ISRs), keeps running until the answer (or a
   * bound), flushes and exits; a controller stops at once. A paired restart runs once it has exited.
   */
  | { readonly atMs: number; readonly kind: "stop"; readonly node: string }
  /** The process stops handling events (SIGSTOP) for a while; its inbox keeps filling. */
  | { readonly atMs: number; readonly kind: "pause"; readonly node: string; readonly durationMs: number }
  /** Symmetric partition: `nodes` on one side, everybody else on the other. */
  | { readonly atMs: number; readonly kind: "partition"; readonly nodes: readonly string[] }
  | { readonly atMs: number; readonly kind: "oneWay"; readonly from: string; readonly to: string }
  /** Cuts every link into and out of one node, its clients' connections included. */
  | { readonly atMs: number; readonly kind: "isolate"; readonly node: string }
  | { readonly atMs: number; readonly kind: "heal" }
  | {
      readonly atMs: number;
      readonly kind: "clog";
      readonly from: string;
      readonly to: string;
      readonly durationMs: number;
    }
  /** A slow node: every message into or out of it takes `extraMs` longer for `durationMs`. */
  | {
      readonly atMs: number;
      readonly kind: "slow";
      readonly node: string;
      readonly extraMs: number;
      readonly durationMs: number;
    }
  /** The node's next log write (or flush) fails with an I/O error. */
  | {
      readonly atMs: number;
      readonly kind: "diskFail";
      readonly node: string;
      readonly op: "write" | "flush";
    }
  /** The node's next crash leaves a torn (partially written) last batch that recovery must cut. */
  | { readonly atMs: number; readonly kind: "tornTail"; readonly node: string }
  /** The node's timers run fast or slow: a timer of d ms fires after d * permille / 1000 ms. */
  | { readonly atMs: number; readonly kind: "clockSkew"; readonly node: string; readonly permille: number };

/** Per-run rates: network per-message rates plus how many of each scheduled fault to draw. */
export interface FaultRates {
  readonly network: NetworkRates;
  readonly crashCount: number;
  /** Clean stops (each paired with a restart). Absent in rates written before clean stops: none. */
  readonly stopCount?: number;
  readonly pauseCount: number;
  readonly partitionCount: number;
  readonly clogCount: number;
  readonly slowCount: number;
  readonly diskFaultCount: number;
  readonly clockSkewCount: number;
}

export const faultRatesNone: FaultRates = {
  network: {
    dropPerMillion: 0,
    duplicatePerMillion: 0,
    reorderPerMillion: 0,
    delayMinMs: 1,
    delayMaxMs: 3,
    longTailPerMillion: 0,
    longTailMs: 0,
  },
  crashCount: 0,
  stopCount: 0,
  pauseCount: 0,
  partitionCount: 0,
  clogCount: 0,
  slowCount: 0,
  diskFaultCount: 0,
  clockSkewCount: 0,
};

/**
 * Swarm testing: each fault family is switched on with probability 1/2 and, when on, given a random
 * intensity. Runs that enable few families explore deep paths the all-faults mix would drown.
 */
export function drawFaultRates(rng: Rng): FaultRates {
  const on = () => rng.int(0, 1) === 1;
  const delayMinMs = rng.int(0, 3);
  return {
    network: {
      dropPerMillion: on() ? rng.int(1, 100_000) : 0,
      duplicatePerMillion: on() ? rng.int(1, 100_000) : 0,
      reorderPerMillion: on() ? rng.int(1, 300_000) : 0,
      delayMinMs,
      delayMaxMs: delayMinMs + rng.int(0, 10),
      longTailPerMillion: on() ? rng.int(1, 50_000) : 0,
      longTailMs: rng.int(10, 500),
    },
    crashCount: on() ? rng.int(1, 4) : 0,
    pauseCount: on() ? rng.int(1, 3) : 0,
    partitionCount: on() ? rng.int(1, 3) : 0,
    clogCount: on() ? rng.int(1, 4) : 0,
    slowCount: on() ? rng.int(1, 2) : 0,
    diskFaultCount: on() ? rng.int(1, 3) : 0,
    clockSkewCount: on() ? rng.int(1, 2) : 0,
    // Drawn last, so every other family keeps the draw it had before clean stops existed.
    stopCount: on() ? rng.int(1, 3) : 0,
  };
}

/**
 * Expands rates into an explicit schedule inside [0, safetyMs). Crashes are paired with a restart so
 * the safety phase does not simply turn into "everything down"; partitions are paired with a heal.
 */
export function drawSchedule(
  rng: Rng,
  rates: FaultRates,
  safetyMs: number,
  brokers: readonly string[],
  controllers: readonly string[],
  clients: readonly string[] = [],
): FaultEvent[] {
  const servers = [...brokers, ...controllers];
  const out: FaultEvent[] = [];
  const at = () => rng.int(0, Math.max(0, safetyMs - 1));
  for (let i = 0; i < rates.crashCount; i++) {
    const node = rng.pick(servers);
    const atMs = at();
    out.push({ atMs, kind: "crash", node });
    out.push({ atMs: Math.min(safetyMs - 1, atMs + rng.int(10, 2_000)), kind: "restart", node });
  }
  // Clients (consumers) pause too: a long GC pause turns a group member into a zombie.
  const pausable = [...servers, ...clients];
  for (let i = 0; i < rates.pauseCount; i++) {
    out.push({ atMs: at(), kind: "pause", node: rng.pick(pausable), durationMs: rng.int(10, 6_000) });
  }
  for (let i = 0; i < rates.partitionCount; i++) {
    const atMs = at();
    const shape = rng.int(0, 2);
    if (shape === 0) {
      out.push({ atMs, kind: "isolate", node: rng.pick(servers) });
    } else if (shape === 1) {
      const from = rng.pick(servers);
      let to = rng.pick(servers);
      if (to === from) to = servers[(servers.indexOf(from) + 1) % servers.length]!;
      out.push({ atMs, kind: "oneWay", from, to });
    } else {
      const nodes = servers.filter(() => rng.int(0, 1) === 1);
      out.push({ atMs, kind: "partition", nodes });
    }
    out.push({ atMs: Math.min(safetyMs - 1, atMs + rng.int(50, 3_000)), kind: "heal" });
  }
  for (let i = 0; i < rates.clogCount; i++) {
    const from = rng.pick(servers);
    const to = rng.pick(servers);
    if (from !== to) out.push({ atMs: at(), kind: "clog", from, to, durationMs: rng.int(10, 2_000) });
  }
  for (let i = 0; i < rates.slowCount; i++) {
    out.push({
      atMs: at(),
      kind: "slow",
      node: rng.pick(brokers),
      extraMs: rng.int(5, 200),
      durationMs: rng.int(100, 5_000),
    });
  }
  for (let i = 0; i < rates.diskFaultCount; i++) {
    const node = rng.pick(brokers);
    const kind = rng.int(0, 2);
    if (kind === 2) out.push({ atMs: at(), kind: "tornTail", node });
    else out.push({ atMs: at(), kind: "diskFail", node, op: kind === 0 ? "write" : "flush" });
  }
  for (let i = 0; i < rates.clockSkewCount; i++) {
    out.push({ atMs: at(), kind: "clockSkew", node: rng.pick(servers), permille: rng.int(500, 2_000) });
  }
  // Drawn last, so a schedule without clean stops is the one drawn before they existed.
  for (let i = 0; i < (rates.stopCount ?? 0); i++) {
    const node = rng.pick(servers);
    const atMs = at();
    out.push({ atMs, kind: "stop", node });
    out.push({ atMs: Math.min(safetyMs - 1, atMs + rng.int(10, 2_000)), kind: "restart", node });
  }
  invariant(out.length <= scheduleEventsMax, "drawSchedule: too many events");
  return sortSchedule(out);
}

/** Orders a schedule by time, stably, so the same data always applies in the same order. */
export function sortSchedule(events: readonly FaultEvent[]): FaultEvent[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => a.e.atMs - b.e.atMs || a.i - b.i)
    .map((x) => x.e);
}
