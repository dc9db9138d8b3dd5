/**
 * The partition shell over the in-memory disk: idempotent producers stay deduplicated across a broker
 * restart (producer state is rebuilt from the log's batch headers), and a full disk answers
 * KAFKA_STORAGE_ERROR without damaging what was already stored.
 */
import { describe, expect, test } from "bun:test";
import { decodeRecordBatches, ErrorCode, encodeRecordBatch } from "@eddy/protocol";
import { MemoryDisk } from "@eddy/storage-memory";
import { PartitionShell } from "../src/node/partition-shell.ts";
import { storageOn } from "./memory-storage.ts";

const tp = { topic: "t", partition: 0 };
const lines: string[] = [];

async function leader(disk: MemoryDisk): Promise<PartitionShell> {
  const shell = await PartitionShell.open(tp, await storageOn(disk), {
    nodeId: 1,
    minInsyncReplicas: 1,
    replicaLagMsMax: 30_000,
    messageBytesMax: 1_000_000,
    producerIdExpirationMs: 86_400_000,
    log: (line) => lines.push(line),
  });
  await shell.applyLeadership({ leader: 1, leaderEpoch: 0, partitionEpoch: 0, isr: [1], replicas: [1] });
  return shell;
}

const batch = (baseSequence: number, values: string[]) =>
  encodeRecordBatch({
    records: values.map((v, i) => ({ offsetDelta: i, value: new TextEncoder().encode(v) })),
    producerId: 7n,
    producerEpoch: 0,
    baseSequence,
    baseTimestamp: BigInt(Date.now()),
  });

async function values(shell: PartitionShell): Promise<string[]> {
  const read = await shell.read(0, 1 << 20, -1);
  return decodeRecordBatches(read.records).flatMap((b) =>
    b.records.map((r) => new TextDecoder().decode(r.value!)),
  );
}

describe("partition shell", () => {
  test("an idempotent retry after a restart is answered with the original offset, not stored twice", async () => {
    const disk = new MemoryDisk();
    const first = await leader(disk);
    expect((await first.produce(batch(0, ["a", "b", "c"]), -1, 5000)).baseOffset).toBe(0);
    expect((await first.produce(batch(3, ["d", "e"]), -1, 5000)).baseOffset).toBe(3);
    await first.flush();
    disk.crash({ _tag: "LoseUnsynced" });

    const again = await leader(disk);
    // The producer did not hear the second answer and retries the same batch.
    const retry = await again.produce(batch(3, ["d", "e"]), -1, 5000);
    expect(retry.errorCode).toBe(ErrorCode.NONE);
    expect(retry.baseOffset).toBe(3);
    expect(again.logEndOffset).toBe(5);
    // A gap in the sequence is still refused after the restart.
    const gap = await again.produce(batch(9, ["z"]), -1, 5000);
    expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // The next batch in sequence goes on.
    expect((await again.produce(batch(5, ["f"]), -1, 5000)).baseOffset).toBe(5);
    expect(await values(again)).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  test("a full disk answers KAFKA_STORAGE_ERROR and damages nothing already stored", async () => {
    const disk = new MemoryDisk();
    const shell = await leader(disk);
    const plain = (v: string) => encodeRecordBatch({ records: [{ value: new TextEncoder().encode(v) }] });
    expect((await shell.produce(plain("kept"), 1, 5000)).errorCode).toBe(ErrorCode.NONE);
    await shell.flush();
    disk.faults.failNextWrite = "NoSpace";
    const refused = await shell.produce(plain("lost"), 1, 5000);
    expect(refused.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(lines.some((l) => l.includes("t-0 is offline"))).toBe(true);

    const restarted = await leader(disk);
    expect(await values(restarted)).toEqual(["kept"]);
    expect((await restarted.produce(plain("after"), 1, 5000)).baseOffset).toBe(1);
  });
});
