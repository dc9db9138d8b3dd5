// The log directory's clean-shutdown marker over the memory disk: `closeAll` writes it last, only
// when every log closed cleanly and every open succeeded; the next start takes it away before
// anything is written and trusts each log's clean close once (no segment scanned); a crash leaves no
// marker, so the next start scans from the recovery point.
import { expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { cleanShutdownFileName, FileFault, type Files, type TopicPartition } from "@eddy/storage";
import { MemoryDisk } from "@eddy/storage-memory";
import { LogDir } from "../src/replica/log-dir.ts";
import { recoverEpochs } from "../src/replica/recovery.ts";

const dataDir = "/data";
const marker = `${dataDir}/${cleanShutdownFileName}`;
const orders: TopicPartition = { topic: "orders", partition: 0 };
const config = { segmentBytesMax: 2048, indexIntervalBytes: 300 };

function logDir(disk: Files, lines: Array<string> = []): LogDir {
  return new LogDir({
    files: disk,
    dataDir,
    defaults: config,
    tailCacheBytesMax: 0,
    tailCacheBytesTotalMax: 0,
    logLine: (line) => lines.push(line),
  });
}

/** Appends `count` batches of 5 records with 100 bytes of filler after the log end. */
function fill(dir: LogDir, tp: TopicPartition, count: number): void {
  const log = dir.open(tp, {}, 0);
  for (let i = 0; i < count; i++) {
    const baseOffset = log.info().logEndOffset;
    log.append(
      batchMake({ baseOffset, recordCount: 5, baseTimestampMs: 1_000 + i, body: new Uint8Array(100) }),
      0,
    );
  }
}

test("closeAll writes the marker; the next start takes it and scans no segment", async () => {
  const disk = new MemoryDisk();
  const first = logDir(disk);
  expect(first.startedClean).toBe(false);
  fill(first, orders, 40);
  fill(first, { topic: "orders", partition: 1 }, 3);
  expect(await first.closeAll()).toBe(true);
  expect(disk.exists(marker)).toBe(true);

  const second = logDir(disk);
  expect(second.startedClean).toBe(true);
  expect(disk.exists(marker)).toBe(false);
  const log = second.open(orders, {}, 0);
  expect(log.info().logEndOffset).toBe(200);
  expect(log.info().segmentCount).toBe(4);
  expect(log.recoveryStats).toEqual({
    segmentsScanned: 0,
    segmentsLoaded: 4,
    tailBytesScanned: expect.any(Number),
    scannedFromOffset: 200,
    openedClean: true,
  });
  expect(second.open({ topic: "orders", partition: 1 }, {}, 0).recoveryStats.segmentsScanned).toBe(0);
  // A crash now: the marker is gone, so the next start scans the unflushed active segment.
  fill(second, orders, 2);
  disk.crash({ _tag: "KeepUnsynced" });
  const third = logDir(disk);
  expect(third.startedClean).toBe(false);
  const recovered = third.open(orders, {}, 0);
  expect(recovered.recoveryStats.segmentsScanned).toBe(1);
  expect(recovered.info().logEndOffset).toBe(210);
});

test("a log that fails to open keeps closeAll from writing the marker", async () => {
  const disk = new MemoryDisk();
  // A disk on which one partition's files cannot be opened (EIO), as a bad sector would do.
  const failing: Files = Object.assign(Object.create(disk) as MemoryDisk, {
    open: (path: string, create: boolean) => {
      if (path.includes("/broken-0/")) throw new FileFault("EIO", path, "input/output error (test)");
      return disk.open(path, create);
    },
  });
  const dir = logDir(failing);
  fill(dir, orders, 3);
  expect(() => dir.open({ topic: "broken", partition: 0 }, {}, 0)).toThrow("EIO");
  expect(await dir.closeAll()).toBe(false);
  expect(disk.exists(marker)).toBe(false);
});

test("a log whose close fails to flush keeps closeAll from writing the marker", async () => {
  const disk = new MemoryDisk();
  const lines: Array<string> = [];
  const dir = logDir(disk, lines);
  fill(dir, orders, 3);
  disk.faults.failNextSync = true;
  expect(await dir.closeAll()).toBe(false);
  expect(disk.exists(marker)).toBe(false);
  // The next start recovers by scanning, and keeps every batch.
  const again = logDir(disk);
  const log = again.open(orders, {}, 0);
  expect(log.recoveryStats.segmentsScanned).toBe(1);
  expect(log.info().logEndOffset).toBe(15);
});

test("the epoch cache is completed only from the batches recovery scanned", async () => {
  // Twelve batches of epoch 0 (the first 2 KiB segment), then eight of epoch 3 that the checkpoint
  // (deliberately) never learns of; a flush after the roll makes the recovery point offset 60.
  const write = async (disk: MemoryDisk): Promise<LogDir> => {
    const dir = logDir(disk);
    const log = dir.open(orders, {}, 0);
    for (let i = 0; i < 20; i++) {
      const baseOffset = log.info().logEndOffset;
      const partitionLeaderEpoch = i < 12 ? 0 : 3;
      const body = new Uint8Array(100);
      log.append(
        batchMake({ baseOffset, recordCount: 5, baseTimestampMs: 1_000, partitionLeaderEpoch, body }),
        0,
      );
      if (i === 12) await log.flush();
    }
    log.writeLeaderEpochsNow([{ epoch: 0, startOffset: 0 }]);
    return dir;
  };

  // After a clean stop the checkpoint is trusted as Kafka trusts it: nothing is read.
  const cleanDisk = new MemoryDisk();
  expect(await (await write(cleanDisk)).closeAll()).toBe(true);
  const clean = logDir(cleanDisk).open(orders, {}, 0);
  expect(clean.recoveryStats.scannedFromOffset).toBe(100);
  expect(recoverEpochs(clean, clean.readLeaderEpochs())).toEqual([{ epoch: 0, startOffset: 0 }]);

  // After a crash the segments past the recovery point are scanned and their epochs assigned.
  const crashDisk = new MemoryDisk();
  await write(crashDisk);
  crashDisk.crash({ _tag: "KeepUnsynced" });
  const crashed = logDir(crashDisk).open(orders, {}, 0);
  expect(crashed.recoveryStats.scannedFromOffset).toBe(60);
  expect(crashed.recoveryStats.segmentsLoaded).toBe(1);
  expect(recoverEpochs(crashed, crashed.readLeaderEpochs())).toEqual([
    { epoch: 0, startOffset: 0 },
    { epoch: 3, startOffset: 60 },
  ]);
});
