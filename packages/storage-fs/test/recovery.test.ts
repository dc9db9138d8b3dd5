// Crash recovery on real files: damage a stored log in the ways a crash or a bad disk does, reopen,
// and check that exactly the whole batches before the damage remain and the log accepts appends.
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { batchMake } from "@eddy/protocol";
import { LogStore } from "@eddy/storage";
import * as Effect from "effect/Effect";
import { makeBatches, readAll, removeDir, runtime, segmentPath, tempDir, tp, writeLog } from "./helpers.ts";

const dirs: Array<string> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});
function fresh(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

// 40 batches of 5 records, 161 bytes each; 2 KiB segments hold 12 batches, so the log has 4 segments.
const batches = makeBatches(40, 5, 100);
const size = batches[0]!.length;
const config = { segmentBytesMax: 2048, indexIntervalBytes: 300 };

test("a .log cut in the middle of a batch keeps exactly the whole batches before the cut", async () => {
  const dir = fresh();
  await writeLog(dir, batches, config);
  const before = await readAll(dir, [], config);
  const last = before.segments.at(-1)!;
  const path = segmentPath(dir, last.baseOffset, ".log");
  const cut = 2 * size + 37;
  fs.truncateSync(path, cut);
  const lines: Array<string> = [];
  const after = await readAll(dir, lines, config);
  const kept = last.baseOffset / 5 + 2;
  expect(after.batches).toEqual(batches.slice(0, kept));
  expect(after.info.logEndOffset).toBe(kept * 5);
  expect(fs.statSync(path).size).toBe(2 * size);
  expect(lines.join("\n")).toContain("torn tail");
});

test("a deleted .index is rebuilt and every batch is still found", async () => {
  const dir = fresh();
  await writeLog(dir, batches, config);
  const original = fs.readFileSync(segmentPath(dir, 0, ".index"));
  expect(original.length).toBeGreaterThan(0);
  fs.rmSync(segmentPath(dir, 0, ".index"));
  fs.rmSync(segmentPath(dir, 60, ".timeindex"));
  const lines: Array<string> = [];
  const after = await readAll(dir, lines, config);
  expect(after.batches).toEqual(batches);
  expect(fs.readFileSync(segmentPath(dir, 0, ".index"))).toEqual(original);
  expect(lines.join("\n")).toContain("rebuilding indexes of segment 0: index files missing");
});

test("a damaged .index (entries out of order) is rebuilt from the log", async () => {
  const dir = fresh();
  await writeLog(dir, batches, config);
  const path = segmentPath(dir, 12 * 5, ".index");
  const original = fs.readFileSync(path);
  expect(original.length).toBeGreaterThanOrEqual(16);
  const damaged = Buffer.from(original);
  damaged.writeInt32BE(0x7fff0000, 0);
  fs.writeFileSync(path, damaged);
  const lines: Array<string> = [];
  const after = await readAll(dir, lines, config);
  expect(after.batches).toEqual(batches);
  expect(fs.readFileSync(path)).toEqual(original);
  expect(lines.join("\n")).toContain("rebuilding indexes of segment 60: .index: entry");
});

test("a flipped byte in the active segment cuts the log before the damaged batch", async () => {
  const dir = fresh();
  await writeLog(dir, batches, config);
  const before = await readAll(dir, [], config);
  const last = before.segments.at(-1)!;
  const path = segmentPath(dir, last.baseOffset, ".log");
  const bytes = fs.readFileSync(path);
  const position = 3 * size + 80;
  bytes[position] = bytes[position]! ^ 0x01;
  fs.writeFileSync(path, bytes);
  const lines: Array<string> = [];
  const after = await readAll(dir, lines, config);
  expect(after.batches).toEqual(batches.slice(0, last.baseOffset / 5 + 3));
  expect(lines.join("\n")).toContain("corrupt tail");
  // The recovered log takes new appends at its new end.
  const rt = runtime({ dataDir: dir });
  const appended = await rt.runPromise(
    LogStore.use((logs) =>
      logs.append(
        tp,
        batchMake({ baseOffset: after.info.logEndOffset, recordCount: 1, baseTimestampMs: 5 }),
        0,
      ),
    ),
  );
  await rt.dispose();
  expect(appended.firstOffset).toBe(after.info.logEndOffset);
});

test("a flipped byte in a flushed older segment whose index is gone takes only that partition offline", async () => {
  const dir = fresh();
  await writeLog(dir, batches, config);
  const other = { topic: "orders", partition: 1 };
  const rt = runtime({ dataDir: dir, config });
  await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(other);
        yield* logs.append(other, batches[0]!, 0);
      }),
    ),
  );
  await rt.dispose();
  const path = segmentPath(dir, 0, ".log");
  const bytes = fs.readFileSync(path);
  bytes[size + 70] = bytes[size + 70]! ^ 0xff;
  fs.writeFileSync(path, bytes);
  fs.rmSync(segmentPath(dir, 0, ".index"));
  const lines: Array<string> = [];
  const again = runtime({ dataDir: dir, logLine: (l) => lines.push(l) });
  const [bad, good] = await again.runPromise(
    LogStore.use((logs) =>
      Effect.all([Effect.flip(logs.read(tp, { fetchOffset: 0, maxBytes: 100 })), logs.info(other)]),
    ),
  );
  await again.dispose();
  expect(bad.reason._tag).toBe("Corrupt");
  expect(bad.message).toContain("00000000000000000000.log at position");
  expect(good.logEndOffset).toBe(5);
  expect(lines.join("\n")).toContain("orders-0: partition OFFLINE");
});

test("the active segment's indexes are preallocated and trimmed on roll", async () => {
  const dir = fresh();
  const rt = runtime({ dataDir: dir, config: { ...config, indexBytesMax: 4096 } });
  await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        for (const batch of batches.slice(0, 5)) yield* logs.append(tp, batch, 0);
      }),
    ),
  );
  // The active segment's index is preallocated while the process runs.
  expect(fs.statSync(segmentPath(dir, 0, ".index")).size).toBe(4096);
  expect(fs.statSync(segmentPath(dir, 0, ".timeindex")).size).toBe(4092);
  await rt.runPromise(LogStore.use((logs) => logs.roll(tp, 0)));
  expect(fs.statSync(segmentPath(dir, 0, ".index")).size).toBe(16);
  await rt.dispose();
  const after = await readAll(dir, [], config);
  expect(after.batches).toEqual(batches.slice(0, 5));
});

test("after an unclean stop (no close, no flush) the preallocated index is rebuilt and all batches read back", async () => {
  const dir = fresh();
  const killed = runtime({ dataDir: dir, config });
  await killed.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        for (const batch of batches) yield* logs.append(tp, batch, 0);
      }),
    ),
  );
  // No dispose: like kill -9, nothing is flushed or trimmed; the page cache still holds the bytes.
  const last = fs
    .readdirSync(`${dir}/orders-0`)
    .filter((n) => n.endsWith(".index"))
    .sort()
    .at(-1)!;
  expect(fs.statSync(`${dir}/orders-0/${last}`).size).toBe(10485760);
  const after = await readAll(dir, [], config);
  expect(after.batches).toEqual(batches);
  await killed.dispose();
});
