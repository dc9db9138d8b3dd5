/**
 * Drives one partition replica's `step` through a list of inputs, the way the tests that pin its
 * rules one by one do (partitionRules, partitionIsrEligibility, partition-configure). It plays no
 * shell: nothing is persisted, sent or answered; the caller reads each step's Ready itself.
 *
 * It is test scaffolding: it must never be imported by production code.
 */
import { partition } from "../src/index.ts";

/** The state after `inputs` in order, and the Ready of each step, in the same order. */
export function drive(
  state: partition.PartitionState,
  ...inputs: partition.PartitionInput[]
): { state: partition.PartitionState; ready: partition.PartitionReady[] } {
  const ready: partition.PartitionReady[] = [];
  let current = state;
  for (const input of inputs) {
    const result = partition.step(current, input);
    current = result.state;
    ready.push(result.ready);
  }
  return { state: current, ready };
}
