/**
 * fast-check integration. A property input is plain data: (seed, fault rates, explicit schedule).
 * Every arbitrary is built from `fc.record`, `fc.integer`, `fc.bigInt`, `fc.constantFrom` and
 * `fc.array` only, so fast-check can shrink failures (and user-supplied examples) down to a minimal
 * schedule. A failing run throws an error whose first line replays it from the command line.
 */
import fc from "fast-check";
import type { FaultEvent, FaultRates } from "./faults.ts";
import type { NetworkRates } from "./network.ts";
import { type ClusterFactory, type RunResult, runOnce } from "./run.ts";
import { type RunConfig, replayLine, runConfig } from "./run-config.ts";

export const brokerNodeNames = ["b0", "b1", "b2"] as const;
export const controllerNodeNames = ["c0", "c1", "c2"] as const;
export const serverNodeNames = [...brokerNodeNames, ...controllerNodeNames] as const;
export const consumerNodeNames = ["k0", "k1"] as const;
/** Role aliases resolved when the fault fires, so random schedules hit leaders as often as followers. */
export const roleNodeNames = [
  "leader:0",
  "leader:1",
  "follower:0",
  "follower:1",
  "controller:active",
] as const;

export interface PropertyInput {
  readonly seed: bigint;
  readonly rates: FaultRates;
  readonly schedule: FaultEvent[];
}

const networkRatesArb: fc.Arbitrary<NetworkRates> = fc.record({
  dropPerMillion: fc.integer({ min: 0, max: 100_000 }),
  duplicatePerMillion: fc.integer({ min: 0, max: 100_000 }),
  reorderPerMillion: fc.integer({ min: 0, max: 300_000 }),
  delayMinMs: fc.integer({ min: 0, max: 3 }),
  delayMaxMs: fc.integer({ min: 3, max: 12 }),
  longTailPerMillion: fc.integer({ min: 0, max: 50_000 }),
  longTailMs: fc.integer({ min: 0, max: 500 }),
});

/** Rates that only shape the network; scheduled faults come from the explicit schedule. */
export const faultRatesArb: fc.Arbitrary<FaultRates> = fc.record({
  network: networkRatesArb,
  crashCount: fc.constant(0),
  pauseCount: fc.constant(0),
  partitionCount: fc.constant(0),
  clogCount: fc.constant(0),
  slowCount: fc.constant(0),
  diskFaultCount: fc.constant(0),
  clockSkewCount: fc.constant(0),
});

/** One scheduled fault as a plain record, inside [0, safetyMs). */
export function faultEventArb(
  safetyMs: number,
  brokers: readonly string[] = brokerNodeNames,
  servers: readonly string[] = [...serverNodeNames, ...roleNodeNames],
): fc.Arbitrary<FaultEvent> {
  const atMs = fc.integer({ min: 0, max: safetyMs - 1 });
  const node = fc.constantFrom(...servers);
  const broker = fc.constantFrom(...brokers, "leader:0", "leader:1", "follower:0", "follower:1");
  const dur = fc.integer({ min: 10, max: 3_000 });
  return fc.oneof(
    fc.record({ atMs, kind: fc.constant("crash" as const), node }),
    fc.record({
      atMs,
      kind: fc.constant("restart" as const),
      node: fc.constantFrom(...serverNodeNames, "last-crashed"),
    }),
    fc.record({
      atMs,
      kind: fc.constant("pause" as const),
      node: fc.constantFrom(...servers, ...consumerNodeNames),
      durationMs: fc.integer({ min: 10, max: 6_000 }),
    }),
    fc.record({
      atMs,
      kind: fc.constant("partition" as const),
      nodes: fc.uniqueArray(node, { maxLength: 3 }),
    }),
    fc.record({ atMs, kind: fc.constant("oneWay" as const), from: node, to: node }),
    fc.record({ atMs, kind: fc.constant("isolate" as const), node }),
    fc.record({ atMs, kind: fc.constant("heal" as const) }),
    fc.record({ atMs, kind: fc.constant("clog" as const), from: node, to: node, durationMs: dur }),
    fc.record({
      atMs,
      kind: fc.constant("slow" as const),
      node: broker,
      extraMs: fc.integer({ min: 5, max: 200 }),
      durationMs: dur,
    }),
    fc.record({
      atMs,
      kind: fc.constant("diskFail" as const),
      node: broker,
      op: fc.constantFrom("write" as const, "flush" as const),
    }),
    fc.record({ atMs, kind: fc.constant("tornTail" as const), node: broker }),
    fc.record({
      atMs,
      kind: fc.constant("clockSkew" as const),
      node,
      permille: fc.integer({ min: 500, max: 2_000 }),
    }),
  );
}

export function propertyInputArb(safetyMs: number, scheduleLengthMax = 30): fc.Arbitrary<PropertyInput> {
  return fc.record({
    seed: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    rates: faultRatesArb,
    schedule: fc.array(faultEventArb(safetyMs), { maxLength: scheduleLengthMax }),
  });
}

export function configFor(input: PropertyInput, base: Partial<RunConfig>): RunConfig {
  return runConfig(input.seed, { ...base, faults: { rates: input.rates, schedule: input.schedule } });
}

/** Thrown by the property when a run breaks an invariant; the message starts with the replay line. */
export class SimulationFailure extends Error {
  override readonly name = "SimulationFailure";
  constructor(readonly result: RunResult) {
    const first = result.violations[0];
    super(
      `replay: ${replayLine(result.config)}\n` +
        `violation #${first?.invariant} ${first?.name} at ${first?.atMs}ms: ${first?.message}` +
        ` (schedule ${result.schedule.length} events)`,
    );
  }
}

/** The simulation as a fast-check predicate: throws `SimulationFailure` when any invariant breaks. */
export function simulationPredicate(
  factory: ClusterFactory,
  base: Partial<RunConfig>,
): (input: PropertyInput) => void {
  return (input) => {
    const result = runOnce(configFor(input, base), factory);
    if (result.violations.length > 0) throw new SimulationFailure(result);
  };
}
