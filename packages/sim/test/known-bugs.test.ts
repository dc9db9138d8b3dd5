/**
 * The known-bug corpus: each switch re-introduces a historical bug; the simulator must find it within
 * 10,000 property runs and shrink the fault schedule to at most 3 events (the search draws schedules
 * of up to 20, so the bound shows that shrinking worked), with an invariant of the expected kind. The
 * fast-check seed is fixed (1) so the suite is reproducible; any failure prints the replay line of
 * the minimal schedule.
 */
import { describe, expect, test } from "bun:test";
import { bugNames } from "../src/bugs.ts";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { bugInvariants, hunt } from "../src/hunt.ts";

const short = { safetyMs: 3_000, livenessMs: 6_000 };

describe("known-bug corpus", () => {
  for (const bug of bugNames) {
    test(`${bug}: found within 10,000 runs and shrunk to <= 3 events`, () => {
      const r = hunt(bug, kafkaCluster, {
        seed: 1,
        base: short,
        runsMax: 10_000,
        timeLimitMs: 90_000,
      });
      console.log(
        `${bug}: found after ${r.runsToFind} runs, ${r.shrinks} shrinks, ${r.scheduleLength} events, ` +
          `#${r.invariant} ${r.message}\n  replay: ${r.replay}`,
      );
      expect(r.found).toBe(true);
      expect(r.runsToFind).toBeLessThanOrEqual(10_000);
      expect(r.scheduleLength).toBeLessThanOrEqual(3);
      expect(bugInvariants[bug]).toContain(r.invariant);
    }, 600_000);
  }
});
