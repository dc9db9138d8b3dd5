/**
 * The seed batch over worker threads gives the same answer as the single-thread loop: every summary
 * figure but the wall-clock ones, the batch hash, and the failing seeds with their replay lines, in
 * seed order. Run-shaping flags reach the workers (a batch with them has another hash, equal across
 * worker counts). A seed that throws outside the checkers, or a worker that dies, fails the batch with
 * exit code 3 naming the seed and its replay line, and never hangs.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { runBatch } from "../src/batch.ts";
import { runBatchParallel } from "../src/batch-parallel.ts";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";

const cli = join(import.meta.dir, "..", "src", "cli.ts");
/** Long enough for a loaded 2-core machine; a hang shows up as this timeout, not a stuck suite. */
const cliTimeoutMs = 60_000;

interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

function run(args: string[], env: Record<string, string> = {}): CliRun {
  const p = Bun.spawnSync(["bun", cli, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
    timeout: cliTimeoutMs,
  });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** The summary rows that must not depend on the worker count (all but wall-clock time and speed). */
function deterministicRows(out: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const m of out.matchAll(/^\| (.+?) +\| +(.+?) \|$/gm)) {
    const key = m[1]!;
    if (key.startsWith("wall time") || key.startsWith("thread time") || key.startsWith("sim s /")) continue;
    rows.set(key, m[2]!);
  }
  return rows;
}

/** The failure reports, minus the one wall-clock figure in them. */
function failureLines(out: string): string[] {
  return out
    .split("\n")
    .filter((l) => /^seed \d+: FAILED|^ {2}#|^ {2}replay:/.test(l))
    .map((l) => l.replace(/ wall=\d+ms/, ""));
}

test("--count 20: one worker and two workers give the same summary and batch hash", () => {
  const one = run(["--count", "20", "--workers", "1"]);
  const two = run(["--count", "20", "--workers", "2"]);
  expect(one.code).toBe(0);
  expect(two.code).toBe(0);
  const rows = deterministicRows(one.out);
  expect(rows.get("seeds")).toBe("20");
  expect(rows.get("batch hash")).toMatch(/^[0-9a-f]{16}$/);
  expect(rows.size).toBe(10);
  expect(deterministicRows(two.out)).toEqual(rows);
  expect(one.out).toContain("| sim s / wall s (1 worker)");
  expect(two.out).toContain("| sim s / wall s (2 workers)");
  expect(two.out).toContain("| sim s / thread s (per core)");
  expect(two.err).toContain("20/20 seeds");
}, 60_000);

test("run-shaping flags reach the workers: another batch hash, the same for 1 and 2 workers", () => {
  const args = [
    "--count",
    "12",
    "--from",
    "40",
    "--safety-ms",
    "4000",
    "--liveness-ms",
    "12000",
    "--heal-majority",
    "--workload",
    '{"producers":2,"produceIntervalMs":100}',
  ];
  const plain = run(["--count", "12", "--from", "40", "--workers", "1"]);
  const one = run([...args, "--workers", "1"]);
  const two = run([...args, "--workers", "2"]);
  expect([plain.code, one.code, two.code]).toEqual([0, 0, 0]);
  expect(deterministicRows(two.out)).toEqual(deterministicRows(one.out));
  expect(deterministicRows(one.out).get("batch hash")).not.toBe(
    deterministicRows(plain.out).get("batch hash"),
  );
}, 60_000);

test("a known bug: the same failing seeds and replay lines, in seed order, for 1 and 2 workers", () => {
  const args = ["--count", "20", "--bug", "idempotence-no-dedup", "--safety-ms", "3000"];
  const one = run([...args, "--workers", "1"]);
  const two = run([...args, "--workers", "2"]);
  expect(one.code).toBe(1);
  expect(two.code).toBe(1);
  const failures = failureLines(one.out);
  const seeds = failures.flatMap((l) => /^seed (\d+):/.exec(l)?.[1] ?? []).map(Number);
  expect(seeds.length).toBeGreaterThan(0);
  expect(seeds).toEqual([...seeds].sort((a, b) => a - b));
  expect(failures).toContain(
    `  replay: bun run sim --seed ${seeds[0]} --bug idempotence-no-dedup --safety-ms 3000 (bun ${Bun.version})`,
  );
  expect(failureLines(two.out)).toEqual(failures);
  expect(deterministicRows(two.out)).toEqual(deterministicRows(one.out));
}, 60_000);

test("a seed that throws outside the checkers fails the batch naming the seed, for 1 and 2 workers", () => {
  for (const workers of ["1", "2"]) {
    const r = run(["--count", "10", "--workers", workers, "--safety-ms", "2000"], {
      SIM_TEST_THROW_SEED: "7",
    });
    expect(r.code).toBe(3);
    expect(r.err).toContain("sim: seed 7 crashed the simulator (outside the invariant checkers)");
    expect(r.err).toContain("SIM_TEST_THROW_SEED: seed 7 throws on purpose");
    expect(r.err).toContain(`  replay: bun run sim --seed 7 --safety-ms 2000 (bun ${Bun.version})`);
    expect(r.out).not.toContain("| seeds");
  }
}, 60_000);

test("a worker that exits in the middle of a seed fails the batch instead of hanging", () => {
  const r = run(["--count", "10", "--workers", "2", "--safety-ms", "2000"], { SIM_TEST_EXIT_SEED: "4" });
  expect(r.code).toBe(3);
  expect(r.err).toContain("sim: seed 4 crashed the simulator");
  expect(r.err).toContain("exited early (code 70)");
  expect(r.err).toContain("  replay: bun run sim --seed 4 --safety-ms 2000");
}, 60_000);

test("the library call folds worker results in seed order, equal to the single-thread loop", async () => {
  const base = { safetyMs: 2_000, livenessMs: 10_000, bugs: ["unclean-election" as const] };
  const loop = runBatch(11n, 9, kafkaCluster, base);
  const seen: bigint[] = [];
  const par = await runBatchParallel({
    fromSeed: 11n,
    count: 9,
    model: "kafka",
    base,
    workers: 3,
    onOutcome: (r) => seen.push(r.config.seed),
  });
  expect(seen).toEqual([11n, 12n, 13n, 14n, 15n, 16n, 17n, 18n, 19n]);
  expect(par.workers).toBe(3);
  const { wallMs: _a, seedWallMs: _b, workers: _c, failed: fa, ...restPar } = par;
  const { wallMs: _d, seedWallMs: _e, workers: _f, failed: fb, ...restLoop } = loop;
  expect(restPar).toEqual(restLoop);
  expect(fa.map((r) => [r.config.seed, r.hash, r.violations])).toEqual(
    fb.map((r) => [r.config.seed, r.hash, r.violations]),
  );
}, 60_000);
