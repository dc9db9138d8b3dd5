// When the leader-epoch checkpoint reaches the disk. `writeLeaderEpochsNow` replaces it without an
// fsync, and only when it changed below the log end: a new epoch no record has yet (10,000 partitions
// take one at every start) waits for the flush or clean close that finds records under it, which
// writes it and makes it durable before the recovery point can move past them, since a start completes
// the cache only from the batches after that point. Method: a memory disk, whose crash keeps exactly
// what was fsynced (LoseUnsynced) or everything (KeepUnsynced).
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

/** Records every file fsync the log asks for (`syncFile` and `syncFileNow`). */
function countSyncs(disk: MemoryDisk): string[] {
  const synced: string[] = [];
  const syncFileNow = disk.syncFileNow.bind(disk);
  disk.syncFileNow = (p) => {
    synced.push(p);
    syncFileNow(p);
  };
  disk.syncFile = async (p) => {
    synced.push(p);
    syncFileNow(p);
  };
  return synced;
}

test("an epoch only at the log end is not written: the log reads it back, the disk never sees it", async () => {
  const disk = new MemoryDisk();
  const synced = countSyncs(disk);
  const log = openLog(disk);
  log.writeLeaderEpochsNow([{ epoch: 0, startOffset: 0 }]);
  expect(log.readLeaderEpochs()).toEqual([{ epoch: 0, startOffset: 0 }]);
  expect(disk.readAll(path)).toBe(null);
  log.flushNow();
  expect(await log.close()).toBe(true);
  expect(disk.readAll(path)).toBe(null);
  expect(synced).toEqual([]);
  // The next start sees no checkpoint, which for an empty log says everything there is to say.
  expect(openLog(disk, true).readLeaderEpochs()).toEqual([]);
});

test("a change below the log end is written at once, unsynced: a crash may tear it (a Corrupt read)", () => {
  const disk = new MemoryDisk();
  const log = openLog(disk);
  log.writeLeaderEpochsNow([{ epoch: 3, startOffset: 0 }]);
  log.append(batchMake({ baseOffset: 0, recordCount: 2 }), 0);
  log.flushNow();
  // An epoch beginning at offset 1, inside the log (a follower's view after a truncation, say).
  log.writeLeaderEpochsNow([
    { epoch: 3, startOffset: 0 },
    { epoch: 4, startOffset: 1 },
  ]);
  expect(new TextDecoder().decode(disk.readAll(path)!)).toBe("0\n2\n3 0\n4 1\n");
  expect(durableBytes(disk)).toBe(0);
  disk.crash({ _tag: "LoseUnsynced" });
  let error: unknown = null;
  try {
    openLog(disk).readLeaderEpochs();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(StorageError);
  expect((error as StorageError).reason._tag).toBe("Corrupt");
});

test("the first flush after the checkpoint describes records writes and fsyncs it; an end-only epoch waits", () => {
  const disk = new MemoryDisk();
  const log = openLog(disk);
  log.writeLeaderEpochsNow([{ epoch: 3, startOffset: 0 }]);
  log.append(batchMake({ baseOffset: 0, recordCount: 2 }), 0);
  expect(disk.readAll(path)).toBe(null);
  log.flushNow();
  expect(new TextDecoder().decode(disk.readAll(path)!)).toBe("0\n1\n3 0\n");
  expect(durableBytes(disk)).toBe(disk.readAll(path)!.length);
  // A restart's new epoch at the log end: nothing is written until records of it are flushed.
  const both = [
    { epoch: 3, startOffset: 0 },
    { epoch: 4, startOffset: 2 },
  ];
  log.writeLeaderEpochsNow(both);
  log.flushNow();
  expect(new TextDecoder().decode(disk.readAll(path)!)).toBe("0\n1\n3 0\n");
  expect(log.readLeaderEpochs()).toEqual(both);
  log.append(batchMake({ baseOffset: 2, recordCount: 1 }), 0);
  log.flushNow();
  expect(durableBytes(disk)).toBe(disk.readAll(path)!.length);
  disk.crash({ _tag: "LoseUnsynced" });
  expect(openLog(disk).readLeaderEpochs()).toEqual(both);
});

test("an unchanged checkpoint is neither rewritten nor fsynced again", async () => {
  const disk = new MemoryDisk();
  const synced = countSyncs(disk);
  const log = openLog(disk);
  const entries = [{ epoch: 1, startOffset: 0 }];
  log.writeLeaderEpochsNow(entries);
  log.append(batchMake({ baseOffset: 0, recordCount: 1 }), 0);
  expect(await log.flush()).toBe(1);
  expect(synced).toEqual([path]);
  log.flushNow();
  expect(synced).toEqual([path]);
  const size = disk.readAll(path)!.length;
  log.writeLeaderEpochsNow([...entries]);
  log.append(batchMake({ baseOffset: 1, recordCount: 1 }), 0);
  log.flushNow();
  expect(durableBytes(disk)).toBe(size);
  expect(synced).toEqual([path]);
});

test("after a crash the checkpoint read is not trusted as durable: the first flush of a non-empty log syncs it", async () => {
  const disk = new MemoryDisk();
  const first = openLog(disk);
  first.writeLeaderEpochsNow([{ epoch: 1, startOffset: 0 }]);
  first.append(batchMake({ baseOffset: 0, recordCount: 1 }), 0);
  first.flushNow();
  first.writeLeaderEpochsNow([
    { epoch: 1, startOffset: 0 },
    { epoch: 2, startOffset: 1 },
  ]);
  first.append(batchMake({ baseOffset: 1, recordCount: 1 }), 0);
  // The process dies (KeepUnsynced: the OS wrote its cache) before a flush wrote epoch 2.
  disk.crash({ _tag: "KeepUnsynced" });
  const synced = countSyncs(disk);
  const second = openLog(disk);
  expect(second.readLeaderEpochs()).toEqual([{ epoch: 1, startOffset: 0 }]);
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

test("a clean close writes and fsyncs a checkpoint that describes records", async () => {
  const disk = new MemoryDisk();
  const log = openLog(disk);
  log.writeLeaderEpochsNow([{ epoch: 7, startOffset: 0 }]);
  log.append(batchMake({ baseOffset: 0, recordCount: 3 }), 0);
  expect(await log.close()).toBe(true);
  expect(new TextDecoder().decode(disk.readAll(path)!)).toBe("0\n1\n7 0\n");
  expect(durableBytes(disk)).toBe(disk.readAll(path)!.length);
});
