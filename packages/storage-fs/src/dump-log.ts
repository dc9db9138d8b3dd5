/**
 * `dump-log`: prints a segment's batches and its index entries, like Kafka's kafka-dump-log.sh,
 * so an operator (or a student) can see how a log is laid out on disk. It owns only reading and
 * formatting; it must never write to the files it reads.
 *
 *   bun packages/storage-fs/src/dump-log.ts <dir>/00000000000000000000.log [--no-index]
 *   bun packages/storage-fs/src/dump-log.ts <dir>/00000000000000000000.index
 *
 * For each batch: base and last offset, record count, timestamps, size, position, leader epoch,
 * compression, and whether the stored CRC matches. Then every `.index` entry (offset -> position)
 * and `.timeindex` entry (timestamp -> offset), flagging entries that point past the log.
 */
import * as fs from "node:fs";
import { batchCrcValid, checkBatch } from "@eddy/protocol";
import { offsetEntryBytes, timeEntryBytes } from "@eddy/storage";

export interface DumpOptions {
  /** Also print the `.index` and `.timeindex` beside the `.log` (default true). */
  readonly indexes?: boolean | undefined;
}

const codecs = ["none", "gzip", "snappy", "lz4", "zstd"];

/**
 * Reads a segment's `.log` (with its indexes) and returns the dump as lines; given an `.index` or
 * `.timeindex`, dumps just that file, checking entries against the `.log` beside it when present.
 */
export function dumpSegment(logPath: string, options: DumpOptions = {}): ReadonlyArray<string> {
  const lines: Array<string> = [];
  const name = logPath.split("/").pop() ?? logPath;
  const match = /^(\d{20})\.(log|index|timeindex)$/.exec(name);
  if (match === null)
    throw new Error(`${logPath} is not a segment file (<20 digits>.log, .index or .timeindex)`);
  const baseOffset = Number(match[1]);
  if (match[2] !== "log") {
    const stem = logPath.slice(0, -(match[2]!.length + 1));
    if (match[2] === "timeindex") return dumpTimeIndex(logPath, baseOffset);
    const logBytes = fs.existsSync(`${stem}.log`)
      ? fs.statSync(`${stem}.log`).size
      : Number.POSITIVE_INFINITY;
    return dumpOffsetIndex(logPath, baseOffset, logBytes);
  }
  const bytes = new Uint8Array(fs.readFileSync(logPath));
  lines.push(`Dumping ${logPath}`);
  lines.push(`Log starting offset: ${baseOffset}`);
  let position = 0;
  let batches = 0;
  let records = 0;
  for (;;) {
    const check = checkBatch(bytes, position, bytes.length, false);
    if (check._tag === "End") break;
    if (check._tag !== "Batch") {
      lines.push(
        `${check._tag === "Torn" ? "Torn tail" : "Invalid batch"} at position ${position}: ${check.detail}`,
      );
      break;
    }
    const h = check.header;
    const attributes = h.attributes;
    lines.push(
      [
        `baseOffset: ${h.baseOffset}`,
        `lastOffset: ${h.lastOffset}`,
        `count: ${h.recordCount}`,
        `position: ${position}`,
        `size: ${h.sizeBytes}`,
        `baseTimestamp: ${h.baseTimestampMs}`,
        `maxTimestamp: ${h.maxTimestampMs}`,
        `${attributes & 0x8 ? "LogAppendTime" : "CreateTime"}`,
        `partitionLeaderEpoch: ${h.partitionLeaderEpoch}`,
        `producerId: ${h.producerId}`,
        `isTransactional: ${(attributes & 0x10) !== 0}`,
        `isControl: ${(attributes & 0x20) !== 0}`,
        `compresscodec: ${codecs[attributes & 0x7] ?? `unknown(${attributes & 0x7})`}`,
        `crc: ${h.crc}`,
        `isvalid: ${batchCrcValid(bytes, position, h.sizeBytes)}`,
      ].join(" "),
    );
    batches += 1;
    records += h.recordCount;
    position += h.sizeBytes;
  }
  lines.push(`Batches: ${batches} records: ${records} valid bytes: ${position} of ${bytes.length}`);
  if (options.indexes ?? true) {
    const stem = logPath.slice(0, -".log".length);
    lines.push(...dumpOffsetIndex(`${stem}.index`, baseOffset, position));
    lines.push(...dumpTimeIndex(`${stem}.timeindex`, baseOffset));
  }
  return lines;
}

function dumpOffsetIndex(path: string, baseOffset: number, logBytes: number): ReadonlyArray<string> {
  if (!fs.existsSync(path)) return [`Dumping ${path}: missing`];
  const bytes = new Uint8Array(fs.readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const lines = [`Dumping ${path} (${bytes.length} bytes, ${offsetEntryBytes}-byte entries)`];
  for (let at = 0; at + offsetEntryBytes <= bytes.length; at += offsetEntryBytes) {
    const relative = view.getInt32(at);
    const position = view.getInt32(at + 4);
    if (relative === 0 && position === 0) {
      lines.push(`(${(bytes.length - at) / offsetEntryBytes} preallocated empty entries)`);
      break;
    }
    const flag = position >= logBytes ? " (points past the valid log)" : "";
    lines.push(`offset: ${baseOffset + relative} position: ${position}${flag}`);
  }
  return lines;
}

function dumpTimeIndex(path: string, baseOffset: number): ReadonlyArray<string> {
  if (!fs.existsSync(path)) return [`Dumping ${path}: missing`];
  const bytes = new Uint8Array(fs.readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const lines = [`Dumping ${path} (${bytes.length} bytes, ${timeEntryBytes}-byte entries)`];
  for (let at = 0; at + timeEntryBytes <= bytes.length; at += timeEntryBytes) {
    const timestamp = Number(view.getBigInt64(at));
    const relative = view.getInt32(at + 8);
    if (at > 0 && timestamp === 0 && relative === 0) {
      lines.push(`(${(bytes.length - at) / timeEntryBytes} preallocated empty entries)`);
      break;
    }
    lines.push(`timestamp: ${timestamp} offset: ${baseOffset + relative}`);
  }
  return lines;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const files = args.filter((a) => !a.startsWith("--"));
  if (files.length === 0) {
    console.error("usage: dump-log <segment.log> [more.log ...] [--no-index]");
    process.exit(2);
  }
  for (const file of files) {
    try {
      for (const line of dumpSegment(file, { indexes: !args.includes("--no-index") })) console.log(line);
    } catch (error) {
      console.error(`dump-log: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
  }
}
