// The log directory's synchronous clean close (`closeAllNow`, each log's `closeNow`), which the
// simulator drives inside its events, must leave the disk as the broker's `closeAll` does: the marker
// written last, active indexes trimmed and durable, so the next start trusts every log and scans
// nothing; a failing fsync at the close leaves no marker. And `flushOnRoll: false` keeps a roll from
// starting an asynchronous flush, which a synchronous caller's `flushNow` would trip over.
import { expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { cleanShutdownFileName, type TopicPartition } from "@eddy/storage";
import { MemoryDisk } from "@eddy/storage-memory";
import { LogDir } from "../src/replica/log-dir.ts";

const dataDir = "/data";
const marker = `${dataDir}/${cleanShutdownFileName}`;
const orders: TopicPartition = { topic: "orders", partition: 0 };
const config = { segmentBytesMax: 2048, indexIntervalBytes: 300 };

function logDir(disk: MemoryDisk, flushOnRoll: boolean): LogDir {
  return new LogDir({
    files: disk,
    dataDir,
    defaults: config,
    tailCacheBytesMax: 1024,
    tailCacheBytesTotalMax: 1024,
    flushOnRoll,
    logLine: () => {},
  });
}

/** Appends `count` batches of 5 records with 100 bytes of filler, each fsynced as the simulator does. */
function fill(dir: LogDir, tp: TopicPartition, count: number): void {
  const log = dir.open(tp, {}, 0);
  for (let i = 0; i < count; i++) {
    const baseOffset = log.info().logEndOffset;
    const body = new Uint8Array(100);
    log.append(batchMake({ baseOffset, recordCount: 5, baseTimestampMs: 1_000 + i, body }), 0);
    log.flushNow();
  }
}

test("closeAllNow writes the marker before returning; the next start trusts every log", () => {
  const disk = new MemoryDisk();
  const first = logDir(disk, false);
  fill(first, orders, 40);
  fill(first, { topic: "orders", partition: 1 }, 3);
  expect(first.closeAllNow()).toBe(true);
  expect(disk.exists(marker)).toBe(true);
  expect(first.openLogs()).toEqual([]);

  // The process is gone (a power loss after the close changes nothing: all of it was durable).
  disk.crash({ _tag: "LoseUnsynced" });
  const second = logDir(disk, false);
  expect(second.startedClean).toBe(true);
  const log = second.open(orders, {}, 0);
  expect(log.info().logEndOffset).toBe(200);
  expect(log.recoveryStats).toMatchObject({ segmentsScanned: 0, openedClean: true });
  expect(second.open({ topic: "orders", partition: 1 }, {}, 0).recoveryStats.segmentsScanned).toBe(0);
  // Reads after the trusted open find every batch through the trimmed indexes (a read ends at its
  // segment's end).
  let batches = 0;
  for (let next = 0, reads = 0; next < 200 && reads < 100; reads++) {
    const read = log.read({ fetchOffset: next, maxBytes: 1 << 20 });
    batches += read.batchCount;
    next = read.nextOffset;
  }
  expect(batches).toBe(40);
});

test("a directory dropped without a close leaves no marker, and the next start scans", () => {
  const disk = new MemoryDisk();
  fill(logDir(disk, false), orders, 12);
  disk.crash({ _tag: "LoseUnsynced" });
  const again = logDir(disk, false);
  expect(again.startedClean).toBe(false);
  expect(again.open(orders, {}, 0).recoveryStats.segmentsScanned).toBeGreaterThan(0);
});

test("a failing fsync at closeAllNow leaves no marker", () => {
  const disk = new MemoryDisk();
  const dir = logDir(disk, false);
  fill(dir, orders, 3);
  dir.open(orders, {}, 0).append(batchMake({ baseOffset: 15, recordCount: 5, baseTimestampMs: 9 }), 0);
  disk.faults.failNextSync = true;
  expect(dir.closeAllNow()).toBe(false);
  expect(disk.exists(marker)).toBe(false);
  expect(logDir(disk, false).startedClean).toBe(false);
});

test("flushOnRoll: false rolls segments without an asynchronous flush; true starts one", () => {
  const quiet = logDir(new MemoryDisk(), false);
  // 40 batches of about 160 bytes roll the 2 KiB segments several times; each flushNow would throw
  // if a roll had started an asynchronous flush.
  fill(quiet, orders, 40);
  expect(quiet.open(orders, {}, 0).info().segmentCount).toBeGreaterThan(2);

  const broker = logDir(new MemoryDisk(), true);
  expect(() => fill(broker, orders, 40)).toThrow("flushNow while an asynchronous flush runs");
});
