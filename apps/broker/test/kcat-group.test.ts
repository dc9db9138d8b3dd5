/**
 * kcat's balanced consumer (`kcat -G group topic`, librdkafka 2.0.2) against a broker started as users
 * start it: it joins the group, is assigned every partition, reads everything produced with `kcat -P`,
 * commits on close, and a later run of the same group, even after a broker restart on the same data
 * directory, reads only what was produced since. Two kcat consumers of one group split the
 * partitions between them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { kcat, removeDir, spawnCollecting, startBroker, tempDir } from "./harness.ts";

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
    // One consumer at a time: no need to wait for others before the first rebalance.
    const args = [
      "--override",
      `num.partitions=${partitionCount}`,
      "--override",
      "group.initial.rebalance.delay.ms=0",
    ];
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

  test("two kcat consumers of one group split the partitions and read everything once", async () => {
    const broker = await startBroker({
      args: ["--storage", "memory", "--override", "num.partitions=4"],
    });
    dirs.push(broker.dataDir);
    const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
    // Produced first: a consumer only learns of a topic created later at its next metadata refresh.
    produce(broker.bootstrap, "split", values);
    const members = ["A", "B"].map((name) => ({
      name,
      ...spawnCollecting([
        "kcat",
        "-b",
        broker.bootstrap,
        "-G",
        "pair",
        "-X",
        "auto.offset.reset=earliest",
        "-u",
        "-f",
        `${name} %p %s\\n`,
        "split",
      ]),
    }));
    /** The partitions of a member's latest assignment, from kcat's rebalance log line. */
    const assigned = (err: string): number[] => {
      const lines = err.split("\n").filter((l) => l.includes("assigned:"));
      const last = lines.at(-1) ?? "";
      return [...last.matchAll(/split \[(\d+)\]/g)].map((m) => Number(m[1])).sort();
    };
    try {
      // Started together, both join within the initial rebalance delay: one generation holds them both.
      const deadline = Date.now() + 60_000;
      const read = () =>
        members.flatMap((m) =>
          m
            .output()
            .split("\n")
            .filter((l) => l.length > 0),
        );
      while (read().length < values.length && Date.now() < deadline) await Bun.sleep(200);
      const [a, b] = members.map((m) => assigned(m.errors()));
      expect(a!.length).toBeGreaterThan(0);
      expect(b!.length).toBeGreaterThan(0);
      expect([...a!, ...b!].sort()).toEqual([0, 1, 2, 3]);
      // Each member read only its own partitions, and together every message once.
      for (const line of read()) {
        const [name, partition] = line.split(" ");
        expect((name === "A" ? a : b)!).toContain(Number(partition));
      }
      expect(
        read()
          .map((l) => l.split(" ")[2])
          .sort(),
      ).toEqual([...values].sort());
    } finally {
      for (const m of members) m.process.kill("SIGTERM");
      await Promise.all(members.map((m) => m.process.exited));
      expect(await broker.stop()).toBe(0);
    }
  }, 120_000);
});
