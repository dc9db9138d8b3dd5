// What the hot tail keeps of an appended batch's buffer: nothing. A large batch (a 1 MiB record) is not
// cached, so it is copied once on the way in (into the request frame) and the server may reuse the frame;
// a small one is copied into a slab of the budget, so the frame around it is not pinned. The stored bytes
// are the batch's, byte for byte, read from the tail, from the segment file and after a reopen.
import { afterEach, expect, test } from "bun:test";
import { batchMake } from "@eddy/protocol";
import { type LogConfig, logConfigDefault, PartitionLog, TailBudget } from "@eddy/storage";
import { nodeFiles } from "../src/index.ts";
import { removeDir, tempDir } from "./helpers.ts";

const dirs: Array<string> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

const config: LogConfig = { ...logConfigDefault };
const frameHeaderBytes = 48;

/** A batch at `baseOffset` with `bodyBytes` of patterned filler, inside a frame with a header before it. */
function framed(
  baseOffset: number,
  bodyBytes: number,
  trailingBytes = 0,
): { frame: Uint8Array; batch: Uint8Array } {
  const body = new Uint8Array(bodyBytes);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + baseOffset) & 0xff;
  const batch = batchMake({ baseOffset, recordCount: 1, baseTimestampMs: 1_700_000_000_000, body });
  const frame = new Uint8Array(frameHeaderBytes + batch.length + trailingBytes);
  frame.fill(0xee);
  frame.set(batch, frameHeaderBytes);
  return { frame, batch };
}

function open(dir: string, budget: TailBudget): PartitionLog {
  return PartitionLog.open({
    files: nodeFiles,
    dir: `${dir}/large-0`,
    name: "large-0",
    config,
    tailCacheBytesMax: budget.bytesMax,
    tailBudget: budget,
    logLine: () => {},
    nowMs: 0,
  });
}

test("a 1 MiB batch is not cached (one copy on the way in): it is stored unchanged and read from the file", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const budget = new TailBudget(4 << 20);
  const log = open(dir, budget);
  const { frame, batch } = framed(0, 1 << 20);
  log.append(frame.subarray(frameHeaderBytes, frameHeaderBytes + batch.length), 0);
  // Nothing of it is held in memory, and the caller may reuse its buffer at once (the server does).
  expect(budget.bytes).toBe(0);
  expect(budget.batchBytes).toBe(0);
  frame.fill(0);
  const read = log.read({ fetchOffset: 0, maxBytes: 2 << 20 });
  expect(read.records.buffer).not.toBe(frame.buffer);
  expect(read.records).toEqual(batch);
  // Small batches after it are cached again, and a read across both returns each exactly.
  const small = framed(1, 1000);
  log.append(small.frame.subarray(frameHeaderBytes, frameHeaderBytes + small.batch.length), 0);
  expect(budget.batchBytes).toBe(small.batch.length);
  expect(log.read({ fetchOffset: 1, maxBytes: 1 }).records).toEqual(small.batch);
  expect(log.read({ fetchOffset: 0, maxBytes: 1 }).records).toEqual(batch);
  await log.close();

  const reopened = open(dir, new TailBudget(4 << 20));
  expect(reopened.read({ fetchOffset: 0, maxBytes: 1 }).records).toEqual(batch);
  expect(reopened.info().logEndOffset).toBe(2);
  await reopened.close();
});

test("a batch that is a small part of its buffer is copied, so the buffer is neither pinned nor shared", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const budget = new TailBudget(4 << 20);
  const log = open(dir, budget);
  // The batch is about a third of the buffer (other partitions' batches would fill the rest).
  const { frame, batch } = framed(0, 1000, 2000);
  log.append(frame.subarray(frameHeaderBytes, frameHeaderBytes + batch.length), 0);
  // It is copied into one of the budget's slabs, which is what the budget counts.
  expect(budget.bytes).toBe(budget.slabBytes);
  expect(budget.retainedBufferBytes()).toBe(budget.slabBytes);
  // A caller reusing its buffer afterwards (which the contract forbids) would not change a copy.
  frame.fill(0);
  const read = log.read({ fetchOffset: 0, maxBytes: 1 << 20 });
  expect(read.records.buffer).not.toBe(frame.buffer);
  expect(read.records).toEqual(batch);
  await log.close();
});
