/**
 * One simulation run, start to finish: split the seed into streams, draw or take the fault schedule,
 * build the cluster, run the safety phase with faults, heal everything for the liveness phase and
 * wait (bounded) for convergence, then run the end-of-run and history checks. Anything a core
 * machine throws (a broken `invariant`) is caught and reported as a crash-class violation, so one bad
 * seed never takes down a batch. This module owns phases and classification, not the cluster model.
 */
import type { MemoryDisk } from "@eddy/storage-memory";
import { checkHistory, type FinalLogs } from "./check-history.ts";
import type { BrokerStorageCounters } from "./cluster/broker-log-dir.ts";
import type { ClusterView } from "./cluster/cluster-view.ts";
import { OnlineChecker } from "./cluster/online-checker.ts";
import type { World } from "./cluster/world.ts";
import { drawFaultRates, drawSchedule, type FaultEvent, type FaultRates, sortSchedule } from "./faults.ts";
import { History } from "./history.ts";
import type { LearnerInput } from "./learner-input.ts";
import { Network } from "./network.ts";
import { Probes } from "./probes.ts";
import { splitStreams } from "./rng.ts";
import type { RunConfig } from "./run-config.ts";
import { type SimNode, Simulator } from "./simulator.ts";
import { Trace } from "./trace.ts";
import { type Violation, Violations } from "./violation.ts";

/** How often the liveness phase checks whether the cluster has converged. */
export const livenessCheckIntervalMs = 250;

/** A liveness gap: a condition of invariants 20 to 23 that does not hold yet. */
export interface LivenessGap {
  readonly invariant: 20 | 21 | 22 | 23;
  readonly message: string;
}

/** One node's memory disk at the end of a run, for tools that show what the run wrote. */
export interface NodeDisk {
  readonly node: string;
  readonly disk: MemoryDisk;
}

/** One broker's log-directory counters at the end of a run, over all its incarnations. */
export interface NodeStorage {
  readonly node: string;
  readonly counters: BrokerStorageCounters;
}

/** The cluster under test, built by a model factory from the shared world. */
export interface ClusterModel {
  readonly nodes: SimNode[];
  readonly brokerNames: readonly string[];
  readonly controllerNames: readonly string[];
  /** Clients that faults may pause (consumers). */
  readonly pausableClientNames?: readonly string[];
  /** Wires node indices into the world and arms the first timers. */
  start(): void;
  /** Resolves role aliases in schedules ("leader:0", "follower:0", "controller:active"). */
  resolveNode?(alias: string): string | undefined;
  /** Called when the liveness phase starts, after the network healed and crashed nodes restarted. */
  onLiveness?(): void;
  /** The nodes' disks (brokers), as they are when asked. */
  disks?(): readonly NodeDisk[];
  /** The brokers' log-directory counters (tail evictions, index reloads, trusted markers), as now. */
  storage?(): readonly NodeStorage[];
  /**
   * Unmet liveness conditions right now; empty once the cluster has converged. Checks that read whole
   * logs may be left out while cheaper ones already fail (`complete` false, the periodic check); the
   * final report asks for every gap.
   */
  livenessGaps(complete?: boolean): LivenessGap[];
  /** The committed log of every partition, read after convergence (Jepsen's final polls). */
  finalLogs(): FinalLogs;
  /** A read-only picture of the cluster now, for teaching views; models without one leave it out. */
  view?(): ClusterView;
  /**
   * A learner's client input (learner-apply.ts: produce a keyed record, add or remove a consumer).
   * With `dryRun` it only answers whether the model can take the input now (a refusal in words, or
   * undefined) and changes nothing; without, it applies it. Models without such clients leave it out.
   */
  learnerInput?(input: ClientInput, dryRun: boolean): string | undefined;
}

/** The learner inputs a cluster model applies itself, because they drive its clients. */
export type ClientInput = Extract<
  LearnerInput,
  { readonly kind: "produce" | "producer" | "addConsumer" | "removeConsumer" }
>;

export type ClusterFactory = (world: World) => ClusterModel;

export interface RunResult {
  readonly config: RunConfig;
  readonly rates: FaultRates;
  readonly schedule: readonly FaultEvent[];
  readonly hash: string;
  readonly events: number;
  readonly simMs: number;
  readonly wallMs: number;
  readonly violations: readonly Violation[];
  readonly checks: number;
  readonly checksByInvariant: ReadonlyMap<number, number>;
  readonly convergedAtMs: number;
  readonly produces: number;
  readonly acked: number;
  readonly polls: number;
  readonly trace: Trace;
  readonly probes: Probes;
  /** The brokers' disks as the run left them (unsynced bytes included). */
  readonly disks: readonly NodeDisk[];
  /** The brokers' log-directory counters as the run left them. */
  readonly storage: readonly NodeStorage[];
}

/**
 * A run that is set up and started but not yet run: the state `runOnce` and the stepped run
 * (`stepped-run.ts`) share, so both go through the very same setup, draws and phases.
 */
export interface OpenRun {
  readonly config: RunConfig;
  readonly model: ClusterModel;
  readonly sim: Simulator;
  readonly world: World;
  readonly trace: Trace;
  readonly history: History;
  readonly violations: Violations;
  readonly probes: Probes;
  readonly rates: FaultRates;
  readonly schedule: readonly FaultEvent[];
  readonly wallStartMs: number;
  /** Virtual time at which the liveness phase found the cluster converged; -1 until then. */
  convergedAtMs: number;
  /** Set once a thrown Error became violation #99; the run does nothing more after it. */
  crashed: boolean;
}

/**
 * Builds the world, the model and the simulator, draws the fault schedule and starts the cluster:
 * everything of a run before its first event. A throw while starting becomes violation #99.
 */
export function openRun(config: RunConfig, factory: ClusterFactory): OpenRun {
  const wallStartMs = performance.now();
  const streams = splitStreams(config.seed);
  const violations = new Violations();
  const trace = new Trace(config.trace);
  const history = new History();
  const online = new OnlineChecker(violations);
  const probes = new Probes();
  // The world is built in two steps because the simulator needs the nodes and the nodes need the world.
  const world: World = {
    sim: undefined as unknown as Simulator,
    config,
    history,
    violations,
    online,
    probes,
    brokers: [],
    controllers: [],
    workloadOn: true,
    valueNext: 1,
    bug: (name) => config.bugs.includes(name),
  };
  const model = factory(world);
  let rates: FaultRates;
  let schedule: FaultEvent[];
  if (config.faults !== undefined) {
    rates = config.faults.rates;
    schedule = sortSchedule(config.faults.schedule);
  } else {
    rates = drawFaultRates(streams.faults);
    schedule = drawSchedule(
      streams.faults,
      rates,
      config.safetyMs,
      model.brokerNames,
      model.controllerNames,
      model.pausableClientNames,
    );
  }
  const sim = new Simulator(
    model.nodes,
    streams,
    trace,
    violations,
    (n) => new Network(n, rates.network, streams.network),
  );
  sim.resolver = model.resolveNode ?? null;
  (world as { sim: Simulator }).sim = sim;
  // Heal a majority: in a third of the runs one controller stays down through the liveness phase
  // (the quorum keeps a majority), and with `healBrokerMajority` in a third one broker too (never
  // the one hosting the group coordinator); partitions whose whole ISR stays down are exempt.
  const keepDown: string[] = [];
  if (model.controllerNames.length >= 3 && streams.faults.int(0, 2) === 0)
    keepDown.push(streams.faults.pick(model.controllerNames));
  if (config.healBrokerMajority && model.brokerNames.length >= 3 && streams.faults.int(0, 2) === 0)
    keepDown.push(streams.faults.pick(model.brokerNames.slice(1)));
  const run: OpenRun = {
    config,
    model,
    sim,
    world,
    trace,
    history,
    violations,
    probes,
    rates,
    schedule,
    wallStartMs,
    convergedAtMs: -1,
    crashed: false,
  };
  guardRun(run, () => {
    model.start();
    sim.schedule(schedule.filter((e) => e.atMs < config.safetyMs));
    sim.at(config.safetyMs, "liveness", () => {
      world.workloadOn = false;
      sim.healEverything(keepDown.map((name) => sim.resolveIndex(name)));
      model.onLiveness?.();
    });
  });
  return run;
}

/**
 * Runs `body`, turning any Error it throws into violation #99 (a core `invariant()`, a storage error
 * the shell re-throws, or a bug in the simulator itself) and marking the run crashed.
 */
export function guardRun(run: OpenRun, body: () => void): void {
  if (run.crashed) return;
  try {
    body();
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    run.crashed = true;
    run.violations.add(99, run.sim.nowMs, `${e.name}: ${e.message}`);
    // Read through globalThis: a browser has no process (the teaching studio runs this loop there).
    if ((globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.SIM_DEBUG)
      console.error(e);
  }
}

/** One liveness check at the current virtual time; records convergence. Returns whether converged. */
export function checkConverged(run: OpenRun): boolean {
  if (run.model.livenessGaps(false).length > 0) return false;
  run.convergedAtMs = run.sim.nowMs;
  return true;
}

/** The end-of-run checks: unmet liveness conditions, then the history checkers. */
export function finalChecks(run: OpenRun): void {
  const { config, model, sim, violations } = run;
  if (run.convergedAtMs < 0) {
    for (const gap of model.livenessGaps(true))
      violations.add(gap.invariant, sim.nowMs, `not converged after ${config.livenessMs}ms: ${gap.message}`);
  }
  for (const inv of [20, 21, 22, 23]) violations.checked(inv);
  checkHistory(run.history, model.finalLogs(), violations, sim.nowMs);
}

/** Writes the trace's end line and gathers the run's figures. */
export function closeRun(run: OpenRun): RunResult {
  const { config, sim, trace, violations, history, model } = run;
  trace.event(sim.nowMs, "end", "sim", `${violations.list.length}`);
  return {
    config,
    rates: run.rates,
    schedule: run.schedule,
    hash: trace.hashHex(),
    events: sim.eventCount,
    simMs: sim.nowMs,
    wallMs: performance.now() - run.wallStartMs,
    violations: violations.list,
    checks: violations.checksTotal(),
    checksByInvariant: violations.checks,
    convergedAtMs: run.convergedAtMs,
    produces: history.produces.length,
    acked: history.produces.filter((p) => p.outcome === "ok").length,
    polls: history.polls.length,
    trace,
    probes: run.probes,
    disks: model.disks?.() ?? [],
    storage: model.storage?.() ?? [],
  };
}

export function runOnce(config: RunConfig, factory: ClusterFactory): RunResult {
  const run = openRun(config, factory);
  const sim = run.sim;
  const endMs = config.safetyMs + config.livenessMs;
  guardRun(run, () => {
    sim.runUntil(config.safetyMs);
    for (let t = config.safetyMs + livenessCheckIntervalMs; t <= endMs; t += livenessCheckIntervalMs) {
      sim.runUntil(t);
      if (checkConverged(run)) break;
    }
    finalChecks(run);
  });
  return closeRun(run);
}
