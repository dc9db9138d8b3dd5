/**
 * Issue 15's restart figure: time to serving after a clean shutdown with a large log, beside the same
 * restart after kill -9 and beside a start on an empty directory, in the same run. A broker started as
 * users start it takes 10,000-byte records on one partition from the perf tool (1 MB batches, acks=1)
 * in steps of 1 GB for as long as `--restart-fill-s` allows (default 40 s) or until `--restart-bytes`
 * (default 10 GB, the issue's size), stops on SIGTERM (the clean shutdown writes
 * `.kafka_cleanshutdown`) and starts again; then it takes one more step (about 1 GB, not yet fsynced)
 * and is killed with SIGKILL, and starts again. Each start is timed to the broker's `ready` line and
 * to kcat reading the last record at the log end, which must be the last one produced. The table
 * says how large the log was: on a loaded machine fewer steps fit.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "@eddy/broker/test/harness.ts";
import { dirBytes, lastOffset, perf, startProbedBroker } from "./bench-broker.ts";

const bytesArg = process.argv.indexOf("--restart-bytes");
const logBytesMax = bytesArg > 0 ? Number(process.argv[bytesArg + 1]) : 10e9;
const fillArg = process.argv.indexOf("--restart-fill-s");
const fillSecondsMax = fillArg > 0 ? Number(process.argv[fillArg + 1]) : 40;
const recordBytes = 10_000;
/** One produce step: 1 GB (a step is also what the kill -9 run adds after the clean restart). */
const stepRecords = Math.max(1, Math.min(100_000, Math.round(logBytesMax / recordBytes)));
const tailRecords = stepRecords;
const topic = "restart";
const work = tempDir("restart-bench");
const dataDir = join(work, "data");
const probe = join(work, "fsyncs.json");

interface StartRow {
  readonly what: string;
  readonly logBytes: number;
  readonly readyMs: number;
  readonly servingMs: number;
  /** The same kcat read once the broker serves: what the read itself costs (kcat's start included). */
  readonly warmReadMs: number;
}
const rows: StartRow[] = [];

/** Starts the broker on `dir`, times it to `ready` and to a read of the last record (checked). */
async function timedStart(what: string, dir: string, expectedLast: number | null) {
  const logBytes = existsSync(dir) ? dirBytes(dir) : 0;
  const started = performance.now();
  const probed = await startProbedBroker(dir, probe);
  if (expectedLast !== null) {
    const last = lastOffset(probed.broker.bootstrap, topic);
    if (last !== expectedLast) throw new Error(`${what}: last offset ${last}, expected ${expectedLast}`);
  }
  const servingMs = performance.now() - started;
  const warmStarted = performance.now();
  if (expectedLast !== null) lastOffset(probed.broker.bootstrap, topic);
  const warmReadMs = expectedLast === null ? Number.NaN : performance.now() - warmStarted;
  rows.push({
    warmReadMs,
    what,
    logBytes,
    readyMs: probed.readyMs,
    servingMs: expectedLast === null ? Number.NaN : servingMs,
  });
  return probed;
}

const produceArgs = (count: number, bootstrap: string) => [
  "produce",
  "--topic",
  topic,
  "--records",
  String(count),
  "--record-size",
  String(recordBytes),
  "--batch-size",
  "1000000",
  "--acks",
  "1",
  "--bootstrap-server",
  bootstrap,
];

let produceLine = "";
try {
  const empty = await timedStart("start, empty directory", join(work, "empty"), null);
  await empty.broker.stop();

  const writer = await startProbedBroker(dataDir, probe);
  const fillStarted = performance.now();
  let records = 0;
  let produceSeconds = 0;
  for (let step = 0; step < Math.ceil(logBytesMax / (stepRecords * recordBytes)); step++) {
    if (step > 0 && performance.now() - fillStarted > fillSecondsMax * 1000) break;
    produceSeconds += perf(produceArgs(stepRecords, writer.broker.bootstrap), 900_000).seconds;
    records += stepRecords;
  }
  const mbPerSecond = (records * recordBytes) / 1e6 / produceSeconds;
  produceLine = `produced ${records.toLocaleString("en")} records of ${recordBytes} bytes in ${produceSeconds.toFixed(1)} s (${mbPerSecond.toFixed(0)} MB/s)`;
  const stopStarted = performance.now();
  const code = await writer.broker.stop("SIGTERM");
  const stopMs = performance.now() - stopStarted;
  if (code !== 0) throw new Error(`the clean stop exited ${code}`);
  if (!existsSync(join(dataDir, ".kafka_cleanshutdown")))
    throw new Error("no clean-shutdown marker after SIGTERM");
  produceLine += `; clean stop (flush of what was not yet fsynced) ${(stopMs / 1000).toFixed(2)} s`;

  const clean = await timedStart("restart after a clean shutdown", dataDir, records - 1);
  // What the kill -9 run adds is in the page cache only: kill -9 loses no acknowledged record.
  perf(produceArgs(tailRecords, clean.broker.bootstrap), 300_000);
  // SIGKILL to the broker process itself (the harness holds it directly when a preload is given).
  await clean.broker.stop("SIGKILL");
  if (existsSync(join(dataDir, ".kafka_cleanshutdown"))) throw new Error("a marker survived kill -9");
  const crashed = await timedStart("restart after kill -9", dataDir, records + tailRecords - 1);
  await crashed.broker.stop();
} finally {
  removeDir(work);
}

console.log(`\nrestart (issue 15): one partition, 1 GiB segments (Kafka's default); ${produceLine}`);
console.log(
  "what                               log on disk   to ready   to first read at the log end   (the same read again)",
);
for (const row of rows) {
  const gb = `${(row.logBytes / 1e9).toFixed(2)} GB`;
  const serving = Number.isNaN(row.servingMs) ? "-" : `${(row.servingMs / 1000).toFixed(2)} s`;
  console.log(
    `${row.what.padEnd(34)} ${gb.padStart(11)} ${`${(row.readyMs / 1000).toFixed(2)} s`.padStart(10)}   ${serving.padStart(28)}   ${(Number.isNaN(row.warmReadMs) ? "-" : `${(row.warmReadMs / 1000).toFixed(2)} s`).padStart(21)}`,
  );
}
