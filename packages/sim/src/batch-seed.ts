/**
 * One seed of a batch, as both the in-process loop and a worker thread run it: build the config from
 * the batch's base (the same plain data on every thread), run it, keep the plain-data outcome. Also
 * the error a batch fails with when a run throws outside the invariant checkers (`runOnce` turns
 * core `invariant()` failures into violation #99; anything else escaping it is a simulator bug). This
 * module never decides order or threads.
 */
import { type SeedOutcome, seedOutcome } from "./batch.ts";
import type { ClusterFactory } from "./run.ts";
import { runOnce } from "./run.ts";
import { type RunConfig, replayLine, runConfig } from "./run-config.ts";

/**
 * Test hooks, read once per thread: `SIM_TEST_THROW_SEED=N` makes seed N throw outside the checkers
 * (every thread), `SIM_TEST_EXIT_SEED=N` makes a worker thread exit in the middle of seed N (workers
 * only). They exist so the tests can prove a broken seed fails the batch loudly instead of hanging.
 */
const throwSeed = process.env.SIM_TEST_THROW_SEED;
export const exitSeedTest = process.env.SIM_TEST_EXIT_SEED;

export function runSeed(seed: bigint, factory: ClusterFactory, base: Partial<RunConfig>): SeedOutcome {
  if (throwSeed !== undefined && BigInt(throwSeed) === seed) {
    throw new Error(`SIM_TEST_THROW_SEED: seed ${seed} throws on purpose`);
  }
  return seedOutcome(runOnce(runConfig(seed, base), factory));
}

/** The stack when there is one (it names the throwing function), else the text. */
export function describeThrown(e: unknown): string {
  if (e instanceof Error) return e.stack ?? `${e.name}: ${e.message}`;
  return String(e);
}

/** A batch stopped because one seed crashed the simulator itself. */
export class BatchCrash extends Error {
  override readonly name = "BatchCrash";

  constructor(
    readonly seed: bigint,
    readonly replay: string,
    readonly detail: string,
  ) {
    super(`seed ${seed} crashed the simulator (outside the invariant checkers): ${detail}`);
  }

  static of(seed: bigint, base: Partial<RunConfig>, detail: string): BatchCrash {
    return new BatchCrash(seed, replayLine(runConfig(seed, base)), detail);
  }
}
