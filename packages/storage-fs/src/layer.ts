/**
 * The file engine: both storage services over the real file system, in Kafka's layout
 * (`<dataDir>/<topic>-<partition>/<20-digit base>.log|.index|.timeindex`). It owns only the wiring;
 * the log rules live in @eddy/storage-memory's shared log, which the memory engine runs too.
 */
import { engineLayer, type Files, type LogConfig, type LogStore, type StateStore } from "@eddy/storage";
import type * as Layer from "effect/Layer";
import { nodeFiles } from "./node-files.ts";

/** Options of the file engine. */
export interface FileEngineOptions {
  /** The data directory (Kafka's `log.dirs`, one directory). */
  readonly dataDir: string;
  /** Engine-wide log settings; the broker maps Kafka properties with `logConfigFromKafka`. */
  readonly config?: Partial<LogConfig> | undefined;
  /** Bytes of recent batches per partition kept for reads without a syscall (default 256 MiB). */
  readonly tailCacheBytesMax?: number | undefined;
  /** Bytes of recent batches kept across all partitions; the oldest batch anywhere goes first (default 256 MiB). */
  readonly tailCacheBytesTotalMax?: number | undefined;
  /** Where recovery notices and offline partitions are reported (default: Effect's logger). */
  readonly logLine?: ((line: string) => void) | undefined;
  /** Replaces `node:fs`, for fault tests (a disk that fills up). */
  readonly files?: Files | undefined;
}

/** Both storage services on disk. Closing the layer's scope flushes and closes every partition. */
export function layer(options: FileEngineOptions): Layer.Layer<LogStore | StateStore> {
  return engineLayer({
    files: options.files ?? nodeFiles,
    dataDir: options.dataDir.replace(/\/+$/, "") || "/",
    config: options.config,
    tailCacheBytesMax: options.tailCacheBytesMax,
    tailCacheBytesTotalMax: options.tailCacheBytesTotalMax,
    logLine: options.logLine,
  });
}
