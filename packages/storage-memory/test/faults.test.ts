// Crash and fault behaviour of the memory engine: what the simulator relies on.
import { expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { LogStore } from "@eddy/storage";
import * as Effect from "effect/Effect";
import * as Exit from "effect/Exit";
import * as Fiber from "effect/Fiber";
import * as Layer from "effect/Layer";
import * as ManagedRuntime from "effect/ManagedRuntime";
import { TestClock } from "effect/testing";
import fc from "fast-check";
import { type CrashMode, layerMemory, MemoryDisk, memoryDataDir } from "../src/index.ts";

const tp = { topic: "sim", partition: 0 };

function open(disk: MemoryDisk, segmentBytesMax = 400) {
  return ManagedRuntime.make(
    layerMemory({ disk, config: { segmentBytesMax, indexIntervalBytes: 64 }, logLine: () => {} }),
  );
}

test("a crash keeps every flushed batch and a whole-batch prefix of the rest", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          records: fc.integer({ min: 1, max: 4 }),
          body: fc.integer({ min: 0, max: 90 }),
          flush: fc.boolean(),
        }),
        {
          minLength: 1,
          maxLength: 30,
        },
      ),
      fc.oneof(
        fc.constant<CrashMode>({ _tag: "LoseUnsynced" }),
        fc.constant<CrashMode>({ _tag: "KeepUnsynced" }),
        fc
          .integer({ min: 0, max: 500 })
          .map((keptUnsyncedBytes): CrashMode => ({ _tag: "TornTail", keptUnsyncedBytes })),
      ),
      async (appends, mode) => {
        const disk = new MemoryDisk();
        const first = open(disk);
        const written: Array<Uint8Array> = [];
        let flushedOffset = 0;
        let next = 0;
        await first.runPromise(
          LogStore.use((logs) =>
            Effect.gen(function* () {
              yield* logs.openPartition(tp);
              for (const a of appends) {
                const batch = batchMake({
                  baseOffset: next,
                  recordCount: a.records,
                  baseTimestampMs: next,
                  body: new Uint8Array(a.body),
                });
                yield* logs.append(tp, batch, 0);
                written.push(batch);
                next += a.records;
                if (a.flush) flushedOffset = yield* logs.flush(tp);
              }
            }),
          ),
        );
        disk.crash(mode);
        const second = open(disk);
        const recovered = await second.runPromise(
          LogStore.use((logs) =>
            Effect.gen(function* () {
              const info = yield* logs.info(tp);
              const batches: Array<Uint8Array> = [];
              let offset = info.logStartOffset;
              while (offset < info.logEndOffset) {
                const read = yield* logs.read(tp, { fetchOffset: offset, maxBytes: 1 });
                if (read.batchCount !== 1) throw new Error(`no batch at ${offset}: ${JSON.stringify(info)}`);
                batches.push(read.records);
                offset = read.nextOffset;
              }
              return { info, batches };
            }),
          ),
        );
        await second.dispose();
        expect(recovered.info.logEndOffset).toBeGreaterThanOrEqual(flushedOffset);
        if (mode._tag === "KeepUnsynced") expect(recovered.info.logEndOffset).toBe(next);
        expect(recovered.batches.length).toBeLessThanOrEqual(written.length);
        recovered.batches.forEach((b, i) => {
          expect(b).toEqual(written[i]!);
        });
      },
    ),
    { numRuns: 150, endOnFailure: true },
  );
});

test("disk full fails the append with NoSpace and leaves stored batches intact", async () => {
  const disk = new MemoryDisk();
  const rt = open(disk, 1 << 20);
  const outcome = await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        yield* logs.append(tp, batchMake({ baseOffset: 0, recordCount: 1, body: new Uint8Array(100) }), 0);
        disk.faults.capacityBytes = disk.usedBytes() + 50;
        const full = yield* Effect.exit(
          logs.append(tp, batchMake({ baseOffset: 1, recordCount: 1, body: new Uint8Array(100) }), 0),
        );
        disk.faults.capacityBytes = Number.POSITIVE_INFINITY;
        const info = yield* logs.info(tp);
        const later = yield* logs.append(
          tp,
          batchMake({ baseOffset: 1, recordCount: 1, body: new Uint8Array(5) }),
          0,
        );
        return { full, info, later };
      }),
    ),
  );
  await rt.dispose();
  expect(Exit.isFailure(outcome.full)).toBe(true);
  if (Exit.isFailure(outcome.full)) expect(String(outcome.full.cause)).toContain("NoSpace");
  expect(outcome.info.logEndOffset).toBe(1);
  expect(outcome.info.sizeBytes).toBe(161);
  expect(outcome.later.position).toBe(161);
});

test("an injected write fault and fsync fault fail once, then the log works", async () => {
  const disk = new MemoryDisk();
  const rt = open(disk);
  const result = await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        disk.faults.failNextWrite = "Io";
        const write = yield* Effect.flip(logs.append(tp, batchMake({ baseOffset: 0, recordCount: 1 }), 0));
        yield* logs.append(tp, batchMake({ baseOffset: 0, recordCount: 1 }), 0);
        disk.faults.failNextSync = true;
        const sync = yield* Effect.flip(logs.flush(tp));
        const flushed = yield* logs.flush(tp);
        return { write: write.reason._tag, sync: sync.reason._tag, flushed };
      }),
    ),
  );
  await rt.dispose();
  expect(result).toEqual({ write: "Io", sync: "Io", flushed: 1 });
});

test("a flipped byte in the active segment is cut off at restart, with a log line", async () => {
  const disk = new MemoryDisk();
  const rt = open(disk, 1 << 20);
  await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        for (let i = 0; i < 5; i++)
          yield* logs.append(tp, batchMake({ baseOffset: i, recordCount: 1, body: new Uint8Array(20) }), 0);
      }),
    ),
  );
  await rt.dispose();
  disk.corruptByte(`${memoryDataDir}/sim-0/00000000000000000000.log`, 81 * 3 + 70);
  const lines: Array<string> = [];
  const again = ManagedRuntime.make(layerMemory({ disk, logLine: (l) => lines.push(l) }));
  const info = await again.runPromise(LogStore.use((logs) => logs.info(tp)));
  await again.dispose();
  expect(info.logEndOffset).toBe(3);
  expect(lines.join("\n")).toContain("corrupt tail");
});

test("a corrupt older segment takes only its partition offline", async () => {
  const disk = new MemoryDisk();
  const rt = open(disk, 200);
  const other = { topic: "sim", partition: 1 };
  await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        for (const p of [tp, other]) {
          yield* logs.openPartition(p);
          for (let i = 0; i < 6; i++)
            yield* logs.append(p, batchMake({ baseOffset: i, recordCount: 1, body: new Uint8Array(20) }), 0);
        }
      }),
    ),
  );
  await rt.dispose();
  // Damage the first segment's index and its log, so the rebuild finds the bad batch.
  disk.remove(`${memoryDataDir}/sim-0/00000000000000000000.index`);
  disk.corruptByte(`${memoryDataDir}/sim-0/00000000000000000000.log`, 30);
  const lines: Array<string> = [];
  const again = ManagedRuntime.make(layerMemory({ disk, logLine: (l) => lines.push(l) }));
  const [bad, good] = await again.runPromise(
    LogStore.use((logs) => Effect.all([Effect.flip(logs.info(tp)), logs.info(other)])),
  );
  await again.dispose();
  expect(bad.reason._tag).toBe("Corrupt");
  expect(good.logEndOffset).toBe(6);
  expect(lines.join("\n")).toContain("sim-0: partition OFFLINE");
});

test("added latency waits on Effect's clock, so a TestClock controls it", async () => {
  const disk = new MemoryDisk();
  disk.faults.latencyMs = 250;
  const program = Effect.gen(function* () {
    const logs = yield* LogStore;
    const fiber = yield* Effect.forkChild(logs.openPartition(tp));
    yield* TestClock.adjust(249);
    const early = fiber.pollUnsafe();
    yield* TestClock.adjust(1);
    const info = yield* Fiber.join(fiber);
    return { early, info };
  });
  const result = await Effect.runPromise(
    Effect.scoped(Effect.provide(program, Layer.merge(layerMemory({ disk }), TestClock.layer()))),
  );
  expect(result.early).toBeUndefined();
  expect(result.info.logEndOffset).toBe(0);
});

test("a cloned disk is independent of the original", async () => {
  const disk = new MemoryDisk();
  const rt = open(disk);
  await rt.runPromise(
    LogStore.use((logs) =>
      Effect.gen(function* () {
        yield* logs.openPartition(tp);
        yield* logs.append(tp, batchMake({ baseOffset: 0, recordCount: 2 }), 0);
      }),
    ),
  );
  await rt.dispose();
  const twin = disk.clone();
  const again = open(disk);
  await again.runPromise(
    LogStore.use((logs) => logs.append(tp, batchMake({ baseOffset: 2, recordCount: 1 }), 0)),
  );
  await again.dispose();
  const other = open(twin);
  const info = await other.runPromise(LogStore.use((logs) => logs.info(tp)));
  await other.dispose();
  expect(info.logEndOffset).toBe(2);
});
