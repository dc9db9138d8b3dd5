/**
 * The plain-data description of one run. Everything that changes what a run does is in here, so a
 * run is replayed from this object alone (printed as one command line by `replayLine`).
 */
import type { BugName } from "./bugs.ts";
import type { FaultEvent, FaultRates } from "./faults.ts";

export interface WorkloadConfig {
  readonly producers: number;
  readonly consumers: number;
  /** Mean gap between two sends of one producer. */
  readonly produceIntervalMs: number;
  readonly partitions: number;
  readonly minInsyncReplicas: number;
  /**
   * Topic t's `retention.ms`: whole segments whose newest record is older than this are deleted and
   * the log start moves past them. Absent (the default): kept forever, and no retention check runs,
   * so every run without it keeps its trace byte for byte.
   */
  readonly retentionMs?: number;
  /** Topic t's `retention.bytes`: the oldest segments are deleted while a log is larger. Absent: no limit. */
  readonly retentionBytesMax?: number;
}

/** Kafka's `log.retention.check.interval.ms` in the simulator (Kafka's default is 5 minutes). */
export const retentionCheckIntervalMs = 500;

/** Whether the workload asks for retention (and brokers run the periodic check). */
export function retentionOn(workload: WorkloadConfig): boolean {
  return workload.retentionMs !== undefined || workload.retentionBytesMax !== undefined;
}

export const workloadDefault: WorkloadConfig = {
  producers: 3,
  consumers: 2,
  produceIntervalMs: 200,
  partitions: 2,
  minInsyncReplicas: 2,
};

export interface RunConfig {
  readonly seed: bigint;
  /** Length of the safety phase, in which faults happen. */
  readonly safetyMs: number;
  /** Bound on the liveness phase: after healing, the cluster must converge within this. */
  readonly livenessMs: number;
  /** Explicit faults. When absent, swarm testing draws rates and a schedule from the seed. */
  readonly faults?: { readonly rates: FaultRates; readonly schedule: readonly FaultEvent[] } | undefined;
  readonly bugs: readonly BugName[];
  /**
   * Heal only a majority of brokers in the liveness phase (in a third of the runs one broker stays
   * down). Off by default until the core holds no HW on a candidate the controller refused (see README).
   */
  readonly healBrokerMajority: boolean;
  readonly workload: WorkloadConfig;
  readonly trace: boolean;
}

export function runConfig(seed: bigint, overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    seed,
    safetyMs: 10_000,
    livenessMs: 15_000,
    bugs: [],
    healBrokerMajority: false,
    workload: workloadDefault,
    trace: false,
    ...overrides,
  };
}

/** One shell line that replays `config` exactly. */
export function replayLine(config: RunConfig): string {
  const parts = [`bun run sim --seed ${config.seed}`];
  if (config.faults !== undefined) {
    parts.push(`--faults '${JSON.stringify(config.faults)}'`);
  }
  if (config.bugs.length > 0) parts.push(`--bug ${config.bugs.join(",")}`);
  if (config.healBrokerMajority) parts.push("--heal-majority");
  if (config.safetyMs !== 10_000) parts.push(`--safety-ms ${config.safetyMs}`);
  if (config.livenessMs !== 15_000) parts.push(`--liveness-ms ${config.livenessMs}`);
  if (JSON.stringify(config.workload) !== JSON.stringify(workloadDefault)) {
    parts.push(`--workload '${JSON.stringify(config.workload)}'`);
  }
  return parts.join(" ");
}
