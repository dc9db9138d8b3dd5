/**
 * Wyhash (the final v4 variant in Zig's standard library, which `Bun.hash.wyhash` exposes) in plain
 * TypeScript over BigInt, so the batch hash is the same number under Bun, Deno and Node. Owns only
 * this one hash function; it must never call a runtime's own hasher (that is what made the batch hash
 * Bun-only) and never change its output, since published batch hashes are computed with it.
 */

const mask64 = (1n << 64n) - 1n;
const secret0 = 0xa0761d6478bd642fn;
const secret1 = 0xe7037ed1a0b428dbn;
const secret2 = 0x8ebc6af09c88c6e3n;
const secret3 = 0x589965cc75374cc3n;

const encoder = new TextEncoder();

/** The 128-bit product of `a` and `b`, folded as (low 64 bits, high 64 bits). */
function mum(a: bigint, b: bigint): [bigint, bigint] {
  const x = a * b;
  return [x & mask64, (x >> 64n) & mask64];
}

function mix(a: bigint, b: bigint): bigint {
  const [lo, hi] = mum(a, b);
  return lo ^ hi;
}

/** `bytes` little-endian unsigned bytes of `data` from `at`, as a BigInt (bytes is 4 or 8). */
function read(data: Uint8Array, at: number, bytes: 4 | 8): bigint {
  const view = new DataView(data.buffer, data.byteOffset + at, bytes);
  if (bytes === 4) return BigInt(view.getUint32(0, true));
  return view.getBigUint64(0, true);
}

/**
 * The 64-bit wyhash of `input` with `seed`, equal to `Bun.hash.wyhash(input, seed)`. A string is hashed
 * as its UTF-8 bytes, as Bun does. The seed is taken modulo 2^64.
 */
export function wyhash(input: string | Uint8Array, seed: bigint = 0n): bigint {
  const data = typeof input === "string" ? encoder.encode(input) : input;
  const length = data.length;
  const seed64 = seed & mask64;
  const state = [0n, 0n, 0n];
  state[0] = seed64 ^ mix(seed64 ^ secret0, secret1);
  state[1] = state[0];
  state[2] = state[0];
  let a: bigint;
  let b: bigint;
  if (length <= 16) {
    if (length >= 4) {
      const end = length - 4;
      const quarter = (length >> 3) << 2;
      a = (read(data, 0, 4) << 32n) | read(data, quarter, 4);
      b = (read(data, end, 4) << 32n) | read(data, end - quarter, 4);
    } else if (length > 0) {
      a = (BigInt(data[0]!) << 16n) | (BigInt(data[length >> 1]!) << 8n) | BigInt(data[length - 1]!);
      b = 0n;
    } else {
      a = 0n;
      b = 0n;
    }
  } else {
    let i = 0;
    if (length >= 48) {
      // Whole 48-byte rounds while more than 48 bytes remain: the loop ends after length / 48 passes.
      const secrets = [secret1, secret2, secret3];
      for (; i + 48 < length; i += 48) {
        for (let lane = 0; lane < 3; lane++) {
          const x = read(data, i + 16 * lane, 8);
          const y = read(data, i + 16 * lane + 8, 8);
          state[lane] = mix(x ^ secrets[lane]!, y ^ state[lane]!);
        }
      }
      state[0] = state[0]! ^ state[1]! ^ state[2]!;
    }
    // At most 48 bytes remain here, so at most three 16-byte steps.
    for (let j = i; j + 16 < length; j += 16) {
      state[0] = mix(read(data, j, 8) ^ secret1, read(data, j + 8, 8) ^ state[0]!);
    }
    a = read(data, length - 16, 8);
    b = read(data, length - 8, 8);
  }
  a ^= secret1;
  b ^= state[0]!;
  [a, b] = mum(a, b);
  return mix(a ^ secret0 ^ BigInt(length), b ^ secret1);
}
