/**
 * The simulator's view of a replica's log is storage-memory's real log engine over a MemoryDisk:
 * these tests show the values the workload writes round-trip through Kafka's layout, and that the
 * view reads what the shared node's replica wrote. (The replica's own behaviour under crashes, torn
 * writes and disk faults is tested beside it, in packages/node.)
 */
import { describe, expect, test } from "bun:test";
import { MemoryDisk } from "@eddy/storage-memory";
import { openBrokerLogDir } from "../src/cluster/broker-log-dir.ts";
import {
  batchSummaries,
  encodeValues,
  ReplicaStore,
  simDataDir,
  simTopic,
} from "../src/cluster/replica-store.ts";

const plain = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

function freshDisk(): MemoryDisk {
  const disk = new MemoryDisk();
  disk.makeDir(simDataDir);
  return disk;
}

/** Partition 0's log on `disk`, opened through a broker's log directory as the simulated broker does. */
function openView(disk: MemoryDisk): ReplicaStore {
  return new ReplicaStore(
    openBrokerLogDir(disk, () => {}).open({ topic: simTopic, partition: 0 }, {}, 1_000),
  );
}

/** Appends `count` batches of `perBatch` values each, from value `first`, and fsyncs each. */
function fill(view: ReplicaStore, count: number, perBatch: number, first = 0): void {
  for (let i = 0; i < count; i++) {
    const values = Array.from({ length: perBatch }, (_, k) => first + i * perBatch + k);
    view.log.append(encodeValues(values, view.end, 1, plain, 1_000 + i), 1_000 + i);
    view.log.flushNow();
  }
}

describe("the simulator's view of a replica log", () => {
  test("values round-trip through record batches, and segments roll with Kafka's file layout", () => {
    const disk = freshDisk();
    const view = openView(disk);
    fill(view, 400, 3);
    expect(view.end).toBe(1_200);
    expect(view.durableEnd).toBe(1_200);
    expect(view.values(0, 1_200)).toEqual(Array.from({ length: 1_200 }, (_, k) => k));
    expect(view.values(598, 603)).toEqual([598, 599, 600, 601, 602]);
    const files = disk.fileInfos().map((f) => f.path.slice(`${simDataDir}/t-0/`.length));
    const logs = files.filter((f) => f.endsWith(".log"));
    expect(logs.length).toBeGreaterThan(3);
    expect(logs[0]).toBe("00000000000000000000.log");
    expect(files).toContain("00000000000000000000.index");
    expect(files).toContain("00000000000000000000.timeindex");
    // Every segment's base offset is the first offset it holds.
    for (const log of logs.slice(1)) expect(Number(log.slice(0, 20)) % 3).toBe(0);
  });

  test("valuesOf decodes a consumer's fetched batches from an offset inside the first batch", () => {
    const view = openView(freshDisk());
    fill(view, 5, 4);
    const read = view.log.read({ fetchOffset: 6, maxBytes: 1 << 20 });
    expect(view.valuesOf(read.records, 6, 5)).toEqual([6, 7, 8, 9, 10]);
    expect(batchSummaries(read.records).map((b) => b.baseOffset)).toEqual([4, 8, 12, 16]);
  });
});
