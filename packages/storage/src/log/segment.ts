/**
 * One segment of a partition log: `<base>.log`, `<base>.index`, `<base>.timeindex`, named by the
 * 20-digit base offset. It owns the segment's files, its index mirrors and the batch-by-batch scan
 * used by recovery and index rebuilds; it must never decide when to roll or delete (the partition
 * log does). Positions are int32 as in Kafka, so a segment stays below 2 GiB.
 */

import { invariant } from "@eddy/core";
import {
  batchHeaderBytes,
  batchLengthPrefixBytes,
  checkBatch,
  headerFields,
  type StoredBatchHeader,
} from "@eddy/protocol";
import { FileFault, type FileHandle, type Files } from "./files.ts";
import { indexMirrorOverheadBytes } from "./index-cache.ts";
import { OffsetIndex, offsetEntryBytes, TimeIndex, timeEntryBytes } from "./offset-index.ts";

/** Kafka's segment file name: the base offset as 20 zero-padded digits. */
export function segmentFileName(baseOffset: number, extension: ".log" | ".index" | ".timeindex"): string {
  return `${String(baseOffset).padStart(20, "0")}${extension}`;
}

/** Parses `<20 digits>.log` back into a base offset, or null. */
export function segmentBaseFromName(name: string): number | null {
  const match = /^(\d{20})\.log$/.exec(name);
  if (match === null) return null;
  const base = Number(match[1]);
  return Number.isSafeInteger(base) ? base : null;
}

/** Scans read this much at once; big enough that small batches cost no syscall each. */
export const scanChunkBytes = 1 << 20;
/** The largest offset a segment can hold relative to its base (int32 relative offsets). */
export const relativeOffsetMax = 2 ** 31 - 1;

/** What a scan found wrong, if anything: a torn tail or an invalid batch at `position`. */
export interface ScanProblem {
  readonly kind: "Torn" | "Invalid";
  readonly position: number;
  readonly detail: string;
}

/**
 * Reads batch headers from `from` to `end` in large chunks, calling `visit` for each whole batch.
 * Returns the position after the last good batch and the first problem, if any.
 */
export function scanBatches(
  file: FileHandle,
  from: number,
  end: number,
  checkCrc: boolean,
  visit: (header: StoredBatchHeader) => void,
): { readonly validEnd: number; readonly problem: ScanProblem | null } {
  let buffer = new Uint8Array(Math.min(scanChunkBytes, Math.max(end - from, batchLengthPrefixBytes)));
  let bufferStart = 0;
  let bufferEnd = 0;
  let position = from;
  const fill = (at: number, wanted: number) => {
    if (wanted > buffer.length) buffer = new Uint8Array(wanted);
    const length = Math.min(buffer.length, end - at);
    const got = file.read(buffer.subarray(0, length), at);
    bufferStart = at;
    bufferEnd = at + got;
  };
  const loopMax = Math.ceil((end - from) / batchLengthPrefixBytes) + 1;
  for (let loop = 0; loop < loopMax; loop++) {
    if (position >= end) return { validEnd: position, problem: null };
    if (position + batchLengthPrefixBytes > bufferEnd) fill(position, batchLengthPrefixBytes);
    const view = new DataView(buffer.buffer, position - bufferStart);
    const size = batchLengthPrefixBytes + Math.max(0, view.getInt32(8));
    if (position + size > bufferEnd && bufferEnd < end) fill(position, Math.min(size, end - position));
    const check = checkBatch(buffer, position - bufferStart, bufferEnd - bufferStart, checkCrc);
    if (check._tag === "End") return { validEnd: position, problem: null };
    if (check._tag !== "Batch") {
      return { validEnd: position, problem: { kind: check._tag, position, detail: check.detail } };
    }
    const header = { ...check.header, position };
    visit(header);
    position += header.sizeBytes;
  }
  throw new Error(`scan of ${file.path} did not end within ${loopMax} steps`);
}

/**
 * A segment's files and in-memory state. The index mirrors are resident while the segment is active
 * and until its index files are durable; after that the partition log may drop them (`dropIndexes`,
 * through its `IndexCache`) and reload them from the files when a lookup needs them. Everything else
 * (sizes, offsets, the largest timestamp, the entry counts) stays as plain numbers, so the segment
 * answers infos, retention and roll checks without loading anything.
 */
export class Segment {
  private offsets: OffsetIndex | null = new OffsetIndex();
  private times: TimeIndex | null = new TimeIndex();
  /** Entry counts of the mirrors while they are dropped (what the trimmed files hold). */
  private offsetCountDropped = 0;
  private timeCountDropped = 0;
  /**
   * Bumped whenever the index files are rewritten from the start (a roll's final write, a truncation
   * making the segment active again): a flush that fsynced an older version must not mark them synced.
   */
  indexesVersion = 0;
  sizeBytes = 0;
  /** The offset after the last batch (the base offset while empty). */
  nextOffset: number;
  bytesSinceIndexEntry = 0;
  maxTimestampMs = -1;
  offsetOfMaxTimestamp = -1;
  /** Max timestamp of the first batch: Kafka's rolling-based timestamp for `rollMs`. */
  firstBatchTimestampMs = -1;
  /** Bytes of the `.log` known to be fsynced. */
  syncedBytes = 0;
  /** Whether the index files were written and fsynced after the segment became inactive. */
  indexesSynced = false;
  deleted = false;
  /** Bytes of `.log` the last `resumeAfterCleanClose` read (the tail after the last index entry). */
  tailBytesScanned = 0;

  constructor(
    readonly baseOffset: number,
    readonly log: FileHandle,
    /** Replaced only when a rebuild finds the file gone (`writeRebuiltIndexes`). */
    public offsetIndexFile: FileHandle,
    public timeIndexFile: FileHandle,
    readonly createdMs: number,
  ) {
    this.nextOffset = baseOffset;
  }

  /** The offset-index mirror; only while it is resident (the caller loads it first). */
  get index(): OffsetIndex {
    invariant(this.offsets !== null, () => `segment ${this.baseOffset}: offset index used while dropped`);
    return this.offsets;
  }

  set index(value: OffsetIndex) {
    this.offsets = value;
  }

  /** The time-index mirror; only while it is resident. */
  get time(): TimeIndex {
    invariant(this.times !== null, () => `segment ${this.baseOffset}: time index used while dropped`);
    return this.times;
  }

  set time(value: TimeIndex) {
    this.times = value;
  }

  /** Whether the index mirrors are in memory. */
  get resident(): boolean {
    return this.offsets !== null;
  }

  /** Entries of the `.index`, resident or not. */
  get offsetEntryCount(): number {
    return this.offsets === null ? this.offsetCountDropped : this.offsets.count;
  }

  /** Entries of the `.timeindex`, resident or not. */
  get timeEntryCount(): number {
    return this.times === null ? this.timeCountDropped : this.times.count;
  }

  /** Bytes the resident mirrors hold, as the index cache counts them. */
  mirrorBytes(): number {
    return this.index.columnBytes() + this.time.columnBytes() + indexMirrorOverheadBytes;
  }

  /** Cuts the resident mirrors to their entries: an inactive segment takes no more. */
  compactIndexes(): void {
    this.index.compact();
    this.time.compact();
  }

  /**
   * Lets go of the mirrors. Only for an inactive segment whose index files hold every entry and are
   * durable: they are then the only copy, and `reloadIndexes` reads them back.
   */
  dropIndexes(): void {
    const index = this.index;
    const time = this.time;
    invariant(
      this.indexesSynced,
      () => `segment ${this.baseOffset}: indexes dropped before they were fsynced`,
    );
    invariant(
      index.persistedCount === index.count && time.persistedCount === time.count,
      () => `segment ${this.baseOffset}: indexes dropped with entries not on file`,
    );
    this.offsetCountDropped = index.count;
    this.timeCountDropped = time.count;
    this.offsets = null;
    this.times = null;
  }

  /** Opens (or creates) the three files of a segment in `dir`. */
  static open(files: Files, dir: string, baseOffset: number, create: boolean, createdMs: number): Segment {
    const log = files.open(`${dir}/${segmentFileName(baseOffset, ".log")}`, create);
    const offsetIndexFile = files.open(`${dir}/${segmentFileName(baseOffset, ".index")}`, true);
    const timeIndexFile = files.open(`${dir}/${segmentFileName(baseOffset, ".timeindex")}`, true);
    const segment = new Segment(baseOffset, log, offsetIndexFile, timeIndexFile, createdMs);
    segment.sizeBytes = log.size();
    return segment;
  }

  /** Records one batch just written at `header.position`, updating the index mirrors as Kafka does. */
  noteBatch(header: StoredBatchHeader, indexIntervalBytes: number): void {
    if (header.maxTimestampMs > this.maxTimestampMs) {
      this.maxTimestampMs = header.maxTimestampMs;
      this.offsetOfMaxTimestamp = header.lastOffset;
    }
    if (this.sizeBytes === 0 || header.position === 0) this.firstBatchTimestampMs = header.maxTimestampMs;
    if (this.bytesSinceIndexEntry > indexIntervalBytes) {
      this.index.append(header.lastOffset - this.baseOffset, header.position);
      if (this.maxTimestampMs >= 0) {
        this.time.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp - this.baseOffset);
      }
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += header.sizeBytes;
    this.sizeBytes = header.position + header.sizeBytes;
    this.nextOffset = header.lastOffset + 1;
  }

  /** Forgets index mirrors and rebuilds them by scanning the log; returns the scan's problem. */
  rebuild(indexIntervalBytes: number, checkCrc: boolean): { validEnd: number; problem: ScanProblem | null } {
    const end = this.log.size();
    this.index = new OffsetIndex();
    this.time = new TimeIndex();
    this.sizeBytes = 0;
    this.nextOffset = this.baseOffset;
    this.bytesSinceIndexEntry = 0;
    this.maxTimestampMs = -1;
    this.offsetOfMaxTimestamp = -1;
    this.firstBatchTimestampMs = -1;
    let problem: ScanProblem | null = null;
    const result = scanBatches(this.log, 0, end, checkCrc, (header) => {
      if (problem !== null) return;
      if (header.baseOffset < this.nextOffset || header.lastOffset - this.baseOffset > relativeOffsetMax) {
        problem = {
          kind: "Invalid",
          position: header.position,
          detail: `batch offsets ${header.baseOffset}..${header.lastOffset} out of order in segment ${this.baseOffset}`,
        };
        return;
      }
      this.noteBatch(header, indexIntervalBytes);
    });
    if (problem !== null) return { validEnd: (problem as ScanProblem).position, problem };
    return result;
  }

  /**
   * Loads the index files of an inactive segment, checking them against the log size. Returns a
   * sentence saying why they cannot be trusted, or null when they were loaded.
   */
  loadIndexes(nextOffset: number): string | null {
    this.sizeBytes = this.log.size();
    this.nextOffset = nextOffset;
    const relativeMax = Math.max(0, nextOffset - this.baseOffset - 1);
    const offsetBytes = readWhole(this.offsetIndexFile);
    const timeBytes = readWhole(this.timeIndexFile);
    const index = OffsetIndex.decode(offsetBytes, this.sizeBytes, relativeMax);
    if (typeof index === "string") return `.index: ${index}`;
    const time = TimeIndex.decode(timeBytes, relativeMax);
    if (typeof time === "string") return `.timeindex: ${time}`;
    this.index = index;
    this.time = time;
    this.maxTimestampMs = time.lastTimestamp();
    this.offsetOfMaxTimestamp = time.count === 0 ? -1 : this.baseOffset + time.relative[time.count - 1]!;
    this.syncedBytes = this.sizeBytes;
    this.indexesSynced = true;
    return null;
  }

  /**
   * Opens an inactive segment whose index files are durable (below the recovery point, or after a
   * clean shutdown) without loading them: the sizes give the entry counts (the files were trimmed when
   * the segment became inactive) and the last entries, two small reads, give the largest timestamp
   * and a sanity check, as Kafka's lazy indexes check only the last entry until first used. The
   * mirrors stay dropped until a lookup reloads them. Returns a sentence saying why the files cannot
   * be opened this way (the caller then loads them whole), or null.
   */
  openLazily(nextOffset: number): string | null {
    const sizeBytes = this.log.size();
    const offsetFileBytes = this.offsetIndexFile.size();
    const timeFileBytes = this.timeIndexFile.size();
    if (offsetFileBytes % offsetEntryBytes !== 0)
      return `.index size ${offsetFileBytes} is not whole entries`;
    if (timeFileBytes % timeEntryBytes !== 0) return `.timeindex size ${timeFileBytes} is not whole entries`;
    const relativeMax = Math.max(0, nextOffset - this.baseOffset - 1);
    const offsetCount = offsetFileBytes / offsetEntryBytes;
    const timeCount = timeFileBytes / timeEntryBytes;
    if (offsetCount > 0) {
      const last = readRange(this.offsetIndexFile, offsetFileBytes - offsetEntryBytes, offsetEntryBytes);
      if (last === null) return ".index: short read of its last entry";
      const relative = last.getInt32(0);
      const position = last.getInt32(4);
      if (relative === 0 && position === 0) return ".index ends in an empty entry (not trimmed)";
      if (relative < 0 || relative > relativeMax || position < 0 || position >= sizeBytes)
        return `.index: last entry (${relative}, ${position}) outside the segment`;
    }
    let maxTimestampMs = -1;
    let offsetOfMaxTimestamp = -1;
    if (timeCount > 0) {
      const last = readRange(this.timeIndexFile, timeFileBytes - timeEntryBytes, timeEntryBytes);
      if (last === null) return ".timeindex: short read of its last entry";
      const timestamp = Number(last.getBigInt64(0));
      const relative = last.getInt32(8);
      if (timeCount > 1 && timestamp === 0 && relative === 0)
        return ".timeindex ends in an empty entry (not trimmed)";
      if (relative < 0 || relative > relativeMax)
        return `.timeindex: last entry offset ${relative} outside the segment`;
      maxTimestampMs = timestamp;
      offsetOfMaxTimestamp = this.baseOffset + relative;
    }
    this.sizeBytes = sizeBytes;
    this.nextOffset = nextOffset;
    this.maxTimestampMs = maxTimestampMs;
    this.offsetOfMaxTimestamp = offsetOfMaxTimestamp;
    this.syncedBytes = sizeBytes;
    this.indexesSynced = true;
    this.offsetCountDropped = offsetCount;
    this.timeCountDropped = timeCount;
    this.offsets = null;
    this.times = null;
    return null;
  }

  /**
   * Reads the dropped mirrors back from the index files, checking them against what the segment
   * knows (the log size, the offsets it holds, the entry counts and the largest timestamp). Returns a
   * sentence saying why the files cannot be trusted (the caller rebuilds from the log), or null.
   */
  reloadIndexes(): string | null {
    invariant(this.offsets === null, () => `segment ${this.baseOffset}: reload of resident indexes`);
    const relativeMax = Math.max(0, this.nextOffset - this.baseOffset - 1);
    let offsetBytes: Uint8Array;
    let timeBytes: Uint8Array;
    try {
      offsetBytes = readWhole(this.offsetIndexFile);
      timeBytes = readWhole(this.timeIndexFile);
    } catch (error) {
      if (error instanceof FileFault) return `the index files cannot be read: ${error.message}`;
      throw error;
    }
    const offsetExpected = this.offsetCountDropped * offsetEntryBytes;
    const timeExpected = this.timeCountDropped * timeEntryBytes;
    if (offsetBytes.length !== offsetExpected)
      return `.index holds ${offsetBytes.length} bytes, ${offsetExpected} expected`;
    if (timeBytes.length !== timeExpected)
      return `.timeindex holds ${timeBytes.length} bytes, ${timeExpected} expected`;
    const index = OffsetIndex.decode(offsetBytes, this.sizeBytes, relativeMax);
    if (typeof index === "string") return `.index: ${index}`;
    const time = TimeIndex.decode(timeBytes, relativeMax);
    if (typeof time === "string") return `.timeindex: ${time}`;
    if (index.count !== this.offsetCountDropped)
      return `.index has ${index.count} entries, ${this.offsetCountDropped} expected`;
    if (time.count !== this.timeCountDropped)
      return `.timeindex has ${time.count} entries, ${this.timeCountDropped} expected`;
    if (time.count > 0 && time.lastTimestamp() !== this.maxTimestampMs)
      return `.timeindex's last timestamp ${time.lastTimestamp()} is not the segment's ${this.maxTimestampMs}`;
    this.offsets = index;
    this.times = time;
    return null;
  }

  /**
   * Rebuilds the mirrors of an inactive segment by scanning its log, keeping what the segment is
   * known to hold (its size and the next segment's base). Returns the scan's problem, or a size that
   * differs from the known one: the log itself is then damaged.
   */
  rebuildInactive(indexIntervalBytes: number): ScanProblem | null {
    const sizeBytes = this.sizeBytes;
    const nextOffset = this.nextOffset;
    const syncedBytes = this.syncedBytes;
    const scan = this.rebuild(indexIntervalBytes, true);
    if (scan.problem !== null) return scan.problem;
    if (this.sizeBytes !== sizeBytes || this.nextOffset > nextOffset) {
      return {
        kind: "Invalid",
        position: this.sizeBytes,
        detail: `the batches end at position ${this.sizeBytes} (offset ${this.nextOffset}), the segment holds ${sizeBytes} bytes to offset ${nextOffset}`,
      };
    }
    this.nextOffset = nextOffset;
    this.syncedBytes = syncedBytes;
    if (this.maxTimestampMs >= 0) {
      this.time.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp - this.baseOffset);
    }
    // Nothing of the rebuilt mirrors is on file yet; `writeRebuiltIndexes` writes them whole.
    this.index.persistedCount = 0;
    this.time.persistedCount = 0;
    this.indexesSynced = false;
    this.indexesVersion += 1;
    return null;
  }

  /**
   * Replaces the index files with the rebuilt mirrors and fsyncs them (reopening files that went
   * missing), so the mirrors may be dropped again. Throws FileFault; the mirrors then stay resident
   * and unsynced until a flush round fsyncs what the files hold.
   */
  writeRebuiltIndexes(files: Files): void {
    for (const which of ["offset", "time"] as const) {
      const handle = which === "offset" ? this.offsetIndexFile : this.timeIndexFile;
      if (files.exists(handle.path)) continue;
      try {
        handle.close();
      } catch {
        // A handle whose file is gone may already be unusable; the new one replaces it.
      }
      const reopened = files.open(handle.path, true);
      if (which === "offset") this.offsetIndexFile = reopened;
      else this.timeIndexFile = reopened;
      files.syncDirNow(handle.path.slice(0, handle.path.lastIndexOf("/")));
    }
    this.persistIndexes(true);
    this.offsetIndexFile.syncNow();
    this.timeIndexFile.syncNow();
    this.indexesSynced = true;
  }

  /**
   * Opens the active segment after a clean shutdown without scanning it, as Kafka's log loading does
   * when it finds the clean-shutdown marker: the index files the clean close wrote and trimmed are
   * trusted, and only the batches from the last offset-index entry to the end of the `.log` are read
   * (with CRC32C) to find the log end, the largest timestamp and the bytes since that entry. The batch
   * at the last entry must be the one the entry names, else the index does not describe this log.
   * Returns a sentence saying why the segment must be scanned instead, or null when it was opened;
   * the caller then rebuilds from the start, so a wrong answer here costs a scan, never data.
   */
  resumeAfterCleanClose(indexIntervalBytes: number): string | null {
    const size = this.log.size();
    const offsetBytes = readWhole(this.offsetIndexFile);
    const timeBytes = readWhole(this.timeIndexFile);
    if (offsetBytes.length % offsetEntryBytes !== 0)
      return `.index size ${offsetBytes.length} is not whole entries`;
    if (timeBytes.length % timeEntryBytes !== 0)
      return `.timeindex size ${timeBytes.length} is not whole entries`;
    const index = OffsetIndex.decode(offsetBytes, size, relativeOffsetMax);
    if (typeof index === "string") return `.index: ${index}`;
    const time = TimeIndex.decode(timeBytes, relativeOffsetMax);
    if (typeof time === "string") return `.timeindex: ${time}`;
    const from = index.count === 0 ? 0 : index.position[index.count - 1]!;
    const entryLastOffset = index.count === 0 ? -1 : this.baseOffset + index.relative[index.count - 1]!;
    this.index = index;
    this.time = time;
    this.sizeBytes = from;
    this.nextOffset = this.baseOffset;
    this.bytesSinceIndexEntry = 0;
    this.maxTimestampMs = time.lastTimestamp();
    this.offsetOfMaxTimestamp = time.count === 0 ? -1 : this.baseOffset + time.relative[time.count - 1]!;
    this.firstBatchTimestampMs = from === 0 ? -1 : this.firstBatchMaxTimestamp();
    let problem: string | null = null;
    const scan = scanBatches(this.log, from, size, true, (header) => {
      if (problem !== null) return;
      if (header.position === from && from > 0) {
        // The entry's own batch: it was counted when the entry was made, so it only moves the end.
        if (header.lastOffset !== entryLastOffset) {
          problem = `the last .index entry names offset ${entryLastOffset} but the batch at position ${from} ends at ${header.lastOffset}`;
          return;
        }
        if (header.maxTimestampMs > this.maxTimestampMs) {
          this.maxTimestampMs = header.maxTimestampMs;
          this.offsetOfMaxTimestamp = header.lastOffset;
        }
        this.bytesSinceIndexEntry = header.sizeBytes;
        this.sizeBytes = header.position + header.sizeBytes;
        this.nextOffset = header.lastOffset + 1;
        return;
      }
      if (header.baseOffset < this.nextOffset || header.lastOffset - this.baseOffset > relativeOffsetMax) {
        problem = `batch offsets ${header.baseOffset}..${header.lastOffset} out of order`;
        return;
      }
      this.noteBatch(header, indexIntervalBytes);
    });
    this.tailBytesScanned = size - from;
    if (problem !== null) return problem;
    if (scan.problem !== null)
      return `${scan.problem.kind} at position ${scan.problem.position}: ${scan.problem.detail}`;
    if (scan.validEnd !== size) return `the batches end at ${scan.validEnd} of ${size} bytes`;
    if (from > 0 && this.nextOffset <= entryLastOffset)
      return `no batch at the last .index entry's position ${from}`;
    const relativeEnd = this.nextOffset - this.baseOffset;
    if (time.count > 0 && time.relative[time.count - 1]! >= relativeEnd) {
      return `the last .timeindex entry lies past the log end ${this.nextOffset}`;
    }
    return null;
  }

  /** The max timestamp of the batch at position 0, from its header alone (one small read). */
  private firstBatchMaxTimestamp(): number {
    const head = new Uint8Array(batchHeaderBytes);
    if (this.log.read(head, 0) < batchHeaderBytes) return -1;
    const view = new DataView(head.buffer);
    return headerFields(view, 0, batchLengthPrefixBytes + view.getInt32(8)).maxTimestampMs;
  }

  /**
   * Makes the indexes final for an inactive segment, as Kafka's `onBecomeInactiveSegment`: a last
   * time entry for the largest timestamp (so the time index alone gives the segment's max
   * timestamp at the next start), then the files written and trimmed.
   */
  finishIndexes(): void {
    this.indexesVersion += 1;
    if (this.maxTimestampMs >= 0) {
      this.time.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp - this.baseOffset);
    }
    this.persistIndexes(true);
  }

  /** Writes index entries not yet on file; with `trim`, cuts the files to exactly the entries. */
  persistIndexes(trim: boolean): void {
    if (this.index.persistedCount < this.index.count) {
      const from = this.index.persistedCount;
      this.offsetIndexFile.write(this.index.encode(from, this.index.count), from * offsetEntryBytes);
      this.index.persistedCount = this.index.count;
    }
    if (this.time.persistedCount < this.time.count) {
      const from = this.time.persistedCount;
      this.timeIndexFile.write(this.time.encode(from, this.time.count), from * timeEntryBytes);
      this.time.persistedCount = this.time.count;
    }
    if (trim) {
      this.offsetIndexFile.truncate(this.index.count * offsetEntryBytes);
      this.timeIndexFile.truncate(this.time.count * timeEntryBytes);
    }
  }

  /** Sizes the index files to their preallocated length, as Kafka does for the active segment. */
  preallocateIndexes(indexBytesMax: number): void {
    this.indexesVersion += 1;
    this.offsetIndexFile.truncate(0);
    this.timeIndexFile.truncate(0);
    this.index.persistedCount = 0;
    this.time.persistedCount = 0;
    this.offsetIndexFile.truncate(Math.floor(indexBytesMax / offsetEntryBytes) * offsetEntryBytes);
    this.timeIndexFile.truncate(Math.floor(indexBytesMax / timeEntryBytes) * timeEntryBytes);
  }

  /** Whether another index entry would overflow the preallocated index files. */
  indexFull(indexBytesMax: number): boolean {
    return (
      this.index.count >= Math.floor(indexBytesMax / offsetEntryBytes) ||
      this.time.count >= Math.floor(indexBytesMax / timeEntryBytes)
    );
  }

  close(): void {
    this.log.close();
    this.offsetIndexFile.close();
    this.timeIndexFile.close();
  }
}

/** `length` bytes at `position` of a file, or null when it holds fewer. */
function readRange(file: FileHandle, position: number, length: number): DataView | null {
  const bytes = new Uint8Array(length);
  if (file.read(bytes, position) < length) return null;
  return new DataView(bytes.buffer);
}

function readWhole(file: FileHandle): Uint8Array {
  const bytes = new Uint8Array(file.size());
  const got = file.read(bytes, 0);
  return bytes.subarray(0, got);
}
