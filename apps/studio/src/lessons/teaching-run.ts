/**
 * The run every guided lesson shares: no faults but the lesson's and the learner's inputs (so what
 * happens is what the narration says), a safety phase long enough for the whole script, the model with
 * two spare consumers and no random consumer churn. Owns those settings; it must never hold a lesson.
 */
import {
  faultRatesNone,
  kafkaClusterWith,
  type RunConfig,
  runConfig,
  type WorkloadConfig,
  workloadDefault,
} from "@eddy/sim";

/** Lessons script their inputs inside this; the simulator heals everything when it ends. */
export const lessonSafetyMs = 14_000;

export function quietConfig(seed: bigint, workload: Partial<WorkloadConfig> = {}): RunConfig {
  return runConfig(seed, {
    trace: true,
    safetyMs: lessonSafetyMs,
    faults: { rates: faultRatesNone, schedule: [] },
    workload: { ...workloadDefault, ...workload },
  });
}

export const teachingCluster = kafkaClusterWith({ spareConsumers: 2, consumerChurn: false });

/** Free play keeps `bun run sim`'s run (spares added last change nothing until a learner adds one). */
export const freePlayCluster = kafkaClusterWith({ spareConsumers: 2, consumerChurn: true });
