/**
 * Retention in the simulator: a topic with retention.ms and retention.bytes has its old segments
 * deleted whole by the storage engine's own retention (the shared node's applyRetention, as the
 * broker's), so every replica's log start moves to a segment boundary; a consumer of a new group that
 * asks for offset 0 gets OFFSET_OUT_OF_RANGE and resets to the log start (auto.offset.reset); the
 * checkers count no deleted record as lost; the run replays to the same hash. Runs without retention
 * keep their hashes (the fixed-seed tests).
 */
import { expect, test } from "bun:test";
import { segmentFileName } from "@eddy/storage";
import {
  faultRatesNone,
  kafkaClusterWith,
  type RunConfig,
  runConfig,
  SteppedRun,
  workloadDefault,
} from "../src/index.ts";

const config: RunConfig = runConfig(11n, {
  trace: true,
  safetyMs: 14_000,
  faults: { rates: faultRatesNone, schedule: [] },
  workload: { ...workloadDefault, produceIntervalMs: 50, retentionMs: 3_000, retentionBytesMax: 16 * 1024 },
});
const model = kafkaClusterWith({ spareConsumers: 2, consumerChurn: false, spareGroup: "g2" });
const addAtMs = 10_000;

function play(): SteppedRun {
  const run = new SteppedRun(config, model);
  let added = false;
  while (run.step()) {
    if (!added && run.nowMs >= addAtMs) {
      expect(typeof run.apply({ kind: "addConsumer" })).not.toBe("string");
      added = true;
    }
    if (run.nowMs >= 13_000) break;
  }
  return run;
}

test("old segments are deleted whole, the log start moves, a consumer behind it resets", () => {
  const run = play();
  const view = run.view()!;
  for (const p of view.partitions) {
    for (const r of p.replicas) {
      expect(r.logStartOffset).toBeGreaterThan(0);
      expect(r.logStartOffset).toBeLessThanOrEqual(r.highWatermark);
    }
  }
  // On b0's disk the first segment left starts at the log start: whole segments went, nothing cut.
  const disk = run.disks().find((d) => d.node === "b0")!.disk;
  const start = view.partitions[0]!.replicas.find((r) => r.broker === "b0")!.logStartOffset;
  const logs = disk
    .fileInfos()
    .map((f) => f.path)
    .filter((path) => path.startsWith("/data/t-0/") && path.endsWith(".log"))
    .sort();
  expect(logs.length).toBeGreaterThan(0);
  expect(logs[0]).toBe(`/data/t-0/${segmentFileName(start, ".log")}`);
  const k2 = view.consumers.find((k) => k.group === "g2")!;
  expect(k2.offsetResets).toBeGreaterThanOrEqual(1);
  // k2 read nothing below the log start and something after it.
  const polls = run.history.polls.filter((r) => r.consumer === k2.name && r.partition === 0);
  expect(polls.length).toBeGreaterThan(0);
  expect(polls[0]!.offset).toBeGreaterThan(0);
  expect(run.violations).toEqual([]);
});

test("a run with retention replays to the same hash and ends with no violation", () => {
  const a = new SteppedRun(config, model);
  const b = new SteppedRun(config, model);
  a.steps(6_000);
  b.steps(6_000);
  expect(a.hashHex).toBe(b.hashHex);
  while (a.step()) {}
  expect(a.phase).toBe("ended");
  expect(a.violations).toEqual([]);
});
