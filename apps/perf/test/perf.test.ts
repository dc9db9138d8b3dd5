/**
 * `bun run perf` against a real broker started as users start it: produce with each acks value and
 * count what the broker holds with kcat, consume it back (with and without a group), and check the
 * final JSON line; bad arguments exit 2 with a clear message.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  kcatReadAll,
  type RunningBroker,
  removeDir,
  repoRoot,
  spawnCollecting,
  startBroker,
  until,
} from "@eddy/broker/test/harness.ts";
import { spawnSync } from "bun";
import type { FinalFigures } from "../src/report.ts";

const recordsCount = 20_000;

function perf(args: string[]): { code: number; out: string; err: string } {
  const result = spawnSync(["bun", "run", "--silent", "perf", ...args], { cwd: repoRoot, timeout: 60_000 });
  return { code: result.exitCode ?? -1, out: result.stdout.toString(), err: result.stderr.toString() };
}

/** The final JSON line of a run (the last line of stdout). */
function finalLine(out: string): FinalFigures {
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as FinalFigures;
}

function expectOrderedPercentiles(f: FinalFigures): void {
  expect(f.latencyMsP50).not.toBeNull();
  expect(f.latencyMsP50!).toBeLessThanOrEqual(f.latencyMsP99!);
  expect(f.latencyMsP99!).toBeLessThanOrEqual(f.latencyMsP999!);
  expect(f.latencyMsP999!).toBeLessThanOrEqual(f.latencyMsMax!);
  expect(f.latencyMsP50!).toBeGreaterThanOrEqual(0);
}

describe("perf against a real broker", () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    // No initial rebalance delay, so a group consumer starts reading while the producer still writes.
    broker = await startBroker({ args: ["--override", "group.initial.rebalance.delay.ms=0"] });
  });
  afterAll(async () => {
    await broker.stop();
    removeDir(broker.dataDir);
  });

  for (const acks of ["0", "1", "-1"]) {
    test(`produce ${recordsCount} records with acks=${acks}: the broker holds exactly that many, and they read back`, async () => {
      const topic = `perf-acks${acks === "-1" ? "all" : acks}`;
      const produced = perf([
        "produce",
        "--topic",
        topic,
        "--records",
        String(recordsCount),
        "--record-size",
        "50",
        "--acks",
        acks,
        "--partitions",
        "2",
        "--bootstrap-server",
        broker.bootstrap,
        "--reporting-interval",
        "100",
        "--output",
        "json",
      ]);
      expect(produced.err).toBe("");
      expect(produced.code).toBe(0);
      const p = finalLine(produced.out);
      expect(p.kind).toBe("produce");
      expect(p.records).toBe(recordsCount);
      expect(p.bytes).toBe(recordsCount * 50);
      expect(p.errors).toBe(0);
      expect(p.cpuSecondsPerMillionRecords).toBeGreaterThan(0);
      if (acks === "0") expect(p.latencyMsP50).toBeNull();
      else expectOrderedPercentiles(p);

      // acks=0 returns before the broker has appended everything; wait for the last records.
      const values = await until(
        `${recordsCount} records in ${topic}`,
        () => {
          const read = kcatReadAll(broker.bootstrap, topic);
          return read.length >= recordsCount ? read : null;
        },
        30_000,
      );
      expect(values.length).toBe(recordsCount);
      expect(values.every((v) => /^[A-Z]{50}$/.test(v))).toBe(true);

      const consumed = perf([
        "consume",
        "--topic",
        topic,
        "--records",
        String(recordsCount),
        "--bootstrap-server",
        broker.bootstrap,
        "--output",
        "json",
      ]);
      expect(consumed.code).toBe(0);
      const c = finalLine(consumed.out);
      expect(c.kind).toBe("consume");
      expect(c.records).toBe(recordsCount);
      expect(c.bytes).toBe(recordsCount * 50);
      expect(c.latencyOf).toBe("end-to-end");
      expect(c.latencyCount).toBe(recordsCount);
      expectOrderedPercentiles(c);
    }, 90_000);
  }

  test("--warmup-records: the records after the warm-up are reported again as a steady state", async () => {
    const topic = "perf-warmup";
    const warmupRecords = 5000;
    const common = [
      "--topic",
      topic,
      "--records",
      String(recordsCount),
      "--bootstrap-server",
      broker.bootstrap,
    ];
    const warm = ["--warmup-records", String(warmupRecords)];
    // As text, Kafka's second summary line: "N steady state records sent in ...".
    const produced = perf(["produce", ...common, ...warm, "--record-size", "50", "--partitions", "1"]);
    expect(produced.code).toBe(0);
    const lines = produced.out.trim().split("\n");
    expect(lines[lines.length - 2]).toStartWith(`${recordsCount} records sent in `);
    const steadyLine = /^(\d+) steady state records sent in [0-9.]+ s, .* ms p99, /.exec(
      lines[lines.length - 1]!,
    );
    expect(steadyLine).not.toBeNull();
    // A request is steady when its first record is past the warm-up, so the split is at a batch edge.
    const steadyProduced = Number(steadyLine![1]);
    const recordsPerBatch = Number(/recordsPerBatch (\d+)/.exec(lines[lines.length - 2]!)![1]);
    expect(steadyProduced).toBeLessThanOrEqual(recordsCount - warmupRecords);
    expect(steadyProduced).toBeGreaterThan(recordsCount - warmupRecords - recordsPerBatch);

    // The consumer splits at the exact record: every record past the warm-up, each with its latency.
    const consumed = perf(["consume", ...common, ...warm, "--output", "json"]);
    expect(consumed.code).toBe(0);
    const c = finalLine(consumed.out);
    expect(c.records).toBe(recordsCount);
    expect(c.phase).toBe("all");
    const steady = c.steadyState!;
    expect(steady.phase).toBe("steady state");
    expect(steady.records).toBe(recordsCount - warmupRecords);
    expect(steady.bytes).toBe((recordsCount - warmupRecords) * 50);
    expect(steady.latencyCount).toBe(recordsCount - warmupRecords);
    expect(steady.seconds).toBeLessThanOrEqual(c.seconds);
    expectOrderedPercentiles(steady);
    // The whole run's tail includes the steady state's: its maximum is at least as large.
    expect(c.latencyMsMax!).toBeGreaterThanOrEqual(steady.latencyMsMax!);
  }, 90_000);

  test("a group consumer reads while a producer writes, commits, and a second run finds nothing left", async () => {
    const topic = "perf-group";
    const group = "perf-group-1";
    // 30,000 records at 5,000/s: the producer runs for 6 s while the consumer reads.
    const producer = spawnCollecting(
      [
        "bun",
        "run",
        "--silent",
        "perf",
        "produce",
        "--topic",
        topic,
        "--records",
        "30000",
        "--throughput",
        "5000",
        "--bootstrap-server",
        broker.bootstrap,
        "--reporting-interval",
        "200",
        "--output",
        "json",
      ],
      { cwd: repoRoot },
    );
    // The first progress line means the topic exists and records are flowing.
    await until(
      "the producer's first progress line",
      () => producer.output().includes("records sent"),
      20_000,
    );
    const consumed = perf([
      "consume",
      "--topic",
      topic,
      "--records",
      "30000",
      "--group",
      group,
      "--bootstrap-server",
      broker.bootstrap,
      "--reporting-interval",
      "200",
      "--output",
      "json",
    ]);
    expect(await producer.process.exited).toBe(0);
    expect(consumed.code).toBe(0);
    const c = finalLine(consumed.out);
    expect(c.records).toBe(30_000);
    expectOrderedPercentiles(c);
    // The consumer read while the producer wrote, so most records arrived soon after they were produced.
    expect(c.latencyMsP50!).toBeLessThan(1000);
    // Progress lines came while the producer ran, with Kafka's wording, then the JSON line.
    const produced = producer.output();
    expect(produced).toMatch(/records sent, [\d.]+ records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency/);
    expect(finalLine(produced).records).toBe(30_000);
    // Everything was committed: the same group now has nothing to read and gives up after its timeout.
    const rest = perf([
      "consume",
      "--topic",
      topic,
      "--records",
      "1",
      "--group",
      group,
      "--timeout-ms",
      "1500",
      "--bootstrap-server",
      broker.bootstrap,
      "--output",
      "json",
    ]);
    expect(rest.code).toBe(1);
    expect(finalLine(rest.out).records).toBe(0);
  }, 90_000);
});

describe("bad arguments", () => {
  const cases: [string[], string][] = [
    [["produce", "--records", "10"], "--topic is required"],
    [["produce", "--topic", "t"], "--records is required"],
    [["produce", "--topic", "t", "--records", "ten"], "--records must be an integer"],
    [["produce", "--topic", "t", "--records", "10", "--acks", "2"], "--acks must be 0, 1, -1 or all"],
    [["produce", "--topic", "t", "--records", "10", "--throughput", "0"], "--throughput must be positive"],
    [["produce", "--topic", "t", "--records", "10", "--group", "g"], "--group is not an option of produce"],
    [["consume", "--topic", "t", "--records", "10", "--acks", "1"], "--acks is not an option of consume"],
    [["produce", "--topic", "t", "--records", "10", "--bootstrap-server", "nohost"], "must be HOST:PORT"],
    [["produce", "--topic", "a/b", "--records", "10"], "not a legal Kafka topic name"],
    [["produce", "--topic", "t", "--records", "10", "--output", "xml"], "--output must be text or json"],
    [["produce", "--topic", "t", "--records", "10", "--bogus"], "Unknown option '--bogus'"],
    [["fetch"], 'unknown command "fetch"'],
    [
      ["produce", "--topic", "t", "--records", "10", "--warmup-records", "10"],
      "--warmup-records must be fewer than --records (10), got 10",
    ],
  ];
  for (const [args, message] of cases) {
    test(`${args.join(" ")} -> ${message}`, () => {
      const result = perf(args);
      expect(result.code).toBe(2);
      expect(result.err).toContain(`perf: `);
      expect(result.err).toContain(message);
      expect(result.err).not.toContain("    at ");
    });
  }

  test("an unreachable broker is a one-line error and exit 1", () => {
    const result = perf(["produce", "--topic", "t", "--records", "10", "--bootstrap-server", "127.0.0.1:1"]);
    expect(result.code).toBe(1);
    expect(result.err).toContain("perf: cannot connect to 127.0.0.1:1");
  });
});
