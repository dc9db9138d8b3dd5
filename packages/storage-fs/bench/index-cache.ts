/**
 * Does the index cache bound memory, and what does a cold lookup cost? `bun bench/index-cache.ts` in
 * packages/storage-fs (flags: --bytes N, default 2 GB; --batch-bytes N, default 16 KiB; --segment-bytes
 * N, default 16 MiB, small segments so the log has many; --cache-bytes N, default 1 MiB, the bound under
 * test; --lookups N, default 2,000). One partition log over the real file system takes `--bytes` of
 * batches (one `.index` entry per batch at the default 4 KiB `log.index.interval.bytes`), then:
 *
 * 1. Before: with an unbounded cache every segment's mirrors stay resident, as they all did before
 *    issue 15's change; prints the bytes they hold. After: reopened (clean shutdown) under
 *    `--cache-bytes`, random fetches at old offsets across every segment; prints the bytes held then.
 * 2. The cost of a fetch at an old offset (one batch, `maxBytes` 1) with the segment's mirrors cold
 *    (a cache of 0 bytes: every fetch reads the segment's two index files, from the page cache) against
 *    warm (unbounded, after a first pass), the same offsets, interleaved in rounds.
 *
 * It prints /proc/loadavg beside the figures (the machine is shared). It owns nothing but its temporary
 * folder, removed at the end.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { batchMake } from "@eddy/protocol";
import { IndexCache, type LogConfig, logConfigMake, PartitionLog } from "@eddy/storage";
import { nodeFiles } from "../src/index.ts";

const args = process.argv.slice(2);
function flag(name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} needs a non-negative integer`);
  return value;
}
const totalBytes = flag("bytes", 2_000_000_000);
const batchBytes = flag("batch-bytes", 16 * 1024);
const segmentBytes = flag("segment-bytes", 16 * 1024 * 1024);
const cacheBytes = flag("cache-bytes", 1024 * 1024);
const lookupCount = flag("lookups", 2000);
const roundsCount = 4;
const recordsPerBatch = 148;

const root = fs.mkdtempSync(`${os.tmpdir()}/eddy-index-cache-bench-`);
const config: LogConfig = logConfigMake({ segmentBytesMax: segmentBytes });
const loadavg = () => fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MiB`;

function openLog(cache: IndexCache, cleanShutdown: boolean): PartitionLog {
  return PartitionLog.open({
    files: nodeFiles,
    dir: `${root}/bench-0`,
    name: "bench-0",
    config,
    tailCacheBytesMax: 0,
    indexCache: cache,
    logLine: (line) => console.error(line),
    nowMs: 0,
    cleanShutdown,
  });
}

function residentBytes(log: PartitionLog): number {
  const r = log.indexResidency();
  return r.activeBytes + r.pendingBytes + r.cachedBytes;
}

function percentile(sorted: ReadonlyArray<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** Microseconds per fetch of one batch at each offset. */
function fetchTimes(log: PartitionLog, offsets: ReadonlyArray<number>): Array<number> {
  const times: Array<number> = [];
  for (const offset of offsets) {
    const t0 = performance.now();
    const read = log.read({ fetchOffset: offset, maxBytes: 1 });
    times.push((performance.now() - t0) * 1000);
    if (read.batchCount !== 1 || read.nextOffset <= offset) throw new Error(`fetch at ${offset} failed`);
  }
  return times;
}

try {
  console.log(
    `index cache bench in ${root} (${os.cpus().length} cpus, bun ${Bun.version}); loadavg ${loadavg()}`,
  );
  const batchCount = Math.max(1, Math.floor(totalBytes / batchBytes));
  const body = new Uint8Array(batchBytes - 61).map((_, i) => (i * 31) & 0xff);
  // Each batch a millisecond after the last, as a producer's are, so the time index grows with the
  // offset index (one entry each per batch); made one at a time, since the CRC covers the timestamps.
  const batchAt = (i: number) =>
    batchMake({
      baseOffset: i * recordsPerBatch,
      recordCount: recordsPerBatch,
      baseTimestampMs: 1_700_000_000_000 + i,
      body,
    });
  const template = batchAt(0);

  // Before: nothing is ever dropped, as every segment's mirrors were kept until issue 15.
  const writeStart = performance.now();
  const unbounded = new IndexCache(Number.MAX_SAFE_INTEGER);
  const writer = openLog(unbounded, false);
  for (let i = 0; i < batchCount; i++) writer.append(batchAt(i), 0);
  await writer.flush();
  const writeMs = performance.now() - writeStart;
  const segments = writer.segmentInfos();
  const entries = segments.reduce((n, s) => n + s.indexEntryCount + s.timeIndexEntryCount, 0);
  const before = residentBytes(writer);
  console.log(
    `wrote ${((batchCount * template.length) / 1e9).toFixed(2)} GB in ${batchCount.toLocaleString("en")} batches of ` +
      `${template.length} bytes, ${segments.length} segments, ${entries.toLocaleString("en")} index entries, ` +
      `in ${(writeMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `  before (every segment's mirrors resident): ${mib(before)} (${(before / ((batchCount * template.length) / 1e9)).toFixed(0)} bytes per GB)`,
  );
  if (!(await writer.close())) throw new Error("the writer did not close cleanly");

  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const endOffset = batchCount * recordsPerBatch;
  const activeBase = segments.at(-1)!.baseOffset;
  // Offsets in inactive segments only: the active segment's mirrors are always resident.
  const offsets = Array.from({ length: lookupCount }, () => Math.floor(random() * activeBase));

  // After: a clean start under the bound reads no inactive index; fetches load what they need.
  const bounded = new IndexCache(cacheBytes);
  const openStart = performance.now();
  const reader = openLog(bounded, true);
  const openMs = performance.now() - openStart;
  console.log(
    `  clean start under ${mib(cacheBytes)}: ${openMs.toFixed(0)} ms, ${reader.recoveryStats.segmentsScanned} segments scanned, ` +
      `${reader.inactiveIndexLoads} inactive indexes read; resident ${mib(residentBytes(reader))}`,
  );
  fetchTimes(reader, offsets);
  const after = residentBytes(reader);
  console.log(
    `  after ${lookupCount.toLocaleString("en")} fetches at random old offsets: ${mib(after)} resident ` +
      `(cache ${mib(bounded.bytes)} of ${mib(cacheBytes)}, ${bounded.size} segments; active ${mib(reader.indexResidency().activeBytes)}), ` +
      `${reader.inactiveIndexLoads} index loads, ${bounded.evictions} drops`,
  );
  await reader.close();
  if (endOffset <= activeBase) throw new Error("the log has no inactive segment");

  // Cold against warm, the same offsets, interleaved by round so both meet the same machine load.
  const cold = openLog(new IndexCache(0), true);
  const warmCache = new IndexCache(Number.MAX_SAFE_INTEGER);
  const warm = openLog(warmCache, true);
  fetchTimes(warm, offsets);
  const coldTimes: Array<number> = [];
  const warmTimes: Array<number> = [];
  for (let round = 0; round < roundsCount; round++) {
    if (round % 2 === 0) {
      coldTimes.push(...fetchTimes(cold, offsets));
      warmTimes.push(...fetchTimes(warm, offsets));
    } else {
      warmTimes.push(...fetchTimes(warm, offsets));
      coldTimes.push(...fetchTimes(cold, offsets));
    }
  }
  coldTimes.sort((a, b) => a - b);
  warmTimes.sort((a, b) => a - b);
  const perSegment = entries / Math.max(1, segments.length - 1);
  console.log(
    `fetch of one batch at an old offset (${coldTimes.length.toLocaleString("en")} each, page cache warm, ` +
      `about ${perSegment.toFixed(0)} index entries a segment):`,
  );
  console.log(
    `  cold (mirrors dropped, index files read): p50 ${percentile(coldTimes, 0.5).toFixed(1)} us, p99 ${percentile(coldTimes, 0.99).toFixed(1)} us`,
  );
  console.log(
    `  warm (mirrors resident):                  p50 ${percentile(warmTimes, 0.5).toFixed(1)} us, p99 ${percentile(warmTimes, 0.99).toFixed(1)} us`,
  );
  await cold.close();
  await warm.close();
  console.log(`loadavg at the end ${loadavg()}`);
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
