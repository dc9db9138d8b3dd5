/**
 * The stepped run (what the studio drives) is `runOnce` one trace event at a time: run to its end it
 * gives the same trace hash, event count and violations; the same number of steps from the same seed
 * always shows the same cluster; asking for the view never changes the run.
 */
import { expect, test } from "bun:test";
import { kafkaCluster, runConfig, runOnce, SteppedRun } from "../src/index.ts";

const stepsMax = 200_000;

function runToEnd(stepped: SteppedRun, viewEvery: number): number {
  let steps = 0;
  while (steps < stepsMax && stepped.step()) {
    steps++;
    if (viewEvery > 0 && steps % viewEvery === 0) stepped.view();
  }
  return steps;
}

test("a stepped run to its end has runOnce's hash, events and violations", () => {
  for (const seed of [1n, 2n, 3n, 42n]) {
    const whole = runOnce(runConfig(seed), kafkaCluster);
    const stepped = new SteppedRun(runConfig(seed, { trace: true }), kafkaCluster);
    const steps = runToEnd(stepped, 7);
    const end = stepped.ended!;
    expect(end.hash).toBe(whole.hash);
    expect(end.events).toBe(whole.events);
    expect(end.convergedAtMs).toBe(whole.convergedAtMs);
    expect(end.violations.length).toBe(whole.violations.length);
    // A step ends at the next trace line; one event may write several (a resumed node's backlog).
    expect(steps).toBeGreaterThan(0);
    expect(steps).toBeLessThan(end.trace.count);
  }
});

test("the same steps from the same seed show the same cluster", () => {
  const a = new SteppedRun(runConfig(7n, { trace: true }), kafkaCluster);
  const b = new SteppedRun(runConfig(7n, { trace: true }), kafkaCluster);
  expect(a.steps(1600)).toBe(1600);
  b.steps(250);
  b.view();
  b.steps(1350);
  expect(JSON.stringify(b.view())).toBe(JSON.stringify(a.view()));
  expect(b.traceTail(5)).toEqual(a.traceTail(5));
  expect(b.nowMs).toBe(a.nowMs);
  const view = a.view()!;
  expect(view.brokers.length).toBe(3);
  expect(view.controllers.length).toBe(3);
  expect(view.partitions.some((p) => p.replicas.some((r) => r.role === "leader"))).toBe(true);
});
