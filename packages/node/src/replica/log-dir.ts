/**
 * A node's log directory: the partition logs it holds, opened over the `Files` it is handed (node:fs
 * in the broker, a MemoryDisk in the simulator and in `--storage memory`), in Kafka's layout
 * (`<dataDir>/<topic>-<partition>/`), with one tail-cache budget shared by all of them. It owns
 * opening (recovery), per-topic log settings, the bound on open partitions and deletion; it must never
 * decide what to write (the replicas do) nor read a clock (the caller passes `nowMs`).
 */
import { invariant } from "@eddy/core";
import {
  type Files,
  type LogConfig,
  logConfigDefault,
  logConfigProblem,
  PartitionLog,
  partitionDirName,
  storageError,
  TailBudget,
  type TopicPartition,
  topicNameProblem,
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
  readonly logLine: (line: string) => void;
}

export class LogDir {
  private readonly logs = new Map<string, PartitionLog>();
  private readonly tailBudget: TailBudget;
  readonly defaults: LogConfig;

  constructor(private readonly options: LogDirOptions) {
    this.defaults = { ...logConfigDefault, ...options.defaults };
    const problem = logConfigProblem(this.defaults);
    invariant(problem === null, () => `log settings: ${problem}`);
    this.tailBudget = new TailBudget(options.tailCacheBytesTotalMax);
    options.files.makeDir(options.dataDir);
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
    const log = PartitionLog.open({
      files: this.options.files,
      dir: `${this.options.dataDir}/${name}`,
      name,
      config: merged,
      tailCacheBytesMax: this.options.tailCacheBytesMax,
      tailBudget: this.tailBudget,
      logLine: this.options.logLine,
      nowMs,
    });
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
}
