/**
 * The corpus of fixed seeds: replay lines of runs that once broke an invariant, each kept as the
 * exact run (seed and explicit fault schedule) that showed the bug, and each required to pass now. An
 * entry names what was wrong and where it was fixed, so a regression points at its history.
 */
import { describe, expect, test } from "bun:test";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import type { FaultEvent, FaultRates } from "../src/faults.ts";
import { runOnce } from "../src/run.ts";
import { replayLine, runConfig } from "../src/run-config.ts";

interface FixedSeed {
  readonly seed: bigint;
  /** The explicit fault schedule, or none for a swarm seed (its faults are drawn from the seed). */
  readonly faults?: { readonly rates: FaultRates; readonly schedule: readonly FaultEvent[] };
  /** What failed, and what fixed it. */
  readonly why: string;
}

const corpus: readonly FixedSeed[] = [
  {
    seed: 42431n,
    faults: {
      rates: {
        network: {
          dropPerMillion: 84206,
          duplicatePerMillion: 0,
          reorderPerMillion: 181333,
          delayMinMs: 0,
          delayMaxMs: 6,
          longTailPerMillion: 32430,
          longTailMs: 450,
        },
        crashCount: 3,
        pauseCount: 1,
        partitionCount: 0,
        clogCount: 1,
        slowCount: 0,
        diskFaultCount: 3,
        clockSkewCount: 2,
      },
      schedule: [
        { atMs: 218, kind: "tornTail", node: "b2" },
        { atMs: 2041, kind: "tornTail", node: "b0" },
      ],
    },
    why:
      "invariants 2 and 22: two torn tails left a broker with an empty leader-epoch checkpoint over " +
      "epoch-0 records; it fetched with last fetched epoch -1, the leader skipped the divergence check " +
      "and a stale record stayed below the HW. Fixed by rebuilding the epoch cache from the batch " +
      "headers at recovery (packages/node, recoverEpochs), as Kafka does.",
  },
  {
    seed: 14937n,
    why:
      "invariant 28 (a false alarm of the checker): after an ISR shrink a follower still believed it was " +
      "in the ISR and rightly dropped a stale uncommitted record below the new leader's HW. The " +
      "checker now judges membership on the newest committed metadata, not the replica's own view.",
  },
];

describe("corpus of fixed seeds", () => {
  for (const entry of corpus) {
    const config = runConfig(entry.seed, entry.faults === undefined ? {} : { faults: entry.faults });
    test(`seed ${entry.seed} passes: ${entry.why.slice(0, 60)}...`, () => {
      const r = runOnce(config, kafkaCluster);
      const found = r.violations.map((v) => `#${v.invariant} ${v.message}`);
      if (found.length > 0) console.log(`replay: ${replayLine(config)}\n  ${entry.why}`);
      expect(found).toEqual([]);
      // The run must have done real work, not passed vacuously.
      expect(r.acked).toBeGreaterThan(10);
    }, 60_000);
  }
});
