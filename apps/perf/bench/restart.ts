/**
 * Issue 15's restart figure: time to serving after a clean shutdown with a large log, beside the same
 * restart after kill -9 and beside a start on an empty directory, in the same run. A broker started as
 * users start it writes `--restart-bytes` (default 6 GB) of 10,000-byte records to one partition with
 * the perf tool (1 MB batches, acks=1), stops on SIGTERM (the clean shutdown writes
 * `.kafka_cleanshutdown`), and starts again; then it takes 100,000 more records (about 1 GB, not yet
 * fsynced) and is killed with SIGKILL, and starts again. Each start is timed to the broker's `ready`
 * line and to kcat reading the last record at the log end, which must be the last one produced.
 * `--restart-bytes N` changes the size (the produce step runs at about 200 MB/s on this machine).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "@eddy/broker/test/harness.ts";
import { dirBytes, lastOffset, perf, startProbedBroker } from "./bench-broker.ts";

const bytesArg = process.argv.indexOf("--restart-bytes");
const logBytesTarget = bytesArg > 0 ? Number(process.argv[bytesArg + 1]) : 6e9;
const recordBytes = 10_000;
const records = Math.max(1, Math.round(logBytesTarget / recordBytes));
const tailRecords = 100_000;
const topic = "restart";
const work = tempDir("restart-bench");
const dataDir = join(work, "data");
const probe = join(work, "fsyncs.json");

interface StartRow {
  readonly what: string;
  readonly logBytes: number;
  readonly readyMs: number;
  readonly servingMs: number;
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
  rows.push({
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
  const produced = perf(produceArgs(records, writer.broker.bootstrap), 900_000);
  produceLine = `produced ${records.toLocaleString("en")} records of ${recordBytes} bytes in ${produced.seconds.toFixed(1)} s (${produced.mbPerSecond.toFixed(0)} MB/s)`;
  const stopStarted = performance.now();
  const code = await writer.broker.stop("SIGTERM");
  const stopMs = performance.now() - stopStarted;
  if (code !== 0) throw new Error(`the clean stop exited ${code}`);
  if (!existsSync(join(dataDir, ".kafka_cleanshutdown")))
    throw new Error("no clean-shutdown marker after SIGTERM");
  produceLine += `; clean stop (flush of what was not yet fsynced) ${(stopMs / 1000).toFixed(2)} s`;

  const clean = await timedStart("restart after a clean shutdown", dataDir, records - 1);
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
console.log("what                               log on disk   to ready   to first read at the log end");
for (const row of rows) {
  const gb = `${(row.logBytes / 1e9).toFixed(2)} GB`;
  const serving = Number.isNaN(row.servingMs) ? "-" : `${(row.servingMs / 1000).toFixed(2)} s`;
  console.log(
    `${row.what.padEnd(34)} ${gb.padStart(11)} ${`${(row.readyMs / 1000).toFixed(2)} s`.padStart(10)}   ${serving.padStart(10)}`,
  );
}
