/**
 * The memory engine: both storage services over a `MemoryDisk`. It owns only the wiring and the
 * latency fault; every log rule lives in `../log`, shared with the file engine, so the simulator
 * exercises the same recovery code the broker runs. The disk outlives the layer: a simulated crash
 * is `disk.crash(mode)` followed by building the layer again over the same disk.
 */

import type { LogConfig, LogStore, StateStore } from "@eddy/storage";
import { type EngineOptions, engineLayer } from "@eddy/storage";
import * as Effect from "effect/Effect";
import type * as Layer from "effect/Layer";
import { MemoryDisk } from "./memory-disk.ts";

/** Options of the memory engine. */
export interface MemoryEngineOptions {
  /** The disk to use; pass the same one again after a crash. Default: a fresh disk. */
  readonly disk?: MemoryDisk | undefined;
  readonly config?: Partial<LogConfig> | undefined;
  readonly tailCacheBytesMax?: number | undefined;
  readonly logLine?: ((line: string) => void) | undefined;
}

/** The data directory inside a memory disk. */
export const memoryDataDir = "/data";

function engineOptions(disk: MemoryDisk, options: MemoryEngineOptions): EngineOptions {
  return {
    files: disk,
    dataDir: memoryDataDir,
    config: options.config,
    tailCacheBytesMax: options.tailCacheBytesMax,
    logLine: options.logLine,
    beforeOperation: Effect.suspend(() =>
      disk.faults.latencyMs > 0 ? Effect.sleep(disk.faults.latencyMs) : Effect.void,
    ),
  };
}

/** Both storage services in memory. Set faults through `disk.faults` and `disk.crash(...)`. */
export function layerMemory(options: MemoryEngineOptions = {}): Layer.Layer<LogStore | StateStore> {
  return engineLayer(engineOptions(options.disk ?? new MemoryDisk(), options));
}
