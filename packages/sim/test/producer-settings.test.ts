/**
 * A learner's producer settings (acks and partitioner): Kafka's murmur2 gives Kafka's own test
 * vectors; the text form round-trips; after the input each send of the producer carries the new acks
 * and lands where its partitioner says (round robin in turn, explicit on its partition, key hash on
 * toPositive(murmur2(key)) % n), and sends before it are untouched; Kafka's rules are refused in words
 * and change nothing; replaying the timeline rebuilds the same run; the messages in flight carry send
 * and arrival times the network chose.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import {
  faultRatesNone,
  formatInput,
  kafkaClusterWith,
  keyHashPartition,
  type LearnerInput,
  murmur2,
  parseInput,
  type RunConfig,
  replayTo,
  runConfig,
  SteppedRun,
  toPositive,
} from "../src/index.ts";

const encoder = new TextEncoder();

test("murmur2 gives the values of Kafka's UtilsTest", () => {
  const vectors: [string, number][] = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];
  for (const [text, hash] of vectors) expect(murmur2(encoder.encode(text))).toBe(hash);
  expect(toPositive(-1)).toBe(0x7fffffff);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 64 }), (key, n) => {
      const p = keyHashPartition(key, n);
      return Number.isInteger(p) && p >= 0 && p < n;
    }),
  );
});

test("the producer input's text form round-trips and rejects malformed entries", () => {
  const inputs: LearnerInput[] = [
    { kind: "producer", producer: "p2", acks: 1, partitioner: { kind: "keyHash" } },
    { kind: "producer", producer: "p1", acks: -1, partitioner: { kind: "roundRobin" } },
    { kind: "producer", producer: "p2", acks: 0, partitioner: { kind: "explicit", partition: 5 } },
    { kind: "producer", producer: "p1", acks: 1, partitioner: { kind: "keyHash" }, key: 42 },
  ];
  for (const input of inputs) expect(parseInput(formatInput(input))).toEqual(input);
  expect(formatInput(inputs[0]!)).toBe("producer.p2.1.hash");
  expect(formatInput(inputs[3]!)).toBe("producer.p1.1.hash.k42");
  for (const bad of [
    "producer.p2.2.hash",
    "producer.p2.all",
    "producer.p2.all.to",
    "producer.p2.1.to999",
    "producer.p2.-1.rr",
    "producer.p2.1.hash.k",
    "producer.p2.1.hash.7",
    "producer.p2.1.hash.k99999999",
  ])
    expect(parseInput(bad)).toBeUndefined();
});

const quiet: RunConfig = runConfig(3n, {
  trace: true,
  faults: { rates: faultRatesNone, schedule: [] },
  workload: { producers: 3, consumers: 2, produceIntervalMs: 100, partitions: 4, minInsyncReplicas: 2 },
});
const teaching = kafkaClusterWith({ spareConsumers: 2, consumerChurn: false });
const settingsStep = 600;

function sendsOf(run: SteppedRun, producer: string) {
  return run.history.produces.filter((op) => op.producer === producer);
}

function runWith(input: LearnerInput, steps: number): { run: SteppedRun; before: number } {
  const run = new SteppedRun(quiet, teaching);
  run.steps(settingsStep);
  const before = sendsOf(run, "p2").length;
  const applied = run.apply(input);
  expect(typeof applied).not.toBe("string");
  run.steps(steps);
  return { run, before };
}

test("round robin puts p2's sends on partitions in turn with the acks asked, from the input on", () => {
  const plain = new SteppedRun(quiet, teaching);
  plain.steps(settingsStep);
  const { run, before } = runWith(
    { kind: "producer", producer: "p2", acks: -1, partitioner: { kind: "roundRobin" } },
    3_000,
  );
  const sends = sendsOf(run, "p2");
  // The sends before the input are the run's own, as a run without it made them.
  expect(sends.slice(0, before)).toEqual(sendsOf(plain, "p2").slice(0, before));
  const after = sends.slice(before + 1);
  expect(after.length).toBeGreaterThan(8);
  for (const op of sends.slice(0, before)) expect(op.acks).toBe(1);
  for (const op of after) expect(op.acks).toBe(-1);
  for (let i = 1; i < after.length; i++) expect(after[i]!.partition).toBe((after[i - 1]!.partition + 1) % 4);
  expect(run.view()!.producers.find((p) => p.name === "p2")!.partitioner).toBe("round robin");
  // Replaying the recorded timeline rebuilds the same run.
  const replayed = replayTo(quiet, teaching, run.inputs, run.stepCount);
  expect(replayed.hashHex).toBe(run.hashHex);
});

test("explicit and key hash partitioners place p2's sends as Kafka's producer would", () => {
  const explicit = runWith(
    { kind: "producer", producer: "p2", acks: 0, partitioner: { kind: "explicit", partition: 3 } },
    2_000,
  );
  const afterExplicit = sendsOf(explicit.run, "p2").slice(explicit.before + 1);
  expect(afterExplicit.length).toBeGreaterThan(5);
  for (const op of afterExplicit) {
    expect(op.partition).toBe(3);
    expect(op.acks).toBe(0);
  }
  const hashed = runWith(
    { kind: "producer", producer: "p2", acks: 1, partitioner: { kind: "keyHash" } },
    2_000,
  );
  const afterHash = sendsOf(hashed.run, "p2").slice(hashed.before + 1);
  expect(afterHash.length).toBeGreaterThan(5);
  for (const op of afterHash) expect(op.partition).toBe(keyHashPartition(op.key!, 4));
  // Key hash is not key mod n: some key lands elsewhere than the model's own rule would put it.
  expect(afterHash.some((op) => op.partition !== op.key! % 4)).toBe(true);
});

test("Kafka's rules are refused in words and change nothing", () => {
  const run = new SteppedRun(quiet, teaching);
  run.steps(settingsStep);
  const hash = run.hashHex;
  expect(run.apply({ kind: "producer", producer: "p0", acks: 1, partitioner: { kind: "keyHash" } })).toBe(
    "p0 is idempotent, and Kafka requires acks=all for idempotence",
  );
  expect(
    run.apply({ kind: "producer", producer: "p2", acks: 1, partitioner: { kind: "explicit", partition: 9 } }),
  ).toBe("topic t has partitions 0 to 3, not 9");
  expect(run.apply({ kind: "producer", producer: "p7", acks: 1, partitioner: { kind: "roundRobin" } })).toBe(
    "no producer p7",
  );
  expect(run.hashHex).toBe(hash);
  expect(run.inputs).toEqual([]);
});

test("messages in flight were sent at or before now and arrive after it, as the network decided", () => {
  const run = new SteppedRun(quiet, teaching);
  run.steps(settingsStep);
  const inFlight = run.messagesInFlight(64);
  expect(inFlight.length).toBeGreaterThan(0);
  for (const m of inFlight) {
    expect(m.sentMs).toBeLessThanOrEqual(run.nowMs);
    expect(m.arriveMs).toBeGreaterThanOrEqual(run.nowMs);
    expect(m.from).toMatch(/^[a-z]+[0-9]+$/);
  }
  // A cut link drops what is sent on it, and the drops are remembered.
  run.apply({ kind: "cut", from: "b0", to: "b1", oneWay: false });
  run.steps(400);
  const dropped = run.messagesDropped();
  expect(dropped.some((m) => (m.from === "b0" && m.to === "b1") || (m.from === "b1" && m.to === "b0"))).toBe(
    true,
  );
  for (const m of dropped) expect(m.arriveMs).toBe(-1);
});

test("a key set for a producer goes on each of its sends, placed by its partitioner", () => {
  // p1 is unkeyed (random partitions); with key 42 under the key hash every send goes to one partition.
  const run = new SteppedRun(quiet, teaching);
  run.steps(settingsStep);
  const before = sendsOf(run, "p1").length;
  const applied = run.apply({
    kind: "producer",
    producer: "p1",
    acks: -1,
    partitioner: { kind: "keyHash" },
    key: 42,
  });
  expect(typeof applied).not.toBe("string");
  run.steps(2_000);
  const after = sendsOf(run, "p1").slice(before + 1);
  expect(after.length).toBeGreaterThan(5);
  for (const op of after) {
    expect(op.key).toBe(42);
    expect(op.partition).toBe(keyHashPartition(42, 4));
  }
  expect(run.view()!.producers.find((p) => p.name === "p1")!.partitioner).toBe("key hash (murmur2), key 42");
  expect(replayTo(quiet, teaching, run.inputs, run.stepCount).hashHex).toBe(run.hashHex);
});
