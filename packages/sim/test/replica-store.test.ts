/**
 * The simulator's replica storage is storage-memory's real log engine over a MemoryDisk: these tests
 * show the simulated broker's disk holds Kafka's layout and that crashes, torn writes, injected disk
 * faults and recovery behave as the core and the checkers assume.
 */
import { describe, expect, test } from "bun:test";
import { MemoryDisk, StorageError } from "@eddy/storage-memory";
import {
  batchSummaries,
  encodeValues,
  ReplicaStore,
  readHwCheckpoint,
  simDataDir,
  sliceBatches,
  writeHwCheckpoint,
} from "../src/cluster/replica-store.ts";

const plain = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

function freshDisk(): MemoryDisk {
  const disk = new MemoryDisk();
  disk.makeDir(simDataDir);
  return disk;
}

function open(disk: MemoryDisk, lines: string[] = []): ReplicaStore {
  return ReplicaStore.open(disk, 0, 1_000, (line) => lines.push(line));
}

/** Appends `count` batches of `perBatch` values each, from value `first`; each write then completes. */
function fill(store: ReplicaStore, count: number, perBatch: number, first = 0, complete = true): void {
  for (let i = 0; i < count; i++) {
    const base = store.end;
    const values = Array.from({ length: perBatch }, (_, k) => first + i * perBatch + k);
    store.append(encodeValues(values, base, 1, plain, 1_000 + i), 1_000 + i);
    store.completionsPending++;
    if (complete) store.complete();
  }
}

describe("ReplicaStore over the memory disk", () => {
  test("values round-trip through record batches, and segments roll with Kafka's file layout", () => {
    const disk = freshDisk();
    const store = open(disk);
    fill(store, 400, 3);
    expect(store.end).toBe(1_200);
    expect(store.durableEnd).toBe(1_200);
    expect(store.values(0, 1_200)).toEqual(Array.from({ length: 1_200 }, (_, k) => k));
    expect(store.values(598, 603)).toEqual([598, 599, 600, 601, 602]);
    const files = disk.fileInfos().map((f) => f.path.slice(`${simDataDir}/t-0/`.length));
    const logs = files.filter((f) => f.endsWith(".log"));
    expect(logs.length).toBeGreaterThan(3);
    expect(logs[0]).toBe("00000000000000000000.log");
    expect(files).toContain("00000000000000000000.index");
    expect(files).toContain("00000000000000000000.timeindex");
    // Every segment's base offset is the first offset it holds.
    for (const log of logs.slice(1)) expect(Number(log.slice(0, 20)) % 3).toBe(0);
  });

  test("a crash loses the writes whose completion (fsync) had not happened; recovery reopens the rest", () => {
    const disk = freshDisk();
    const store = open(disk);
    fill(store, 10, 2);
    fill(store, 5, 2, 20, false);
    expect(store.end).toBe(30);
    expect(store.durableEnd).toBe(20);
    disk.crash({ _tag: "LoseUnsynced" });
    const reopened = open(disk);
    expect(reopened.end).toBe(20);
    expect(reopened.values(0, 20)).toEqual(Array.from({ length: 20 }, (_, k) => k));
  });

  test("a torn write is cut by recovery at the last whole batch, and the cut is logged", () => {
    const disk = freshDisk();
    const store = open(disk);
    fill(store, 4, 5);
    const torn = encodeValues([100, 101, 102, 103, 104], store.end, 1, plain, 2_000);
    const appended = store.append(torn, 2_000);
    // Everything before this batch was fsynced, so the unsynced bytes start at its position.
    expect(appended.position).toBeGreaterThan(0);
    disk.crash({ _tag: "TornTail", keptUnsyncedBytes: 10 });
    const lines: string[] = [];
    const reopened = open(disk, lines);
    expect(reopened.end).toBe(20);
    expect(lines.length).toBeGreaterThan(0);
    expect(reopened.values(15, 20)).toEqual([15, 16, 17, 18, 19]);
  });

  test("injected disk faults surface as StorageError and leave the stored batches readable", () => {
    const disk = freshDisk();
    const store = open(disk);
    fill(store, 3, 2);
    disk.faults.failNextWrite = "Io";
    expect(() => store.append(encodeValues([9], store.end, 1, plain, 5), 5)).toThrow(StorageError);
    expect(store.values(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    fill(store, 1, 2, 6, false);
    disk.faults.failNextSync = true;
    expect(() => store.complete()).toThrow(StorageError);
    expect(store.durableEnd).toBe(6);
    disk.crash({ _tag: "LoseUnsynced" });
    expect(open(disk).end).toBe(6);
  });

  test("truncation, log start and full truncation survive a crash through their checkpoints", () => {
    const disk = freshDisk();
    const store = open(disk);
    fill(store, 10, 2);
    store.truncate(14);
    expect(store.end).toBe(14);
    store.advanceStart(4);
    expect(store.values(0, 6)).toEqual([-1, -1, -1, -1, 4, 5]);
    store.writeEpochs([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
    ]);
    disk.crash({ _tag: "LoseUnsynced" });
    const reopened = open(disk);
    expect(reopened.start).toBe(4);
    expect(reopened.end).toBe(14);
    expect(reopened.readEpochs()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 3, startOffset: 10 },
    ]);
    reopened.truncateFullyAt(50, 3_000);
    disk.crash({ _tag: "LoseUnsynced" });
    const again = open(disk);
    expect([again.start, again.end]).toEqual([50, 50]);
  });

  test("a follower appends the leader's bytes after reading their headers; idempotent fields survive", () => {
    const leader = open(freshDisk());
    const producer = { producerId: 7, producerEpoch: 2, baseSequence: 0 };
    for (let i = 0; i < 6; i++) {
      leader.append(
        encodeValues([i * 2, i * 2 + 1], leader.end, 4, { ...producer, baseSequence: i * 2 }, 9),
        9,
      );
      leader.completionsPending++;
      leader.complete();
    }
    const fetched = leader.read(4, 12);
    const summaries = batchSummaries(fetched);
    expect(summaries.map((b) => [b.baseOffset, b.lastOffset, b.leaderEpoch, b.baseSequence])).toEqual([
      [4, 5, 4, 4],
      [6, 7, 4, 6],
      [8, 9, 4, 8],
      [10, 11, 4, 10],
    ]);
    const follower = open(freshDisk());
    fill(follower, 3, 2);
    follower.append(sliceBatches(fetched, follower.end, 9), 10);
    expect(follower.end).toBe(10);
    expect(follower.scanBatches().map((b) => b.producerId)).toEqual([-1, -1, -1, 7, 7]);
  });

  test("the HW checkpoint file round-trips in Kafka's text format", () => {
    const disk = freshDisk();
    expect(readHwCheckpoint(disk, 2)).toEqual([0, 0]);
    writeHwCheckpoint(disk, [12, 40]);
    disk.crash({ _tag: "LoseUnsynced" });
    expect(readHwCheckpoint(disk, 2)).toEqual([12, 40]);
    expect(new TextDecoder().decode(disk.readAll(`${simDataDir}/replication-offset-checkpoint`)!)).toBe(
      "0\n2\nt 0 12\nt 1 40\n",
    );
  });
});
