/**
 * The producer-id shell over the in-memory disk: the first InitProducerId after a start gets an id
 * (not COORDINATOR_LOAD_IN_PROGRESS while the first block is reserved), ids run on without a repeat
 * across block boundaries, and a restart never hands out an id reserved before it. The stored cursor
 * is decoded with its schema: a cursor written before it was JSON (no bytes, the file name alone) still
 * reads, and one that does not decode stops the shell from opening, naming the file, unchanged. A
 * failed reservation is answered with a retriable error, and the retry reserves the next block.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import { MemoryDisk, memoryDataDir } from "@eddy/storage-memory";
import { storageOn } from "../../test/memory-storage.ts";
import { ProducerIdShell } from "./producer-id-shell.ts";

async function idsFrom(shell: ProducerIdShell, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const answer = await shell.initProducerId(null, 60_000, -1, -1);
    expect(answer.errorCode).toBe(ErrorCode.NONE);
    expect(answer.producerEpoch).toBe(0);
    ids.push(answer.producerId);
  }
  return ids;
}

describe("producer-id shell", () => {
  test("every request gets a fresh id, the first after a start included, and a restart skips reserved ids", async () => {
    const disk = new MemoryDisk();
    const first = await idsFrom(await ProducerIdShell.open(await storageOn(disk)), 2500);
    expect(first).toEqual(first.map((_, i) => i));
    const [afterRestart] = await idsFrom(await ProducerIdShell.open(await storageOn(disk)), 1);
    // Blocks of 1000 are reserved before use: 0-2999 were reserved, so none of them comes back.
    expect(afterRestart).toBe(3000);
  });

  test("a failed reservation answers COORDINATOR_LOAD_IN_PROGRESS, and the retry gets an id past it", async () => {
    const disk = new MemoryDisk();
    const shell = await ProducerIdShell.open(await storageOn(disk), undefined, () => {});
    disk.faults.failNextWrite = "Io";
    const failed = await shell.initProducerId(null, 60_000, -1, -1);
    expect(failed.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    // The failed write may have reserved 0-999 or not: the cursor moved first, so they are skipped.
    expect(await idsFrom(shell, 1)).toEqual([1000]);
  });

  test("a cursor stored without bytes (before it was JSON) is read from the file name", async () => {
    const disk = new MemoryDisk();
    const storage = await storageOn(disk);
    await storage.run(storage.state.saveProducerIdCursor({ version: 3000, bytes: new Uint8Array(0) }));
    expect(await idsFrom(await ProducerIdShell.open(storage), 1)).toEqual([3000]);
  });

  for (const [name, text, detail] of [
    [
      "a wrong type",
      '{"version":1,"nextProducerId":"3000"}',
      'field nextProducerId: expected number, got "3000"',
    ],
    ["truncated JSON", '{"version":1,"nextProd', "not valid JSON (truncated or overwritten?)"],
    ["a missing field", '{"version":1}', "field nextProducerId: missing key"],
    [
      "a cursor other than the file name's",
      '{"version":1,"nextProducerId":1000}',
      "field nextProducerId: expected 3000 (the file's name), got 1000",
    ],
  ] as const) {
    test(`a stored cursor with ${name} stops the shell from opening and stays as it was`, async () => {
      const disk = new MemoryDisk();
      const storage = await storageOn(disk);
      const bytes = new TextEncoder().encode(text);
      await storage.run(storage.state.saveProducerIdCursor({ version: 3000, bytes }));
      await expect(ProducerIdShell.open(storage)).rejects.toThrow(
        `Corrupt: producer id block ${memoryDataDir}/__producer_ids-0/00000000000000003000.snapshot: ${detail}`,
      );
      const stored = await storage.run(storage.state.loadProducerIdCursor());
      expect(stored?.version).toBe(3000);
      expect(new TextDecoder().decode(stored?.bytes)).toBe(text);
    });
  }
});
