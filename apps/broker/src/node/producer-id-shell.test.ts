/**
 * The producer-id shell over the in-memory disk: the first InitProducerId after a start gets an id
 * (not COORDINATOR_LOAD_IN_PROGRESS while the first block is reserved), ids run on without a repeat
 * across block boundaries, and a restart never hands out an id reserved before it.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import { MemoryDisk } from "@eddy/storage-memory";
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
});
