/**
 * Is the in-process hot tail worth its memory? `bun bench/tail-cache.ts` in packages/storage-fs
 * (flags: --bytes N, default 64 MiB, the default `eddy.log.tail.cache.bytes`; --batch-bytes N, default
 * 16 KiB, what the perf tool's 148 records of 100 bytes make; --rounds N, default 5). Two partition
 * logs over the real file system take the same batches, one with a hot tail as large as the data and
 * one with none, so every read of the second is a pread served by the page cache (warm: the data was
 * just written, as it is for consumers that keep up). Then, interleaved round by round, each side
 * reads the data back twice: as a consumer keeping up (one batch per fetch, at every batch's offset)
 * and as one catching up (1 MiB fetches). Prints microseconds per fetch and MB/s for both sides; the
 * file side is the baseline. It owns nothing but its temporary folder, removed at the end.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { batchMake } from "@eddy/protocol";
import { logConfigMake, PartitionLog } from "@eddy/storage";
import { nodeFiles } from "../src/index.ts";

const args = process.argv.slice(2);
function flag(name: string, fallback: number): number {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${name} needs a positive integer`);
  return value;
}
const totalBytes = flag("bytes", 64 * 1024 * 1024);
const batchBytes = flag("batch-bytes", 16 * 1024);
const rounds = flag("rounds", 5);
const recordsPerBatch = 148;
const catchUpFetchBytes = 1024 * 1024;

const root = fs.mkdtempSync(`${os.tmpdir()}/eddy-tail-cache-bench-`);

function openLog(name: string, tailBytes: number): PartitionLog {
  return PartitionLog.open({
    files: nodeFiles,
    dir: `${root}/${name}-0`,
    name: `${name}-0`,
    config: logConfigMake({}),
    tailCacheBytesMax: tailBytes,
    logLine: (line) => console.error(line),
    nowMs: 0,
  });
}

interface Side {
  readonly name: string;
  readonly log: PartitionLog;
  keepUpMs: number;
  catchUpMs: number;
  bytesRead: number;
}

/** Reads every batch, one per fetch, as a consumer at the log end does; returns the bytes read. */
function keepUp(log: PartitionLog, batches: number): number {
  let bytes = 0;
  for (let b = 0; b < batches; b++) {
    const read = log.read({ fetchOffset: b * recordsPerBatch, maxBytes: 1, minOneBatch: true });
    if (read.batchCount !== 1) throw new Error(`batch ${b}: read ${read.batchCount} batches`);
    bytes += read.records.length;
  }
  return bytes;
}

/** Reads the whole log in 1 MiB fetches, as a consumer catching up does; returns the bytes read. */
function catchUp(log: PartitionLog, endOffset: number): number {
  let bytes = 0;
  let offset = 0;
  while (offset < endOffset) {
    const read = log.read({ fetchOffset: offset, maxBytes: catchUpFetchBytes });
    if (read.batchCount === 0) throw new Error(`no batch at ${offset}`);
    bytes += read.records.length;
    offset = read.nextOffset;
  }
  return bytes;
}

try {
  const batches = Math.max(1, Math.floor(totalBytes / batchBytes));
  const body = new Uint8Array(batchBytes - 61).fill(7);
  const sides: Side[] = [
    { name: "hot tail", log: openLog("tail", totalBytes * 2), keepUpMs: 0, catchUpMs: 0, bytesRead: 0 },
    { name: "page cache (pread)", log: openLog("file", 0), keepUpMs: 0, catchUpMs: 0, bytesRead: 0 },
  ];
  for (let b = 0; b < batches; b++) {
    for (const side of sides) {
      // Each side appends its own buffer: the tail keeps what it is given.
      const batch = batchMake({ baseOffset: b * recordsPerBatch, recordCount: recordsPerBatch, body });
      side.log.append(batch, 0);
    }
  }
  const endOffset = batches * recordsPerBatch;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      let started = performance.now();
      side.bytesRead += keepUp(side.log, batches);
      side.keepUpMs += performance.now() - started;
      started = performance.now();
      side.bytesRead += catchUp(side.log, endOffset);
      side.catchUpMs += performance.now() - started;
    }
  }
  console.log(
    `\ntail cache (issue 15): ${batches} batches of ${batchBytes} bytes (${(totalBytes / 1048576).toFixed(0)} MiB) in one partition, ${rounds} rounds, page cache warm`,
  );
  console.log(
    "side                     keeping up: µs per 1-batch fetch   catching up: MB/s in 1 MiB fetches",
  );
  for (const side of sides) {
    const perFetchUs = (side.keepUpMs * 1000) / (rounds * batches);
    const catchUpMbS = (rounds * batches * batchBytes) / 1e6 / (side.catchUpMs / 1000);
    console.log(
      `${side.name.padEnd(24)} ${perFetchUs.toFixed(1).padStart(34)}   ${catchUpMbS.toFixed(0).padStart(34)}`,
    );
  }
  for (const side of sides) await side.log.close();
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
