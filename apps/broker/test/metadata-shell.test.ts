/**
 * The metadata shell over the in-memory disk: topics created through the one-voter Raft quorum are in
 * the committed image once answered, survive a crash that drops everything unflushed, and survive the
 * quorum's compaction into a snapshot (the log past the snapshot is replayed on top of it).
 */
import { describe, expect, test } from "bun:test";
import { metadataLogPartition } from "@eddy/storage";
import { MemoryDisk } from "@eddy/storage-memory";
import { MetadataShell } from "../src/node/metadata-shell.ts";
import { storageOn } from "./memory-storage.ts";

let seedNext = 1;
// Each open is a new start with its own seed, as the broker draws one per start.
async function open(disk: MemoryDisk): Promise<MetadataShell> {
  seedNext += 7919;
  return MetadataShell.open(await storageOn(disk), {
    nodeId: 1,
    seed: seedNext,
    uncleanLeaderElectionEnable: false,
    log: () => {},
  });
}

describe("metadata shell", () => {
  test("answered topic creations are committed and survive a crash", async () => {
    const disk = new MemoryDisk();
    const shell = await open(disk);
    await shell.registerSelf(
      "127.0.0.1",
      9092,
      () => 1000,
      () => false,
    );
    const answer = await shell.request({
      type: "createTopics",
      topics: [{ name: "t", partitions: 3, replicationFactor: 1 }],
    });
    expect(answer).toMatchObject({ type: "createTopics", topics: [{ name: "t", error: "NONE" }] });
    expect(shell.image.topics.t?.partitions.map((p) => p.replicas)).toEqual([[1], [1], [1]]);
    disk.crash({ _tag: "LoseUnsynced" });
    const again = await open(disk);
    expect(again.image.topics.t?.partitions.length).toBe(3);
    expect(again.image.topics.t?.topicId).toBe(shell.image.topics.t!.topicId);
    expect(again.image.brokers.map((b) => b.brokerId)).toEqual([1]);
  });

  test("a log longer than the compaction threshold is snapshotted and restored", async () => {
    const disk = new MemoryDisk();
    const shell = await open(disk);
    await shell.registerSelf(
      "127.0.0.1",
      9092,
      () => 1000,
      () => false,
    );
    for (let i = 0; i < 1100; i++) {
      await shell.request({
        type: "createTopics",
        topics: [{ name: `topic-${i}`, partitions: 1, replicationFactor: 1 }],
      });
    }
    const storage = await storageOn(disk);
    const snapshot = await storage.run(storage.state.latestMetadataSnapshot());
    expect(snapshot).not.toBeNull();
    expect(snapshot!.endOffset).toBeGreaterThan(1000);
    // The log the snapshot covers was released.
    const log = await storage.run(storage.logs.info(metadataLogPartition));
    expect(log.logStartOffset).toBe(snapshot!.endOffset);
    disk.crash({ _tag: "LoseUnsynced" });
    const again = await open(disk);
    expect(Object.keys(again.image.topics).length).toBe(1100);
    const more = await again.request({
      type: "createTopics",
      topics: [{ name: "after", partitions: 1, replicationFactor: 1 }],
    });
    expect(more).toMatchObject({ topics: [{ name: "after", error: "NONE" }] });
    expect(again.image.topics["topic-0"]).toBeDefined();
  }, 60_000);
});
