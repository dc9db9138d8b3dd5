/**
 * One partition's segmented log, written once for both engines over the `Files` seam. It owns
 * Kafka's log rules: segments named by base offset, sparse offset and time indexes, rolling by
 * size, time and full index, retention by time and size in whole segments, truncation, recovery
 * of a torn or corrupt tail, flushing with group commit, and a hot tail of recent batches kept in
 * memory so reads of fresh data cost no syscall. It must never read the wall clock: time arrives
 * as `nowMs` arguments.
 *
 * Errors: operating failures and bad input are thrown as `StorageError` (the service turns them
 * into failed Effects); broken invariants throw `InvariantError` (a bug, a defect). A `Corrupt`
 * error found in stored data takes this partition offline until it is reopened.
 */
import { invariant } from "@eddy/core";
import {
  batchHeaderBytes,
  batchLengthPrefixBytes,
  checkBatch,
  headerFields,
  type StoredBatchHeader,
} from "@eddy/protocol";
import type { LogConfig } from "../port/log-config.ts";
import type {
  AppendResult,
  LeaderEpochEntry,
  LogInfo,
  ReadRequest,
  ReadResult,
  RetentionRequest,
  RetentionResult,
  SegmentInfo,
  TimestampMatch,
} from "../port/log-store.ts";
import { StorageError, storageError } from "../port/storage-error.ts";
import { FileFault, type Files } from "./files.ts";
import { IndexCache, indexCacheBytesDefault } from "./index-cache.ts";
import type { OffsetIndex, TimeIndex } from "./offset-index.ts";
import { relativeOffsetMax, Segment, segmentBaseFromName, segmentFileName } from "./segment.ts";
import {
  type TailBudget,
  type TailEntry,
  type TailOwner,
  tailEntryCopyInto,
  tailEntryDrop,
  tailEntryLength,
  tailEntryReadable,
} from "./tail-budget.ts";

/** Batches in one append; a produce request of a thousand partitions holds far fewer per partition. */
export const appendBatchesMax = 1 << 20;
/** Recent batches kept for reads without a syscall, by count (the byte bound is an option). */
export const tailCacheBatchesMax = 1 << 16;
/** Segments in one partition; at the default 1 GiB per segment this is a petabyte. */
export const segmentsMax = 1 << 20;
/** Entries in a leader-epoch checkpoint. */
export const leaderEpochEntriesMax = 1 << 16;
/** Bytes read at once while looking for a batch by offset or timestamp. */
export const lookupChunkBytes = 16 * 1024;
/** Rounds a flush waits through: the fsync running when it arrived, then the one covering it. */
export const flushRoundsMax = 4;

const logStartFileName = "log-start-offset-checkpoint";
const recoveryPointFileName = "recovery-point-offset-checkpoint";
const leaderEpochFileName = "leader-epoch-checkpoint";

/**
 * The chunk of headers a lookup reads, one for all logs in the process: lookups are synchronous, so
 * no two overlap, and a buffer per partition cost 16 KiB each (164 MB for 10,000 partitions, most of
 * the broker's resident memory there). `owner` is the log whose chunk it holds; another log's
 * lookup overwrites it, so a log may reuse the chunk only while it is still the owner.
 */
const sharedLookup: { readonly buffer: Uint8Array; owner: object | null } = {
  buffer: new Uint8Array(lookupChunkBytes),
  owner: null,
};

/** Settings for one partition log instance. */
export interface PartitionLogOptions {
  readonly files: Files;
  /** The partition folder. */
  readonly dir: string;
  /** `<topic>-<partition>`, for messages. */
  readonly name: string;
  readonly config: LogConfig;
  /** Bytes of recent batches kept in memory for reads. */
  readonly tailCacheBytesMax: number;
  /** The engine-wide budget all partitions' tails share (none: only `tailCacheBytesMax` bounds it). */
  readonly tailBudget?: TailBudget | undefined;
  /**
   * The engine-wide bound on loaded index mirrors of inactive segments (none: this log gets its own,
   * of `indexCacheBytesDefault`). Active segments and those whose index files are not yet fsynced
   * keep their mirrors outside it.
   */
  readonly indexCache?: IndexCache | undefined;
  /** Receives one line per recovery action or offline partition. */
  readonly logLine: (line: string) => void;
  /** Creation time for new segments (rolls by time fall back to it when batches carry no timestamp). */
  readonly nowMs: number;
  /**
   * The log directory's previous stop was clean (Kafka's `.kafka_cleanshutdown` marker was found) and
   * this log has not been opened since: its close flushed every segment and wrote the active
   * segment's indexes, so recovery trusts them and reads only the active segment's index tail.
   */
  readonly cleanShutdown?: boolean | undefined;
  /**
   * Fsync a segment in the background when it rolls, as Kafka's `roll` schedules
   * `flushUptoOffsetExclusive`, so the recovery point follows the rolls and a crash rescans only the
   * active segment (and a roll whose fsync had not finished). Off for a caller that drives the log
   * synchronously (the simulator), which must not have an asynchronous flush running.
   */
  readonly flushOnRoll?: boolean | undefined;
}

/**
 * What the last open read to recover, for tests and benchmarks: segments scanned from their first
 * byte (each a full read of its `.log`), segments opened from their index files alone, and bytes
 * read from the active segment's index tail after a clean shutdown.
 */
export interface RecoveryStats {
  readonly segmentsScanned: number;
  readonly segmentsLoaded: number;
  readonly tailBytesScanned: number;
  /**
   * The base offset of the first segment scanned in full (the log end when none was). Below it every
   * batch was fsynced before the stop, so what was made durable before those batches (the leader-epoch
   * checkpoint, written before any batch of its epoch) still describes them.
   */
  readonly scannedFromOffset: number;
  /**
   * The open trusted a clean shutdown and scanned nothing: the log is exactly as its last clean close
   * left it, so what its owner wrote beside it at that close (`cleanCloseHook`) still describes it.
   */
  readonly openedClean: boolean;
}

/**
 * Names of the small files an owner keeps beside the segments: `<20 digits>.producers.snapshot`, the
 * replica's producer state (Kafka's `<offset>.snapshot`, renamed so that it never collides with the
 * state store's own `<offset>.snapshot` documents, which may share the folder).
 */
const sideFileNamePattern = /^\d{20}\.producers\.snapshot$/;

/** One segment's share of a flush round, sized when the round was planned. */
interface FlushItem {
  readonly segment: Segment;
  readonly size: number;
  readonly indexes: boolean;
  /** The segment's `indexesVersion` when planned: a rewrite since then is not covered by this fsync. */
  readonly indexesVersion: number;
}

/** One flush round: the log end and record count it covers, and the fsyncs it needs. */
interface FlushPlan {
  readonly endOffset: number;
  readonly records: number;
  readonly work: ReadonlyArray<FlushItem>;
  readonly dirDirty: boolean;
  /** Whether this round writes (if it is behind) and fsyncs the leader-epoch checkpoint first. */
  readonly epochs: boolean;
}

function sameEpochs(a: ReadonlyArray<LeaderEpochEntry>, b: ReadonlyArray<LeaderEpochEntry>): boolean {
  return (
    a.length === b.length && a.every((e, i) => e.epoch === b[i]!.epoch && e.startOffset === b[i]!.startOffset)
  );
}

function offsetFileBytes(offset: number): Uint8Array {
  return new TextEncoder().encode(`${offset}\n`);
}

/** Maps an operating error to the port's error; StorageError passes through. */
export function toStorageError(error: unknown, subject: string): StorageError {
  if (error instanceof StorageError) return error;
  if (error instanceof FileFault) {
    if (error.code === "ENOSPC" || error.code === "EDQUOT")
      return storageError("NoSpace", subject, error.message);
    if (error.code === "ENOENT") return storageError("NotFound", subject, error.message);
    return storageError("Io", subject, error.message);
  }
  throw error;
}

export class PartitionLog implements TailOwner {
  private segments: Array<Segment> = [];
  private logStart = 0;
  private logEnd = 0;
  private flushed = 0;
  /** Every segment below this base offset is fully fsynced, indexes included (Kafka's recovery point). */
  private recoveryPoint = 0;
  private unflushedRecords = 0;
  private firstUnflushedMs = -1;
  private flushing: Promise<void> | null = null;
  private dirDirty = false;
  /** The leader-epoch cache as last given to `writeLeaderEpochsNow` or read; null before either. */
  private epochsWanted: ReadonlyArray<LeaderEpochEntry> | null = null;
  /** What the checkpoint file holds, as far as this process knows (empty when there is none). */
  private epochsOnDisk: ReadonlyArray<LeaderEpochEntry> = [];
  private epochsFileExists = false;
  /** The checkpoint known to be durable; null when unknown (read after a crash, or never synced). */
  private epochsDurable: ReadonlyArray<LeaderEpochEntry> | null = null;
  private tail: Array<TailEntry> = [];
  private tailStart = 0;
  private tailBytes = 0;
  /** The segment range last read into `sharedLookup.buffer`; valid while `sharedLookup.owner` is this log. */
  private chunkSegment: Segment | null = null;
  private chunkStart = 0;
  private chunkEnd = 0;
  /** Set when stored data is found corrupt; every later call fails with it. */
  offline: StorageError | null = null;
  closed = false;
  /** Whether `close` flushed everything and made the active indexes durable. */
  private closedCleanly = false;
  /** What `open` read to recover this log. */
  recoveryStats: RecoveryStats = {
    segmentsScanned: 0,
    segmentsLoaded: 0,
    tailBytesScanned: 0,
    scannedFromOffset: 0,
    openedClean: false,
  };
  /**
   * Runs inside a clean `close`, after the flush: the log's owner writes what it keeps beside the log
   * (the replica's producer-state snapshot, with `writeSideFileNow`). A throw makes the close unclean,
   * so no clean-shutdown marker covers a log whose side file is missing.
   */
  cleanCloseHook: (() => void) | null = null;
  /**
   * Runs after an append (or `roll`) that rolled a segment, with the log end after it: the owner
   * writes its producer-state snapshot there, as Kafka's roll does, so a crash replays only what
   * follows. Called only for logs with `flushOnRoll` (the broker's); the simulator's synchronous
   * drive writes nothing it did not ask for. A failure is logged, not thrown: the append stands.
   */
  rollHook: (() => void) | null = null;

  /** Index mirrors of inactive segments (whole index files) read since open: at open, or by a lookup. */
  inactiveIndexLoads = 0;
  private readonly indexCache: IndexCache;

  private constructor(
    private readonly options: PartitionLogOptions,
    public config: LogConfig,
  ) {
    this.indexCache = options.indexCache ?? new IndexCache(indexCacheBytesDefault);
  }

  /** Opens or creates the log in `options.dir`, recovering as described in the module header. */
  static open(options: PartitionLogOptions): PartitionLog {
    const log = new PartitionLog(options, options.config);
    try {
      log.recover();
    } catch (error) {
      const storage = toStorageError(error, options.name);
      if (storage.reason._tag !== "Corrupt") {
        log.closeHandles();
        throw storage;
      }
      log.goOffline(storage);
    }
    return log;
  }

  // ---------------------------------------------------------------- recovery

  private recover(): void {
    const { files, dir } = this.options;
    files.makeDir(dir);
    const names = files.list(dir);
    const bases: Array<number> = [];
    for (const name of names) {
      const base = segmentBaseFromName(name);
      if (base !== null) bases.push(base);
    }
    bases.sort((a, b) => a - b);
    invariant(bases.length <= segmentsMax, () => `${this.options.name}: ${bases.length} segments`);
    const baseSet = new Set(bases.map((b) => segmentFileName(b, ".log").slice(0, 20)));
    for (const name of names) {
      const stem = name.slice(0, 20);
      const orphan = /^\d{20}\.(index|timeindex)$/.test(name) && !baseSet.has(stem);
      if (orphan || name.endsWith(".tmp")) files.remove(`${dir}/${name}`);
    }
    const checkpoint = this.readOffsetFile(logStartFileName);
    if (bases.length === 0) {
      const segment = Segment.open(files, dir, checkpoint ?? 0, true, this.options.nowMs);
      segment.preallocateIndexes(this.config.indexBytesMax);
      this.segments.push(segment);
      this.dirDirty = true;
    }
    this.recoveryPoint = this.readOffsetFile(recoveryPointFileName) ?? 0;
    // After a clean shutdown every segment was flushed by the close, as if the recovery point were
    // the log end (Kafka's rule); after a crash only segments below the checkpointed point are.
    const clean = this.options.cleanShutdown === true;
    let segmentsScanned = 0;
    let segmentsLoaded = 0;
    let tailBytesScanned = 0;
    let scannedFromOffset = -1;
    /** Inactive segments whose index files were read whole: the cache takes them once the active one is known. */
    const loadedWhole: Array<Segment> = [];
    const scanning = (base: number) => {
      segmentsScanned += 1;
      if (scannedFromOffset < 0) scannedFromOffset = base;
    };
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i]!;
      const last = i === bases.length - 1;
      const indexesPresent =
        files.exists(`${dir}/${segmentFileName(base, ".index")}`) &&
        files.exists(`${dir}/${segmentFileName(base, ".timeindex")}`);
      const segment = Segment.open(files, dir, base, false, this.options.nowMs);
      this.segments.push(segment);
      if (last) break;
      const nextBase = bases[i + 1]!;
      if (base < this.recoveryPoint || clean) {
        // Below the recovery point the segment was fsynced: trust its indexes, rebuild damaged ones,
        // and treat any bad batch found on the way as corruption of durable data. The indexes are not
        // read: their last entries are checked and a lookup loads them (Kafka's lazy indexes), so a
        // start costs two small reads per old segment however much log it holds. Files that fail that
        // check are read whole, as before, and rebuilt if that fails too.
        if (indexesPresent && segment.openLazily(nextBase) === null) {
          segmentsLoaded += 1;
          continue;
        }
        const problem = indexesPresent ? segment.loadIndexes(nextBase) : "index files missing";
        if (problem === null) {
          this.inactiveIndexLoads += 1;
          loadedWhole.push(segment);
          segmentsLoaded += 1;
          continue;
        }
        this.options.logLine(`${this.options.name}: rebuilding indexes of segment ${base}: ${problem}`);
        scanning(base);
        const scan = segment.rebuild(this.config.indexIntervalBytes, true);
        // Rolls keep segments contiguous (only a gap wider than int32 offsets breaks that), so a
        // fsynced segment that ends short of the next one has lost data.
        const short = segment.nextOffset < nextBase && nextBase - segment.nextOffset <= relativeOffsetMax;
        if (scan.problem !== null || segment.nextOffset > nextBase || short) {
          const detail =
            scan.problem?.detail ??
            `segment ends at offset ${segment.nextOffset} but the next segment starts at ${nextBase}`;
          throw storageError(
            "Corrupt",
            this.options.name,
            `segment ${segmentFileName(base, ".log")} at position ${scan.problem?.position ?? segment.sizeBytes}: ${detail}`,
          );
        }
        segment.nextOffset = nextBase;
        segment.finishIndexes();
        segment.syncedBytes = segment.sizeBytes;
        continue;
      }
      // At or above the recovery point the segment may hold unsynced bytes: scan it batch by batch.
      // Segments are contiguous (a roll starts the next one at the log end), so one that ends short
      // of the next base lost its tail in the crash, and nothing after it can be trusted either.
      scanning(base);
      const scan = segment.rebuild(this.config.indexIntervalBytes, true);
      if (scan.problem === null && segment.nextOffset === nextBase) {
        segment.finishIndexes();
        continue;
      }
      const why =
        scan.problem === null
          ? `ends at offset ${segment.nextOffset} short of the next segment ${nextBase}`
          : `${scan.problem.kind === "Torn" ? "torn" : "corrupt"} at position ${scan.problem.position} (${scan.problem.detail})`;
      this.options.logLine(
        `${this.options.name}: unflushed segment ${base} ${why}; truncating it and deleting ${bases.length - i - 1} later segment(s)`,
      );
      for (const later of bases.slice(i + 1)) this.removeSegmentFiles(later);
      bases.length = i + 1;
      segment.log.truncate(scan.validEnd);
      segment.sizeBytes = scan.validEnd;
      break;
    }
    const active = this.activeSegment();
    // The active segment is trusted after a clean close only if it is the last one found on disk (a
    // crash's truncation above made an older one active) and its index tail checks out.
    const resumed =
      clean && bases.length > 0 && active.baseOffset === bases[bases.length - 1]
        ? active.resumeAfterCleanClose(this.config.indexIntervalBytes)
        : "not a clean shutdown";
    if (resumed === null) {
      segmentsLoaded += 1;
      tailBytesScanned += active.tailBytesScanned;
    } else if (clean && bases.length > 0) {
      this.options.logLine(`${this.options.name}: scanning active segment ${active.baseOffset}: ${resumed}`);
    }
    if (bases.length > 0 && resumed !== null) {
      scanning(active.baseOffset);
      const scan = active.rebuild(this.config.indexIntervalBytes, true);
      if (scan.problem !== null) {
        this.options.logLine(
          `${this.options.name}: truncating ${scan.problem.kind === "Torn" ? "torn" : "corrupt"} tail of segment ` +
            `${active.baseOffset} at position ${scan.problem.position} of ${active.log.size()}: ${scan.problem.detail}`,
        );
        active.log.truncate(scan.validEnd);
      }
    }
    if (bases.length > 0) active.preallocateIndexes(this.config.indexBytesMax);
    for (const segment of loadedWhole) if (segment !== active) this.admitIndexes(segment);
    const scannedFrom = scannedFromOffset < 0 ? active.nextOffset : scannedFromOffset;
    this.recoveryStats = {
      segmentsScanned,
      segmentsLoaded,
      tailBytesScanned,
      scannedFromOffset: scannedFrom,
      openedClean: clean && segmentsScanned === 0,
    };
    active.syncedBytes = 0;
    active.indexesSynced = false;
    this.logEnd = active.nextOffset;
    this.logStart = Math.min(Math.max(checkpoint ?? 0, this.segments[0]!.baseOffset), this.logEnd);
    this.flushed = active.baseOffset;
    // A side file above the recovered end describes batches a crash cut off: once new batches take
    // those offsets it would describe the wrong ones, so it goes now, durably.
    this.removeSideFilesAbove(this.logEnd);
    this.checkInvariants();
  }

  private readOffsetFile(name: string): number | null {
    const bytes = this.options.files.readAll(`${this.options.dir}/${name}`);
    if (bytes === null) return null;
    const value = Number(new TextDecoder().decode(bytes).trim());
    if (!Number.isSafeInteger(value) || value < 0) {
      this.options.logLine(`${this.options.name}: ignoring unreadable ${name}`);
      return null;
    }
    return value;
  }

  private async writeOffsetFile(name: string, offset: number): Promise<void> {
    await this.options.files.writeAtomic(`${this.options.dir}/${name}`, offsetFileBytes(offset));
  }

  private writeOffsetFileNow(name: string, offset: number): void {
    this.options.files.writeAtomicNow(`${this.options.dir}/${name}`, offsetFileBytes(offset));
  }

  private removeSegmentFiles(base: number): void {
    for (const ext of [".log", ".index", ".timeindex"] as const) {
      this.options.files.remove(`${this.options.dir}/${segmentFileName(base, ext)}`);
    }
  }

  private goOffline(error: StorageError): void {
    this.offline = error;
    this.options.logLine(`${this.options.name}: partition OFFLINE: ${error.message}`);
  }

  private guard(): void {
    if (this.offline !== null) throw this.offline;
    if (this.closed) throw storageError("Io", this.options.name, "partition log is closed");
  }

  private activeSegment(): Segment {
    return this.segments[this.segments.length - 1]!;
  }

  private checkInvariants(): void {
    const active = this.activeSegment();
    invariant(this.segments.length >= 1, "a log has an active segment");
    invariant(
      this.logStart >= this.segments[0]!.baseOffset,
      () => `${this.options.name}: log start below first segment`,
    );
    invariant(
      this.logStart <= this.logEnd,
      () => `${this.options.name}: log start ${this.logStart} > end ${this.logEnd}`,
    );
    invariant(active.baseOffset <= this.logEnd, () => `${this.options.name}: active base above log end`);
  }

  // ---------------------------------------------------------------- queries

  info(): LogInfo {
    this.guard();
    let sizeBytes = 0;
    for (const segment of this.segments) sizeBytes += segment.sizeBytes;
    return {
      logStartOffset: this.logStart,
      logEndOffset: this.logEnd,
      flushedOffset: Math.min(this.flushed, this.logEnd),
      sizeBytes,
      segmentCount: this.segments.length,
    };
  }

  segmentInfos(): ReadonlyArray<SegmentInfo> {
    this.guard();
    return this.segments.map((segment, i) => ({
      baseOffset: segment.baseOffset,
      nextOffset: i === this.segments.length - 1 ? this.logEnd : this.segments[i + 1]!.baseOffset,
      sizeBytes: segment.sizeBytes,
      maxTimestampMs: segment.maxTimestampMs,
      indexEntryCount: segment.offsetEntryCount,
      timeIndexEntryCount: segment.timeEntryCount,
      active: i === this.segments.length - 1,
    }));
  }

  /**
   * Bytes of index mirrors this log holds in memory, by why they are resident: the active segment's,
   * inactive segments' whose index files are not yet durable (outside the cache's bound until a flush
   * round fsyncs them), and inactive segments' the cache counts. It walks every segment, so it is for
   * tests, benchmarks and diagnostics, not for a hot path.
   */
  indexResidency(): {
    readonly activeBytes: number;
    readonly pendingBytes: number;
    readonly cachedBytes: number;
  } {
    let activeBytes = 0;
    let pendingBytes = 0;
    let cachedBytes = 0;
    const active = this.activeSegment();
    for (const segment of this.segments) {
      if (!segment.resident) continue;
      const bytes = segment.mirrorBytes();
      if (segment === active) activeBytes += bytes;
      else if (this.indexCache.has(segment)) cachedBytes += bytes;
      else {
        invariant(
          !segment.indexesSynced,
          () => `${this.options.name}: durable indexes of ${segment.baseOffset} resident outside the cache`,
        );
        pendingBytes += bytes;
      }
    }
    return { activeBytes, pendingBytes, cachedBytes };
  }

  // ---------------------------------------------------------------- append

  /** Appends whole batches; see `LogStore.append`. */
  append(bytes: Uint8Array, nowMs: number): AppendResult {
    this.guard();
    const headers = this.parseAppend(bytes);
    const first = headers[0]!;
    const last = headers[headers.length - 1]!;
    let maxTimestampMs = -1;
    let recordCount = 0;
    for (const h of headers) {
      maxTimestampMs = Math.max(maxTimestampMs, h.maxTimestampMs);
      recordCount += h.recordCount;
    }
    let active = this.activeSegment();
    const rolled = this.shouldRoll(active, bytes.length, maxTimestampMs, last.lastOffset, nowMs);
    if (rolled) {
      // Rolling at the log end keeps segments contiguous, which recovery relies on; only a gap
      // too wide for int32 relative offsets starts the new segment at the batch instead.
      const rollOffset = last.lastOffset - this.logEnd > relativeOffsetMax ? first.baseOffset : this.logEnd;
      active = this.rollAt(rollOffset, nowMs);
    }
    const position = active.sizeBytes;
    invariant(position + bytes.length <= 2 ** 31 - 1 || position === 0, "segment positions stay int32");
    try {
      active.log.write(bytes, position);
    } catch (error) {
      // Undo a partial write so the log keeps only whole batches.
      try {
        active.log.truncate(position);
      } catch (undoError) {
        this.goOffline(
          storageError("Io", this.options.name, `cannot undo a failed write: ${String(undoError)}`),
        );
      }
      throw toStorageError(error, this.options.name);
    }
    for (const h of headers) {
      const placed = { ...h, position: position + h.position };
      active.noteBatch(placed, this.config.indexIntervalBytes);
      this.tailPush(h, bytes.subarray(h.position, h.position + h.sizeBytes), active.baseOffset);
    }
    this.logEnd = last.lastOffset + 1;
    if (this.unflushedRecords === 0) this.firstUnflushedMs = nowMs;
    this.unflushedRecords += recordCount;
    invariant(active.sizeBytes === position + bytes.length, "segment size follows appends");
    invariant(active.nextOffset === this.logEnd, "active segment ends at the log end");
    if (rolled) this.afterRoll();
    return {
      firstOffset: first.baseOffset,
      lastOffset: last.lastOffset,
      logEndOffset: this.logEnd,
      segmentBaseOffset: active.baseOffset,
      position,
      batchCount: headers.length,
      recordCount,
      maxTimestampMs,
    };
  }

  private parseAppend(bytes: Uint8Array): ReadonlyArray<StoredBatchHeader> {
    const headers: Array<StoredBatchHeader> = [];
    let position = 0;
    let expected = this.logEnd;
    while (position < bytes.length) {
      if (headers.length >= appendBatchesMax) {
        throw storageError("Io", this.options.name, `more than ${appendBatchesMax} batches in one append`);
      }
      const check = checkBatch(bytes, position, bytes.length, false);
      if (check._tag !== "Batch") {
        const detail = check._tag === "End" ? "no batch" : check.detail;
        throw storageError("Corrupt", this.options.name, `append rejected at byte ${position}: ${detail}`);
      }
      const h = check.header;
      if (h.baseOffset < expected) {
        throw storageError(
          "Corrupt",
          this.options.name,
          `append rejected: batch base offset ${h.baseOffset} is below the expected ${expected}`,
        );
      }
      headers.push(h);
      expected = h.lastOffset + 1;
      position += h.sizeBytes;
    }
    if (headers.length === 0) throw storageError("Corrupt", this.options.name, "append rejected: no batches");
    return headers;
  }

  private shouldRoll(
    active: Segment,
    appendBytes: number,
    maxTimestampMs: number,
    lastOffset: number,
    nowMs: number,
  ): boolean {
    if (active.sizeBytes === 0) return false;
    const waitedMs =
      active.firstBatchTimestampMs >= 0
        ? maxTimestampMs - active.firstBatchTimestampMs
        : nowMs - active.createdMs;
    return (
      active.sizeBytes > this.config.segmentBytesMax - appendBytes ||
      waitedMs > this.config.rollMs ||
      active.indexFull(this.config.indexBytesMax) ||
      lastOffset - active.baseOffset > relativeOffsetMax
    );
  }

  /** Makes the active segment inactive and starts a new one at `baseOffset`. */
  private rollAt(baseOffset: number, nowMs: number): Segment {
    const old = this.activeSegment();
    invariant(baseOffset >= this.logEnd, () => `roll at ${baseOffset} below log end ${this.logEnd}`);
    invariant(this.segments.length < segmentsMax, "segment count limit");
    old.finishIndexes();
    old.nextOffset = baseOffset;
    const fresh = Segment.open(this.options.files, this.options.dir, baseOffset, true, nowMs);
    fresh.preallocateIndexes(this.config.indexBytesMax);
    this.segments.push(fresh);
    this.dirDirty = true;
    invariant(fresh.sizeBytes === 0, "a new segment is empty");
    if (this.options.flushOnRoll === true) {
      // The flush plans its round now (the rolled segment, its indexes, the folder) and runs on the
      // thread pool; a failure costs only a longer recovery after a crash, so it is logged, not thrown.
      this.flush().catch((error: unknown) =>
        this.options.logLine(
          `${this.options.name}: flushing the rolled segment ${old.baseOffset} failed: ${String(error)}`,
        ),
      );
    }
    return fresh;
  }

  /** Rolls unless the active segment is empty; see `LogStore.roll`. */
  roll(nowMs: number): SegmentInfo {
    this.guard();
    if (this.activeSegment().sizeBytes > 0) {
      this.rollAt(this.logEnd, nowMs);
      this.afterRoll();
    }
    return this.segmentInfos()[this.segments.length - 1]!;
  }

  // ---------------------------------------------------------------- tail cache

  /**
   * Caches one appended batch. The partition's own bound goes first (counting the new batch), then
   * the engine's budget places it and may evict any partition's oldest. A batch the budget cannot
   * hold clears this tail: the tail must stay a gapless run of the log's last batches.
   */
  private tailPush(h: StoredBatchHeader, batch: Uint8Array, segmentBase: number): void {
    const budget = this.options.tailBudget;
    if (this.options.tailCacheBytesMax <= 0 || (budget !== undefined && budget.bytesMax <= 0)) return;
    while (
      this.tail.length > this.tailStart &&
      (this.tailBytes + batch.length > this.options.tailCacheBytesMax ||
        this.tail.length - this.tailStart >= tailCacheBatchesMax)
    ) {
      this.tailShift();
    }
    const of = { baseOffset: h.baseOffset, lastOffset: h.lastOffset, segmentBase, owner: this };
    let entry: TailEntry | null;
    if (budget !== undefined) {
      entry = budget.admit(of, batch);
    } else {
      // A copy: the caller may reuse its buffer once the append has returned.
      const kept = batch.slice();
      entry = { ...of, bytes: kept, live: true };
    }
    if (entry === null) {
      this.tailClear();
      return;
    }
    this.tail.push(entry);
    this.tailBytes += tailEntryLength(entry);
    if (this.tailStart > 1024 && this.tailStart * 2 > this.tail.length) {
      this.tail = this.tail.slice(this.tailStart);
      this.tailStart = 0;
    }
  }

  /** Drops the oldest cached batch. */
  private tailShift(): void {
    const oldest = this.tail[this.tailStart]!;
    this.tailBytes -= tailEntryLength(oldest);
    this.tailStart += 1;
    this.tailRelease(oldest);
  }

  /** See `TailOwner.evictOldest`: the shared budget evicts in append order, so it is always our oldest. */
  evictOldest(entry: TailEntry): void {
    invariant(
      this.tail.length > this.tailStart && this.tail[this.tailStart] === entry,
      () => `${this.options.name}: the tail budget evicts this partition's oldest cached batch`,
    );
    this.tailShift();
  }

  /** Uncounts a dropped batch and lets go of its bytes (a dropped entry may stay queued a while). */
  private tailRelease(entry: TailEntry): void {
    const budget = this.options.tailBudget;
    if (budget !== undefined) budget.release(entry);
    else tailEntryDrop(entry);
  }

  private tailDropFrom(offset: number): void {
    while (this.tail.length > this.tailStart && this.tail[this.tail.length - 1]!.lastOffset >= offset) {
      const dropped = this.tail.pop()!;
      this.tailBytes -= tailEntryLength(dropped);
      this.tailRelease(dropped);
    }
  }

  private tailClear(): void {
    for (let k = this.tailStart; k < this.tail.length; k++) this.tailRelease(this.tail[k]!);
    this.tail = [];
    this.tailStart = 0;
    this.tailBytes = 0;
  }

  // ---------------------------------------------------------------- read

  /** Reads whole batches; see `LogStore.read`. */
  read(request: ReadRequest): ReadResult {
    this.guard();
    const { fetchOffset } = request;
    if (!Number.isSafeInteger(fetchOffset) || fetchOffset < this.logStart || fetchOffset > this.logEnd) {
      throw storageError(
        "NotFound",
        this.options.name,
        `offset ${fetchOffset} is outside the log [${this.logStart}, ${this.logEnd}]`,
      );
    }
    const limit = Math.min(request.maxOffsetExclusive ?? this.logEnd, this.logEnd);
    const minOneBatch = request.minOneBatch ?? true;
    // NaN reads nothing; Infinity and huge values mean "no byte limit" (a segment is below 2 GiB).
    const maxBytes = Number.isNaN(request.maxBytes)
      ? 0
      : Math.min(Math.max(0, Math.floor(request.maxBytes)), 2 ** 31 - 1);
    const empty = this.result(new Uint8Array(0), 0, fetchOffset);
    if (fetchOffset >= limit) return empty;
    this.chunkSegment = null;
    if (this.tail.length > this.tailStart && this.tail[this.tailStart]!.baseOffset <= fetchOffset) {
      return this.readTail(fetchOffset, maxBytes, limit, minOneBatch);
    }
    let i = this.segmentIndexFor(fetchOffset);
    for (; i < this.segments.length; i++) {
      const segment = this.segments[i]!;
      const position = this.findPosition(segment, fetchOffset);
      if (position >= 0)
        return this.readSegment(segment, position, maxBytes, limit, minOneBatch, fetchOffset);
    }
    return empty;
  }

  private result(records: Uint8Array, batchCount: number, nextOffset: number): ReadResult {
    return { records, batchCount, nextOffset, logStartOffset: this.logStart, logEndOffset: this.logEnd };
  }

  private readTail(fetchOffset: number, maxBytes: number, limit: number, minOneBatch: boolean): ReadResult {
    let low = this.tailStart;
    let high = this.tail.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.tail[mid]!.lastOffset < fetchOffset) low = mid + 1;
      else high = mid;
    }
    const first = this.tail[low]!;
    if (first.lastOffset < fetchOffset || first.lastOffset >= limit)
      return this.result(new Uint8Array(0), 0, fetchOffset);
    let total = 0;
    let end = low;
    for (; end < this.tail.length; end++) {
      const entry = this.tail[end]!;
      if (entry.lastOffset >= limit || entry.segmentBase !== first.segmentBase) break;
      const length = tailEntryLength(entry);
      if (total + length > maxBytes && !(end === low && minOneBatch)) break;
      total += length;
    }
    if (end === low) return this.result(new Uint8Array(0), 0, fetchOffset);
    const nextOffset = this.tail[end - 1]!.lastOffset + 1;
    if (end === low + 1) return this.result(tailEntryReadable(first), 1, nextOffset);
    const records = new Uint8Array(total);
    let at = 0;
    for (let k = low; k < end; k++) {
      at += tailEntryCopyInto(this.tail[k]!, records, at);
    }
    return this.result(records, end - low, nextOffset);
  }

  /** The segment whose range holds `offset` (binary search on base offsets). */
  private segmentIndexFor(offset: number): number {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  /**
   * The index mirrors of `segment`, reloaded from its files when the cache dropped them. The caller
   * uses the returned columns at once: a later load may evict them from the segment.
   */
  private indexesOf(segment: Segment): { readonly index: OffsetIndex; readonly time: TimeIndex } {
    if (segment.resident) {
      this.indexCache.touch(segment);
      return { index: segment.index, time: segment.time };
    }
    this.inactiveIndexLoads += 1;
    const problem = segment.reloadIndexes();
    if (problem !== null) this.rebuildIndexes(segment, problem);
    const mirrors = { index: segment.index, time: segment.time };
    // A truncation loads the segment it makes active: that one keeps its mirrors outside the cache.
    if (segment.indexesSynced && segment !== this.activeSegment()) this.admitIndexes(segment);
    return mirrors;
  }

  /**
   * Rebuilds an inactive segment's mirrors from its log when its index files are missing or do not
   * match what the segment holds. Kafka does the same (its log loading deletes a corrupt index and
   * recovers the segment from the log): the index is only a map derived from the log, which is the
   * data, so failing the read would make intact records unreadable over a repairable file. Damage in
   * the log itself is corruption of durable data and takes the partition offline, as a read does.
   */
  private rebuildIndexes(segment: Segment, problem: string): void {
    this.options.logLine(
      `${this.options.name}: rebuilding indexes of segment ${segment.baseOffset}: ${problem}`,
    );
    const scanProblem = segment.rebuildInactive(this.config.indexIntervalBytes);
    if (scanProblem !== null) this.corrupt(segment, scanProblem.position, scanProblem.detail);
    try {
      segment.writeRebuiltIndexes(this.options.files);
    } catch (error) {
      if (!(error instanceof FileFault)) throw error;
      // The mirrors stay resident until a flush makes the files durable; the read goes on.
      this.options.logLine(
        `${this.options.name}: writing the rebuilt indexes of segment ${segment.baseOffset} failed: ${error.message}`,
      );
    }
  }

  /** Hands a resident inactive segment whose index files are durable to the cache, which may drop it. */
  private admitIndexes(segment: Segment): void {
    invariant(segment !== this.activeSegment(), "the active segment keeps its mirrors");
    invariant(segment.indexesSynced, "only durable indexes may be dropped");
    segment.compactIndexes();
    this.indexCache.admit(segment);
  }

  /**
   * Position of the first batch in `segment` whose last offset is >= `offset`, or -1: a binary
   * search in the index, then a short scan of headers read in one chunk.
   */
  private findPosition(segment: Segment, offset: number): number {
    const { index } = this.indexesOf(segment);
    const slot = index.floor(offset - segment.baseOffset);
    const from = slot < 0 ? 0 : index.position[slot]!;
    const found = this.scanFor(segment, from, (h) => h.lastOffset >= offset);
    return found === null ? -1 : found.position;
  }

  /** Scans headers from `from` to the segment end for the first batch matching `wanted`. */
  private scanFor(
    segment: Segment,
    from: number,
    wanted: (header: StoredBatchHeader) => boolean,
  ): StoredBatchHeader | null {
    const buffer = sharedLookup.buffer;
    sharedLookup.owner = this;
    this.chunkSegment = segment;
    this.chunkStart = 0;
    this.chunkEnd = 0;
    let position = from;
    const end = segment.sizeBytes;
    const stepsMax = Math.ceil((end - from) / batchHeaderBytes) + 1;
    for (let step = 0; step < stepsMax && position < end; step++) {
      if (position + batchHeaderBytes > this.chunkEnd || position < this.chunkStart) {
        const length = Math.min(buffer.length, end - position);
        this.chunkStart = position;
        this.chunkEnd = position + segment.log.read(buffer.subarray(0, length), position);
      }
      const header = this.headerAt(
        segment,
        buffer,
        position - this.chunkStart,
        this.chunkEnd - this.chunkStart,
        position,
      );
      if (wanted(header)) return header;
      position += header.sizeBytes;
    }
    return null;
  }

  private headerAt(
    segment: Segment,
    buffer: Uint8Array,
    at: number,
    available: number,
    position: number,
  ): StoredBatchHeader {
    if (available - at < batchHeaderBytes) {
      this.corrupt(segment, position, `a batch header runs past the end of the segment`);
    }
    const view = new DataView(buffer.buffer, buffer.byteOffset + at, batchHeaderBytes);
    const batchLength = view.getInt32(8);
    const baseOffset = view.getInt32(0) * 4294967296 + view.getUint32(4);
    if (
      batchLength < batchHeaderBytes - batchLengthPrefixBytes ||
      view.getInt8(16) !== 2 ||
      baseOffset < segment.baseOffset
    ) {
      this.corrupt(
        segment,
        position,
        `invalid batch header (length ${batchLength}, magic ${view.getInt8(16)})`,
      );
    }
    return headerFields(view, position, batchLengthPrefixBytes + batchLength);
  }

  private corrupt(segment: Segment, position: number, detail: string): never {
    const error = storageError(
      "Corrupt",
      this.options.name,
      `segment ${segmentFileName(segment.baseOffset, ".log")} at position ${position}: ${detail}`,
    );
    this.goOffline(error);
    throw error;
  }

  private readSegment(
    segment: Segment,
    position: number,
    maxBytes: number,
    limit: number,
    minOneBatch: boolean,
    fetchOffset: number,
  ): ReadResult {
    const remaining = segment.sizeBytes - position;
    let wanted = Math.min(Math.max(maxBytes, batchHeaderBytes), remaining);
    let bytes = this.readRange(segment, position, wanted);
    let got = bytes.length;
    let at = 0;
    let count = 0;
    let nextOffset = fetchOffset;
    while (at < got) {
      if (got - at < batchHeaderBytes) {
        if (count === 0) this.corrupt(segment, position, "a batch header runs past the end of the segment");
        break;
      }
      const header = this.headerAt(segment, bytes, at, got, position + at);
      if (header.lastOffset >= limit) break;
      if (at + header.sizeBytes > Math.min(got, maxBytes)) {
        if (count > 0 || !minOneBatch) break;
        if (header.sizeBytes > remaining) this.corrupt(segment, position, "batch runs past the segment end");
        wanted = header.sizeBytes;
        bytes = this.readRange(segment, position, wanted);
        got = bytes.length;
        if (got < wanted) this.corrupt(segment, position, "short read of a whole batch");
      }
      at += header.sizeBytes;
      count += 1;
      nextOffset = header.lastOffset + 1;
      if (at >= maxBytes) break;
    }
    return this.result(count === 0 ? new Uint8Array(0) : bytes.subarray(0, at), count, nextOffset);
  }

  /**
   * Bytes `[position, position + length)` of a segment: copied from the lookup chunk when the
   * index scan just read them (no syscall), else one pread into a fresh, unzeroed buffer.
   */
  private readRange(segment: Segment, position: number, length: number): Uint8Array {
    const chunkHeld = sharedLookup.owner === this && this.chunkSegment === segment;
    if (chunkHeld && position >= this.chunkStart && position + length <= this.chunkEnd) {
      const at = position - this.chunkStart;
      return sharedLookup.buffer.slice(at, at + length);
    }
    const bytes = allocUnzeroed(length);
    const got = segment.log.read(bytes, position);
    return bytes.subarray(0, got);
  }

  // ---------------------------------------------------------------- timestamps

  /** See `LogStore.offsetForTimestamp`. */
  offsetForTimestamp(timestampMs: number): TimestampMatch | null {
    this.guard();
    for (const segment of this.segments) {
      if (segment.maxTimestampMs < timestampMs || segment.sizeBytes === 0) continue;
      const { index, time } = this.indexesOf(segment);
      const slot = time.floor(timestampMs);
      const startOffset = slot < 0 ? segment.baseOffset : segment.baseOffset + time.relative[slot]!;
      const indexSlot = index.floor(startOffset - segment.baseOffset);
      const from = indexSlot < 0 ? 0 : index.position[indexSlot]!;
      const found = this.scanFor(
        segment,
        from,
        (h) => h.maxTimestampMs >= timestampMs && h.lastOffset >= this.logStart,
      );
      if (found !== null) {
        return {
          baseOffset: found.baseOffset,
          lastOffset: found.lastOffset,
          maxTimestampMs: found.maxTimestampMs,
        };
      }
    }
    return null;
  }

  // ---------------------------------------------------------------- truncation and deletion

  /** See `LogStore.truncateTo`. */
  truncateTo(offset: number): LogInfo {
    this.guard();
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw storageError("NotFound", this.options.name, `cannot truncate to offset ${offset}`);
    }
    if (offset >= this.logEnd) return this.info();
    if (offset < this.segments[0]!.baseOffset) {
      throw storageError(
        "NotFound",
        this.options.name,
        `truncate to ${offset} is below the first segment ${this.segments[0]!.baseOffset}; use truncateFullyAndStartAt`,
      );
    }
    // Snapshots are named by a batch boundary, so those at or below `offset` describe only batches
    // the truncation keeps; the others go first, durably, so no crash leaves one over new batches.
    this.removeSideFilesAbove(offset);
    while (this.segments.length > 1 && this.activeSegment().baseOffset > offset) {
      this.deleteSegment(this.segments.pop()!);
    }
    const active = this.activeSegment();
    const position = this.findPosition(active, offset);
    // The segment is active again: appends will update its mirrors, so the cache must not drop them.
    this.indexCache.remove(active);
    if (position >= 0) active.log.truncate(position);
    // Rebuilding the mirrors of the (possibly older, now active) segment restores its roll state.
    const scan = active.rebuild(this.config.indexIntervalBytes, false);
    if (scan.problem !== null) this.corrupt(active, scan.problem.position, scan.problem.detail);
    active.preallocateIndexes(this.config.indexBytesMax);
    active.syncedBytes = Math.min(active.syncedBytes, active.sizeBytes);
    active.indexesSynced = false;
    this.tailDropFrom(offset);
    // The log end becomes the end of the last whole batch kept (Kafka sets it to `offset`, which
    // differs only when `offset` falls inside a batch, never for a follower's epoch boundary).
    this.logEnd = active.nextOffset;
    this.logStart = Math.min(this.logStart, this.logEnd);
    this.flushed = Math.min(this.flushed, this.logEnd);
    if (this.recoveryPoint > active.baseOffset) {
      // A recovery point above the new active segment would let later unsynced segments be trusted.
      this.options.files.remove(`${this.options.dir}/${recoveryPointFileName}`);
      this.recoveryPoint = 0;
    }
    this.checkInvariants();
    return this.info();
  }

  /** See `LogStore.truncateFullyAndStartAt`. */
  async truncateFullyAndStartAt(offset: number, nowMs: number): Promise<LogInfo> {
    this.checkFullTruncation(offset);
    await this.writeOffsetFile(logStartFileName, offset);
    this.restartAt(offset, nowMs);
    await this.writeOffsetFile(recoveryPointFileName, offset);
    this.checkInvariants();
    return this.info();
  }

  /** `truncateFullyAndStartAt`, completed before returning (the simulator's synchronous drive). */
  truncateFullyAndStartAtNow(offset: number, nowMs: number): LogInfo {
    this.checkFullTruncation(offset);
    this.writeOffsetFileNow(logStartFileName, offset);
    this.restartAt(offset, nowMs);
    this.writeOffsetFileNow(recoveryPointFileName, offset);
    this.checkInvariants();
    return this.info();
  }

  private checkFullTruncation(offset: number): void {
    this.guard();
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw storageError("NotFound", this.options.name, `cannot start the log at offset ${offset}`);
    }
  }

  /** Drops every segment and starts one empty segment at `offset`; the log-start checkpoint is already written. */
  private restartAt(offset: number, nowMs: number): void {
    // Side files describe the batches being dropped: none may survive into the new history.
    this.removeSideFilesAbove(-1);
    for (const segment of this.segments.splice(0)) this.deleteSegment(segment);
    const fresh = Segment.open(this.options.files, this.options.dir, offset, true, nowMs);
    fresh.preallocateIndexes(this.config.indexBytesMax);
    this.segments.push(fresh);
    this.dirDirty = true;
    this.tailClear();
    this.logStart = offset;
    this.logEnd = offset;
    this.flushed = offset;
    this.recoveryPoint = offset;
  }

  /** See `LogStore.advanceLogStart`. */
  async advanceLogStart(offset: number): Promise<LogInfo> {
    if (!this.logStartMoves(offset)) return this.info();
    await this.writeOffsetFile(logStartFileName, offset);
    return this.moveLogStart(offset);
  }

  /** `advanceLogStart`, completed before returning. */
  advanceLogStartNow(offset: number): LogInfo {
    if (!this.logStartMoves(offset)) return this.info();
    this.writeOffsetFileNow(logStartFileName, offset);
    return this.moveLogStart(offset);
  }

  /** Checks a log-start request; false when the log already starts at or past it. */
  private logStartMoves(offset: number): boolean {
    this.guard();
    if (!Number.isSafeInteger(offset) || offset > this.logEnd) {
      throw storageError(
        "NotFound",
        this.options.name,
        `log start ${offset} is beyond the log end ${this.logEnd}`,
      );
    }
    return offset > this.logStart;
  }

  /** Moves the log start once its checkpoint is durable, deleting the segments wholly below it. */
  private moveLogStart(offset: number): LogInfo {
    this.logStart = Math.max(this.logStart, offset);
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this.logStart) {
      this.deleteSegment(this.segments.shift()!);
    }
    this.checkInvariants();
    return this.info();
  }

  /** See `LogStore.applyRetention`. */
  applyRetention(request: RetentionRequest): RetentionResult {
    this.guard();
    const limit = Math.min(request.offsetLimit ?? this.logEnd, this.logEnd);
    let deletedSegmentCount = 0;
    let deletedBytes = 0;
    let total = 0;
    for (const segment of this.segments) total += segment.sizeBytes;
    const { retentionMs, retentionBytesMax } = this.config;
    const deletable = (i: number, byTime: boolean, excessBytes: number): boolean => {
      const segment = this.segments[i]!;
      const upper = i + 1 < this.segments.length ? this.segments[i + 1]!.baseOffset : this.logEnd;
      if (upper > limit || segment.sizeBytes === 0) return false;
      if (upper <= this.logStart && i + 1 < this.segments.length) return true;
      if (byTime && segment.maxTimestampMs >= 0 && request.nowMs - segment.maxTimestampMs > retentionMs)
        return true;
      return retentionBytesMax >= 0 && excessBytes - segment.sizeBytes >= 0;
    };
    let count = 0;
    let excess = retentionBytesMax >= 0 ? total - retentionBytesMax : 0;
    while (count < this.segments.length && deletable(count, retentionMs >= 0, excess)) {
      excess -= this.segments[count]!.sizeBytes;
      count += 1;
    }
    if (count === 0) return { deletedSegmentCount, deletedBytes, logStartOffset: this.logStart };
    // Kafka rolls first when every segment is to go, so that the log keeps an active segment.
    if (count === this.segments.length) this.rollAt(this.logEnd, request.nowMs);
    for (let k = 0; k < count; k++) {
      const segment = this.segments.shift()!;
      deletedBytes += segment.sizeBytes;
      deletedSegmentCount += 1;
      this.deleteSegment(segment);
    }
    this.logStart = Math.max(this.logStart, this.segments[0]!.baseOffset);
    this.checkInvariants();
    return { deletedSegmentCount, deletedBytes, logStartOffset: this.logStart };
  }

  private deleteSegment(segment: Segment): void {
    this.indexCache.remove(segment);
    segment.deleted = true;
    segment.close();
    this.removeSegmentFiles(segment.baseOffset);
    this.dirDirty = true;
  }

  // ---------------------------------------------------------------- flush

  /** Whether `flushIntervalMessages` or `flushIntervalMs` asks for a flush now. */
  flushDue(nowMs: number): boolean {
    if (this.unflushedRecords === 0) return false;
    return (
      this.unflushedRecords >= this.config.flushIntervalMessages ||
      nowMs - this.firstUnflushedMs >= this.config.flushIntervalMs
    );
  }

  /**
   * Fsyncs everything appended so far. Callers arriving while an fsync runs wait for it and then
   * share the next one, so one fsync covers every append waiting for it (group commit).
   */
  async flush(): Promise<number> {
    this.guard();
    const target = this.logEnd;
    for (let round = 0; round < flushRoundsMax && this.needsFlush(target); round++) {
      if (this.flushing !== null) {
        await this.flushing.catch(() => undefined);
        continue;
      }
      const running = this.flushOnce().finally(() => {
        if (this.flushing === running) this.flushing = null;
      });
      this.flushing = running;
      await running;
    }
    if (this.needsFlush(target)) {
      throw storageError("Io", this.options.name, "flush did not complete after repeated attempts");
    }
    return Math.min(this.flushed, this.logEnd);
  }

  private needsFlush(target: number): boolean {
    return (
      Math.min(this.flushed, this.logEnd) < Math.min(target, this.logEnd) ||
      this.dirDirty ||
      this.epochSyncNeeded() ||
      this.indexesPending()
    );
  }

  /**
   * Whether an inactive segment's index files are not yet fsynced: a segment rebuilt at open after a
   * crash may have its whole log flushed and still need them, and a clean close must not leave them
   * behind, since the next start trusts them without reading them (`openLazily`). Only segments from
   * the recovery point on are looked at: below it every segment's indexes are durable.
   */
  private indexesPending(): boolean {
    for (let i = this.segmentIndexFor(this.recoveryPoint); i < this.segments.length - 1; i++) {
      if (!this.segments[i]!.indexesSynced) return true;
    }
    return false;
  }

  /**
   * Whether the leader-epoch checkpoint must be written or made durable before the recovery point
   * moves or a clean close completes. It is written late and without an fsync (`writeLeaderEpochsNow`),
   * and a start completes it only from the batches it scans (after the recovery point; none after a
   * clean close), so its entries for records the log holds must be on disk and durable by then.
   * Entries at or past the log end describe no record (the core drops them when it opens; Kafka's
   * next epoch at the same offset replaces them), so a change there alone, such as the new epoch
   * every restart gives an empty partition, needs neither a write nor an fsync.
   */
  private epochSyncNeeded(): boolean {
    if (this.logEnd <= this.logStart) return false;
    const wanted = this.epochsWanted ?? this.epochsOnDisk;
    if (!this.sameEpochsBelowEnd(wanted, this.epochsOnDisk)) return true;
    if (!this.epochsFileExists) return false;
    const durable = this.epochsDurable;
    return durable === null || !this.sameEpochsBelowEnd(durable, this.epochsOnDisk);
  }

  private sameEpochsBelowEnd(
    a: ReadonlyArray<LeaderEpochEntry>,
    b: ReadonlyArray<LeaderEpochEntry>,
  ): boolean {
    const below = (entries: ReadonlyArray<LeaderEpochEntry>) =>
      entries.filter((e) => e.startOffset < this.logEnd);
    return sameEpochs(below(a), below(b));
  }

  /** Writes the wanted checkpoint if the file differs from it below the log end; returns what the file holds. */
  private epochsForSync(): ReadonlyArray<LeaderEpochEntry> {
    const wanted = this.epochsWanted;
    if (wanted !== null && !this.sameEpochsBelowEnd(wanted, this.epochsOnDisk)) this.writeEpochFile(wanted);
    return this.epochsOnDisk;
  }

  private writeEpochFile(entries: ReadonlyArray<LeaderEpochEntry>): void {
    this.options.files.replaceNow(this.leaderEpochPath(), this.leaderEpochBytes(entries));
    this.epochsOnDisk = entries;
    this.epochsFileExists = true;
  }

  /**
   * `flush`, completed before returning: one round of fsyncs covering everything appended so far.
   * For a caller that owns the log alone (the simulator, tools); it must not overlap an
   * asynchronous `flush`.
   */
  flushNow(): number {
    this.guard();
    invariant(this.flushing === null, "flushNow while an asynchronous flush runs");
    const plan = this.flushPlan();
    try {
      const epochs = plan.epochs ? this.epochsForSync() : null;
      if (epochs !== null) this.options.files.syncFileNow(this.leaderEpochPath());
      if (plan.dirDirty || epochs !== null) this.options.files.syncDirNow(this.options.dir);
      if (epochs !== null) this.epochsDurable = epochs;
      for (const item of plan.work) {
        if (item.segment.deleted) continue;
        try {
          item.segment.log.syncNow();
          if (item.indexes) {
            item.segment.offsetIndexFile.syncNow();
            item.segment.timeIndexFile.syncNow();
          }
        } catch (error) {
          if (item.segment.deleted) continue;
          throw error;
        }
        this.segmentSynced(item);
      }
    } catch (error) {
      this.flushFailed(plan, error);
    }
    const point = this.flushDone(plan);
    if (point !== null) {
      this.writeOffsetFileNow(recoveryPointFileName, point);
      this.recoveryPoint = Math.max(this.recoveryPoint, point);
    }
    return Math.min(this.flushed, this.logEnd);
  }

  private async flushOnce(): Promise<void> {
    const plan = this.flushPlan();
    try {
      const epochs = plan.epochs ? this.epochsForSync() : null;
      if (epochs !== null) await this.options.files.syncFile(this.leaderEpochPath());
      if (plan.dirDirty || epochs !== null) await this.options.files.syncDir(this.options.dir);
      if (epochs !== null) this.epochsDurable = epochs;
      for (const item of plan.work) {
        if (item.segment.deleted) continue;
        try {
          await item.segment.log.sync();
          if (item.indexes) {
            await item.segment.offsetIndexFile.sync();
            await item.segment.timeIndexFile.sync();
          }
        } catch (error) {
          if (item.segment.deleted) continue;
          throw error;
        }
        this.segmentSynced(item);
      }
    } catch (error) {
      this.flushFailed(plan, error);
    }
    const point = this.flushDone(plan);
    if (point !== null) {
      await this.writeOffsetFile(recoveryPointFileName, point);
      this.recoveryPoint = Math.max(this.recoveryPoint, point);
    }
  }

  /** What one flush round must fsync: taken before any fsync starts, so appends during it wait for the next. */
  private flushPlan(): FlushPlan {
    const work: Array<FlushItem> = [];
    for (const segment of this.segments) {
      const active = segment === this.activeSegment();
      const indexes = !active && !segment.indexesSynced;
      if (segment.syncedBytes < segment.sizeBytes || indexes)
        work.push({ segment, size: segment.sizeBytes, indexes, indexesVersion: segment.indexesVersion });
    }
    const epochs = this.epochSyncNeeded();
    const plan = {
      endOffset: this.logEnd,
      records: this.unflushedRecords,
      work,
      dirDirty: this.dirDirty,
      epochs,
    };
    this.dirDirty = false;
    return plan;
  }

  private segmentSynced(item: FlushItem): void {
    const { segment } = item;
    // A segment made active again (a truncation) or rewritten while the fsync ran is not covered by it.
    if (item.indexes && segment.indexesVersion === item.indexesVersion && segment !== this.activeSegment()) {
      segment.indexesSynced = true;
      // Its index files are durable now, so its mirrors may be dropped: the cache takes them.
      if (!segment.deleted && !this.closed && segment.resident) this.admitIndexes(segment);
    }
    item.segment.syncedBytes = Math.max(
      item.segment.syncedBytes,
      Math.min(item.size, item.segment.sizeBytes),
    );
  }

  private flushFailed(plan: FlushPlan, error: unknown): never {
    this.dirDirty = this.dirDirty || plan.dirDirty;
    throw toStorageError(error, this.options.name);
  }

  /** Records a completed round; returns the recovery point to write, or null when it did not move. */
  private flushDone(plan: FlushPlan): number | null {
    this.flushed = Math.max(this.flushed, Math.min(plan.endOffset, this.logEnd));
    this.unflushedRecords = Math.max(0, this.unflushedRecords - plan.records);
    const point = this.durableBase();
    return point > this.recoveryPoint ? point : null;
  }

  /** Base offset of the first segment not wholly fsynced (the active one when all others are). */
  private durableBase(): number {
    for (let i = 0; i < this.segments.length - 1; i++) {
      const segment = this.segments[i]!;
      if (segment.syncedBytes < segment.sizeBytes || !segment.indexesSynced) return segment.baseOffset;
    }
    return this.activeSegment().baseOffset;
  }

  // ---------------------------------------------------------------- leader epochs

  /** Reads Kafka's `leader-epoch-checkpoint` text format: version, count, then `epoch offset` lines. */
  readLeaderEpochs(): ReadonlyArray<LeaderEpochEntry> {
    this.guard();
    // A write this process put off (it changed nothing below the log end) is the checkpoint now.
    const wanted = this.epochsWanted;
    if (wanted !== null && !sameEpochs(wanted, this.epochsOnDisk)) return wanted.map((e) => ({ ...e }));
    const bytes = this.options.files.readAll(this.leaderEpochPath());
    if (bytes === null) {
      // No file: nothing to make durable; a start reads such a log whole, and a flush writes it.
      this.epochsWanted = [];
      this.epochsOnDisk = [];
      this.epochsFileExists = false;
      return [];
    }
    const lines = new TextDecoder()
      .decode(bytes)
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 0);
    const bad = (why: string) => storageError("Corrupt", this.options.name, `${leaderEpochFileName}: ${why}`);
    if (lines[0] !== "0") throw bad(`unknown version ${lines[0]}`);
    const count = Number(lines[1]);
    if (
      !Number.isSafeInteger(count) ||
      count < 0 ||
      count > leaderEpochEntriesMax ||
      lines.length !== count + 2
    ) {
      throw bad(`entry count ${lines[1]} does not match ${lines.length - 2} lines`);
    }
    const entries = lines.slice(2).map((line) => {
      const [epoch, startOffset] = line.split(/\s+/).map(Number);
      if (!Number.isSafeInteger(epoch) || !Number.isSafeInteger(startOffset)) throw bad(`bad line "${line}"`);
      return { epoch: epoch!, startOffset: startOffset! };
    });
    return this.epochsRead(entries);
  }

  /**
   * Notes what the checkpoint held when read. After a clean close it is durable as far as it
   * describes records (that close made it so); after a crash it may be a replacement the crash
   * had not written yet, so the first flush makes it durable.
   */
  private epochsRead(entries: ReadonlyArray<LeaderEpochEntry>): ReadonlyArray<LeaderEpochEntry> {
    this.epochsWanted = entries.map((e) => ({ ...e }));
    this.epochsOnDisk = this.epochsWanted;
    this.epochsFileExists = true;
    this.epochsDurable = this.recoveryStats.openedClean ? this.epochsOnDisk : null;
    return entries;
  }

  private leaderEpochPath(): string {
    return `${this.options.dir}/${leaderEpochFileName}`;
  }

  async writeLeaderEpochs(entries: ReadonlyArray<LeaderEpochEntry>): Promise<void> {
    const bytes = this.leaderEpochBytes(entries);
    await this.options.files.writeAtomic(this.leaderEpochPath(), bytes);
    this.epochsWanted = entries.map((e) => ({ ...e }));
    this.epochsOnDisk = this.epochsWanted;
    this.epochsFileExists = true;
    this.epochsDurable = this.epochsOnDisk;
  }

  /**
   * Replaces the checkpoint without an fsync, and only when it changed below the log end: a change
   * at or past the end (a new epoch no record has yet) waits for the flush or clean close that finds
   * records under it (`epochSyncNeeded`), which also makes it durable. Kafka writes and fsyncs here
   * (LeaderEpochFileCache.assign); this log instead relies on a start completing the cache from every
   * batch after the recovery point, which is what lets 10,000 partitions take a new epoch at each
   * start without two file operations and two fsyncs each on the event loop.
   */
  writeLeaderEpochsNow(entries: ReadonlyArray<LeaderEpochEntry>): void {
    this.leaderEpochBytes(entries);
    const wanted = entries.map((e) => ({ epoch: e.epoch, startOffset: e.startOffset }));
    this.epochsWanted = wanted;
    if (sameEpochs(wanted, this.epochsOnDisk) || this.sameEpochsBelowEnd(wanted, this.epochsOnDisk)) return;
    this.writeEpochFile(wanted);
  }

  /** Checks the entries and renders Kafka's checkpoint text. */
  private leaderEpochBytes(entries: ReadonlyArray<LeaderEpochEntry>): Uint8Array {
    this.guard();
    if (entries.length > leaderEpochEntriesMax) {
      throw storageError(
        "Io",
        this.options.name,
        `${entries.length} leader epochs exceed ${leaderEpochEntriesMax}`,
      );
    }
    for (let i = 1; i < entries.length; i++) {
      if (
        entries[i]!.epoch <= entries[i - 1]!.epoch ||
        entries[i]!.startOffset < entries[i - 1]!.startOffset
      ) {
        throw storageError(
          "Io",
          this.options.name,
          `leader epochs must increase: ${JSON.stringify(entries)}`,
        );
      }
    }
    const text = `0\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}\n`).join("")}`;
    return new TextEncoder().encode(text);
  }

  // ---------------------------------------------------------------- side files

  /** Checks a side-file name: `<20 digits>.producers.snapshot`, nothing the log itself owns. */
  private sideFilePath(name: string): string {
    invariant(sideFileNamePattern.test(name), () => `${this.options.name}: side file name ${name}`);
    return `${this.options.dir}/${name}`;
  }

  /** Replaces a small file beside the segments durably (temporary file, fsync, rename, fsync the folder). */
  writeSideFileNow(name: string, bytes: Uint8Array): void {
    this.options.files.writeAtomicNow(this.sideFilePath(name), bytes);
  }

  /** The side files present, by name. */
  sideFileNames(): ReadonlyArray<string> {
    return this.options.files.list(this.options.dir).filter((name) => sideFileNamePattern.test(name));
  }

  /** Reads a side file, or null when it does not exist. */
  readSideFile(name: string): Uint8Array | null {
    return this.options.files.readAll(this.sideFilePath(name));
  }

  /** Removes a side file (not durably: for files that describe batches still in the log). */
  removeSideFile(name: string): void {
    this.options.files.remove(this.sideFilePath(name));
  }

  /** The offset a side file is named by. */
  static sideFileOffset(name: string): number {
    return Number(name.slice(0, 20));
  }

  /**
   * Removes, durably, every side file named by an offset above `offset`: after a truncation or a cut
   * tail they describe batches that are gone, and new batches will take their offsets.
   */
  private removeSideFilesAbove(offset: number): void {
    const above = this.sideFileNames().filter((name) => PartitionLog.sideFileOffset(name) > offset);
    if (above.length === 0) return;
    for (const name of above) this.options.files.remove(this.sideFilePath(name));
    this.options.files.syncDirNow(this.options.dir);
  }

  /** Runs the owner's roll hook (see `rollHook`). */
  private afterRoll(): void {
    if (this.options.flushOnRoll !== true || this.rollHook === null) return;
    try {
      this.rollHook();
    } catch (error) {
      this.options.logLine(`${this.options.name}: the roll hook failed: ${String(error)}`);
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Clean close, as Kafka's shutdown: flush everything (which advances the recovery point), write,
   * trim and fsync the active segment's indexes, then close every file. Returns whether all of that
   * succeeded: only then may the log directory's clean-shutdown marker cover this log.
   */
  async close(): Promise<boolean> {
    if (this.closed) return this.closedCleanly;
    if (this.offline === null) {
      try {
        await this.flush();
        this.activeSegment().persistIndexes(true);
        // The trimmed indexes must be durable before a clean-shutdown marker says they can be trusted.
        await this.activeSegment().offsetIndexFile.sync();
        await this.activeSegment().timeIndexFile.sync();
        this.cleanCloseHook?.();
        this.closedCleanly = true;
      } catch {
        // A failing disk at shutdown only costs a longer recovery at the next start.
      }
    }
    this.closeHandles();
    return this.closedCleanly;
  }

  /**
   * `close`, completed before returning (the same steps with the files' `...Now` calls): for a caller
   * that owns the log alone and drives it synchronously (the simulator); it must not overlap an
   * asynchronous `flush`.
   */
  closeNow(): boolean {
    if (this.closed) return this.closedCleanly;
    invariant(this.flushing === null, "closeNow while an asynchronous flush runs");
    if (this.offline === null) {
      try {
        this.flushNow();
        this.activeSegment().persistIndexes(true);
        this.activeSegment().offsetIndexFile.syncNow();
        this.activeSegment().timeIndexFile.syncNow();
        this.cleanCloseHook?.();
        this.closedCleanly = true;
      } catch {
        // As in `close`: a failing disk at shutdown only costs a longer recovery at the next start.
      }
    }
    this.closeHandles();
    return this.closedCleanly;
  }

  private closeHandles(): void {
    this.closed = true;
    // A closed partition's cached batches no longer count against the shared budget.
    this.tailClear();
    for (const segment of this.segments) {
      this.indexCache.remove(segment);
      segment.close();
    }
  }

  /** Closes and deletes the partition folder. */
  deleteAll(): void {
    this.closeHandles();
    for (const segment of this.segments) segment.deleted = true;
    this.options.files.remove(this.options.dir);
  }
}

/**
 * Bun's and Node's `Buffer.allocUnsafeSlow` skips zeroing memory the read overwrites anyway; where the
 * runtime has no Buffer (a browser) a zeroed array holds the same bytes after the read.
 */
const bufferApi = (globalThis as { Buffer?: { allocUnsafeSlow(size: number): Uint8Array } }).Buffer;

function allocUnzeroed(length: number): Uint8Array {
  if (bufferApi === undefined) return new Uint8Array(length);
  const raw = bufferApi.allocUnsafeSlow(length);
  return new Uint8Array(raw.buffer, raw.byteOffset, length);
}
