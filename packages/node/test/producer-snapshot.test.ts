// Kafka's producer-state snapshot (`<offset>.snapshot` beside the log), written by a clean close and
// at each roll: a start replays only the batches after the newest snapshot within the log (none after
// a clean shutdown, the active segment after a crash) and comes out with the state a full rebuild from
// the batch headers gives; a damaged snapshot falls back to an older one or the log; a truncation
// removes, durably, every snapshot above it, so none can describe batches that were replaced.
import { expect, test } from "bun:test";
import { encodeRecordBatch } from "@eddy/protocol";
import type { PartitionLog, TopicPartition } from "@eddy/storage";
import { MemoryDisk } from "@eddy/storage-memory";
import { LogDir } from "../src/replica/log-dir.ts";
import { producerSnapshotName, recoverProducers, writeProducerSnapshot } from "../src/replica/recovery.ts";

const tp: TopicPartition = { topic: "orders", partition: 0 };
const dir = "/data/orders-0";
const nowMs = 1_700_000_100_000;
const expirationMs = 86_400_000;
const idsMax = 1000;

function logDir(disk: MemoryDisk): LogDir {
  return new LogDir({
    files: disk,
    dataDir: "/data",
    defaults: { segmentBytesMax: 4096 },
    tailCacheBytesMax: 0,
    tailCacheBytesTotalMax: 0,
    logLine: () => {},
  });
}

/** Appends `count` batches of 3 records from producers 7 and 9 in turn, with their sequences. */
function appendIdempotent(log: PartitionLog, count: number, first = 0): void {
  for (let i = first; i < first + count; i++) {
    const baseOffset = log.info().logEndOffset;
    const batch = encodeRecordBatch({
      baseOffset: BigInt(baseOffset),
      partitionLeaderEpoch: 0,
      baseTimestamp: BigInt(nowMs - 1000 + i),
      producerId: BigInt(i % 2 === 0 ? 7 : 9),
      producerEpoch: 0,
      baseSequence: Math.floor(i / 2) * 3,
      records: [1, 2, 3].map((n) => ({ value: new TextEncoder().encode(`r${i}-${n}`) })),
    });
    log.append(batch, nowMs);
  }
}

/** Counts the batches the log's reads return from now on, so a test can tell what recovery read. */
function counted(log: PartitionLog): { reads: () => number } {
  let batches = 0;
  const read = log.read.bind(log);
  log.read = (request) => {
    const result = read(request);
    batches += result.batchCount;
    return result;
  };
  return { reads: () => batches };
}

/** The state a full rebuild from the batch headers gives for the log on `disk` (a copy without snapshots). */
function rebuiltFromBatches(disk: MemoryDisk): ReturnType<typeof recoverProducers> {
  const copy = disk.clone();
  for (const name of copy.list(dir)) if (name.endsWith(".snapshot")) copy.remove(`${dir}/${name}`);
  return recoverProducers(logDir(copy).open(tp, {}, nowMs), nowMs, expirationMs, idsMax);
}

/** Opens a log whose clean close writes its producer state (as the replica registers it). */
function openWithSnapshots(dirOnDisk: LogDir): PartitionLog {
  const log = dirOnDisk.open(tp, {}, nowMs);
  log.cleanCloseHook = () => writeProducerSnapshot(log, recoverProducers(log, nowMs, expirationMs, idsMax));
  return log;
}

test("after a clean close the producer state comes from the snapshot and no batch is read", async () => {
  const disk = new MemoryDisk();
  const first = logDir(disk);
  appendIdempotent(openWithSnapshots(first), 40);
  expect(await first.closeAll()).toBe(true);
  expect(disk.exists(`${dir}/${producerSnapshotName(120)}`)).toBe(true);

  const again = logDir(disk).open(tp, {}, nowMs);
  const reads = counted(again);
  const state = recoverProducers(again, nowMs, expirationMs, idsMax);
  expect(reads.reads()).toBe(0);
  expect(state.entries.map((e) => e.producerId)).toEqual([7, 9]);
  expect(state).toEqual(rebuiltFromBatches(disk));
});

test("after a crash only the batches after the snapshot are replayed, with the same result", async () => {
  const disk = new MemoryDisk();
  const first = logDir(disk);
  appendIdempotent(openWithSnapshots(first), 40);
  expect(await first.closeAll()).toBe(true);
  const second = logDir(disk).open(tp, {}, nowMs);
  appendIdempotent(second, 6, 40);
  disk.crash({ _tag: "KeepUnsynced" });

  const crashed = logDir(disk).open(tp, {}, nowMs);
  expect(crashed.info().logEndOffset).toBe(138);
  const reads = counted(crashed);
  const state = recoverProducers(crashed, nowMs, expirationMs, idsMax);
  // The six batches appended after the clean restart, and nothing before them.
  expect(reads.reads()).toBe(6);
  expect(state).toEqual(rebuiltFromBatches(disk));
  expect(state.entries.flatMap((e) => e.batches).some((b) => b.lastOffset === 137)).toBe(true);
});

test("a damaged snapshot is removed and the state rebuilt from the batches", async () => {
  const disk = new MemoryDisk();
  const first = logDir(disk);
  appendIdempotent(openWithSnapshots(first), 40);
  expect(await first.closeAll()).toBe(true);
  disk.writeAtomicNow(`${dir}/${producerSnapshotName(120)}`, new TextEncoder().encode("{not json"));
  const damaged = logDir(disk).open(tp, {}, nowMs);
  const reads = counted(damaged);
  expect(recoverProducers(damaged, nowMs, expirationMs, idsMax)).toEqual(rebuiltFromBatches(disk));
  expect(reads.reads()).toBeGreaterThan(0);
  expect(disk.exists(`${dir}/${producerSnapshotName(120)}`)).toBe(false);
});

test("a truncation removes the snapshots above it, durably, before new batches take their offsets", async () => {
  const disk = new MemoryDisk();
  const first = logDir(disk);
  appendIdempotent(openWithSnapshots(first), 40);
  expect(await first.closeAll()).toBe(true);
  const log = logDir(disk).open(tp, {}, nowMs);
  log.truncateTo(60);
  expect(disk.exists(`${dir}/${producerSnapshotName(120)}`)).toBe(false);
  // New batches over the old offsets, then a crash: nothing describes the old ones any more.
  appendIdempotent(log, 20, 100);
  disk.crash({ _tag: "KeepUnsynced" });
  const crashed = logDir(disk).open(tp, {}, nowMs);
  expect(disk.exists(`${dir}/${producerSnapshotName(120)}`)).toBe(false);
  expect(recoverProducers(crashed, nowMs, expirationMs, idsMax)).toEqual(rebuiltFromBatches(disk));
});

test("the roll hook writes a snapshot at each roll, so a crash replays the active segment only", () => {
  const disk = new MemoryDisk();
  const log = logDir(disk).open(tp, {}, nowMs);
  log.rollHook = () => writeProducerSnapshot(log, recoverProducers(log, nowMs, expirationMs, idsMax));
  appendIdempotent(log, 80);
  const active = log.segmentInfos().at(-1)!;
  const snapshots = disk.list(dir).filter((name) => name.endsWith(".snapshot"));
  // One snapshot, the last roll's, just after the batch that rolled the active segment.
  expect(snapshots.length).toBe(1);
  expect(Number(snapshots[0]!.slice(0, 20))).toBe(active.baseOffset + 3);
  disk.crash({ _tag: "KeepUnsynced" });
  const crashed = logDir(disk).open(tp, {}, nowMs);
  const reads = counted(crashed);
  expect(recoverProducers(crashed, nowMs, expirationMs, idsMax)).toEqual(rebuiltFromBatches(disk));
  // Only the active segment's batches after the one that rolled it are read.
  expect(reads.reads()).toBe((crashed.info().logEndOffset - active.baseOffset - 3) / 3);
  expect(crashed.info().segmentCount).toBe(2);
});
