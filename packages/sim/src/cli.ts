/**
 * `bun run sim`: runs a batch of seeds (default 1,000) with a progress line and a summary table (over
 * `--workers N` threads, default one fewer than the cores), or replays one run (`--seed N`, optionally `--faults JSON`,
 * `--bug a,b`), writes its trace as JSON lines (`--trace FILE`) or runs named scenarios
 * (`--scenario NAME|all`). Exit code 1 when any invariant broke, 2 on bad arguments, 3 when a seed
 * crashed the simulator itself (a throw outside the invariant checkers).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { type SeedOutcome, summaryTable } from "./batch.ts";
import { runBatchParallel, workersDefault, workersMax } from "./batch-parallel.ts";
import { BatchCrash } from "./batch-seed.ts";
import { type BugName, bugNames, isBugName } from "./bugs.ts";
import type { FaultEvent, FaultRates } from "./faults.ts";
import { models } from "./models.ts";
import { type NodeDisk, runOnce } from "./run.ts";
import { type RunConfig, replayLine, runConfig, type WorkloadConfig, workloadDefault } from "./run-config.ts";
import { scenarioNames, scenarios } from "./scenarios.ts";

/**
 * Seeds in a default batch: about ten seconds of work. A batch much smaller than this mostly measures
 * the JIT warming up (the first ~200 seeds run at about half the speed of the rest).
 */
const batchSeedsDefault = 1_000;

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    seed: { type: "string" },
    seeds: { type: "string" },
    count: { type: "string" },
    workers: { type: "string" },
    from: { type: "string", default: "1" },
    trace: { type: "string" },
    disks: { type: "string" },
    scenario: { type: "string" },
    faults: { type: "string" },
    bug: { type: "string" },
    model: { type: "string", default: "kafka" },
    "safety-ms": { type: "string" },
    "liveness-ms": { type: "string" },
    workload: { type: "string" },
    determinism: { type: "string" },
    "heal-majority": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  strict: true,
});

/**
 * Copies every broker's memory disk, as the run left it, under `dir/<node>/`, so the real tools
 * (`bun run dump-log`) can show the segments, indexes and checkpoints a simulated run wrote.
 */
function writeDisks(dir: string, disks: readonly NodeDisk[]): number {
  let files = 0;
  for (const { node, disk } of disks) {
    for (const info of disk.fileInfos()) {
      const target = join(dir, node, info.path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, disk.readAll(info.path) ?? new Uint8Array(0));
      files++;
    }
  }
  return files;
}

function fail(message: string): never {
  console.error(`sim: ${message}`);
  process.exit(2);
}

if (values.help) {
  console.log(`usage: bun run sim [--seeds N | --count N] [--from S] [--workers N] [--seed N [--trace FILE] [--disks DIR]]
             [--scenario NAME|all] [--determinism N]
             [--faults JSON] [--bug ${bugNames.join("|")}] [--model kafka|noop]
             [--safety-ms MS] [--liveness-ms MS] [--workload JSON] [--heal-majority]
scenarios: ${scenarioNames.join(", ")}`);
  process.exit(0);
}

const factory =
  models[values.model ?? "kafka"] ??
  fail(`unknown model ${values.model} (${Object.keys(models).join(", ")})`);
const bugs: BugName[] = [];
for (const b of (values.bug ?? "").split(",").filter((x) => x.length > 0)) {
  if (!isBugName(b)) fail(`unknown bug ${b}; known: ${bugNames.join(", ")}`);
  bugs.push(b);
}
/** A whole number in [min, max], or exit 2 naming the flag. */
function parseWhole(flag: string, s: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    fail(`--${flag} needs a whole number ${min}..${max}, got ${s}`);
  return n;
}

const base: Partial<RunConfig> = { bugs, healBrokerMajority: values["heal-majority"] === true };
if (values["safety-ms"] !== undefined)
  (base as { safetyMs?: number }).safetyMs = parseWhole("safety-ms", values["safety-ms"], 0);
if (values["liveness-ms"] !== undefined)
  (base as { livenessMs?: number }).livenessMs = parseWhole("liveness-ms", values["liveness-ms"], 0);
if (values.workload !== undefined) {
  (base as { workload?: WorkloadConfig }).workload = {
    ...workloadDefault,
    ...(JSON.parse(values.workload) as Partial<WorkloadConfig>),
  };
}
if (values.faults !== undefined) {
  const parsed = JSON.parse(values.faults) as { rates: FaultRates; schedule: FaultEvent[] };
  if (parsed.rates === undefined || !Array.isArray(parsed.schedule)) fail("--faults needs {rates, schedule}");
  (base as { faults?: RunConfig["faults"] }).faults = parsed;
}

function parseSeed(s: string): bigint {
  try {
    return BigInt(s);
  } catch {
    fail(`bad seed ${s}`);
  }
}

function report(r: SeedOutcome, label: string): void {
  const status = r.violations.length === 0 ? "ok" : `FAILED (${r.violations.length} violations)`;
  console.log(
    `${label}: ${status}  hash=${r.hash} events=${r.events} sim=${(r.simMs / 1000).toFixed(1)}s ` +
      `wall=${r.wallMs.toFixed(0)}ms produces=${r.produces} acked=${r.acked} polls=${r.polls} ` +
      `checks=${r.checks} converged=${r.convergedAtMs >= 0 ? `${r.convergedAtMs}ms` : "no"} faults=${r.schedule.length}`,
  );
  for (const v of r.violations.slice(0, 10))
    console.log(`  #${v.invariant} ${v.name} @${v.atMs}ms: ${v.message}`);
  if (r.violations.length > 0) console.log(`  replay: ${replayLine(r.config)} (bun ${Bun.version})`);
}

let exitCode = 0;
if (values.determinism !== undefined) {
  // Runs each seed twice and compares trace hashes; on a mismatch, reports the first diverging event.
  const count = Number(values.determinism);
  const from = parseSeed(values.from ?? "1");
  let diverged = 0;
  for (let i = 0; i < count; i++) {
    const seed = from + BigInt(i);
    const a = runOnce(runConfig(seed, base), factory);
    const b = runOnce(runConfig(seed, base), factory);
    if (a.hash === b.hash) continue;
    diverged++;
    const ta = runOnce(runConfig(seed, { ...base, trace: true }), factory)
      .trace.text()
      .split("\n");
    const tb = runOnce(runConfig(seed, { ...base, trace: true }), factory)
      .trace.text()
      .split("\n");
    const at = ta.findIndex((line, k) => line !== tb[k]);
    console.log(
      `seed ${seed}: hashes ${a.hash} != ${b.hash}; first divergence at event ${at}:\n  ${ta[at]}\n  ${tb[at]}`,
    );
  }
  console.log(`determinism: ${count} seeds run twice, ${diverged} diverged (bun ${Bun.version})`);
  if (diverged > 0) exitCode = 1;
} else if (values.scenario !== undefined) {
  const names = values.scenario === "all" ? scenarioNames : [values.scenario];
  for (const name of names) {
    const sc = scenarios[name] ?? fail(`unknown scenario ${name}; known: ${scenarioNames.join(", ")}`);
    const r = runOnce(
      runConfig(parseSeed(values.seed ?? "1"), { ...base, ...sc.config, trace: values.trace !== undefined }),
      factory,
    );
    report(r, `scenario ${name}`);
    const missing = sc.expect(r);
    if (missing.length > 0) console.log(`  expectation not met: ${missing.join("; ")}`);
    if (r.violations.length > 0 || missing.length > 0) exitCode = 1;
    if (values.trace !== undefined)
      writeFileSync(names.length > 1 ? `${name}.${values.trace}` : values.trace, r.trace.text());
  }
} else if (values.seed !== undefined) {
  const r = runOnce(
    runConfig(parseSeed(values.seed), { ...base, trace: values.trace !== undefined }),
    factory,
  );
  report(r, `seed ${values.seed}`);
  if (values.trace !== undefined) {
    writeFileSync(values.trace, r.trace.text());
    console.log(`trace: ${values.trace} (${r.trace.count} events)`);
  }
  if (values.disks !== undefined) {
    const files = writeDisks(values.disks, r.disks);
    console.log(`disks: ${values.disks} (${files} files; read a segment with bun run dump-log)`);
  }
  if (r.violations.length > 0) exitCode = 1;
} else {
  if (values.seeds !== undefined && values.count !== undefined && values.seeds !== values.count)
    fail("--seeds and --count are the same flag; give one");
  const count = parseWhole("count", values.count ?? values.seeds ?? String(batchSeedsDefault), 1);
  const workers =
    values.workers === undefined
      ? workersDefault(count)
      : Math.min(parseWhole("workers", values.workers, 1, workersMax), count);
  const from = parseSeed(values.from ?? "1");
  const tty = process.stderr.isTTY === true;
  const barWidth = 30;
  let lastDraw = 0;
  try {
    const s = await runBatchParallel({
      fromSeed: from,
      count,
      model: values.model ?? "kafka",
      base,
      workers,
      // Failures print in seed order (the order the summary folds them in), whatever thread ran them.
      onOutcome: (r) => {
        if (r.violations.length > 0) report(r, `seed ${r.config.seed}`);
      },
      // The bar counts finished seeds in finish order, so it moves as soon as any worker is done.
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastDraw <= 100 && p.done !== count) return;
        lastDraw = now;
        const filled = Math.round((p.done / count) * barWidth);
        const rate = p.elapsedMs > 0 ? p.simMs / p.elapsedMs : 0;
        const line = `[${"#".repeat(filled)}${".".repeat(barWidth - filled)}] ${p.done}/${count} seeds, ${p.violations} violations, ${rate.toFixed(0)} sim-s/wall-s (${workers} ${workers === 1 ? "worker" : "workers"})`;
        if (tty) process.stderr.write(`\r${line}`);
        else if (p.done === count || p.done % Math.max(1, Math.floor(count / 10)) === 0)
          process.stderr.write(`${line}\n`);
      },
    });
    if (tty) process.stderr.write("\n");
    console.log(summaryTable(s));
    console.log(`bun ${Bun.version}; replay any seed with: bun run sim --seed N`);
    if (s.violations > 0) exitCode = 1;
  } catch (e) {
    if (tty) process.stderr.write("\n");
    if (!(e instanceof BatchCrash)) throw e;
    console.error(`sim: ${e.message}`);
    console.error(`  replay: ${e.replay} (bun ${Bun.version})`);
    exitCode = 3;
  }
}
process.exit(exitCode);
