/**
 * The plain-TypeScript hashes the simulator uses instead of Bun's (so it runs under Deno too) must
 * equal Bun's own: `wyhash` folds the batch hash, `crc32Text` interns the trace's strings, and known
 * batch and trace hashes were computed with `Bun.hash`. Inputs cover every length path of wyhash (0-3,
 * 4-16, 17-48, rounds of 48) and every UTF-8 width, lone surrogates included.
 */
import { expect, test } from "bun:test";
import { crc32Text } from "../src/crc32.ts";
import { wyhash } from "../src/wyhash.ts";

const lengthMax = 260;
const stringsPerLength = 8;
const alphabet = "abcXYZ09:-_ é\u00ff\u07ff\u0800€\uffff𝄞";

/** A small deterministic generator, so a failure names the same input on every run. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state;
  };
}

function strings(): string[] {
  const next = lcg(12345);
  const out: string[] = [];
  for (let length = 0; length <= lengthMax; length++) {
    for (let k = 0; k < stringsPerLength; k++) {
      let s = "";
      // Half ASCII, half drawn code unit by code unit from `alphabet`, which splits its surrogate pair.
      for (let i = 0; i < length; i++) {
        s += k % 2 === 0 ? String.fromCharCode(32 + (next() % 95)) : alphabet[next() % alphabet.length];
      }
      out.push(s);
    }
  }
  return out;
}

test("wyhash equals Bun.hash.wyhash for every length path, with and without a seed", () => {
  const next = lcg(7);
  for (const s of strings()) {
    const seed = (BigInt(next()) << 32n) | BigInt(next());
    expect(wyhash(s, seed)).toBe(Bun.hash.wyhash(s, seed));
    expect(wyhash(s)).toBe(Bun.hash.wyhash(s));
  }
  // The batch hash chains its own output as the next seed, which uses all 64 bits.
  let chained = 0n;
  let bunChained = 0n;
  for (let seed = 1; seed <= 50; seed++) {
    chained = wyhash(`${seed}:0badf00d`, chained);
    bunChained = Bun.hash.wyhash(`${seed}:0badf00d`, bunChained);
  }
  expect(chained).toBe(bunChained);
});

test("crc32Text equals Bun.hash.crc32 on strings, lone surrogates included", () => {
  for (const s of [...strings(), "\ud800", "a\udc00b", "\ud800\ud800", "x\ud83d"]) {
    expect(crc32Text(s)).toBe(Bun.hash.crc32(s));
  }
});
