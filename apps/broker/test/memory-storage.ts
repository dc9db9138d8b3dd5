/**
 * The broker's `Storage` over a `MemoryDisk`, for tests that drive a node shell in process and inject
 * crashes and failed writes through the disk. Opening it again on the same disk is a restart.
 */
import { LogStore, StateStore, type StorageError } from "@eddy/storage";
import { layerMemory, type MemoryDisk, memoryDataDir } from "@eddy/storage-memory";
import * as Effect from "effect/Effect";
import type { Storage } from "../src/node/storage.ts";

export async function storageOn(disk: MemoryDisk): Promise<Storage> {
  const services = await Effect.runPromise(
    Effect.gen(function* () {
      return { logs: yield* LogStore, state: yield* StateStore };
    }).pipe(Effect.provide(layerMemory({ disk }))),
  );
  return {
    ...services,
    dataDir: memoryDataDir,
    run: <A>(effect: Effect.Effect<A, StorageError>) => Effect.runPromise(effect),
  };
}
