/**
 * kcat (librdkafka 2.0.2) against `bun run broker`: keyed produce into a multi-partition topic keeps
 * every key on one partition in order, and a consumer reading from the beginning gets everything.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { kcat, kcatReadAll, type RunningBroker, removeDir, startBroker } from "./harness.ts";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ args: ["--override", "num.partitions=3"] });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

describe("kcat", () => {
  test("keyed produce: same key, same partition, order kept; consume from beginning reads all", () => {
    const keys = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(`${keys[i % keys.length]}\tvalue-${i}`);
    kcat(
      ["-P", "-b", broker.bootstrap, "-t", "keyed", "-K", "\t", "-X", "acks=all"],
      `${lines.join("\n")}\n`,
    );

    const listing = kcat(["-L", "-b", broker.bootstrap, "-t", "keyed"]);
    expect(listing).toContain('topic "keyed" with 3 partitions');

    const rows = kcatReadAll(broker.bootstrap, "keyed", "%k\t%s\t%p\t%o\n").map((l) => {
      const [key, value, partition, offset] = l.split("\t");
      return {
        key: key!,
        index: Number(value!.slice("value-".length)),
        partition: Number(partition),
        offset: Number(offset),
      };
    });
    expect(rows.length).toBe(300);
    const partitionOfKey = new Map<string, number>();
    const lastIndexOfKey = new Map<string, number>();
    for (const row of rows) {
      const seen = partitionOfKey.get(row.key);
      if (seen !== undefined) expect(row.partition).toBe(seen);
      partitionOfKey.set(row.key, row.partition);
      expect(row.index).toBeGreaterThan(lastIndexOfKey.get(row.key) ?? -1);
      lastIndexOfKey.set(row.key, row.index);
    }
    // Six keys over three partitions: librdkafka's murmur2 partitioner spreads them over more than one.
    expect(new Set(partitionOfKey.values()).size).toBeGreaterThan(1);
    // Offsets are dense per partition, starting at 0.
    for (let p = 0; p < 3; p++) {
      const offsets = rows.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  }, 60_000);

  test("consume from an offset and by timestamp", async () => {
    const before = Date.now();
    kcat(["-P", "-b", broker.bootstrap, "-t", "timed", "-p", "0"], "a\nb\n");
    // A clear gap in time, so that "c" is the first record at or after `between`.
    await Bun.sleep(20);
    const between = Date.now();
    await Bun.sleep(20);
    kcat(["-P", "-b", broker.bootstrap, "-t", "timed", "-p", "0"], "c\n");
    const fromTwo = kcat(["-C", "-b", broker.bootstrap, "-t", "timed", "-p", "0", "-o", "2", "-e", "-q"]);
    expect(fromTwo.trim()).toBe("c");
    const offsetAt = (timestampMs: number) =>
      kcat(["-Q", "-b", broker.bootstrap, "-t", `timed:0:${timestampMs}`]).trim();
    expect(offsetAt(before - 1000)).toBe("timed [0] offset 0");
    expect(offsetAt(between)).toBe("timed [0] offset 2");
    // No record that late: Kafka answers -1.
    expect(offsetAt(Date.now() + 60_000)).toBe("timed [0] offset -1");
  }, 60_000);
});
