/**
 * Learner inputs (what the studio's controls send): each kind applies between two steps and is
 * recorded with its step; replaying (config, inputs, step) gives the same trace hash and view as the
 * run that took them live; an input changes the run only from its step on; a run without inputs keeps
 * `runOnce`'s hash; the text form round-trips and rejects malformed links.
 */
import { expect, test } from "bun:test";
import {
  faultRatesNone,
  formatTimeline,
  kafkaCluster,
  kafkaClusterWith,
  type LearnerInput,
  parseInput,
  parseTimeline,
  type RunConfig,
  replayTo,
  runConfig,
  runOnce,
  SteppedRun,
  type TimedInput,
} from "../src/index.ts";

const quiet: RunConfig = runConfig(3n, {
  trace: true,
  faults: { rates: faultRatesNone, schedule: [] },
});
const teaching = kafkaClusterWith({ spareConsumers: 2, consumerChurn: false });

/** One of each kind, at steps spread over the safety phase (the topic exists from about step 400). */
const script: readonly { readonly step: number; readonly input: LearnerInput }[] = [
  { step: 500, input: { kind: "produce", producer: "p0", key: 7 } },
  { step: 520, input: { kind: "addConsumer" } },
  { step: 600, input: { kind: "cut", from: "b1", to: "b2", oneWay: false } },
  { step: 700, input: { kind: "drop", from: "b0", to: "c0", durationMs: 300 } },
  { step: 750, input: { kind: "delay", from: "b2", to: "b0", durationMs: 400 } },
  { step: 800, input: { kind: "heal" } },
  { step: 850, input: { kind: "pause", node: "c1", durationMs: 500 } },
  { step: 900, input: { kind: "diskFail", node: "b1" } },
  { step: 950, input: { kind: "crash", node: "leader:0" } },
  { step: 1_100, input: { kind: "restart", node: "last-crashed" } },
  { step: 1_200, input: { kind: "removeConsumer", consumer: "k0" } },
  { step: 1_300, input: { kind: "bug", bug: "double-assignment" } },
  { step: 1_350, input: { kind: "cut", from: "b0", to: "b1", oneWay: true } },
];

function playLive(stepMax: number): SteppedRun {
  const run = new SteppedRun(quiet, teaching);
  let next = 0;
  while (run.stepCount < stepMax) {
    while (next < script.length && script[next]!.step === run.stepCount) {
      const applied = run.apply(script[next]!.input);
      if (typeof applied === "string") throw new Error(`step ${run.stepCount}: ${applied}`);
      next++;
    }
    if (!run.step()) break;
  }
  return run;
}

test("every kind of input applies, is recorded with its step and replays exactly", () => {
  const live = playLive(1_500);
  expect(live.inputs.map((t) => t.step)).toEqual(script.map((s) => s.step));
  // Aliases are recorded as the node they named: the replay needs no cluster state to read them.
  const crash = live.inputs[8]!.input;
  expect(crash.kind === "crash" && /^b[0-2]$/.test(crash.node)).toBe(true);
  expect(live.view()!.consumers.map((k) => k.name)).toContain("k2");
  expect(live.view()!.consumers.map((k) => k.name)).not.toContain("k0");
  const replayed = replayTo(quiet, teaching, live.inputs, 1_500);
  expect(replayed.stepCount).toBe(live.stepCount);
  expect(replayed.hashHex).toBe(live.hashHex);
  expect(JSON.stringify(replayed.view())).toBe(JSON.stringify(live.view()));
  expect(replayed.traceTail(20)).toEqual(live.traceTail(20));
  // Through the link's text form too.
  const fromText = parseTimeline(formatTimeline(live.inputs), 1_000_000)!;
  expect(fromText).toEqual([...live.inputs]);
  expect(replayTo(quiet, teaching, fromText, 1_500).hashHex).toBe(live.hashHex);
});

test("an input changes the run only from its step on", () => {
  const plain = new SteppedRun(quiet, teaching);
  plain.steps(949);
  const withKill = replayTo(quiet, teaching, [{ step: 950, input: { kind: "crash", node: "b1" } }], 949);
  expect(withKill.hashHex).toBe(plain.hashHex);
  expect(withKill.inputs.length).toBe(0);
  plain.steps(1);
  const killed = replayTo(quiet, teaching, [{ step: 950, input: { kind: "crash", node: "b1" } }], 950);
  expect(killed.hashHex).not.toBe(plain.hashHex);
  expect(killed.view()!.brokers[1]!.up).toBe(false);
});

test("a run without inputs is runOnce's run, step for step", () => {
  const whole = runOnce(runConfig(5n), kafkaCluster);
  const stepped = replayTo(runConfig(5n, { trace: true }), kafkaCluster, [], 1_000_000);
  expect(stepped.ended?.hash).toBe(whole.hash);
  expect(stepped.ended?.events).toBe(whole.events);
});

test("spare consumers change nothing until a learner adds one", () => {
  const spares = kafkaClusterWith({ spareConsumers: 2, consumerChurn: true });
  for (const seed of [1n, 2n, 9n])
    expect(runOnce(runConfig(seed), spares).hash).toBe(runOnce(runConfig(seed), kafkaCluster).hash);
});

test("spare consumers in a second group form it beside the first, and the run converges", () => {
  const twoGroups = kafkaClusterWith({ spareConsumers: 2, consumerChurn: false, spareGroup: "g2" });
  const added: TimedInput[] = [
    { step: 500, input: { kind: "addConsumer" } },
    { step: 520, input: { kind: "addConsumer" } },
  ];
  const run = replayTo(quiet, twoGroups, added, 1_000_000);
  expect(run.ended?.violations).toEqual([]);
  expect(run.convergedAtMs).toBeGreaterThan(0);
  const groups = run.view()!.groups;
  expect(groups.map((g) => [g.id, g.state, g.members])).toEqual([
    ["g", "Stable", 2],
    ["g2", "Stable", 2],
  ]);
  expect(run.history.polls.some((p) => p.group === "g2")).toBe(true);
});

test("a known bug switched on mid-run is caught by its invariant", () => {
  const run = new SteppedRun(quiet, teaching);
  run.steps(450);
  expect(typeof run.apply({ kind: "bug", bug: "double-assignment" })).not.toBe("string");
  expect(typeof run.apply({ kind: "addConsumer" })).not.toBe("string");
  let steps = 0;
  while (steps < 5_000 && run.violations.length === 0 && run.step()) steps++;
  expect(run.violations.map((v) => v.invariant)).toContain(15);
});

test("inputs the run cannot take are refused and not recorded", () => {
  const run = new SteppedRun(quiet, kafkaCluster);
  run.steps(10);
  expect(typeof run.apply({ kind: "addConsumer" })).toBe("string");
  expect(typeof run.apply({ kind: "crash", node: "zz9" })).toBe("string");
  expect(typeof run.apply({ kind: "removeConsumer", consumer: "k7" })).toBe("string");
  expect(run.inputs.length).toBe(0);
});

test("the text form round-trips every kind and rejects malformed entries", () => {
  const inputs: TimedInput[] = script.map((s) => ({
    step: s.step,
    input:
      s.input.kind === "crash" || s.input.kind === "restart" ? { kind: s.input.kind, node: "b1" } : s.input,
  }));
  expect(parseTimeline(formatTimeline(inputs), 1_000_000)).toEqual(inputs);
  for (const bad of [
    "crash",
    "crash.<b>",
    "cut.b0.b0.2",
    "cut.b0.b1.3",
    "drop.b0.b1.0",
    "pause.c0.99999999",
    "produce.p0.-1",
    "bug.no-such-bug",
    "heal.now",
    "launch.b0",
  ])
    expect(parseInput(bad)).toBeUndefined();
  expect(parseTimeline("5~heal_4~heal", 100)).toBeUndefined();
  expect(parseTimeline("500~heal", 100)).toBeUndefined();
  expect(parseTimeline("", 100)).toEqual([]);
});
