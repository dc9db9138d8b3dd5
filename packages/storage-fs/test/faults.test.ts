// Disk-full and group-commit behaviour of the file engine, through a `Files` wrapper over node:fs.
import { afterEach, expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { FileFault, type FileHandle, type Files, LogStore } from "@eddy/storage";
import * as Effect from "effect/Effect";
import { nodeFiles } from "../src/index.ts";
import { makeBatches, readAll, removeDir, runtime, tempDir, tp } from "./helpers.ts";

const dirs: Array<string> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** node:fs, but `.log` writes past `budget.bytes` store what fits and then fail with ENOSPC. */
function fillingDisk(budget: { bytes: number }, syncs: { count: number }): Files {
  const wrapHandle = (handle: FileHandle): FileHandle => ({
    ...handle,
    path: handle.path,
    size: () => handle.size(),
    read: (into, position) => handle.read(into, position),
    truncate: (length) => handle.truncate(length),
    close: () => handle.close(),
    sync: async () => {
      syncs.count += 1;
      await handle.sync();
    },
    syncNow: () => {
      syncs.count += 1;
      handle.syncNow();
    },
    write: (bytes, position) => {
      if (!handle.path.endsWith(".log") || bytes.length <= budget.bytes) {
        if (handle.path.endsWith(".log")) budget.bytes -= bytes.length;
        handle.write(bytes, position);
        return;
      }
      handle.write(bytes.subarray(0, budget.bytes), position);
      budget.bytes = 0;
      throw new FileFault("ENOSPC", handle.path, "no space left on device (test)");
    },
  });
  return { ...nodeFiles, open: (path, create) => wrapHandle(nodeFiles.open(path, create)) };
}

test("disk full: the append fails with NoSpace, the partial write is undone, stored batches stay whole", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const batches = makeBatches(6, 2, 500);
  const budget = { bytes: batches[0]!.length * 4 + 100 };
  const rt = runtime({ dataDir: dir, files: fillingDisk(budget, { count: 0 }) });
  const outcome = await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        for (const batch of batches.slice(0, 4)) yield* logs.append(tp, batch, 0);
        const full = yield* Effect.flip(logs.append(tp, batches[4]!, 0));
        const info = yield* logs.info(tp);
        budget.bytes = Number.POSITIVE_INFINITY;
        const retried = yield* logs.append(tp, batches[4]!, 0);
        return { full, info, retried };
      }),
    ),
  );
  await rt.dispose();
  expect(outcome.full.reason._tag).toBe("NoSpace");
  expect(outcome.info.logEndOffset).toBe(8);
  expect(outcome.info.sizeBytes).toBe(batches[0]!.length * 4);
  expect(outcome.retried.position).toBe(batches[0]!.length * 4);
  const after = await readAll(dir);
  expect(after.batches).toEqual(batches.slice(0, 5));
});

test("group commit: flushes requested while an fsync runs share the next one", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const syncs = { count: 0 };
  const rt = runtime({ dataDir: dir, files: fillingDisk({ bytes: Number.POSITIVE_INFINITY }, syncs) });
  const flushed = await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        yield* logs.flush(tp);
        const before = syncs.count;
        // 50 producers each append a batch and ask for a durable acknowledgement at once.
        const results = yield* Effect.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) =>
            Effect.flatMap(
              logs.append(tp, batchMake({ baseOffset: i, recordCount: 1, body: new Uint8Array(10) }), 0),
              () => logs.flush(tp),
            ),
          { concurrency: "unbounded" },
        );
        return { results, syncsUsed: syncs.count - before };
      }),
    ),
  );
  await rt.dispose();
  expect(Math.min(...flushed.results)).toBeGreaterThanOrEqual(1);
  expect(flushed.results.at(-1)).toBe(50);
  // Far fewer fsyncs than flush calls: one covers every append waiting for it.
  expect(flushed.syncsUsed).toBeLessThanOrEqual(4);
});
