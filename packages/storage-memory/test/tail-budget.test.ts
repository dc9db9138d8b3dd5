import { expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { logConfigDefault, PartitionLog, TailBudget, type TailEntry } from "@eddy/storage";
import fc from "fast-check";
import { MemoryDisk } from "../src/memory/memory-disk.ts";

function openLog(disk: MemoryDisk, name: string, budget: TailBudget, tailCacheBytesMax = 1 << 20) {
  return PartitionLog.open({
    files: disk,
    dir: `/data/${name}`,
    name,
    config: { ...logConfigDefault, segmentBytesMax: 2000, indexIntervalBytes: 0 },
    tailCacheBytesMax,
    tailBudget: budget,
    logLine: () => {},
    nowMs: 0,
  });
}

function entry(owner: { evictOldest(e: TailEntry): void }, bytes: number): TailEntry {
  return { baseOffset: 0, lastOffset: 0, segmentBase: 0, bytes: new Uint8Array(bytes), owner, live: true };
}

test("the budget evicts the entry appended longest ago, whichever partition holds it", () => {
  const budget = new TailBudget(250);
  const evicted: Array<string> = [];
  const owner = (name: string) => ({
    evictOldest(e: TailEntry) {
      evicted.push(name);
      budget.release(e);
    },
  });
  const a = owner("a");
  const b = owner("b");
  budget.add(entry(a, 100));
  budget.add(entry(b, 100));
  expect(evicted).toEqual([]);
  budget.add(entry(b, 100));
  expect(evicted).toEqual(["a"]);
  expect(budget.bytes).toBe(200);
  const released = entry(a, 100);
  budget.add(released);
  expect(evicted).toEqual(["a", "b"]);
  budget.release(released);
  expect(budget.bytes).toBe(100);
  // A released entry is skipped, not evicted twice.
  budget.add(entry(a, 200));
  expect(evicted).toEqual(["a", "b", "b"]);
  expect(budget.bytes).toBe(200);
});

test("partitions sharing a small budget read back exactly what was appended, and stay within it", () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("append" as const),
      p: fc.nat(2),
      records: fc.integer({ min: 1, max: 4 }),
      body: fc.nat(300),
    }),
    fc.record({ kind: fc.constant("read" as const), p: fc.nat(2), at: fc.nat(1000) }),
    fc.record({ kind: fc.constant("truncate" as const), p: fc.nat(2), at: fc.nat(1000) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 1500 }), (ops, budgetBytes) => {
      const disk = new MemoryDisk();
      const budget = new TailBudget(budgetBytes);
      const logs = [0, 1, 2].map((p) => openLog(disk, `t-${p}`, budget));
      // What each partition holds: batch bytes by base offset.
      const model = logs.map(() => new Map<number, Uint8Array>());
      const ends = [0, 0, 0];
      for (const o of ops) {
        const log = logs[o.p]!;
        if (o.kind === "append") {
          const body = new Uint8Array(o.body).fill(ends[o.p]! % 251);
          const batch = batchMake({ baseOffset: ends[o.p]!, recordCount: o.records, body });
          log.append(batch, 0);
          model[o.p]!.set(ends[o.p]!, batch.slice());
          ends[o.p] = ends[o.p]! + o.records;
        } else if (o.kind === "truncate") {
          const bases = [...model[o.p]!.keys()];
          if (bases.length === 0) continue;
          const base = bases[o.at % bases.length]!;
          log.truncateTo(base);
          for (const b of bases) if (b >= base) model[o.p]!.delete(b);
          ends[o.p] = base;
        } else {
          const bases = [...model[o.p]!.keys()];
          if (bases.length === 0) continue;
          const base = bases[o.at % bases.length]!;
          const read = log.read({ fetchOffset: base, maxBytes: 1 });
          expect(read.batchCount).toBe(1);
          expect(read.records).toEqual(model[o.p]!.get(base)!);
        }
        expect(budget.bytes).toBeLessThanOrEqual(budgetBytes);
      }
      for (const log of logs) log.deleteAll();
      expect(budget.batchBytes).toBe(0);
      // At most the slab being filled stays, for the next batches.
      expect(budget.bytes).toBeLessThanOrEqual(budget.slabBytes);
    }),
    { numRuns: 200 },
  );
});

test("the tail's memory stays within its budget when appends are views into larger request buffers", () => {
  // A produce request hands the log its batches as views into the request frame (the frame's header
  // and other partitions' batches around them); the budget must bound the buffers the tail keeps
  // reachable, not only the batch bytes it counts.
  const disk = new MemoryDisk();
  const budget = new TailBudget(64 * 1024);
  // As in the broker, one partition may use the whole budget: it drops its own oldest batches.
  const log = openLog(disk, "t-0", budget, 64 * 1024);
  let next = 0;
  let lastTwo: Uint8Array = new Uint8Array(0);
  // Enough batches (2,000 of 1 KB) for evicted entries to wait in the queue before compaction.
  for (let i = 0; i < 1000; i++) {
    const one = batchMake({ baseOffset: next, recordCount: 1, body: new Uint8Array(1000).fill(i % 251) });
    const two = batchMake({ baseOffset: next + 1, recordCount: 1, body: new Uint8Array(1000).fill(7) });
    // A frame of 1.9 times the batches, them in the middle: [header][one][two][rest].
    const frame = new Uint8Array(Math.floor((one.length + two.length) * 1.9));
    frame.set(one, 100);
    frame.set(two, 100 + one.length);
    log.append(frame.subarray(100, 100 + one.length + two.length), 0);
    next += 2;
    lastTwo = two;
  }
  // 2 MB appended through 3.8 MB of frames, against a 64 KiB budget.
  expect(budget.bytes).toBeLessThanOrEqual(budget.bytesMax);
  // What the queue keeps reachable, evicted entries waiting in it included, is what it counts.
  expect(budget.retainedBufferBytes()).toBeLessThanOrEqual(budget.bytesMax);
  expect(budget.retainedBufferBytes()).toBe(budget.bytes);
  // The cached batch reads back as appended.
  const read = log.read({ fetchOffset: next - 1, maxBytes: 1 });
  expect(read.batchCount).toBe(1);
  expect(read.records).toEqual(lastTwo);
  log.deleteAll();
});

test("small batches go into slabs that are reused, and a read keeps its bytes after the slab is overwritten", () => {
  // Issue 15: a buffer (and an object) per cached batch became old-generation garbage when evicted.
  // Slabs are allocated once, up to the budget, and reused; entry objects are pooled.
  const disk = new MemoryDisk();
  const budget = new TailBudget(64 * 1024);
  const log = openLog(disk, "t-0", budget, 64 * 1024);
  let next = 0;
  let firstRead: Uint8Array | null = null;
  let firstBatch: Uint8Array | null = null;
  for (let i = 0; i < 2000; i++) {
    const batch = batchMake({ baseOffset: next, recordCount: 1, body: new Uint8Array(900).fill(i % 251) });
    log.append(batch, 0);
    if (i === 0) {
      firstBatch = batch.slice();
      firstRead = log.read({ fetchOffset: 0, maxBytes: 1 }).records;
    }
    next += 1;
    expect(budget.bytes).toBeLessThanOrEqual(budget.bytesMax);
  }
  // 2,000 batches of about 1 KB (30 times the budget) went through one 64 KiB slab.
  expect(budget.slabBytes).toBe(64 * 1024);
  expect(budget.slabsAllocated).toBe(1);
  // The first read was taken while the batch sat in the slab, which has since been overwritten many times.
  expect(firstRead).toEqual(firstBatch!);
  // The latest batches read back from the slab, exactly.
  const last = log.read({ fetchOffset: next - 1, maxBytes: 1 });
  expect(last.batchCount).toBe(1);
  expect(last.records[last.records.length - 1]).toBe(1999 % 251);
  expect(budget.batchBytes).toBeGreaterThan(0);
  log.deleteAll();
  expect(budget.batchBytes).toBe(0);
});
