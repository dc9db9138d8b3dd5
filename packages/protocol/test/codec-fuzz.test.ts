// Decode fuzzing in the normal test run: at least 100,000 cases over every message and version, where
// the only acceptable failure is a DecodeError. `bun run fuzz` runs more (CODEC_FUZZ_CASES, CODEC_FUZZ_SEED).

import { expect, test } from "bun:test";
import { fuzzDecoders } from "./codec-fuzz-cases.ts";

const casesTarget = Number(process.env.CODEC_FUZZ_CASES ?? 110_000);
const seed = Number(process.env.CODEC_FUZZ_SEED ?? 20261121);

test(
  `decoders throw only DecodeError on random and mutated input (seed ${seed})`,
  () => {
    const report = fuzzDecoders(casesTarget, seed);
    console.log(
      `fuzz: ${report.cases} cases, ${report.decoded} decoded, ${report.rejected} rejected with DecodeError`,
    );
    expect(report.cases).toBeGreaterThanOrEqual(Math.min(casesTarget, 100_000));
    // Both outcomes must occur, or the fuzzer is not reaching the decoders' interesting paths.
    expect(report.decoded).toBeGreaterThan(report.cases / 100);
    expect(report.rejected).toBeGreaterThan(report.cases / 10);
  },
  Math.max(120_000, casesTarget / 5),
);
