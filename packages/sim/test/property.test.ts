/**
 * The simulation as a fast-check property over plain data (seed, fault rates, explicit schedule):
 * random schedules hold every invariant, and a failing one throws an error whose first line replays it.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { propertyInputArb, SimulationFailure, simulationPredicate } from "../src/property.ts";

const base = { safetyMs: 3_000, livenessMs: 15_000 };

test("random explicit schedules hold every invariant", () => {
  fc.assert(fc.property(propertyInputArb(base.safetyMs), simulationPredicate(kafkaCluster, base)), {
    numRuns: 200,
    seed: 7,
  });
}, 120_000);

test("a failure carries a one-line replay of its input", () => {
  const predicate = simulationPredicate(kafkaCluster, { ...base, bugs: ["double-assignment"] });
  const input = {
    seed: 3n,
    rates: fc.sample(propertyInputArb(base.safetyMs), { seed: 1, numRuns: 1 })[0]!.rates,
    schedule: [],
  };
  let caught: unknown;
  try {
    predicate(input);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SimulationFailure);
  const first = (caught as Error).message.split("\n")[0]!;
  expect(first).toStartWith("replay: bun run sim --seed 3 --faults '");
  expect(first).toContain("--bug double-assignment");
});
