// The log's synchronous twins (`flushNow`, `advanceLogStartNow`, `truncateFullyAndStartAtNow`,
// `writeLeaderEpochsNow`) do exactly what the asynchronous calls do: the same files, the same bytes,
// the same durable prefix (but the checkpoint's, which the `Now` write leaves to a later flush), the
// same state after a crash. The simulator relies on this.
import { expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { logConfigMake, PartitionLog, StorageError } from "@eddy/storage";
import fc from "fast-check";
import { MemoryDisk } from "../src/index.ts";

const config = logConfigMake({ segmentBytesMax: 400, indexIntervalBytes: 64, indexBytesMax: 256 });

function openLog(disk: MemoryDisk): PartitionLog {
  return PartitionLog.open({
    files: disk,
    dir: "/data/t-0",
    name: "t-0",
    config,
    tailCacheBytesMax: 1024,
    logLine: () => {},
    nowMs: 0,
  });
}

type Op =
  | { readonly kind: "append"; readonly records: number; readonly body: number }
  | { readonly kind: "flush" }
  | { readonly kind: "truncate"; readonly back: number }
  | { readonly kind: "start"; readonly forward: number }
  | { readonly kind: "restart"; readonly ahead: number }
  | { readonly kind: "epochs"; readonly count: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      records: fc.integer({ min: 1, max: 4 }),
      body: fc.integer({ min: 0, max: 120 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("flush" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("truncate" as const), back: fc.integer({ min: 0, max: 6 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("start" as const), forward: fc.integer({ min: 0, max: 6 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("restart" as const), ahead: fc.integer({ min: 0, max: 20 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("epochs" as const), count: fc.integer({ min: 0, max: 4 }) }),
  },
);

/**
 * Every file's path, size, durable size and bytes: the whole disk as comparable data. The leader-epoch
 * checkpoint is left out (the twins compare it through `readLeaderEpochs`): its asynchronous write is
 * durable at once, its `...Now` twin writes it late and leaves the fsync to the flush that needs it
 * (partition-log-epochs.test.ts covers when).
 */
function diskImage(disk: MemoryDisk): unknown {
  return disk
    .fileInfos()
    .filter((f) => !f.path.endsWith("/leader-epoch-checkpoint"))
    .map((f) => ({ ...f, bytes: Array.from(disk.readAll(f.path) ?? []) }));
}

test("each ...Now twin leaves the disk exactly as its asynchronous call does, before and after a crash", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      const asyncDisk = new MemoryDisk();
      const nowDisk = new MemoryDisk();
      const a = openLog(asyncDisk);
      const b = openLog(nowDisk);
      for (const [i, op] of ops.entries()) {
        const end = a.info().logEndOffset;
        switch (op.kind) {
          case "append": {
            const batch = batchMake({
              baseOffset: end,
              recordCount: op.records,
              body: new Uint8Array(op.body).fill(i),
            });
            a.append(batch, i);
            b.append(batch.slice(), i);
            break;
          }
          case "flush":
            expect(b.flushNow()).toBe(await a.flush());
            break;
          case "truncate": {
            // Truncation points are batch boundaries in use; a truncation below the first segment is refused alike.
            const to = Math.max(0, end - op.back);
            const outcome = (f: () => unknown) => {
              try {
                f();
                return "ok";
              } catch (error) {
                return error instanceof StorageError ? error.reason._tag : String(error);
              }
            };
            expect(outcome(() => b.truncateTo(to))).toBe(outcome(() => a.truncateTo(to)));
            break;
          }
          case "start": {
            const to = Math.min(end, a.info().logStartOffset + op.forward);
            expect(b.advanceLogStartNow(to)).toEqual(await a.advanceLogStart(to));
            break;
          }
          case "restart":
            expect(b.truncateFullyAndStartAtNow(end + op.ahead, i)).toEqual(
              await a.truncateFullyAndStartAt(end + op.ahead, i),
            );
            break;
          case "epochs": {
            const entries = Array.from({ length: op.count }, (_, k) => ({
              epoch: k + 1,
              startOffset: k * 3,
            }));
            await a.writeLeaderEpochs(entries);
            b.writeLeaderEpochsNow(entries);
            expect(b.readLeaderEpochs()).toEqual(entries);
            break;
          }
        }
        expect(b.info()).toEqual(a.info());
      }
      expect(diskImage(nowDisk)).toEqual(diskImage(asyncDisk));
      asyncDisk.crash({ _tag: "LoseUnsynced" });
      nowDisk.crash({ _tag: "LoseUnsynced" });
      expect(openLog(nowDisk).info()).toEqual(openLog(asyncDisk).info());
    }),
    { numRuns: 150 },
  );
});

test("flushNow fails with Io on an injected fsync fault and makes nothing new durable; the next one succeeds", () => {
  const disk = new MemoryDisk();
  const log = openLog(disk);
  log.append(batchMake({ baseOffset: 0, recordCount: 2 }), 0);
  expect(log.flushNow()).toBe(2);
  log.append(batchMake({ baseOffset: 2, recordCount: 2 }), 0);
  disk.faults.failNextSync = true;
  let reason = "";
  try {
    log.flushNow();
  } catch (error) {
    reason = error instanceof StorageError ? error.reason._tag : String(error);
  }
  expect(reason).toBe("Io");
  expect(log.info().flushedOffset).toBe(2);
  expect(log.flushNow()).toBe(4);
  disk.crash({ _tag: "LoseUnsynced" });
  expect(openLog(disk).info().logEndOffset).toBe(4);
});
