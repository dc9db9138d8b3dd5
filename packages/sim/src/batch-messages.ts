/**
 * The messages between a parallel batch and its worker threads. All plain data, sent by structured
 * clone (bigint seeds included), so nothing here may hold a class instance or a function: the model
 * travels as its name in `models`.
 */
import type { SeedOutcome } from "./batch.ts";
import type { RunConfig } from "./run-config.ts";

export type ToWorker =
  | {
      readonly kind: "init";
      readonly model: string;
      readonly fromSeed: bigint;
      readonly base: Partial<RunConfig>;
    }
  /** Run seeds `fromSeed + firstIndex` .. `fromSeed + firstIndex + seeds - 1`, in order. */
  | { readonly kind: "run"; readonly firstIndex: number; readonly seeds: number };

export type FromWorker =
  | { readonly kind: "seed"; readonly index: number; readonly outcome: SeedOutcome }
  /** The seed at `index` threw outside the checkers; the worker runs nothing more of its chunk. */
  | { readonly kind: "crash"; readonly index: number; readonly detail: string };
