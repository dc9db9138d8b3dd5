// Index mirrors dropped under a small cache on real files (issue 15): a clean start reads no inactive
// segment's index file and scans nothing, fetches and timestamp lookups at every old offset reload
// what they need and stay within the bound, and an index file damaged or deleted on disk while its
// mirror was dropped is rebuilt from the log on the next lookup (written back, a line logged), with
// no record lost.
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { IndexCache, type LogConfig, logConfigDefault, PartitionLog } from "@eddy/storage";
import { nodeFiles } from "../src/index.ts";
import { makeBatches, removeDir, segmentPath, tempDir } from "./helpers.ts";

const dirs: Array<string> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

// 120 batches of 5 records, 161 bytes each; 1 KiB segments hold 6, so the log has 20 segments.
const batches = makeBatches(120, 5, 100);
const config: LogConfig = { ...logConfigDefault, segmentBytesMax: 1024, indexIntervalBytes: 200 };

function open(
  dataDir: string,
  cache: IndexCache,
  cleanShutdown: boolean,
  lines: Array<string>,
): PartitionLog {
  return PartitionLog.open({
    files: nodeFiles,
    dir: `${dataDir}/orders-0`,
    name: "orders-0",
    config,
    tailCacheBytesMax: 0,
    indexCache: cache,
    logLine: (line) => lines.push(line),
    nowMs: 0,
    cleanShutdown,
  });
}

/** Every batch by its base offset and by its timestamp. */
function checkAll(log: PartitionLog): void {
  for (const [i, batch] of batches.entries()) {
    expect(log.read({ fetchOffset: i * 5 + 4, maxBytes: 1 }).records).toEqual(batch);
    expect(log.offsetForTimestamp(1_700_000_000_000 + i)?.baseOffset).toBe(i * 5);
  }
}

test("on real files a small cache bounds the mirrors, a clean start reads no old index, and damaged or deleted index files are rebuilt", async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const first = open(dataDir, new IndexCache(1 << 20), false, []);
  for (const batch of batches) first.append(batch, 0);
  const segments = first.segmentInfos();
  expect(segments.length).toBe(20);
  expect(await first.close()).toBe(true);

  const cache = new IndexCache(700);
  const lines: Array<string> = [];
  const log = open(dataDir, cache, true, lines);
  expect(log.recoveryStats.segmentsScanned).toBe(0);
  expect(log.inactiveIndexLoads).toBe(0);
  expect(log.segmentInfos()).toEqual(segments);
  checkAll(log);
  // Reading in offset order loads each inactive segment once: the cache keeps the one in use.
  expect(log.inactiveIndexLoads).toBe(segments.length - 1);
  expect(cache.evictions).toBeGreaterThan(0);
  expect(cache.bytes).toBeLessThanOrEqual(700);
  expect(log.indexResidency().cachedBytes).toBe(cache.bytes);
  expect(lines).toEqual([]);

  // Damage one old segment's .index and delete another's .timeindex while their mirrors are dropped.
  const damaged = segmentPath(dataDir, segments[2]!.baseOffset, ".index");
  const original = fs.readFileSync(damaged);
  const bad = Buffer.from(original);
  bad.writeInt32BE(0x7fff0000, 0);
  fs.writeFileSync(damaged, bad);
  const deleted = segmentPath(dataDir, segments[5]!.baseOffset, ".timeindex");
  const originalTime = fs.readFileSync(deleted);
  fs.rmSync(deleted);
  checkAll(log);
  expect(lines.join("\n")).toContain(
    `rebuilding indexes of segment ${segments[2]!.baseOffset}: .index: entry 0`,
  );
  expect(fs.readFileSync(damaged)).toEqual(original);
  // The deleted file's descriptor stays open (as a mapped file would in Kafka), so reloads still read
  // its entries; the next start finds the file missing and rebuilds it from the log.
  expect(fs.existsSync(deleted)).toBe(false);
  expect(log.segmentInfos()).toEqual(segments);
  expect(await log.close()).toBe(true);
  expect(cache.size).toBe(0);
  const restartLines: Array<string> = [];
  const again = open(dataDir, new IndexCache(700), true, restartLines);
  expect(restartLines.join("\n")).toContain(
    `rebuilding indexes of segment ${segments[5]!.baseOffset}: index files missing`,
  );
  expect(fs.readFileSync(deleted)).toEqual(originalTime);
  checkAll(again);
  await again.close();
});
