/**
 * Binds the storage port to the broker: builds the chosen engine's Layer once, takes the `LogStore`
 * and `StateStore` services out of it, and runs their Effects as Promises for the imperative shell.
 * Before handing the storage out it checks that every stored value the shells will read decodes
 * (`stored-state-check.ts`), so a corrupt file stops the start before anything is written.
 * Owns the choice of engine (`--storage fs|memory`); it never decides what to write.
 */

import { type LogConfig, LogStore, logConfigMake, StateStore, type StorageError } from "@eddy/storage";
import { layer as fileLayer } from "@eddy/storage-fs";
import { layerMemory, memoryDataDir } from "@eddy/storage-memory";
import * as Effect from "effect/Effect";
import type * as Layer from "effect/Layer";
import * as ManagedRuntime from "effect/ManagedRuntime";
import type { BrokerConfig } from "../config/broker-config.ts";
import { checkStoredState } from "./stored-state-check.ts";

export interface Storage {
  /**
   * The folder the engine keeps its files in (`memoryDataDir` on a memory disk). Shells name the
   * file a stored value came from under it when that value does not decode.
   */
  readonly dataDir: string;
  readonly logs: LogStore["Service"];
  readonly state: StateStore["Service"];
  /** Runs a storage Effect; a failure rejects with the `StorageError` itself. */
  run<A>(effect: Effect.Effect<A, StorageError>): Promise<A>;
  /** Closes the engine cleanly: flushes and closes every partition. */
  close?(): Promise<void>;
}

/** The broker's log settings, Kafka's defaults filling what the broker does not set. */
export function brokerLogConfig(config: BrokerConfig): LogConfig {
  return logConfigMake({
    segmentBytesMax: config.segmentBytesMax,
    rollMs: config.rollMs,
    retentionMs: config.retentionMs,
    retentionBytesMax: config.retentionBytesMax,
    indexIntervalBytes: config.indexIntervalBytes,
    flushIntervalMessages: config.flushIntervalMessages,
    flushIntervalMs: config.flushIntervalMs,
  });
}

function engineLayer(config: BrokerConfig, log: (line: string) => void): Layer.Layer<LogStore | StateStore> {
  const logConfig = brokerLogConfig(config);
  if (config.storageEngine === "memory") return layerMemory({ config: logConfig, logLine: log });
  return fileLayer({ dataDir: config.dataDir, config: logConfig, logLine: log });
}

export async function openStorage(config: BrokerConfig, log: (line: string) => void): Promise<Storage> {
  // The runtime keeps the engine's scope open for the broker's whole life, so closing it at shutdown
  // runs the engine's clean close (flush, trim the active indexes) as Kafka's shutdown does.
  const runtime = ManagedRuntime.make(engineLayer(config, log));
  const services = await runtime.runPromise(
    Effect.gen(function* () {
      const logs = yield* LogStore;
      const state = yield* StateStore;
      return { logs, state };
    }),
  );
  const storage: Storage = {
    ...services,
    // The file engine drops trailing slashes from the folder it is given; named files must match.
    dataDir: config.storageEngine === "memory" ? memoryDataDir : config.dataDir.replace(/\/+$/, "") || "/",
    run: <A>(effect: Effect.Effect<A, StorageError>) => Effect.runPromise(effect),
    close: () => runtime.dispose(),
  };
  // A data directory holding a value that does not decode is refused here, before any shell writes.
  try {
    await checkStoredState(storage);
  } catch (error) {
    await runtime.dispose();
    throw error;
  }
  return storage;
}
