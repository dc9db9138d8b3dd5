/**
 * Storage benchmark: `bun run bench` in packages/storage-fs (flags: --bytes N, --batch-bytes N,
 * --records N, --lookups N, --rounds N, --dir D). It prints every figure beside a baseline measured
 * in the same run on the same disk:
 *
 * 1. Append `--bytes` (1 GiB) in `--batch-bytes` (1 MiB) record batches through `LogStore.append`,
 *    then one flush, against raw `pwrite`s of the same buffers to a plain file plus one fdatasync.
 *    `--rounds` (3) rounds interleave the two sides batch by batch, alternating which goes first,
 *    and the figure is the total over all rounds. Goal: the log at >= 80% of raw.
 * 2. Read everything back through `LogStore.read` (1 MiB per fetch) against raw sequential reads.
 * 3. Random offset lookups in a log of `--records` (10 million) records in 10-record batches:
 *    `LogStore.read(offset, maxBytes 1)` finds the batch holding the offset (segment search, index
 *    binary search, short header scan). Baseline: one raw 16 KiB pread at a random position.
 *    Goal: under 50 microseconds.
 *
 * The page cache is warm for reads (the data was just written), as it is for a broker serving
 * consumers that keep up. Temporary files go under /tmp and are removed at the end.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { batchMake } from "@eddy/protocol";
import { LogStore } from "@eddy/storage";
import * as Effect from "effect/Effect";
import * as ManagedRuntime from "effect/ManagedRuntime";
import { layer } from "../src/index.ts";

const args = process.argv.slice(2);
function flag(name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}
const totalBytes = flag("bytes", 1024 * 1024 * 1024);
const batchBytes = flag("batch-bytes", 1024 * 1024);
const lookupRecords = flag("records", 10_000_000);
const lookupCount = flag("lookups", 200_000);
const baseDirArg = args.includes("--dir") ? args[args.indexOf("--dir") + 1]! : os.tmpdir();

const root = fs.mkdtempSync(`${baseDirArg}/eddy-storage-bench-`);
const mb = (bytes: number, ms: number) => (bytes / (1024 * 1024) / (ms / 1000)).toFixed(0);
const now = () => performance.now();
const tp = { topic: "bench", partition: 0 };

function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));
}

// A pool of distinct batch buffers, reused round robin with their offsets patched in (the CRC does
// not cover the base offset, so the batches stay valid). The pool is smaller than the hot tail, so
// the appending log's tail still refers to buffers being patched; nothing reads that tail here (the
// read phase reopens the log), so the figures do not depend on it.
const recordsPerBatch = 1000;
const poolSize = 32;
const template = batchMake({
  baseOffset: 0,
  recordCount: recordsPerBatch,
  baseTimestampMs: Date.now(),
  body: new Uint8Array(batchBytes - 61).map((_, i) => (i * 31) & 0xff),
});
const pool = Array.from({ length: poolSize }, () => template.slice());
const batchCount = Math.floor(totalBytes / batchBytes);
const bytesWritten = batchCount * template.length;

function batchFor(i: number): Uint8Array {
  const batch = pool[i % poolSize]!;
  new DataView(batch.buffer).setBigInt64(0, BigInt(i * recordsPerBatch));
  return batch;
}

/** Milliseconds spent writing into the page cache, and in the final fdatasync, per side. */
interface WriteTimes {
  readonly cachedMs: number;
  readonly syncMs: number;
}

/**
 * One round of the write race. Raw pwrites and log appends of the same buffers are interleaved
 * batch by batch (alternating which goes first), so both meet the same disk and writeback state;
 * then each side is made durable, the order alternating by round.
 */
async function writeRound(round: number): Promise<{ raw: WriteTimes; log: WriteTimes }> {
  fs.rmSync(`${root}/raw.bin`, { force: true });
  fs.rmSync(`${root}/log`, { recursive: true, force: true });
  const fd = fs.openSync(`${root}/raw.bin`, "w");
  const rt = ManagedRuntime.make(layer({ dataDir: `${root}/log`, logLine: () => {} }));
  const logs = await rt.runPromise(LogStore.useSync((service) => service));
  await rt.runPromise(logs.openPartition(tp));
  let rawMs = 0;
  let logMs = 0;
  let position = 0;
  const writeRaw = (batch: Uint8Array) => {
    const t0 = now();
    fs.writeSync(fd, batch, 0, batch.length, position);
    rawMs += now() - t0;
    position += batch.length;
  };
  const writeLog = (batch: Uint8Array) => {
    const t0 = now();
    Effect.runSync(logs.append(tp, batch, 0));
    logMs += now() - t0;
  };
  for (let i = 0; i < batchCount; i++) {
    const batch = batchFor(i);
    if ((i + round) % 2 === 0) {
      writeRaw(batch);
      writeLog(batch);
    } else {
      writeLog(batch);
      writeRaw(batch);
    }
  }
  const syncRaw = async () => {
    const t0 = now();
    await fdatasync(fd);
    return now() - t0;
  };
  const syncLog = async () => {
    const t0 = now();
    await rt.runPromise(logs.flush(tp));
    return now() - t0;
  };
  let rawSyncMs: number;
  let logSyncMs: number;
  if (round % 2 === 0) {
    rawSyncMs = await syncRaw();
    logSyncMs = await syncLog();
  } else {
    logSyncMs = await syncLog();
    rawSyncMs = await syncRaw();
  }
  fs.closeSync(fd);
  await rt.dispose();
  return { raw: { cachedMs: rawMs, syncMs: rawSyncMs }, log: { cachedMs: logMs, syncMs: logSyncMs } };
}

/** Raw sequential preads; `fresh` gives each chunk its own buffer, as a fetch handing bytes off must. */
function rawRead(path: string, fresh: boolean): number {
  const fd = fs.openSync(path, "r");
  const reused = new Uint8Array(batchBytes);
  const start = now();
  let position = 0;
  let sum = 0;
  for (;;) {
    const buffer = fresh ? new Uint8Array(Buffer.allocUnsafeSlow(batchBytes).buffer, 0, batchBytes) : reused;
    const got = fs.readSync(fd, buffer, 0, buffer.length, position);
    if (got === 0) break;
    sum += buffer[got - 1]!;
    position += got;
  }
  const ms = now() - start;
  fs.closeSync(fd);
  if (position !== bytesWritten || sum < 0) throw new Error(`raw read ${position} of ${bytesWritten}`);
  return ms;
}

async function logRead(dataDir: string): Promise<number> {
  const rt = ManagedRuntime.make(layer({ dataDir, logLine: () => {} }));
  const logs = await rt.runPromise(LogStore.useSync((service) => service));
  const info = await rt.runPromise(logs.openPartition(tp));
  const start = now();
  let offset = 0;
  let bytes = 0;
  while (offset < info.logEndOffset) {
    const read = Effect.runSync(logs.read(tp, { fetchOffset: offset, maxBytes: batchBytes }));
    bytes += read.records.length;
    offset = read.nextOffset;
  }
  const ms = now() - start;
  await rt.dispose();
  if (bytes !== bytesWritten) throw new Error(`log read ${bytes} of ${bytesWritten}`);
  return ms;
}

function percentile(sorted: ReadonlyArray<number>, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function lookups(dataDir: string) {
  // 10-record batches of 100-byte bodies (161 bytes each), appended 4096 batches at a time.
  const perBatch = 10;
  const small = batchMake({
    baseOffset: 0,
    recordCount: perBatch,
    baseTimestampMs: 1,
    body: new Uint8Array(100),
  });
  const chunkBatches = 4096;
  const chunkTemplate = new Uint8Array(small.length * chunkBatches);
  for (let k = 0; k < chunkBatches; k++) chunkTemplate.set(small, k * small.length);
  const batchesTotal = Math.ceil(lookupRecords / perBatch);
  const rt = ManagedRuntime.make(layer({ dataDir, logLine: () => {} }));
  const logs = await rt.runPromise(LogStore.useSync((service) => service));
  await rt.runPromise(logs.openPartition(tp));
  const buildStart = now();
  for (let first = 0; first < batchesTotal; first += chunkBatches) {
    const n = Math.min(chunkBatches, batchesTotal - first);
    const chunk = chunkTemplate.slice(0, n * small.length);
    const view = new DataView(chunk.buffer);
    for (let k = 0; k < n; k++) view.setBigInt64(k * small.length, BigInt((first + k) * perBatch));
    Effect.runSync(logs.append(tp, chunk, 0));
  }
  await rt.runPromise(logs.flush(tp));
  const buildMs = now() - buildStart;
  await rt.dispose();

  // Reopen so every lookup goes through the index, not the hot tail of the appending process.
  const reader = ManagedRuntime.make(layer({ dataDir, logLine: () => {}, tailCacheBytesMax: 0 }));
  const readLogs = await reader.runPromise(LogStore.useSync((service) => service));
  const info = await reader.runPromise(readLogs.openPartition(tp));
  const segments = await reader.runPromise(readLogs.segments(tp));
  let seed = 12345;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const offsets = Array.from({ length: lookupCount }, () => Math.floor(random() * info.logEndOffset));
  for (const o of offsets.slice(0, 1000)) Effect.runSync(readLogs.read(tp, { fetchOffset: o, maxBytes: 1 }));
  const times: Array<number> = [];
  const start = now();
  for (const offset of offsets) {
    const t0 = now();
    const read = Effect.runSync(readLogs.read(tp, { fetchOffset: offset, maxBytes: 1 }));
    times.push(now() - t0);
    if (read.batchCount !== 1 || read.nextOffset <= offset) throw new Error(`lookup of ${offset} failed`);
  }
  const totalMs = now() - start;
  await reader.dispose();

  const logPath = `${dataDir}/bench-0/${String(0).padStart(20, "0")}.log`;
  const fd = fs.openSync(logPath, "r");
  const size = fs.fstatSync(fd).size;
  const buffer = new Uint8Array(16 * 1024);
  const rawTimes: Array<number> = [];
  for (let i = 0; i < lookupCount; i++) {
    const position = Math.floor(random() * (size - buffer.length));
    const t0 = now();
    fs.readSync(fd, buffer, 0, buffer.length, position);
    rawTimes.push(now() - t0);
  }
  fs.closeSync(fd);
  times.sort((a, b) => a - b);
  rawTimes.sort((a, b) => a - b);
  return { buildMs, totalMs, times, rawTimes, records: info.logEndOffset, segments: segments.length, size };
}

async function main() {
  console.log(`storage bench in ${root} (${os.cpus().length} cpus, bun ${Bun.version})`);
  console.log(
    `append: ${batchCount} batches of ${template.length} bytes = ${(bytesWritten / 2 ** 20).toFixed(0)} MiB`,
  );
  const rounds = flag("rounds", 3);
  const results: Array<{ raw: WriteTimes; log: WriteTimes }> = [];
  for (let round = 0; round < rounds; round++) {
    const r = await writeRound(round);
    results.push(r);
    console.log(
      `  round ${round + 1}: into page cache raw ${mb(bytesWritten, r.raw.cachedMs)} / log ${mb(bytesWritten, r.log.cachedMs)} MB/s; ` +
        `fdatasync ${r.raw.syncMs.toFixed(0)} / flush ${r.log.syncMs.toFixed(0)} ms (${round % 2 === 0 ? "raw" : "log"} first)`,
    );
  }
  const sum = (key: "raw" | "log", part: (t: WriteTimes) => number) =>
    results.reduce((total, r) => total + part(r[key]), 0);
  for (const [label, part] of [
    ["into page cache", (t: WriteTimes) => t.cachedMs],
    ["with fdatasync ", (t: WriteTimes) => t.cachedMs + t.syncMs],
  ] as const) {
    const r = sum("raw", part);
    const l = sum("log", part);
    console.log(
      `write ${label} (all ${rounds} rounds): LogStore.append ${mb(bytesWritten * rounds, l)} MB/s vs ` +
        `raw pwrite ${mb(bytesWritten * rounds, r)} MB/s = ${((r / l) * 100).toFixed(0)}% of raw (goal >= 80%)`,
    );
  }
  const reads = { raw: [] as Array<number>, fresh: [] as Array<number>, log: [] as Array<number> };
  for (let round = 0; round < 3; round++) {
    reads.raw.push(rawRead(`${root}/raw.bin`, false));
    reads.fresh.push(rawRead(`${root}/raw.bin`, true));
    reads.log.push(await logRead(`${root}/log`));
  }
  const best = (list: ReadonlyArray<number>) => Math.min(...list);
  console.log(
    `read (page cache warm, best of 3): LogStore.read ${mb(bytesWritten, best(reads.log))} MB/s; ` +
      `raw pread into a fresh buffer per MiB ${mb(bytesWritten, best(reads.fresh))} MB/s ` +
      `(${((best(reads.fresh) / best(reads.log)) * 100).toFixed(0)}%); ` +
      `raw pread into one reused buffer ${mb(bytesWritten, best(reads.raw))} MB/s`,
  );
  fs.rmSync(`${root}/raw.bin`, { force: true });
  fs.rmSync(`${root}/log`, { recursive: true, force: true });

  const l = await lookups(`${root}/lookup`);
  console.log(
    `lookup: ${l.records.toLocaleString("en")} records, ${l.segments} segment(s), ${(l.size / 2 ** 20).toFixed(0)} MiB, ` +
      `built in ${(l.buildMs / 1000).toFixed(1)} s`,
  );
  const us = (ms: number) => (ms * 1000).toFixed(1);
  console.log(
    `  LogStore.read(random offset): mean ${us(l.totalMs / lookupCount)} us, p50 ${us(percentile(l.times, 0.5))} us, ` +
      `p99 ${us(percentile(l.times, 0.99))} us (goal < 50 us)`,
  );
  console.log(
    `  baseline raw 16 KiB pread:    p50 ${us(percentile(l.rawTimes, 0.5))} us, p99 ${us(percentile(l.rawTimes, 0.99))} us`,
  );
}

try {
  await main();
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
