/**
 * A simulated broker's log directory: the node's own `LogDir` (what the broker opens every partition
 * log through) over the broker's `MemoryDisk`, one per process lifetime, so simulated runs exercise
 * what the broker's partitions share: one tail-cache budget (its eviction across partitions and its
 * slab reuse), one bounded index cache (index mirrors dropped and reloaded from their files) and
 * Kafka's clean-shutdown marker. The bounds are far below the broker's, so that a run of a few
 * simulated seconds, which writes a few tens of KiB per partition, evicts and reloads.
 *
 * It owns those bounds and the storage counters a broker keeps across its incarnations. It must
 * never open, write or close a log itself (the broker's boot and stop do, through the `LogDir`) nor
 * read a clock or randomness: a `LogDir` is as deterministic as the events that drive it.
 */
import { LogDir } from "@eddy/node";
import type { MemoryDisk } from "@eddy/storage-memory";
import { simDataDir, simLogConfig } from "./replica-store.ts";

/**
 * Bytes of recent batches each replica may keep in memory for reads (its own bound). Every partition
 * may fill it, but all of them together get only `brokerTailBytesTotalMax`.
 */
export const replicaTailBytesMax = 2 * 1024;
/**
 * Bytes of recent batches all replicas of a broker keep together: less than one replica's own bound,
 * so appends to one partition evict batches of the others. A budget under a MiB is one slab
 * (`TailBudget.slabBytes`), which is emptied and reused whenever it fills.
 */
export const brokerTailBytesTotalMax = 3 * 1024;
/**
 * Bytes of index mirrors of inactive segments a broker keeps loaded: a few segments' worth (at
 * `simLogConfig`'s dense index a mirror is a few hundred bytes), so the checkers' reads from offset 0
 * drop and reload them.
 */
export const brokerIndexCacheBytesMax = 2 * 1024;

/**
 * Opens a broker's log directory over its disk, as the broker's process start does: it takes the
 * clean-shutdown marker away (so `startedClean` says whether the last stop was clean). No roll
 * flush: the simulator drives every log synchronously and must never have an asynchronous flush
 * running. Throws StorageError when the disk fails.
 */
export function openBrokerLogDir(disk: MemoryDisk, logLine: (line: string) => void): LogDir {
  return new LogDir({
    files: disk,
    dataDir: simDataDir,
    defaults: simLogConfig,
    tailCacheBytesMax: replicaTailBytesMax,
    tailCacheBytesTotalMax: brokerTailBytesTotalMax,
    indexCacheBytesMax: brokerIndexCacheBytesMax,
    flushOnRoll: false,
    logLine,
  });
}

/** How a broker's previous process ended, as its next start sees it ("clean": the marker was written). */
export type BrokerExit = "none" | "clean" | "crash";

/** What a broker's log directories did, summed over its incarnations (plain data, for tests and tools). */
export interface BrokerStorageCounters {
  /** Batches the shared tail budget evicted, and those of another partition than the one appending. */
  readonly tailEvictions: number;
  readonly tailEvictionsAcrossPartitions: number;
  /** Slabs the tail budgets allocated (one per budget while slabs are reused). */
  readonly tailSlabsAllocated: number;
  /** Index mirrors the index cache dropped, and mirrors reloaded after a drop. */
  readonly indexMirrorsDropped: number;
  readonly indexMirrorsReloaded: number;
  /** Starts after a clean stop, and how many of them found the marker (`LogDir.startedClean`). */
  readonly startsAfterCleanStop: number;
  readonly startsAfterCleanStopTrusted: number;
  /**
   * Starts after a crash, a disk failure's fail-stop or a clean stop whose close could not write the
   * marker (a disk fault), and how many of them found the marker.
   */
  readonly startsAfterCrash: number;
  readonly startsAfterCrashTrusted: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The counters of one broker: those of the log directories it dropped, plus the live one's. */
export class BrokerStorageTally {
  private readonly dropped: Mutable<BrokerStorageCounters> = {
    tailEvictions: 0,
    tailEvictionsAcrossPartitions: 0,
    tailSlabsAllocated: 0,
    indexMirrorsDropped: 0,
    indexMirrorsReloaded: 0,
    startsAfterCleanStop: 0,
    startsAfterCleanStopTrusted: 0,
    startsAfterCrash: 0,
    startsAfterCrashTrusted: 0,
  };

  /** Counts a start of a new log directory after `exit`. */
  started(dir: LogDir, exit: BrokerExit): void {
    const trusted = dir.startedClean ? 1 : 0;
    if (exit === "clean") {
      this.dropped.startsAfterCleanStop += 1;
      this.dropped.startsAfterCleanStopTrusted += trusted;
    } else if (exit === "crash") {
      this.dropped.startsAfterCrash += 1;
      this.dropped.startsAfterCrashTrusted += trusted;
    }
  }

  /** Adds the counters of a log directory its process has left (crashed or closed). */
  drop(dir: LogDir): void {
    const now = this.withLive(dir);
    Object.assign(this.dropped, now);
  }

  /** The totals, with the live log directory's counters when there is one. */
  withLive(live: LogDir | null): BrokerStorageCounters {
    const out = { ...this.dropped };
    if (live === null) return out;
    out.tailEvictions += live.tailBudget.evictions;
    out.tailEvictionsAcrossPartitions += live.tailBudget.evictionsAcrossOwners;
    out.tailSlabsAllocated += live.tailBudget.slabsAllocated;
    out.indexMirrorsDropped += live.indexCache.evictions;
    out.indexMirrorsReloaded += live.indexCache.reloads;
    return out;
  }
}
