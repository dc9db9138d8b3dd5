/**
 * Issue 15's durable-acks figure: `--gc-producers` perf producers (default 4) write 100-byte records
 * to one partition at acks=all at the same time, against a broker with `log.flush.interval.messages=1`
 * (Kafka's `flush.messages=1`: every append is fsynced before it is acknowledged) and, as the
 * baseline in the same run, against a broker with Kafka's default (no fsync before the ack). Prints
 * the records/s of all producers together and the fsyncs per second the broker issued (counted by
 * the fsync probe), so group commit shows as many records per fsync. `--gc-records N` is each
 * producer's count (default 500,000). The load average before and after is printed beside the figures.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "@eddy/broker/test/harness.ts";
import { perf, perfAsync, startProbedBroker } from "./bench-broker.ts";

const producersArg = process.argv.indexOf("--gc-producers");
const producerCount = producersArg > 0 ? Number(process.argv[producersArg + 1]) : 4;
const recordsArg = process.argv.indexOf("--gc-records");
const recordsEach = recordsArg > 0 ? Number(process.argv[recordsArg + 1]) : 500_000;
const work = tempDir("group-commit-bench");
const loadavg = () => readFileSync("/proc/loadavg", "utf8").trim().split(" ").slice(0, 3).join(" ");
const loadBefore = loadavg();

interface Row {
  readonly what: string;
  readonly recordsPerSecond: number;
  readonly fsyncsPerSecond: number;
  readonly recordsPerFsync: number;
  readonly p99Ms: number;
}
const rows: Row[] = [];

async function run(what: string, args: string[]): Promise<void> {
  const probeOut = join(work, `${rows.length}.json`);
  const probed = await startProbedBroker(join(work, `data-${rows.length}`), probeOut, args);
  try {
    const bootstrap = ["--bootstrap-server", probed.broker.bootstrap];
    const topic = "durable";
    // The topic exists before the clock starts: creation is a metadata round trip, not throughput.
    perf(["produce", "--topic", topic, "--records", "1", "--acks", "-1", ...bootstrap]);
    await Bun.sleep(150);
    const before = probed.fsyncs();
    const started = performance.now();
    const figures = await Promise.all(
      Array.from({ length: producerCount }, () =>
        perfAsync([
          "produce",
          "--topic",
          topic,
          "--records",
          String(recordsEach),
          "--record-size",
          "100",
          "--acks",
          "-1",
          ...bootstrap,
        ]),
      ),
    );
    const seconds = (performance.now() - started) / 1000;
    await Bun.sleep(150);
    const after = probed.fsyncs();
    const fsyncs = after.dataSyncs + after.pathSyncs - before.dataSyncs - before.pathSyncs;
    const records = figures.reduce((sum, f) => sum + f.records, 0);
    rows.push({
      what,
      recordsPerSecond: records / seconds,
      fsyncsPerSecond: fsyncs / seconds,
      recordsPerFsync: fsyncs === 0 ? Number.NaN : records / fsyncs,
      p99Ms: Math.max(...figures.map((f) => f.latencyMsP99 ?? 0)),
    });
  } finally {
    await probed.broker.stop();
  }
}

try {
  await run("acks=all, flush.messages=1", ["--override", "log.flush.interval.messages=1"]);
  await run("acks=all, Kafka's default flush", []);
} finally {
  removeDir(work);
}

console.log(
  `\ndurable acks (issue 15): ${producerCount} perf producers x ${recordsEach.toLocaleString("en")} records of 100 bytes, one partition (loadavg ${loadBefore} before, ${loadavg()} after)`,
);
console.log(
  "what                               records/s   fsyncs/s   records per fsync   worst producer p99",
);
for (const row of rows) {
  console.log(
    `${row.what.padEnd(34)} ${Math.round(row.recordsPerSecond).toLocaleString("en").padStart(9)} ${Math.round(row.fsyncsPerSecond).toLocaleString("en").padStart(10)} ${(Number.isNaN(row.recordsPerFsync) ? "-" : Math.round(row.recordsPerFsync).toLocaleString("en")).padStart(19)}   ${row.p99Ms.toFixed(2).padStart(10)} ms`,
  );
}
