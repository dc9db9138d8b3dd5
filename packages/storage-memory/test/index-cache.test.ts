// The index cache bounds the loaded index mirrors of inactive segments (issue 15: memory that stays
// bounded however much log is kept). Method: many tiny segments in several partitions sharing one small
// cache, driven by random appends, flushes, reads by offset and by timestamp, truncations, clean
// restarts and crashes, against a naive model of the batches; after every step the mirrors the cache
// counts stay within its bound, and every inactive segment whose index files are durable and whose
// mirrors are resident is counted by it (`indexResidency` throws otherwise). Then the paths by hand: a
// reload after a drop, a damaged and a missing index file on reload (rebuilt from the log, as Kafka
// does), and a clean-shutdown start that reads no old segment's index.
import { expect, test } from "bun:test";
import { batchMake, checkBatch } from "@eddy/protocol";
import { IndexCache, type LogConfig, logConfigDefault, PartitionLog } from "@eddy/storage";
import fc from "fast-check";
import { MemoryDisk } from "../src/memory/memory-disk.ts";

// An index entry for every batch but the first of a segment, and segments of a few batches.
const config: LogConfig = { ...logConfigDefault, segmentBytesMax: 400, indexIntervalBytes: 0 };

function openLog(
  disk: MemoryDisk,
  name: string,
  cache: IndexCache,
  options: { cleanShutdown?: boolean; lines?: Array<string> } = {},
): PartitionLog {
  return PartitionLog.open({
    files: disk,
    dir: `/data/${name}`,
    name,
    config,
    tailCacheBytesMax: 0,
    indexCache: cache,
    logLine: (line) => options.lines?.push(line),
    nowMs: 0,
    cleanShutdown: options.cleanShutdown ?? false,
  });
}

interface ModelBatch {
  readonly base: number;
  readonly last: number;
  readonly maxTimestampMs: number;
  readonly bytes: Uint8Array;
}

function batchOf(base: number, records: number, timestampMs: number, bodyBytes: number): ModelBatch {
  const bytes = batchMake({
    baseOffset: base,
    recordCount: records,
    baseTimestampMs: timestampMs,
    body: new Uint8Array(bodyBytes).fill(base % 251),
  });
  const check = checkBatch(bytes, 0, bytes.length, false);
  if (check._tag !== "Batch") throw new Error("batchMake made an invalid batch");
  return { base, last: check.header.lastOffset, maxTimestampMs: check.header.maxTimestampMs, bytes };
}

/** Bytes the cache counts must be exactly the cached mirrors of every log, and within the bound. */
function checkBound(cache: IndexCache, logs: ReadonlyArray<PartitionLog>): void {
  let cached = 0;
  for (const log of logs) cached += log.indexResidency().cachedBytes;
  expect(cached).toBe(cache.bytes);
  expect(cache.bytes).toBeLessThanOrEqual(cache.bytesMax);
}

const op = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      p: fc.nat(2),
      records: fc.integer({ min: 1, max: 3 }),
      body: fc.nat(120),
      tsStep: fc.nat(5),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("flush" as const), p: fc.nat(2) }) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("read" as const), p: fc.nat(2), at: fc.nat(1 << 16) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("time" as const), p: fc.nat(2), at: fc.nat(1 << 16) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("truncate" as const), p: fc.nat(2), at: fc.nat(1 << 16) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash" as const) }) },
);
type Op = typeof op extends fc.Arbitrary<infer T> ? T : never;

async function runOps(
  ops: ReadonlyArray<Op>,
  bytesMax: number,
  counts: { evictions: number; reloads: number },
): Promise<void> {
  const disk = new MemoryDisk();
  let cache = new IndexCache(bytesMax);
  const names = ["a-0", "b-0", "c-0"];
  let logs = names.map((name) => openLog(disk, name, cache));
  const model: Array<Array<ModelBatch>> = names.map(() => []);
  const clock = [1000, 1000, 1000];
  const endOf = (p: number) => model[p]!.at(-1)?.last ?? -1;
  for (const o of ops) {
    if (o.kind === "append") {
      clock[o.p] = clock[o.p]! + o.tsStep;
      const batch = batchOf(endOf(o.p) + 1, o.records, clock[o.p]!, o.body);
      logs[o.p]!.append(batch.bytes, 0);
      model[o.p]!.push(batch);
    } else if (o.kind === "flush") {
      logs[o.p]!.flushNow();
    } else if (o.kind === "read") {
      const batches = model[o.p]!;
      if (batches.length === 0) continue;
      const wanted = batches[o.at % batches.length]!;
      const offset = wanted.base + (o.at % (wanted.last - wanted.base + 1));
      const read = logs[o.p]!.read({ fetchOffset: offset, maxBytes: 1 });
      expect(read.batchCount).toBe(1);
      expect(read.records).toEqual(wanted.bytes);
    } else if (o.kind === "time") {
      const batches = model[o.p]!;
      const timestampMs = 1000 + (o.at % (clock[o.p]! - 1000 + 3));
      const expected = batches.find((b) => b.maxTimestampMs >= timestampMs) ?? null;
      const found = logs[o.p]!.offsetForTimestamp(timestampMs);
      expect(found?.baseOffset ?? null).toBe(expected?.base ?? null);
    } else if (o.kind === "truncate") {
      const batches = model[o.p]!;
      if (batches.length === 0) continue;
      const keep = o.at % batches.length;
      logs[o.p]!.truncateTo(batches[keep]!.base);
      batches.length = keep;
    } else if (o.kind === "restart") {
      counts.evictions += cache.evictions;
      for (const log of logs) counts.reloads += log.inactiveIndexLoads;
      for (const log of logs) expect(await log.close()).toBe(true);
      expect(cache.size).toBe(0);
      logs = names.map((name) => openLog(disk, name, cache, { cleanShutdown: true }));
      for (const log of logs) {
        // A clean start reads no inactive segment's index file, and scans nothing.
        expect(log.recoveryStats.segmentsScanned).toBe(0);
        expect(log.inactiveIndexLoads).toBe(0);
      }
    } else {
      // A crash keeps what was fsynced: a dropped mirror's index file was, so every batch left reads back.
      counts.evictions += cache.evictions;
      for (const log of logs) counts.reloads += log.inactiveIndexLoads;
      disk.crash({ _tag: "LoseUnsynced" });
      // The process died with its memory: a new one starts with an empty cache.
      cache = new IndexCache(bytesMax);
      logs = names.map((name) => openLog(disk, name, cache));
      for (let p = 0; p < names.length; p++) {
        const end = logs[p]!.info().logEndOffset;
        const kept = model[p]!.filter((b) => b.last < end);
        expect(kept.at(-1)?.last ?? -1).toBe(end - 1);
        model[p] = kept;
        for (const b of kept) {
          const read = logs[p]!.read({ fetchOffset: b.base, maxBytes: 1 });
          expect(read.records).toEqual(b.bytes);
        }
      }
    }
    checkBound(cache, logs);
  }
  // Every batch still reads back at the end, through whatever the cache dropped.
  for (let p = 0; p < names.length; p++) {
    for (const b of model[p]!) {
      expect(logs[p]!.read({ fetchOffset: b.last, maxBytes: 1 }).records).toEqual(b.bytes);
    }
    checkBound(cache, logs);
    counts.reloads += logs[p]!.inactiveIndexLoads;
  }
  counts.evictions += cache.evictions;
}

test("a small index cache stays within its bound while every old offset and timestamp reads back exactly", async () => {
  // Across runs the cache must really drop mirrors and lookups reload them, or the bound proved nothing.
  const counts = { evictions: 0, reloads: 0 };
  await fc.assert(
    fc.asyncProperty(
      fc.array(op, { minLength: 30, maxLength: 150, size: "max" }),
      fc.integer({ min: 0, max: 1200 }),
      (ops, bytesMax) => runOps(ops, bytesMax, counts),
    ),
    { numRuns: 150 },
  );
  expect(counts.evictions).toBeGreaterThan(100);
  expect(counts.reloads).toBeGreaterThan(100);
});

/** A log of `count` one-record batches of 100 bytes, with timestamps 1000 + offset, flushed. */
function filledLog(disk: MemoryDisk, cache: IndexCache, count: number, lines?: Array<string>) {
  const log = openLog(disk, "t-0", cache, { lines: lines ?? [] });
  const batches = Array.from({ length: count }, (_, i) => batchOf(i, 1, 1000 + i, 100));
  for (const b of batches) log.append(b.bytes, 0);
  log.flushNow();
  return { log, batches };
}

const indexPath = (base: number, ext: string) => `/data/t-0/${String(base).padStart(20, "0")}${ext}`;

test("a dropped mirror is reloaded from its index files when an old offset is read, and dropped again", () => {
  const disk = new MemoryDisk();
  // Room for one segment's mirrors (two entries and the overhead): every other inactive segment is dropped.
  const cache = new IndexCache(400);
  const { log, batches } = filledLog(disk, cache, 60);
  const segments = log.segmentInfos();
  expect(segments.length).toBeGreaterThan(10);
  expect(cache.size).toBe(1);
  expect(cache.evictions).toBe(segments.length - 2);
  const residency = log.indexResidency();
  expect(residency.pendingBytes).toBe(0);
  expect(residency.cachedBytes).toBe(cache.bytes);
  // Infos need no load: the counts and the largest timestamp are kept as numbers.
  expect(log.inactiveIndexLoads).toBe(0);
  expect(segments[0]!.indexEntryCount).toBeGreaterThan(0);
  expect(segments[0]!.maxTimestampMs).toBe(batches[segments[1]!.baseOffset - 1]!.maxTimestampMs);

  // The first segment's mirrors were dropped: a read there reloads them (one load) and finds the batch.
  const second = segments[0]!.baseOffset + 2;
  expect(log.read({ fetchOffset: second, maxBytes: 1 }).records).toEqual(batches[second]!.bytes);
  expect(log.inactiveIndexLoads).toBe(1);
  // Now it is the one cached; a second read there loads nothing.
  expect(log.read({ fetchOffset: second + 1, maxBytes: 1 }).records).toEqual(batches[second + 1]!.bytes);
  expect(log.inactiveIndexLoads).toBe(1);
  // A lookup by timestamp in another old segment reloads that one and drops the first again.
  const target = segments[3]!.baseOffset + 1;
  expect(log.offsetForTimestamp(1000 + target)?.baseOffset).toBe(target);
  expect(log.inactiveIndexLoads).toBe(2);
  expect(cache.size).toBe(1);
  expect(log.indexResidency().cachedBytes).toBe(cache.bytes);
  expect(cache.bytes).toBeLessThanOrEqual(600);
  // Every offset still reads back.
  for (const b of batches) expect(log.read({ fetchOffset: b.base, maxBytes: 1 }).records).toEqual(b.bytes);
  expect(log.segmentInfos()).toEqual(segments);
});

test("a damaged index file found on reload is rebuilt from the log: the read succeeds and the file is repaired", () => {
  const disk = new MemoryDisk();
  const cache = new IndexCache(0);
  const lines: Array<string> = [];
  const { log, batches } = filledLog(disk, cache, 40, lines);
  const segment = log.segmentInfos()[1]!;
  const path = indexPath(segment.baseOffset, ".index");
  const original = disk.readAll(path)!;
  expect(original.length).toBe(segment.indexEntryCount * 8);
  // Bit rot in the first entry's relative offset: the entries no longer fit the segment.
  disk.corruptByte(path, 0);
  const wanted = batches[segment.baseOffset + 1]!;
  expect(log.read({ fetchOffset: wanted.base, maxBytes: 1 }).records).toEqual(wanted.bytes);
  expect(lines.join("\n")).toContain(`rebuilding indexes of segment ${segment.baseOffset}: .index: entry 0`);
  // The rebuilt index is written back and fsynced: the file is what it was, and the next reload trusts it.
  expect(disk.readAll(path)).toEqual(original);
  expect(disk.fileInfos().find((f) => f.path === path)?.durableBytes).toBe(original.length);
  const before = lines.length;
  expect(log.offsetForTimestamp(wanted.maxTimestampMs)?.baseOffset).toBe(wanted.base);
  expect(lines.length).toBe(before);
  expect(log.segmentInfos()[1]).toEqual(segment);
});

test("a missing index file found on reload is rebuilt from the log and recreated", () => {
  const disk = new MemoryDisk();
  const cache = new IndexCache(0);
  const lines: Array<string> = [];
  const { log, batches } = filledLog(disk, cache, 40, lines);
  const segment = log.segmentInfos()[2]!;
  const original = disk.readAll(indexPath(segment.baseOffset, ".timeindex"))!;
  disk.remove(indexPath(segment.baseOffset, ".timeindex"));
  const wanted = batches[segment.baseOffset + 1]!;
  expect(log.offsetForTimestamp(wanted.maxTimestampMs)?.baseOffset).toBe(wanted.base);
  expect(lines.join("\n")).toContain(
    `rebuilding indexes of segment ${segment.baseOffset}: the index files cannot be read`,
  );
  expect(disk.readAll(indexPath(segment.baseOffset, ".timeindex"))).toEqual(original);
  for (const b of batches) expect(log.read({ fetchOffset: b.base, maxBytes: 1 }).records).toEqual(b.bytes);
});

test("a damaged log under a dropped index takes the partition offline with a Corrupt error, never a wrong read", () => {
  const disk = new MemoryDisk();
  const cache = new IndexCache(0);
  const { log } = filledLog(disk, cache, 40);
  const segment = log.segmentInfos()[1]!;
  disk.remove(indexPath(segment.baseOffset, ".index"));
  disk.corruptByte(`/data/t-0/${String(segment.baseOffset).padStart(20, "0")}.log`, 70);
  expect(() => log.read({ fetchOffset: segment.baseOffset, maxBytes: 1 })).toThrow(/Corrupt|segment/);
  expect(log.offline?.reason._tag).toBe("Corrupt");
});

test("a start after a clean shutdown reads no inactive segment's index file, and lookups load only what they need", async () => {
  const disk = new MemoryDisk();
  const { log, batches } = filledLog(disk, new IndexCache(1 << 20), 80);
  const segments = log.segmentInfos();
  expect(await log.close()).toBe(true);
  const cache = new IndexCache(1 << 20);
  const lines: Array<string> = [];
  const clean = openLog(disk, "t-0", cache, { cleanShutdown: true, lines });
  expect(clean.recoveryStats.segmentsScanned).toBe(0);
  expect(clean.recoveryStats.segmentsLoaded).toBe(segments.length);
  expect(clean.inactiveIndexLoads).toBe(0);
  expect(cache.size).toBe(0);
  expect(clean.indexResidency().cachedBytes + clean.indexResidency().pendingBytes).toBe(0);
  expect(clean.segmentInfos()).toEqual(segments);
  expect(lines).toEqual([]);
  const last = batches.at(-1)!;
  expect(clean.read({ fetchOffset: last.base, maxBytes: 1 }).records).toEqual(last.bytes);
  expect(clean.inactiveIndexLoads).toBe(0);
  expect(clean.read({ fetchOffset: 0, maxBytes: 1 }).records).toEqual(batches[0]!.bytes);
  expect(clean.inactiveIndexLoads).toBe(1);
  expect(cache.size).toBe(1);
  await clean.close();
  expect(cache.size).toBe(0);
});
