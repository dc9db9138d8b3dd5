// A node's log directory shares one index cache among all its partitions (issue 15): with the
// broker's flush on roll, every rolled segment's index files are fsynced in the background, its
// mirrors go to the cache, and the mirrors of all partitions together stay within
// `indexCacheBytesMax` while every batch of every partition still reads back. Over the memory disk.
import { expect, test } from "bun:test";
import { batchMake, checkBatch } from "@eddy/protocol";
import type { PartitionLog, TopicPartition } from "@eddy/storage";
import { MemoryDisk } from "@eddy/storage-memory";
import { LogDir } from "../src/replica/log-dir.ts";

const partitions: ReadonlyArray<TopicPartition> = [0, 1, 2, 3].map((partition) => ({
  topic: "orders",
  partition,
}));

test("the partitions of a log directory share one index cache bound, and every batch reads back", async () => {
  const disk = new MemoryDisk();
  const bytesMax = 2048;
  const dir = new LogDir({
    files: disk,
    dataDir: "/data",
    defaults: { segmentBytesMax: 1024, indexIntervalBytes: 0 },
    tailCacheBytesMax: 0,
    tailCacheBytesTotalMax: 0,
    indexCacheBytesMax: bytesMax,
    logLine: () => {},
  });
  expect(dir.indexCache.bytesMax).toBe(bytesMax);
  const logs: Array<PartitionLog> = partitions.map((tp) => dir.open(tp, {}, 0));
  const written: Array<Array<Uint8Array>> = logs.map(() => []);
  for (let i = 0; i < 60; i++) {
    for (const [p, log] of logs.entries()) {
      const batch = batchMake({
        baseOffset: log.info().logEndOffset,
        recordCount: 2,
        baseTimestampMs: 1_000 + i,
        body: new Uint8Array(90).fill(p),
      });
      log.append(batch, 0);
      written[p]!.push(batch);
    }
  }
  // The background flushes the rolls started (flushOnRoll) finish: every rolled segment's indexes are durable.
  for (const log of logs) await log.flush();
  let cached = 0;
  for (const log of logs) {
    const residency = log.indexResidency();
    expect(residency.pendingBytes).toBe(0);
    cached += residency.cachedBytes;
    expect(log.segmentInfos().length).toBeGreaterThan(5);
  }
  expect(cached).toBe(dir.indexCache.bytes);
  expect(dir.indexCache.bytes).toBeLessThanOrEqual(bytesMax);
  expect(dir.indexCache.evictions).toBeGreaterThan(0);
  for (const [p, log] of logs.entries()) {
    for (const batch of written[p]!) {
      const check = checkBatch(batch, 0, batch.length, false);
      if (check._tag !== "Batch") throw new Error("invalid batch");
      expect(log.read({ fetchOffset: check.header.baseOffset, maxBytes: 1 }).records).toEqual(batch);
      expect(log.offsetForTimestamp(check.header.maxTimestampMs)?.baseOffset).toBe(check.header.baseOffset);
    }
    expect(dir.indexCache.bytes).toBeLessThanOrEqual(bytesMax);
  }
  expect(logs.reduce((n, log) => n + log.inactiveIndexLoads, 0)).toBeGreaterThan(0);
  expect(await dir.closeAll()).toBe(true);
  // Closed logs no longer count against the shared bound.
  expect(dir.indexCache.size).toBe(0);
  expect(dir.indexCache.bytes).toBe(0);
});
