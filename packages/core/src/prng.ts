/**
 * A seeded pseudo-random generator as plain immutable data, so randomness can enter the core as an
 * input (election timeouts, jitter) and the simulator can replay any run from its seed.
 *
 * The algorithm is xoshiro128** over four 32-bit words: fast with plain numbers (no BigInt), with a
 * period of 2^128 - 1, and a `jump` that splits one root seed into independent streams per subsystem.
 * This module must never read a clock or any ambient entropy.
 */
import { invariant } from "./invariant.ts";

export type PrngState = readonly [number, number, number, number];

/** Builds a generator state from a 64-bit seed given as a number or bigint, through splitmix32. */
export function prngFromSeed(seed: number | bigint): PrngState {
  const big = BigInt.asUintN(64, BigInt(seed));
  let x = Number(big & 0xffffffffn) ^ Math.imul(Number(big >> 32n), 0x9e3779b9);
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    words.push((z ^ (z >>> 16)) >>> 0);
  }
  if (!words.some((w) => w !== 0)) words[0] = 1;
  return words as unknown as PrngState;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Returns the next unsigned 32-bit value and the advanced state. */
export function prngNextU32(s: PrngState): [number, PrngState] {
  const [s0, s1, s2, s3] = s;
  const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
  const t = (s1 << 9) >>> 0;
  let n2 = (s2 ^ s0) >>> 0;
  let n3 = (s3 ^ s1) >>> 0;
  const n1 = (s1 ^ n2) >>> 0;
  const n0 = (s0 ^ n3) >>> 0;
  n2 = (n2 ^ t) >>> 0;
  n3 = rotl(n3, 11);
  return [result, [n0, n1, n2, n3]];
}

/** Returns an integer uniformly drawn from [min, max] (inclusive) and the advanced state. */
export function prngInt(s: PrngState, min: number, max: number): [number, PrngState] {
  invariant(Number.isInteger(min) && Number.isInteger(max) && min <= max, "prngInt: bad range");
  const span = max - min + 1;
  invariant(span <= 0x1_0000_0000, "prngInt: range wider than 2^32");
  // Rejection sampling removes modulo bias; the loop is bounded because each draw succeeds with p > 1/2.
  const limit = 0x1_0000_0000 - (0x1_0000_0000 % span);
  let state = s;
  for (let attempt = 0; attempt < 64; attempt++) {
    const [u, next] = prngNextU32(state);
    state = next;
    if (u < limit) return [min + (u % span), state];
  }
  invariant(false, "prngInt: rejection sampling did not converge");
}

/** Returns true with probability `numerator / denominator`, using integers only for portability. */
export function prngChance(s: PrngState, numerator: number, denominator: number): [boolean, PrngState] {
  invariant(numerator >= 0 && denominator > 0 && numerator <= denominator, "prngChance: bad ratio");
  const [u, next] = prngInt(s, 0, denominator - 1);
  return [u < numerator, next];
}

const JUMP = [0x8764000b, 0xf542d2d3, 0x6fa035c3, 0x77f2db5b] as const;

/** Advances the state by 2^64 draws: streams split this way never overlap in practice. */
export function prngJump(s: PrngState): PrngState {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  // The generator is advanced in local variables (the same steps as `prngNextU32`), so the 128 steps
  // of a jump allocate nothing.
  let [s0, s1, s2, s3] = s;
  for (const word of JUMP) {
    for (let bit = 0; bit < 32; bit++) {
      if ((word >>> bit) & 1) {
        a ^= s0;
        b ^= s1;
        c ^= s2;
        d ^= s3;
      }
      const t = (s1 << 9) >>> 0;
      let n2 = (s2 ^ s0) >>> 0;
      let n3 = (s3 ^ s1) >>> 0;
      const n1 = (s1 ^ n2) >>> 0;
      const n0 = (s0 ^ n3) >>> 0;
      n2 = (n2 ^ t) >>> 0;
      n3 = rotl(n3, 11);
      s0 = n0;
      s1 = n1;
      s2 = n2;
      s3 = n3;
    }
  }
  return [a >>> 0, b >>> 0, c >>> 0, d >>> 0];
}
