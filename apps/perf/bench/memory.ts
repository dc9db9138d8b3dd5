/**
 * Issue 15's footprint figures, each beside its baseline in the same run, with `/proc/loadavg` printed
 * beside them (the machine is shared):
 *   - resident memory of a broker started as users start it while the perf tool produces 100-byte
 *     records (default 3 GB, `--memory-bytes N`; the issue's target is 10 GB), sampled from
 *     `/proc/PID/status` every 250 ms: at start, peak, and after 5 s idle, beside the tail cache bound
 *     (`eddy.log.tail.cache.bytes`), with the default bound and with it raised to 256 MiB
 *     (`--memory-raised-bytes N`), each with the broker's default collection pacing (or
 *     `--collect-interval-bytes N`)
 *     (`eddy.heap.collect.interval.bytes`) and, as the baseline, with pacing off; then the issue's
 *     two targets, met or missed;
 *   - 10,000 partitions (`--partitions N`; 100 topics of 100 partitions, 10 topics per CreateTopics):
 *     time to create them, resident memory, the broker's CPU while idle over 10 s once 10 s have passed
 *     (utime + stime from `/proc/PID/stat`), and the time from a clean restart's spawn to its `ready`
 *     line, beside an empty broker's start, RSS and idle CPU (`--skip-volume` runs only this part).
 * It owns no broker code; it reads the process from outside, as an operator would.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "@eddy/broker/test/harness.ts";
import { KafkaConnection } from "@eddy/client";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { perfAsync, startProbedBroker } from "./bench-broker.ts";

function numberArg(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} wants a positive integer`);
  return value;
}

const volumeBytes = numberArg("--memory-bytes", 3e9);
const raisedCacheBytes = numberArg("--memory-raised-bytes", 256 * 1024 * 1024);
/** `--collect-interval-bytes N`: the paced runs use this `eddy.heap.collect.interval.bytes`, not the default. */
const pacedIntervalBytes = process.argv.includes("--collect-interval-bytes")
  ? numberArg("--collect-interval-bytes", 1)
  : null;
const partitionsCount = numberArg("--partitions", 10_000);
/**
 * The broker's default `eddy.log.tail.cache.bytes` (apps/broker/src/config/definitions.ts), which the
 * first run leaves unset and the table prints; the broker's package exports no more than its entry.
 */
const defaultCacheBytes = 16 * 1024 * 1024;
const recordBytes = 100;
const partitionsPerTopic = 100;
const topicsPerRequest = 10;
/** RSS samples kept per run: at 250 ms, over an hour; a longer run stops sampling, not the run. */
const samplesMax = 4 * 3600;
const idleMeasureMs = 10_000;
/**
 * The fsync probe's write interval in the partitions part, which counts no fsyncs: the probe's
 * writes (every 50 ms by default) would be measured as the broker's idle CPU.
 */
const idleProbeMs = 5_000;
/**
 * Wait before the idle measurement: a broker with 10,000 partitions works for about 5 s after its
 * `ready` line (a third of a core, measured), and idle CPU is about what follows.
 */
const idleSettleMs = 10_000;
/** `--skip-volume` runs only the partitions part. */
const skipVolume = process.argv.includes("--skip-volume");
const clockTicksPerSecond = 100;
const work = tempDir("memory-bench");
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** Resident bytes of `pid` (VmRSS). */
function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

/** CPU seconds `pid` has used (utime + stime from /proc/PID/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/** The broker's share of one core while idle over `idleMeasureMs`. */
async function idleCpuShare(pid: number): Promise<number> {
  await Bun.sleep(idleSettleMs);
  const before = cpuSeconds(pid);
  await Bun.sleep(idleMeasureMs);
  return (cpuSeconds(pid) - before) / (idleMeasureMs / 1000);
}

const loadavg = () => readFileSync("/proc/loadavg", "utf8").trim().split(" ").slice(0, 3).join(" ");

interface VolumeRow {
  readonly cacheBytes: number;
  /** `eddy.heap.collect.interval.bytes` for the run, null for the broker's default. */
  readonly collectIntervalBytes: number | null;
  readonly recordsPerSecond: number;
  readonly startBytes: number;
  readonly peakBytes: number;
  readonly idleBytes: number;
  readonly seconds: number;
  readonly load: string;
}

async function produceVolume(
  cacheBytes: number | null,
  collectIntervalBytes: number | null,
): Promise<VolumeRow> {
  const dir = join(work, `volume-${cacheBytes ?? "default"}-${collectIntervalBytes ?? "default"}`);
  const args = cacheBytes === null ? [] : ["--override", `eddy.log.tail.cache.bytes=${cacheBytes}`];
  if (collectIntervalBytes !== null)
    args.push("--override", `eddy.heap.collect.interval.bytes=${collectIntervalBytes}`);
  mkdirSync(dir, { recursive: true });
  const probed = await startProbedBroker(join(dir, "data"), join(dir, "fsyncs.json"), args);
  const pid = probed.broker.process.pid;
  try {
    await Bun.sleep(1000);
    const startBytes = rssBytes(pid);
    let peakBytes = startBytes;
    let samples = 0;
    const sampler = setInterval(() => {
      if (samples++ < samplesMax) peakBytes = Math.max(peakBytes, rssBytes(pid));
    }, 250);
    const records = Math.ceil(volumeBytes / recordBytes);
    const figures = await perfAsync([
      "produce",
      "--topic",
      "memory",
      "--records",
      String(records),
      "--record-size",
      String(recordBytes),
      "--throughput",
      "-1",
      "--acks",
      "1",
      "--bootstrap-server",
      probed.broker.bootstrap,
    ]);
    await Bun.sleep(5000);
    clearInterval(sampler);
    return {
      cacheBytes: cacheBytes ?? defaultCacheBytes,
      collectIntervalBytes,
      recordsPerSecond: figures.recordsPerSecond,
      startBytes,
      peakBytes: Math.max(peakBytes, rssBytes(pid)),
      idleBytes: rssBytes(pid),
      seconds: figures.seconds,
      load: loadavg(),
    };
  } finally {
    await probed.broker.stop();
    removeDir(dir);
  }
}

/** Creates `count` partitions as topics of `partitionsPerTopic`, `topicsPerRequest` per CreateTopics. */
async function createPartitions(bootstrap: string, count: number): Promise<void> {
  const [host, port] = bootstrap.split(":");
  const connection = await KafkaConnection.open(host!, Number(port), 120_000, "memory-bench");
  try {
    const topicsCount = Math.ceil(count / partitionsPerTopic);
    for (let first = 0; first < topicsCount; first += topicsPerRequest) {
      const topics = [];
      for (let t = first; t < Math.min(topicsCount, first + topicsPerRequest); t++) {
        topics.push({
          name: `many-${t}`,
          numPartitions: Math.min(partitionsPerTopic, count - t * partitionsPerTopic),
          replicationFactor: 1,
          assignments: [],
          configs: [],
        });
      }
      const response = await connection.request(ApiKey.CreateTopics, 4, {
        topics,
        timeoutMs: 120_000,
        validateOnly: false,
      });
      for (const topic of response.topics) {
        if (topic.errorCode !== ErrorCode.NONE)
          throw new Error(`CreateTopics ${topic.name}: error ${topic.errorCode} ${topic.errorMessage ?? ""}`);
      }
    }
  } finally {
    connection.close();
  }
}

interface PartitionsRow {
  readonly what: string;
  readonly ms: number;
  readonly rssBytes: number;
  readonly idleCpu: number;
  readonly load: string;
}

async function manyPartitions(): Promise<PartitionsRow[]> {
  const rows: PartitionsRow[] = [];
  const dir = join(work, "partitions");
  const probe = join(dir, "fsyncs.json");
  const data = join(dir, "data");
  mkdirSync(dir, { recursive: true });
  const first = await startProbedBroker(data, probe, [], idleProbeMs);
  let pid = first.broker.process.pid;
  try {
    await Bun.sleep(1000);
    rows.push({
      what: "empty broker, start",
      ms: first.readyMs,
      rssBytes: rssBytes(pid),
      idleCpu: await idleCpuShare(pid),
      load: loadavg(),
    });
    const started = performance.now();
    await createPartitions(first.broker.bootstrap, partitionsCount);
    const createMs = performance.now() - started;
    rows.push({
      what: `create ${partitionsCount.toLocaleString("en")} partitions`,
      ms: createMs,
      rssBytes: rssBytes(pid),
      idleCpu: await idleCpuShare(pid),
      load: loadavg(),
    });
  } catch (error) {
    await first.broker.stop("SIGKILL");
    throw error;
  }
  const code = await first.broker.stop("SIGTERM");
  if (code !== 0) throw new Error(`clean stop exited ${code}`);
  const second = await startProbedBroker(data, probe, [], idleProbeMs);
  pid = second.broker.process.pid;
  try {
    await Bun.sleep(1000);
    rows.push({
      what: `restart with ${partitionsCount.toLocaleString("en")}`,
      ms: second.readyMs,
      rssBytes: rssBytes(pid),
      idleCpu: await idleCpuShare(pid),
      load: loadavg(),
    });
  } finally {
    await second.broker.stop();
  }
  return rows;
}

try {
  // Each bound with the broker's default collection pacing, then with pacing off (the baseline: the
  // runtime left to collect on its own), in the same run.
  const runs = skipVolume
    ? []
    : [
        await produceVolume(null, pacedIntervalBytes),
        await produceVolume(null, 0),
        await produceVolume(raisedCacheBytes, pacedIntervalBytes),
        await produceVolume(raisedCacheBytes, 0),
      ];
  if (runs.length > 0) {
    console.log(
      `\nmemory (issue 15): RSS while producing ${mb(volumeBytes)} of ${recordBytes}-byte records (perf tool, acks=1), sampled every 250 ms`,
    );
    console.log(
      "tail cache bound   collection pacing   at start   peak while producing   5 s idle after   peak - start - bound   records/s   loadavg",
    );
    for (const run of runs) {
      const pacing =
        run.collectIntervalBytes === null
          ? "default (16 MiB)"
          : run.collectIntervalBytes === 0
            ? "off"
            : mb(run.collectIntervalBytes);
      console.log(
        `${mb(run.cacheBytes).padEnd(18)} ${pacing.padEnd(18)} ${mb(run.startBytes).padStart(9)} ${mb(run.peakBytes).padStart(22)} ${mb(run.idleBytes).padStart(16)} ${mb(run.peakBytes - run.startBytes - run.cacheBytes).padStart(22)} ${Math.round(run.recordsPerSecond).toLocaleString("en").padStart(11)}   ${run.load}`,
      );
    }
    // The issue's two targets. With the bound raised, the peak is held against the base that does not
    // depend on the bound: the default run's peak less its bound (what the runtime, the request
    // garbage and the indexes take), plus the raised bound, plus 10%.
    const [atDefault, , raised] = runs as [VolumeRow, VolumeRow, VolumeRow, VolumeRow];
    const baseBytes = atDefault.peakBytes - atDefault.cacheBytes;
    const raisedTargetBytes = 1.1 * (baseBytes + raised.cacheBytes);
    console.log(
      `  default bound: peak ${mb(atDefault.peakBytes)} against the target of 200 MB: ${atDefault.peakBytes <= 200e6 ? "met" : "missed"}`,
    );
    console.log(
      `  raised bound: peak ${mb(raised.peakBytes)} against 1.1 x (base ${mb(baseBytes)} + bound ${mb(raised.cacheBytes)}) = ${mb(raisedTargetBytes)}: ${raised.peakBytes <= raisedTargetBytes ? "met" : "missed"}` +
        ` (against 1.1 x (start ${mb(raised.startBytes)} + bound) = ${mb(1.1 * (raised.startBytes + raised.cacheBytes))}: ${raised.peakBytes <= 1.1 * (raised.startBytes + raised.cacheBytes) ? "met" : "missed"})`,
    );
  }
  const rows = await manyPartitions();
  console.log(
    `\npartitions (issue 15): ${partitionsCount.toLocaleString("en")} partitions as topics of ${partitionsPerTopic}, ${topicsPerRequest} topics per CreateTopics`,
  );
  console.log("what                          time       RSS   idle CPU (a core, 10-20 s after)   loadavg");
  for (const row of rows) {
    console.log(
      `${row.what.padEnd(26)} ${`${(row.ms / 1000).toFixed(2)} s`.padStart(8)} ${mb(row.rssBytes).padStart(9)} ${`${(row.idleCpu * 100).toFixed(1)} %`.padStart(38)}   ${row.load}`,
    );
  }
} finally {
  removeDir(work);
}
