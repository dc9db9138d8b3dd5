/**
 * `bun run bench` in apps/perf: the perf tool's own figures against a broker started as users start it,
 * each beside a baseline measured in the same run on the same broker:
 *   - produce 1,000,000 records of 100 bytes at acks=1 and acks=-1 with the perf tool (Kafka's
 *     defaults: batch.size 16384, linger.ms 0, 5 requests in flight), beside kcat (librdkafka, with the
 *     broker benchmark's settings: linger.ms 5, batches of up to 10,000 records) producing the same
 *     number of 100-byte records;
 *   - consume them back with the perf tool, beside kcat consuming them;
 *   - produce at half the perf tool's peak rate (issue 15's latency condition) at acks=1 and acks=-1,
 *     with a consumer reading at the same time for end-to-end latency; the peak run is the baseline.
 *     Both sides run 6 s with `--warmup-records` of the first second (Kafka's option), and the
 *     steady state's percentiles are the figures, the whole run's beside them: the tools start as
 *     fresh processes, and their first second (compiling their hot paths) is not the broker's latency.
 *     The peak is the steady state of a run of at least 5 M records (its first fifth is its warm-up).
 * Prints records/s, latency percentiles and the perf tool's CPU seconds per million records, with
 * /proc/loadavg before and after (the machine is shared, so a figure without its load is not comparable).
 * `--records N` changes the count. `--latency-only` runs only the perf tool's peak produce (the
 * baseline) and the half-of-peak latency runs: no kcat rows, no consume-all rows and no footprint.ts,
 * so a latency run takes under a minute. `--broker-override K=V` passes a setting to the broker.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, repoRoot, spawnCollecting, startBroker, tempDir } from "@eddy/broker/test/harness.ts";
import { spawnSync } from "bun";
import type { FinalFigures } from "../src/report.ts";

const recordsArg = process.argv.indexOf("--records");
const recordsCount = recordsArg > 0 ? Number(process.argv[recordsArg + 1]) : 1_000_000;
const recordBytes = 100;
/**
 * The perf tool's peak run, whose steady state sets the latency condition's rate: at least 5 M records
 * (under 2 s at this machine's peak) so the rate is not a fraction of a second's worth, the first
 * million its warm-up. Shorter peak runs swung the half-of-peak rate between 1.06 and 1.54 M/s.
 */
const peakRecords = Math.max(recordsCount, 5_000_000);
const peakWarmupRecords = Math.floor(peakRecords / 5);
const latencyOnly = process.argv.includes("--latency-only");
/**
 * `--broker-override K=V` (repeatable) starts the broker with that setting, so a setting's effect is
 * measured by running the benchmark with and without it (the broker is otherwise started as users do).
 */
const brokerArgs = process.argv.flatMap((arg, i) =>
  arg === "--broker-override" && process.argv[i + 1] !== undefined
    ? ["--override", process.argv[i + 1]!]
    : [],
);
const work = tempDir("perf-bench");

function perfArgs(args: string[]): string[] {
  return ["bun", "apps/perf/src/main.ts", ...args, "--output", "json", "--reporting-interval", "3600000"];
}

function lastJson(out: string): FinalFigures {
  const lines = out.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as FinalFigures;
}

function perf(args: string[]): FinalFigures {
  const result = spawnSync(perfArgs(args), { cwd: repoRoot, timeout: 300_000 });
  if (result.exitCode !== 0) {
    throw new Error(`perf ${args.join(" ")} exited ${result.exitCode}: ${result.stderr.toString()}`);
  }
  return lastJson(result.stdout.toString());
}

/** Runs kcat and returns its wall seconds; a failure stops the benchmark. */
function kcatSeconds(args: string[], input?: string, output?: string): number {
  const started = performance.now();
  const result = spawnSync(["kcat", ...args], {
    stdin: input === undefined ? "ignore" : Bun.file(input),
    stdout: output === undefined ? "ignore" : Bun.file(output),
  });
  if (result.exitCode !== 0) throw new Error(`kcat ${args.join(" ")}: ${result.stderr.toString()}`);
  return (performance.now() - started) / 1000;
}

/**
 * kcat's consumer as the broker's benchmark runs it: a short fetch wait so reaching the end is not an
 * idle 500 ms, and a prefetch queue that holds the whole run, because librdkafka otherwise pauses at
 * queued.min.messages and resumes only on its once-a-second timer (apps/broker/bench/index.ts).
 */
const kcatConsumerConf = [
  "-X",
  "fetch.wait.max.ms=10",
  "-X",
  `queued.min.messages=${Math.min(recordsCount * 2, 10_000_000)}`,
  "-X",
  "queued.max.messages.kbytes=2097151",
];
/**
 * CPU seconds used so far by process `pid` (Linux /proc, in 10 ms clock ticks), or null. Beside the
 * tool's own CPU it shows which side of the socket is the limit.
 */
function cpuSecondsOf(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** `bun run broker` starts the broker as its only child; that child is the process to account. */
function onlyChild(pid: number): number | null {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/);
    return children.length === 1 && children[0] !== "" ? Number(children[0]) : null;
  } catch {
    return null;
  }
}

const loadavg = (): string => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const rows: string[] = [];
const loadBefore = loadavg();
const rate = (records: number, seconds: number): string => `${(records / seconds / 1e6).toFixed(2)} M/s`;
const latency = (f: FinalFigures): string =>
  f.latencyMsP50 === null
    ? "no latency"
    : `p50 ${f.latencyMsP50.toFixed(2)} p99 ${f.latencyMsP99!.toFixed(2)} p99.9 ${f.latencyMsP999!.toFixed(2)} max ${f.latencyMsMax!.toFixed(2)} ms`;
const lag = (f: FinalFigures): string =>
  `tool loop lag p99 ${f.extra.loopLagMsP99} max ${f.extra.loopLagMsMax} ms`;
const cpu = (f: FinalFigures): string => `tool CPU ${f.cpuSecondsPerMillionRecords.toFixed(3)} s/M records`;

// kcat -P sends each line as one record of exactly `recordBytes` bytes.
const inputPath = join(work, "records.txt");
writeFileSync(inputPath, `${"x".repeat(recordBytes)}\n`.repeat(recordsCount));

const broker = await startBroker({ dataDir: join(work, "data"), args: brokerArgs });
const brokerPid = onlyChild(broker.process.pid);
/** The broker's CPU seconds per million records over `run`, as text. */
function brokerCpu<T extends { records: number }>(run: () => T): [T, string] {
  const before = cpuSecondsOf(brokerPid);
  const result = run();
  const after = cpuSecondsOf(brokerPid);
  const text =
    before === null || after === null
      ? "broker CPU n/a"
      : `broker CPU ${((after - before) / (result.records / 1e6)).toFixed(3)} s/M records`;
  return [result, text];
}
/** Consumes one acks run's topics back with kcat and with the perf tool, and adds their row. */
function consumeAll(acks: string, kcatTopic: string, perfTopic: string, bootstrap: string[]): void {
  const kcatConsume = kcatSeconds(
    ["-C", "-b", broker.bootstrap, "-t", kcatTopic, "-o", "beginning", "-e", "-q", ...kcatConsumerConf],
    undefined,
    join(work, "consumed.txt"),
  );
  const [consumed, consumedBrokerCpu] = brokerCpu(() =>
    perf([
      "consume",
      "--topic",
      perfTopic,
      "--records",
      String(recordsCount + 1),
      "--fetch-max-wait-ms",
      "10",
      ...bootstrap,
    ]),
  );
  rows.push(
    `consume (after acks=${acks}): perf ${rate(consumed.records, consumed.seconds)} (${cpu(consumed)}, ${consumedBrokerCpu}); ` +
      `kcat ${rate(recordsCount, kcatConsume)}`,
  );
}

try {
  const bootstrap = ["--bootstrap-server", broker.bootstrap];
  for (const acks of ["1", "-1"]) {
    const name = acks === "1" ? "1" : "all";
    const kcatTopic = `kcat-acks${name}`;
    const perfTopic = `perf-acks${name}`;
    // Topics exist before the clock starts: creation is a metadata round trip, not throughput.
    const kcatConf = ["-X", `acks=${acks}`, "-X", "linger.ms=5", "-X", "batch.num.messages=10000"];
    kcatConf.push("-X", "batch.size=1000000", "-X", "queue.buffering.max.messages=2000000");
    let kcatProduce = Number.NaN;
    if (!latencyOnly) {
      spawnSync(["kcat", "-L", "-b", broker.bootstrap, "-t", kcatTopic, "-q"]);
      kcatProduce = kcatSeconds(
        ["-P", "-b", broker.bootstrap, "-t", kcatTopic, "-q", ...kcatConf],
        inputPath,
      );
    }
    perf(["produce", "--topic", perfTopic, "--records", "1", "--acks", acks, ...bootstrap]);
    const [produced, producedBrokerCpu] = brokerCpu(() =>
      perf([
        "produce",
        "--topic",
        perfTopic,
        "--records",
        String(peakRecords),
        "--warmup-records",
        String(peakWarmupRecords),
        "--record-size",
        String(recordBytes),
        "--acks",
        acks,
        ...bootstrap,
      ]),
    );
    const peak = produced.steadyState ?? produced;
    rows.push(
      `produce acks=${acks}: perf ${rate(produced.records, produced.seconds)} (${peakRecords} records; ${latency(produced)}, ${cpu(produced)}, ${producedBrokerCpu}; ` +
        `steady state after ${peakWarmupRecords} ${rate(peak.records, peak.seconds)})` +
        (latencyOnly ? "" : `; kcat ${rate(recordsCount, kcatProduce)}`),
    );
    if (!latencyOnly) consumeAll(acks, kcatTopic, perfTopic, bootstrap);

    // Issue 15's latency condition: half of the peak produce rate, a consumer reading at the same time.
    const halfRate = Math.max(1000, Math.floor(peak.recordsPerSecond / 2));
    // One second of warm-up, then five of steady state.
    const halfWarmup = ["--warmup-records", String(halfRate)];
    const halfRecords = halfRate * 6;
    const halfTopic = `perf-half-acks${name}`;
    perf(["produce", "--topic", halfTopic, "--records", "1", "--acks", acks, ...bootstrap]);
    const consumer = spawnCollecting(
      perfArgs([
        "consume",
        "--topic",
        halfTopic,
        "--records",
        String(halfRecords),
        ...halfWarmup,
        "--from-latest",
        ...bootstrap,
      ]),
      { cwd: repoRoot },
    );
    // The consumer must be at the log's end before the producer starts: its first fetch marks that.
    await Bun.sleep(1000);
    const half = perf([
      "produce",
      "--topic",
      halfTopic,
      "--records",
      String(halfRecords),
      "--throughput",
      String(halfRate),
      ...halfWarmup,
      "--acks",
      acks,
      ...bootstrap,
    ]);
    if ((await consumer.process.exited) !== 0) throw new Error(`consumer failed: ${consumer.errors()}`);
    const e2e = lastJson(consumer.output());
    const steadyOf = (f: FinalFigures): FinalFigures => {
      if (f.steadyState === null) throw new Error(`a ${f.kind} run with a warm-up has no steady state`);
      return f.steadyState;
    };
    rows.push(
      `produce acks=${acks} at half of peak (${halfRate} records/s, 5 s after 1 s of warm-up): ` +
        `request latency ${latency(steadyOf(half))} (whole run p99 ${half.latencyMsP99?.toFixed(2)}; ${lag(half)}); ` +
        `consume end-to-end ${latency(steadyOf(e2e))} (whole run p99 ${e2e.latencyMsP99?.toFixed(2)}; ${lag(e2e)}) ` +
        "(peak above is the baseline)",
    );
  }
} finally {
  await broker.stop();
  removeDir(work);
}
console.log(
  `perf tool, ${recordsCount} records of ${recordBytes} bytes, one partition (loadavg ${loadBefore} before, ${loadavg()} after):`,
);
for (const row of rows) console.log(`  ${row}`);

// Issue 15's restart, durable-acks and 1 MiB-record figures, each with its own broker (bench/footprint.ts).
if (
  !latencyOnly &&
  Bun.spawnSync(["bun", `${import.meta.dir}/footprint.ts`, ...process.argv.slice(2)], {
    stdout: "inherit",
    stderr: "inherit",
  }).exitCode !== 0
)
  process.exit(1);
