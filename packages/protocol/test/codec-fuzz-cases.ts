/**
 * Decode fuzzing shared by `bun test` (a fixed budget) and `bun run fuzz` (CODEC_FUZZ_CASES cases).
 * For every message at every version it decodes random bytes and mutated valid encodings; the only
 * acceptable outcomes are a value or a DecodeError. A seeded xorshift generator keeps runs replayable:
 * the seed is printed with any failure.
 */

import fc from "fast-check";
import { DecodeError, decodeRequest, encodeRequest, Reader, Writer } from "../src/index.ts";
import { codecOf, MessageArbitraries, messageSchemas, versionsOf } from "./codec-arbitraries.ts";

export interface FuzzReport {
  cases: number;
  decoded: number;
  rejected: number;
}

/** xorshift32: tiny, fast, seeded. Tests need replayability, not quality. */
function rng(seed: number): () => number {
  let s = seed | 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function mutate(bytes: Uint8Array, rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  const out = bytes.slice();
  const op = int(6);
  if (out.length === 0 || op === 0) {
    // Insert random bytes.
    const at = int(out.length + 1);
    const extra = new Uint8Array(1 + int(8)).map(() => int(256));
    const next = new Uint8Array(out.length + extra.length);
    next.set(out.subarray(0, at));
    next.set(extra, at);
    next.set(out.subarray(at), at + extra.length);
    return next;
  }
  if (op === 1) return out.subarray(0, int(out.length));
  if (op === 2) {
    // Lengths and counts live in the high bytes: 0xff makes them negative or huge.
    out[int(out.length)] = rand() < 0.5 ? 0xff : 0x7f;
    return out;
  }
  if (op === 3) {
    for (let i = 0, n = 1 + int(4); i < n; i++) out[int(out.length)] = int(256);
    return out;
  }
  if (op === 4) {
    const at = int(out.length);
    out[at] = out[at]! ^ (1 << int(8));
    return out;
  }
  // Delete a span.
  const at = int(out.length);
  const n = 1 + int(Math.min(8, out.length - at));
  const next = new Uint8Array(out.length - n);
  next.set(out.subarray(0, at));
  next.set(out.subarray(at + n), at);
  return next;
}

function attempt(report: FuzzReport, seed: number, what: string, run: () => unknown): void {
  report.cases++;
  try {
    run();
    report.decoded++;
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      throw new Error(`fuzz seed ${seed}: ${what} threw ${String(e)} (not a DecodeError)`, { cause: e });
    }
    report.rejected++;
  }
}

/**
 * Runs about `casesTarget` decode attempts spread over every message and version. Half are random byte
 * strings, half mutations of valid encodings; request messages are also fuzzed as whole frames.
 */
export function fuzzDecoders(casesTarget: number, seed: number): FuzzReport {
  const report: FuzzReport = { cases: 0, decoded: 0, rejected: 0 };
  const rand = rng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const combos: {
    name: string;
    version: number;
    arbs: MessageArbitraries;
    apiKey: number | null;
    type: string;
  }[] = [];
  for (const m of messageSchemas) {
    const arbs = new MessageArbitraries(m);
    for (const version of versionsOf(m))
      combos.push({ name: m.name, version, arbs, apiKey: m.apiKey, type: m.type });
  }
  const perCombo = Math.max(8, Math.ceil(casesTarget / combos.length));
  // Larger runs also draw more valid values to mutate, not only more mutations of the same few.
  const validPerCombo = Math.max(3, Math.floor(perCombo / 40));
  for (const c of combos) {
    const { encode, decode } = codecOf(c.name);
    const what = `${c.name} v${c.version}`;
    const randomCases = Math.floor(perCombo / 2);
    for (let i = 0; i < randomCases; i++) {
      const bytes = new Uint8Array(int(48)).map(() => int(256));
      attempt(report, seed, what, () => decode(new Reader(bytes), c.version));
    }
    const valid = fc.sample(c.arbs.messageArb(c.version), {
      numRuns: validPerCombo,
      seed: seed + report.cases,
    });
    const mutations = Math.ceil((perCombo - randomCases) / validPerCombo);
    for (const value of valid) {
      const w = new Writer();
      encode(w, value, c.version);
      const body = w.finish().slice();
      let frame: Uint8Array | null = null;
      if (c.type === "request" && c.apiKey !== null) {
        const fw = new Writer();
        encodeRequest(fw, c.apiKey as never, c.version, 1, "fuzz", value as never);
        frame = fw.finish().slice();
      }
      for (let i = 0; i < mutations; i++) {
        let bytes = mutate(body, rand);
        if (rand() < 0.3) bytes = mutate(bytes, rand);
        attempt(report, seed, what, () => decode(new Reader(bytes), c.version));
        if (frame !== null && i % 4 === 0) {
          const f = mutate(frame, rand);
          attempt(report, seed, `${what} frame`, () => decodeRequest(f));
        }
      }
    }
  }
  return report;
}
