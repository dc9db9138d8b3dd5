/**
 * The simulated network: which node can reach which, and when a message sent now arrives. Links are
 * directed, so one-way partitions are plain data. Per-message faults (drop, delay with a long tail,
 * duplication, reordering) use rates fixed per run; link faults (partition, clog, slow node) are
 * switched by the fault schedule. This module decides delivery times only; it never holds messages
 * (they sit in the simulator's event queue) and never draws from any stream but the network one.
 */
import { invariant } from "@eddy/core";
import type { Rng } from "./rng.ts";

export const networkNodesMax = 64;

/** Per-message fault rates for one run, in parts per million so the draws stay integer-only. */
export interface NetworkRates {
  readonly dropPerMillion: number;
  readonly duplicatePerMillion: number;
  /** When non-zero, messages on a link may overtake each other; otherwise links are FIFO. */
  readonly reorderPerMillion: number;
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  readonly longTailPerMillion: number;
  readonly longTailMs: number;
}

export class Network {
  private readonly blocked: Uint8Array;
  private readonly clogUntilMs: Float64Array;
  private readonly lastArrivalMs: Float64Array;
  private readonly slowExtraMs: Float64Array;
  private readonly slowUntilMs: Float64Array;
  /**
   * Links that behave like one TCP connection: FIFO and never duplicated (client connections, whose
   * Kafka semantics assume both). Loss still happens, as a reset connection loses what was in flight.
   */
  private readonly stream: Uint8Array;
  /** Per-message faults apply only while this is true; the liveness phase switches them off. */
  faultsEnabled = true;

  constructor(
    readonly nodeCount: number,
    private readonly rates: NetworkRates,
    private readonly rng: Rng,
  ) {
    invariant(nodeCount > 0 && nodeCount <= networkNodesMax, "Network: bad node count");
    invariant(rates.delayMinMs >= 0 && rates.delayMinMs <= rates.delayMaxMs, "Network: bad delay range");
    const pairs = nodeCount * nodeCount;
    this.blocked = new Uint8Array(pairs);
    this.clogUntilMs = new Float64Array(pairs);
    this.lastArrivalMs = new Float64Array(pairs);
    this.slowExtraMs = new Float64Array(nodeCount);
    this.slowUntilMs = new Float64Array(nodeCount);
    this.stream = new Uint8Array(pairs);
  }

  /** Marks both directions between `a` and `b` as a stream (FIFO, no duplicates). */
  setStream(a: number, b: number): void {
    this.stream[a * this.nodeCount + b] = 1;
    this.stream[b * this.nodeCount + a] = 1;
  }

  /** True when a message from `from` to `to` would not be cut by a partition right now. */
  connected(from: number, to: number): boolean {
    return this.blocked[from * this.nodeCount + to] === 0;
  }

  /**
   * Routes one message sent at `nowMs`. Writes its arrival times into `out` (none when dropped, two
   * when duplicated) and returns how many were written.
   */
  route(from: number, to: number, nowMs: number, out: number[]): number {
    invariant(
      from >= 0 && from < this.nodeCount && to >= 0 && to < this.nodeCount,
      "Network.route: bad node",
    );
    const pair = from * this.nodeCount + to;
    if (this.blocked[pair] !== 0) return 0;
    const rates = this.rates;
    const faulty = this.faultsEnabled;
    if (faulty && rates.dropPerMillion > 0 && this.rng.chance(rates.dropPerMillion)) return 0;
    let copies = 1;
    const stream = this.stream[pair] === 1;
    if (faulty && !stream && rates.duplicatePerMillion > 0 && this.rng.chance(rates.duplicatePerMillion))
      copies = 2;
    for (let i = 0; i < copies; i++) out[i] = this.arrival(from, to, pair, nowMs, faulty);
    return copies;
  }

  private arrival(from: number, to: number, pair: number, nowMs: number, faulty: boolean): number {
    const rates = this.rates;
    let delay =
      rates.delayMinMs === rates.delayMaxMs
        ? rates.delayMinMs
        : this.rng.int(rates.delayMinMs, rates.delayMaxMs);
    if (faulty && rates.longTailPerMillion > 0 && this.rng.chance(rates.longTailPerMillion)) {
      delay += this.rng.int(0, rates.longTailMs);
    }
    if (this.slowUntilMs[from]! > nowMs) delay += this.slowExtraMs[from]!;
    if (this.slowUntilMs[to]! > nowMs) delay += this.slowExtraMs[to]!;
    let at = nowMs + delay;
    // A clogged link holds everything until the clog lifts, then releases it as a burst.
    const clog = this.clogUntilMs[pair]!;
    if (clog > at) at = clog;
    const reorder =
      faulty &&
      this.stream[pair] === 0 &&
      rates.reorderPerMillion > 0 &&
      this.rng.chance(rates.reorderPerMillion);
    if (!reorder) {
      // FIFO links: a message never overtakes one sent before it on the same link.
      const last = this.lastArrivalMs[pair]!;
      if (last > at) at = last;
      this.lastArrivalMs[pair] = at;
    }
    return at;
  }

  /** Cuts `from -> to` only (a one-way partition). */
  blockOneWay(from: number, to: number): void {
    this.blocked[from * this.nodeCount + to] = 1;
  }

  /** Splits the nodes into `side` and the rest, both directions. */
  partition(side: readonly number[]): void {
    const inSide = new Uint8Array(this.nodeCount);
    for (const n of side) inSide[n] = 1;
    for (let a = 0; a < this.nodeCount; a++) {
      for (let b = 0; b < this.nodeCount; b++) {
        if (inSide[a] !== inSide[b]) this.blocked[a * this.nodeCount + b] = 1;
      }
    }
  }

  /** Cuts every link into and out of `node`. */
  isolate(node: number): void {
    for (let b = 0; b < this.nodeCount; b++) {
      if (b === node) continue;
      this.blocked[node * this.nodeCount + b] = 1;
      this.blocked[b * this.nodeCount + node] = 1;
    }
  }

  unblock(from: number, to: number): void {
    this.blocked[from * this.nodeCount + to] = 0;
  }

  clog(from: number, to: number, untilMs: number): void {
    const pair = from * this.nodeCount + to;
    if (untilMs > this.clogUntilMs[pair]!) this.clogUntilMs[pair] = untilMs;
  }

  slow(node: number, extraMs: number, untilMs: number): void {
    this.slowExtraMs[node] = extraMs;
    this.slowUntilMs[node] = untilMs;
  }

  /** Heals every partition, clog and slow node. */
  healAll(): void {
    this.blocked.fill(0);
    this.clogUntilMs.fill(0);
    this.slowUntilMs.fill(0);
  }
}
