/**
 * Per-subsystem random streams for one simulation run. One 64-bit root seed is expanded with the
 * core's `prngFromSeed` and split with `prngJump`, so the network, disk, clock, workload and fault
 * streams never overlap: adding a draw in one subsystem cannot reshuffle the decisions of another.
 *
 * `Rng` is a mutable twin of the core's pure xoshiro128** (same algorithm, same outputs, checked by a
 * test) because the simulator draws millions of numbers per wall second and the pure version allocates
 * a tuple per draw. This module must never read a clock or ambient entropy.
 */
import { invariant, type PrngState, prngFromSeed, prngJump } from "@eddy/core";

export const streamNames = ["network", "disk", "clock", "workload", "faults", "core"] as const;
export type StreamName = (typeof streamNames)[number];
export type Streams = Record<StreamName, Rng>;

/** A mutable xoshiro128** generator; each call advances it in place. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private limitSpan = 0;
  private limit = 0;

  constructor(state: PrngState) {
    [this.s0, this.s1, this.s2, this.s3] = state;
    invariant((this.s0 | this.s1 | this.s2 | this.s3) !== 0, "Rng: all-zero state");
  }

  /** The current state as the core's immutable tuple, for machines that take a PRNG input. */
  state(): PrngState {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  /** Returns the next unsigned 32-bit value. */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    let n2 = (this.s2 ^ this.s0) >>> 0;
    let n3 = (this.s3 ^ s1) >>> 0;
    this.s1 = (s1 ^ n2) >>> 0;
    this.s0 = (this.s0 ^ n3) >>> 0;
    n2 = (n2 ^ t) >>> 0;
    n3 = rotl(n3, 11);
    this.s2 = n2;
    this.s3 = n3;
    return result;
  }

  /** An integer uniformly drawn from [min, max], inclusive, without modulo bias. */
  int(min: number, max: number): number {
    invariant(Number.isInteger(min) && Number.isInteger(max) && min <= max, "Rng.int: bad range");
    const span = max - min + 1;
    invariant(span <= 0x1_0000_0000, "Rng.int: range wider than 2^32");
    // A stream draws from one or two ranges over and over: the rejection limit is kept for the last
    // span rather than recomputed (a floating-point remainder) on every draw.
    if (span !== this.limitSpan) {
      this.limitSpan = span;
      this.limit = 0x1_0000_0000 - (0x1_0000_0000 % span);
    }
    const limit = this.limit;
    for (let attempt = 0; attempt < 64; attempt++) {
      const u = this.nextU32();
      if (u < limit) return min + (u % span);
    }
    invariant(false, "Rng.int: rejection sampling did not converge");
  }

  /** True with probability `perMillion / 1_000_000`; integers only, so every engine agrees. */
  chance(perMillion: number): boolean {
    if (perMillion <= 0) return false;
    if (perMillion >= 1_000_000) return true;
    return this.int(0, 999_999) < perMillion;
  }

  /** Picks one element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    invariant(items.length > 0, "Rng.pick: empty");
    return items[this.int(0, items.length - 1)] as T;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Splits a 64-bit root seed into one independent stream per subsystem (stream i = jump^i(root)). */
export function splitStreams(rootSeed: bigint): Streams {
  let state = prngFromSeed(BigInt.asUintN(64, rootSeed));
  const out: Partial<Streams> = {};
  for (const name of streamNames) {
    out[name] = new Rng(state);
    state = prngJump(state);
  }
  return out as Streams;
}
