/**
 * A node's log directory: the partition logs it holds, opened over the `Files` it is handed (node:fs
 * in the broker, a MemoryDisk in the simulator and in `--storage memory`), in Kafka's layout
 * (`<dataDir>/<topic>-<partition>/`), with one tail-cache budget and one index cache (the loaded index
 * mirrors of inactive segments) shared by all of them. It owns
 * opening (recovery), per-topic log settings, the bound on open partitions, deletion and Kafka's
 * clean-shutdown marker (taken at start, written by `closeAll` once every log closed cleanly); it must
 * never decide what to write (the replicas do) nor read a clock (the caller passes `nowMs`).
 *
 * The marker covers only the logs opened here. The broker opens every partition of its metadata
 * before it serves, and a partition that fails to open keeps the marker from being written, so a log
 * left by a crash cannot be trusted later unless it was opened (and recovered) in between. The
 * storage engine's own logs in the same folder (the metadata log, group shards) never consult it.
 */
import { invariant } from "@eddy/core";
import {
  type Files,
  IndexCache,
  indexCacheBytesDefault,
  type LogConfig,
  logConfigDefault,
  logConfigProblem,
  PartitionLog,
  partitionDirName,
  storageError,
  TailBudget,
  type TopicPartition,
  takeCleanShutdownMarker,
  topicNameProblem,
  writeCleanShutdownMarker,
} from "@eddy/storage";

/** Partitions one node holds open; a node with more is misconfigured. */
export const openPartitionsMax = 1 << 20;

export interface LogDirOptions {
  readonly files: Files;
  readonly dataDir: string;
  /** The node's log settings; a topic's own settings go over them at `open`. */
  readonly defaults?: Partial<LogConfig>;
  /** Bytes of recent batches each partition may keep in memory for reads. */
  readonly tailCacheBytesMax: number;
  /** Bytes of recent batches all partitions together keep; the batch appended longest ago leaves first. */
  readonly tailCacheBytesTotalMax: number;
  /**
   * Bytes of index mirrors of inactive segments all partitions together keep loaded (default
   * `indexCacheBytesDefault`, 8 MiB); the one used longest ago is dropped first and reloaded from its
   * index files when read.
   */
  readonly indexCacheBytesMax?: number | undefined;
  /**
   * Fsync a segment in the background when it rolls and write the owner's roll snapshot (default
   * true, the broker's). Off for a caller that drives its logs synchronously (the simulator), which
   * must never have an asynchronous flush running (see `PartitionLogOptions.flushOnRoll`).
   */
  readonly flushOnRoll?: boolean | undefined;
  readonly logLine: (line: string) => void;
}

export class LogDir {
  private readonly logs = new Map<string, PartitionLog>();
  /** The hot tails of every partition, under one byte bound (read-only outside: its counters). */
  readonly tailBudget: TailBudget;
  /** The loaded index mirrors of every partition's inactive segments, under one byte bound. */
  readonly indexCache: IndexCache;
  readonly defaults: LogConfig;
  /**
   * Folders found at start after a clean shutdown and not opened since: their first open trusts the
   * clean close. Empty after an unclean stop; it only shrinks.
   */
  private readonly cleanAtStart: Set<string>;
  /** Opens that failed in this run; any keeps `closeAll` from writing the marker. */
  private openFailures = 0;
  /** Whether the previous stop of this directory was clean (the marker was found at start). */
  readonly startedClean: boolean;

  constructor(private readonly options: LogDirOptions) {
    this.defaults = { ...logConfigDefault, ...options.defaults };
    const problem = logConfigProblem(this.defaults);
    invariant(problem === null, () => `log settings: ${problem}`);
    this.tailBudget = new TailBudget(options.tailCacheBytesTotalMax);
    this.indexCache = new IndexCache(options.indexCacheBytesMax ?? indexCacheBytesDefault);
    options.files.makeDir(options.dataDir);
    this.startedClean = takeCleanShutdownMarker(options.files, options.dataDir);
    this.cleanAtStart = new Set(this.startedClean ? options.files.list(options.dataDir) : []);
  }

  get files(): Files {
    return this.options.files;
  }

  get dataDir(): string {
    return this.options.dataDir;
  }

  /**
   * Opens (creating or recovering) a partition's log with `config` over the node's settings; an open
   * one gets the new settings. Throws StorageError for a bad name, bad settings or a failing disk.
   */
  open(tp: TopicPartition, config: Partial<LogConfig>, nowMs: number): PartitionLog {
    const name = partitionDirName(tp);
    const nameProblem = topicNameProblem(tp.topic);
    if (nameProblem !== null) throw storageError("NotFound", name, nameProblem);
    if (!Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition > 2 ** 31 - 1)
      throw storageError("NotFound", name, `partition ${tp.partition} is not a valid partition number`);
    const merged: LogConfig = { ...this.defaults, ...config };
    const problem = logConfigProblem(merged);
    if (problem !== null) throw storageError("Io", name, `invalid log config: ${problem}`);
    const open = this.logs.get(name);
    if (open !== undefined) {
      open.config = merged;
      return open;
    }
    if (this.logs.size >= openPartitionsMax)
      throw storageError("Io", name, `more than ${openPartitionsMax} open partitions`);
    let log: PartitionLog;
    try {
      log = PartitionLog.open({
        files: this.options.files,
        dir: `${this.options.dataDir}/${name}`,
        name,
        config: merged,
        tailCacheBytesMax: this.options.tailCacheBytesMax,
        tailBudget: this.tailBudget,
        indexCache: this.indexCache,
        logLine: this.options.logLine,
        nowMs,
        cleanShutdown: this.cleanAtStart.delete(name),
        flushOnRoll: this.options.flushOnRoll ?? true,
      });
    } catch (error) {
      this.openFailures += 1;
      throw error;
    }
    this.logs.set(name, log);
    return log;
  }

  /** Deletes a partition's log and all its files (its topic was deleted). */
  delete(tp: TopicPartition): void {
    const name = partitionDirName(tp);
    const open = this.logs.get(name);
    this.logs.delete(name);
    if (open !== undefined) open.deleteAll();
    else this.options.files.remove(`${this.options.dataDir}/${name}`);
  }

  /** The open logs, for a clean shutdown (flush, then trim the active indexes). */
  openLogs(): PartitionLog[] {
    return [...this.logs.values()];
  }

  /**
   * Clean shutdown: closes every log (flush, write and fsync the active indexes), then, when all of
   * them closed cleanly and none failed to open in this run, writes the clean-shutdown marker last,
   * as Kafka's `LogManager.shutdown` does. Returns whether the marker was written.
   */
  async closeAll(): Promise<boolean> {
    let clean = this.openFailures === 0;
    for (const [name, log] of this.logs) {
      const closed = await log.close().catch((error: unknown) => {
        this.options.logLine(`closing partition log ${name} failed: ${String(error)}`);
        return false;
      });
      clean = clean && closed;
    }
    this.logs.clear();
    return clean && this.markCleanShutdown();
  }

  /**
   * `closeAll`, completed before returning (each log's `closeNow`): for a caller that drives its logs
   * synchronously (the simulator). Returns whether the marker was written.
   */
  closeAllNow(): boolean {
    let clean = this.openFailures === 0;
    for (const [name, log] of this.logs) {
      let closed: boolean;
      try {
        closed = log.closeNow();
      } catch (error) {
        this.options.logLine(`closing partition log ${name} failed: ${String(error)}`);
        closed = false;
      }
      clean = clean && closed;
    }
    this.logs.clear();
    return clean && this.markCleanShutdown();
  }

  /** Writes the clean-shutdown marker, last, once every log closed cleanly; false when it failed. */
  private markCleanShutdown(): boolean {
    try {
      writeCleanShutdownMarker(this.options.files, this.options.dataDir);
      return true;
    } catch (error) {
      this.options.logLine(`writing the clean-shutdown marker failed: ${String(error)}`);
      return false;
    }
  }
}
