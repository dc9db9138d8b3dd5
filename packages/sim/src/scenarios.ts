/**
 * Named scenarios for `--scenario`: hand-written fault schedules that drive one well-known situation,
 * each with an expectation on the run (beyond "no violations") that shows the situation happened.
 */
import { faultRatesNone } from "./faults.ts";
import type { RunResult } from "./run.ts";
import type { RunConfig } from "./run-config.ts";

export interface Scenario {
  readonly description: string;
  readonly config: Partial<RunConfig>;
  /** Returns what the run failed to show (empty when the scenario happened as intended). */
  readonly expect: (r: RunResult) => string[];
}

export const scenarios: Record<string, Scenario> = {};
export const scenarioNames: string[] = [];

export function noFaults(): Partial<RunConfig> {
  return { faults: { rates: faultRatesNone, schedule: [] } };
}
