// When the leader-epoch checkpoint reaches the disk. `writeLeaderEpochsNow` replaces it without an
// fsync (10,000 partitions take a new epoch at every start), skips an unchanged one, and the log makes
// it durable in the first flush (or clean close) after it describes records, before the recovery
// point can move past them: a start completes the cache only from the batches after that point.
// Method: a memory disk, whose crash keeps exactly what was fsynced (LoseUnsynced).
import { expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { logConfigMake, PartitionLog, StorageError } from "@eddy/storage";
import { MemoryDisk } from "../src/index.ts";

const config = logConfigMake({ segmentBytesMax: 400, indexIntervalBytes: 64, indexBytesMax: 256 });
const path = "/data/t-0/leader-epoch-checkpoint";

function openLog(disk: MemoryDisk, cleanShutdown = false): PartitionLog {
  return PartitionLog.open({
    cleanShutdown,
    files: disk,
    dir: "/data/t-0",
    name: "t-0",
    config,
    tailCacheBytesMax: 1024,
    logLine: () => {},
    nowMs: 0,
  });
}

const durableBytes = (disk: MemoryDisk) => disk.fileInfos().find((f) => f.path === path)?.durableBytes;

test("a checkpoint only at the log end is never fsynced, and a crash may leave it empty (a Corrupt read)", async () => {
  const disk = new MemoryDisk();
  const log = openLog(disk);
  log.writeLeaderEpochsNow([{ epoch: 0, startOffset: 0 }]);
  expect(log.readLeaderEpochs()).toEqual([{ epoch: 0, startOffset: 0 }]);
  expect(durableBytes(disk)).toBe(0);
  // An empty log: nothing for the entry to describe, so neither a flush nor a clean close syncs it.
  log.flushNow();
  expect(await log.close()).toBe(true);
  expect(durableBytes(disk)).toBe(0);
  disk.crash({ _tag: "LoseUnsynced" });
  const error = (() => {
    try {
      openLog(disk).readLeaderEpochs();
      return null;
    } catch (e) {
      return e;
    }
  })();
  expect(error).toBeInstanceOf(StorageError);
  expect((error as StorageError).reason._tag).toBe("Corrupt");
});

test("the first flush after the checkpoint describes records makes it durable; a later end-only epoch does not", () => {
  const disk = new MemoryDisk();
  const log = openLog(disk);
  log.writeLeaderEpochsNow([{ epoch: 3, startOffset: 0 }]);
  log.append(batchMake({ baseOffset: 0, recordCount: 2 }), 0);
  expect(durableBytes(disk)).toBe(0);
  log.flushNow();
  const size = disk.readAll(path)!.length;
  expect(durableBytes(disk)).toBe(size);
  // A new epoch at the log end (a restart's) replaces the file unsynced; nothing below the end changed.
  log.writeLeaderEpochsNow([
    { epoch: 3, startOffset: 0 },
    { epoch: 4, startOffset: 2 },
  ]);
  expect(durableBytes(disk)).toBe(0);
  log.flushNow();
  expect(durableBytes(disk)).toBe(0);
  // Records of epoch 4 make it needed: the next flush fsyncs it before the recovery point moves.
  log.append(batchMake({ baseOffset: 2, recordCount: 1 }), 0);
  log.flushNow();
  expect(durableBytes(disk)).toBe(disk.readAll(path)!.length);
  disk.crash({ _tag: "LoseUnsynced" });
  expect(openLog(disk).readLeaderEpochs()).toEqual([
    { epoch: 3, startOffset: 0 },
    { epoch: 4, startOffset: 2 },
  ]);
});

test("an unchanged checkpoint is not rewritten (a rewrite would leave it unsynced again)", async () => {
  const disk = new MemoryDisk();
  const log = openLog(disk);
  const entries = [{ epoch: 1, startOffset: 0 }];
  log.writeLeaderEpochsNow(entries);
  log.append(batchMake({ baseOffset: 0, recordCount: 1 }), 0);
  expect(await log.flush()).toBe(1);
  const size = disk.readAll(path)!.length;
  expect(durableBytes(disk)).toBe(size);
  log.writeLeaderEpochsNow([...entries]);
  expect(durableBytes(disk)).toBe(size);
});

test("after a crash the checkpoint read is not trusted as durable: the first flush of a non-empty log syncs it", async () => {
  const disk = new MemoryDisk();
  const first = openLog(disk);
  first.writeLeaderEpochsNow([{ epoch: 1, startOffset: 0 }]);
  first.append(batchMake({ baseOffset: 0, recordCount: 1 }), 0);
  first.flushNow();
  // The process dies with a newer checkpoint in the page cache only (KeepUnsynced: the OS wrote it).
  first.writeLeaderEpochsNow([
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 1 },
  ]);
  first.append(batchMake({ baseOffset: 1, recordCount: 1 }), 0);
  disk.crash({ _tag: "KeepUnsynced" });
  // That crash made every byte durable, so the fsync is seen by counting the log's calls.
  const synced: string[] = [];
  const syncFileNow = disk.syncFileNow.bind(disk);
  disk.syncFileNow = (p) => {
    synced.push(p);
    syncFileNow(p);
  };
  const second = openLog(disk);
  expect(second.readLeaderEpochs()).toHaveLength(2);
  second.flushNow();
  expect(synced).toEqual([path]);
  second.flushNow();
  expect(synced).toEqual([path]);
  // After a clean close the same checkpoint is trusted as it is read.
  expect(await second.close()).toBe(true);
  const third = openLog(disk, true);
  expect(third.recoveryStats.openedClean).toBe(true);
  third.readLeaderEpochs();
  third.append(batchMake({ baseOffset: 2, recordCount: 1 }), 0);
  third.flushNow();
  expect(synced).toEqual([path]);
});

test("a clean close fsyncs a checkpoint that describes records", async () => {
  const disk = new MemoryDisk();
  const log = openLog(disk);
  log.writeLeaderEpochsNow([{ epoch: 7, startOffset: 0 }]);
  log.append(batchMake({ baseOffset: 0, recordCount: 3 }), 0);
  expect(await log.close()).toBe(true);
  expect(durableBytes(disk)).toBe(disk.readAll(path)!.length);
});
