/**
 * kcat's balanced consumer (`kcat -G group topic`, librdkafka 2.0.2) against a broker started as users
 * start it: it joins the group, is assigned every partition, reads everything produced with `kcat -P`,
 * commits on close, and a later run of the same group, even after a broker restart on the same data
 * directory, reads only what was produced since.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { kcat, removeDir, startBroker, tempDir } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const partitionCount = 3;

/** Produces `key:value` lines; keys spread the messages over the partitions. */
function produce(bootstrap: string, topic: string, values: readonly string[]): void {
  const input = values.map((v, i) => `k${i}:${v}`).join("\n");
  kcat(["-P", "-b", bootstrap, "-t", topic, "-K", ":"], `${input}\n`);
}

/** Runs the balanced consumer until every partition reaches its end; returns the values read. */
function consume(bootstrap: string, group: string, topic: string): string[] {
  const out = kcat(
    ["-b", bootstrap, "-G", group, "-X", "auto.offset.reset=earliest", "-e", "-q", "-f", "%s\\n", topic],
    undefined,
    60_000,
  );
  return out.split("\n").filter((line) => line.length > 0);
}

describe("kcat -G (balanced consumer group)", () => {
  test("reads what was produced, then only what is new, across a broker restart", async () => {
    const dataDir = tempDir("kcat-group");
    dirs.push(dataDir);
    const args = ["--override", `num.partitions=${partitionCount}`];
    let broker = await startBroker({ dataDir, args });
    const first = Array.from({ length: 30 }, (_, i) => `first-${i}`);
    try {
      produce(broker.bootstrap, "clicks", first);
      expect(consume(broker.bootstrap, "readers", "clicks").sort()).toEqual([...first].sort());
      // Committed on close: the same group has nothing left to read.
      expect(consume(broker.bootstrap, "readers", "clicks")).toEqual([]);
      // Another group starts from the beginning.
      expect(consume(broker.bootstrap, "others", "clicks")).toHaveLength(first.length);
    } finally {
      expect(await broker.stop("SIGTERM")).toBe(0);
    }
    broker = await startBroker({ dataDir, args });
    try {
      expect(consume(broker.bootstrap, "readers", "clicks")).toEqual([]);
      const second = Array.from({ length: 10 }, (_, i) => `second-${i}`);
      produce(broker.bootstrap, "clicks", second);
      expect(consume(broker.bootstrap, "readers", "clicks").sort()).toEqual([...second].sort());
      const listed = kcat(["-L", "-b", broker.bootstrap, "-t", "clicks"]);
      expect(listed).toContain(`topic "clicks" with ${partitionCount} partitions`);
    } finally {
      expect(await broker.stop("SIGTERM")).toBe(0);
    }
  }, 150_000);
});
