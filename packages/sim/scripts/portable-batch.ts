/**
 * `bun scripts/portable-batch.ts [count] [fromSeed]` or, from the repository root,
 * `node_modules/.bin/deno run --allow-env --allow-sys --allow-ffi packages/sim/scripts/portable-batch.ts [count] [fromSeed]`:
 * runs a batch of swarm seeds (the default run config, as `bun run sim --seeds N`) in this one thread
 * and prints one JSON line with the batch's deterministic figures, its batch hash and the runtime.
 * The same batch under Bun and Deno must print the same figures and hash (scripts/deno-portability.test.ts
 * compares them). Owns only the argument parsing and the output line; it must never use worker threads
 * (Bun's workers are not Deno's) or any runtime's own API: only what both runtimes provide.
 */
import { batchHashHex, runBatch } from "../src/batch.ts";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";

/** A bound on one invocation's seeds, so a typo cannot start an hour-long batch. */
const seedsMax = 100_000;
const seedsDefault = 200;

/** Which runtime runs this script, and its version, read without touching either runtime's API types. */
function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno !== undefined) return `deno ${g.Deno.version.deno}`;
  if (g.Bun !== undefined) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

function wholeArg(text: string | undefined, fallback: number, max: number, what: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${what} must be a whole number 1..${max}`);
  return n;
}

// process.argv is the one argument list Bun, Deno 2 and Node all give: [runtime, script, ...args].
const seeds = wholeArg(process.argv[2], seedsDefault, seedsMax, "count");
const fromSeed = BigInt(wholeArg(process.argv[3], 1, Number.MAX_SAFE_INTEGER, "fromSeed"));
const s = runBatch(fromSeed, seeds, kafkaCluster, {});
console.log(
  JSON.stringify({
    runtime: runtimeName(),
    fromSeed: fromSeed.toString(),
    seeds: s.seeds,
    batchHash: batchHashHex(s),
    simMs: s.simMs,
    events: s.events,
    checks: s.checks,
    violations: s.violations,
    failing: s.failing,
    produces: s.produces,
    acked: s.acked,
    polls: s.polls,
    notConverged: s.notConverged,
    wallMs: Math.round(s.wallMs),
  }),
);
