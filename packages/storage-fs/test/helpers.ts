// Shared helpers for the file-engine tests: temp directories, batches and a runtime per "process".
import * as fs from "node:fs";
import * as os from "node:os";
import { batchMake } from "@eddy/protocol";
import { type LogConfig, LogStore } from "@eddy/storage";
import * as Effect from "effect/Effect";
import * as ManagedRuntime from "effect/ManagedRuntime";
import { type FileEngineOptions, layer } from "../src/index.ts";

export const tp = { topic: "orders", partition: 0 };
export const partitionDir = (dataDir: string) => `${dataDir}/orders-0`;
export const segmentPath = (dataDir: string, base: number, ext: string) =>
  `${partitionDir(dataDir)}/${String(base).padStart(20, "0")}${ext}`;

export function tempDir(): string {
  return fs.mkdtempSync(`${os.tmpdir()}/eddy-fs-test-`);
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** `count` batches of `recordsPerBatch` records with `bodyBytes` of filler, offsets from 0. */
export function makeBatches(count: number, recordsPerBatch: number, bodyBytes: number): Array<Uint8Array> {
  return Array.from({ length: count }, (_, i) =>
    batchMake({
      baseOffset: i * recordsPerBatch,
      recordCount: recordsPerBatch,
      baseTimestampMs: 1_700_000_000_000 + i,
      body: new Uint8Array(bodyBytes).fill(i & 0xff),
    }),
  );
}

export function runtime(options: Omit<FileEngineOptions, "config"> & { config?: Partial<LogConfig> }) {
  return ManagedRuntime.make(layer({ logLine: () => {}, ...options }));
}

/** Appends the batches one by one, then closes the "process" cleanly. */
export async function writeLog(
  dataDir: string,
  batches: ReadonlyArray<Uint8Array>,
  config: Partial<LogConfig> = {},
) {
  const rt = runtime({ dataDir, config });
  await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        for (const batch of batches) yield* logs.append(tp, batch, 0);
      }),
    ),
  );
  await rt.dispose();
}

/** Reopens the log and reads every batch back, one fetch per batch. */
export async function readAll(dataDir: string, lines: Array<string> = [], config: Partial<LogConfig> = {}) {
  const rt = runtime({ dataDir, config, logLine: (l) => lines.push(l) });
  try {
    return await rt.runPromise(
      LogStore.use((logs) =>
        Effect.gen(function* () {
          const info = yield* logs.info(tp);
          const batches: Array<Uint8Array> = [];
          let offset = info.logStartOffset;
          while (offset < info.logEndOffset) {
            const read = yield* logs.read(tp, { fetchOffset: offset, maxBytes: 1 });
            if (read.batchCount !== 1) throw new Error(`no batch at ${offset}`);
            batches.push(read.records.slice());
            offset = read.nextOffset;
          }
          return { info, batches, segments: yield* logs.segments(tp) };
        }),
      ),
    );
  } finally {
    await rt.dispose();
  }
}
