// The producer-state snapshot a clean close writes beside the log (Kafka's `<offset>.snapshot`): the
// next start after a clean shutdown takes the state from it and reads no batch; after a crash, or
// with a damaged snapshot, the state is rebuilt from the batch headers as before, and comes out the
// same. Every snapshot is removed once read, so none can describe a log that moved on.
import { expect, test } from "bun:test";
import { encodeRecordBatch } from "@eddy/protocol";
import type { PartitionLog, TopicPartition } from "@eddy/storage";
import { MemoryDisk } from "@eddy/storage-memory";
import { LogDir } from "../src/replica/log-dir.ts";
import { producerSnapshotName, recoverProducers, writeProducerSnapshot } from "../src/replica/recovery.ts";

const tp: TopicPartition = { topic: "orders", partition: 0 };
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

/** Appends `count` batches from producers 7 and 9 in turn, with their sequences, at the log end. */
function appendIdempotent(log: PartitionLog, count: number): void {
  for (let i = 0; i < count; i++) {
    const baseOffset = log.info().logEndOffset;
    const producerId = i % 2 === 0 ? 7 : 9;
    const batch = encodeRecordBatch({
      baseOffset: BigInt(baseOffset),
      partitionLeaderEpoch: 0,
      baseTimestamp: BigInt(nowMs - 1000 + i),
      producerId: BigInt(producerId),
      producerEpoch: 0,
      baseSequence: Math.floor(i / 2) * 3,
      records: [1, 2, 3].map((n) => ({ value: new TextEncoder().encode(`r${i}-${n}`) })),
    });
    log.append(batch, nowMs);
  }
}

/** The log with its `read` counted, so a test can tell whether recovery read any batch. */
function counted(log: PartitionLog): { reads: () => number } {
  let reads = 0;
  const read = log.read.bind(log);
  log.read = (request) => {
    reads += 1;
    return read(request);
  };
  return { reads: () => reads };
}

test("after a clean close the producer state comes from the snapshot and no batch is read", async () => {
  const disk = new MemoryDisk();
  const first = logDir(disk);
  const log = first.open(tp, {}, nowMs);
  appendIdempotent(log, 40);
  const scanned = recoverProducers(log, nowMs, expirationMs, idsMax);
  expect(scanned.entries.map((e) => e.producerId)).toEqual([7, 9]);
  log.cleanCloseHook = () => writeProducerSnapshot(log, scanned);
  expect(await first.closeAll()).toBe(true);
  expect(disk.exists(`/data/orders-0/${producerSnapshotName(120)}`)).toBe(true);

  const again = logDir(disk).open(tp, {}, nowMs);
  const reads = counted(again);
  expect(recoverProducers(again, nowMs, expirationMs, idsMax)).toEqual(scanned);
  expect(reads.reads()).toBe(0);
  expect(disk.exists(`/data/orders-0/${producerSnapshotName(120)}`)).toBe(false);
});

test("after a crash, or with a damaged snapshot, the state is rebuilt from the batches, the same", async () => {
  const disk = new MemoryDisk();
  const first = logDir(disk);
  const log = first.open(tp, {}, nowMs);
  appendIdempotent(log, 40);
  const scanned = recoverProducers(log, nowMs, expirationMs, idsMax);
  log.cleanCloseHook = () => writeProducerSnapshot(log, scanned);
  expect(await first.closeAll()).toBe(true);

  // A snapshot that does not decode: the clean start falls back to the scan.
  disk.writeAtomicNow(`/data/orders-0/${producerSnapshotName(120)}`, new TextEncoder().encode("{not json"));
  const damaged = logDir(disk).open(tp, {}, nowMs);
  const damagedReads = counted(damaged);
  expect(recoverProducers(damaged, nowMs, expirationMs, idsMax)).toEqual(scanned);
  expect(damagedReads.reads()).toBeGreaterThan(0);

  // A clean close writes a fresh one; then more appends and a crash: it no longer describes the log.
  const second = logDir(disk);
  const reopened = second.open(tp, {}, nowMs);
  reopened.cleanCloseHook = () => writeProducerSnapshot(reopened, scanned);
  expect(await second.closeAll()).toBe(true);
  const third = logDir(disk).open(tp, {}, nowMs);
  appendIdempotent(third, 2);
  disk.crash({ _tag: "KeepUnsynced" });
  const crashed = logDir(disk).open(tp, {}, nowMs);
  const crashedReads = counted(crashed);
  const rebuilt = recoverProducers(crashed, nowMs, expirationMs, idsMax);
  expect(crashedReads.reads()).toBeGreaterThan(0);
  expect(rebuilt.entries.flatMap((e) => e.batches).some((b) => b.lastOffset === 125)).toBe(true);
});
