/**
 * Issue 15's large-values figure: the perf tool produces 1 MiB records (one record per batch, acks=1,
 * then the clean stop that fsyncs them) to a broker started with `message.max.bytes` raised to 2 MB
 * (Kafka's default, 1,048,588, is 12 bytes over 1 MiB and refuses a 1 MiB value with its batch
 * overhead), beside the raw sequential write rate of the same disk measured here in the same run:
 * `write` of 1 MiB chunks and one `fsync` of a file of the same total size, in the same folder.
 * The broker's own CPU seconds for the produce are printed beside it (what the broker spends per GiB on
 * the way in). `--large-mb N` is the total (default 2,048 MiB). The load average before and after is printed beside
 * the figures, because on a shared machine a ratio means little without it.
 */
import { closeSync, fsyncSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { removeDir, tempDir } from "@eddy/broker/test/harness.ts";
import { perf, startProbedBroker } from "./bench-broker.ts";

const mbArg = process.argv.indexOf("--large-mb");
const totalMiB = mbArg > 0 ? Number(process.argv[mbArg + 1]) : 2048;
const recordBytes = 1 << 20;
const work = tempDir("large-records-bench");
const loadavg = () => readFileSync("/proc/loadavg", "utf8").trim().split(" ").slice(0, 3).join(" ");
const loadBefore = loadavg();

/** Seconds to write `mib` MiB sequentially in 1 MiB writes and fsync once (the disk's raw rate). */
function rawWriteSeconds(path: string, mib: number): number {
  const chunk = new Uint8Array(recordBytes);
  for (let i = 0; i < chunk.length; i++) chunk[i] = 65 + (i % 26);
  const started = performance.now();
  const fd = openSync(path, "w");
  try {
    for (let i = 0; i < mib; i++) writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const seconds = (performance.now() - started) / 1000;
  unlinkSync(path);
  return seconds;
}

/** CPU seconds `pid` has used (utime + stime from /proc/PID/stat, in clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const lines: string[] = [];
try {
  const rawSeconds = rawWriteSeconds(join(work, "raw.bin"), totalMiB);
  const rawMBps = (totalMiB * recordBytes) / 1e6 / rawSeconds;
  lines.push(
    `raw write + fsync of ${totalMiB} MiB            ${rawMBps.toFixed(0).padStart(6)} MB/s   (${rawSeconds.toFixed(2)} s)`,
  );

  const probed = await startProbedBroker(join(work, "data"), join(work, "fsyncs.json"), [
    "--override",
    "message.max.bytes=2000000",
  ]);
  const bootstrap = ["--bootstrap-server", probed.broker.bootstrap];
  perf([
    "produce",
    "--topic",
    "large",
    "--records",
    "1",
    "--record-size",
    "100",
    "--acks",
    "1",
    ...bootstrap,
  ]);
  const cpuBefore = cpuSecondsOf(probed.broker.process.pid);
  const started = performance.now();
  const produced = perf([
    "produce",
    "--topic",
    "large",
    "--records",
    String(totalMiB),
    "--record-size",
    String(recordBytes),
    "--batch-size",
    String(recordBytes + 1024),
    "--acks",
    "1",
    ...bootstrap,
  ]);
  const producedSeconds = (performance.now() - started) / 1000;
  const brokerCpuSeconds = cpuSecondsOf(probed.broker.process.pid) - cpuBefore;
  const stopStarted = performance.now();
  await probed.broker.stop();
  const stopSeconds = (performance.now() - stopStarted) / 1000;
  const bytes = totalMiB * recordBytes;
  const ratio = (mbps: number) => `${((mbps / rawMBps) * 100).toFixed(0)}% of raw`;
  const ackedMBps = produced.bytes / 1e6 / produced.seconds;
  lines.push(
    `produce 1 MiB records, acks=1          ${ackedMBps.toFixed(0).padStart(6)} MB/s   (${produced.seconds.toFixed(2)} s; ${ratio(ackedMBps)}; p99 ${produced.latencyMsP99?.toFixed(1)} ms; broker CPU ${brokerCpuSeconds.toFixed(2)} s, ${(brokerCpuSeconds / (bytes / 2 ** 30)).toFixed(2)} s per GiB)`,
  );
  const durableMBps = bytes / 1e6 / (producedSeconds + stopSeconds);
  lines.push(
    `  ... through the stop's fsync          ${durableMBps.toFixed(0).padStart(6)} MB/s   (${(producedSeconds + stopSeconds).toFixed(2)} s with the tool's start; ${ratio(durableMBps)})`,
  );
} finally {
  removeDir(work);
}
console.log(
  `\n1 MiB records (issue 15), ${totalMiB} MiB in all, one partition (loadavg ${loadBefore} before, ${loadavg()} after):`,
);
for (const line of lines) console.log(line);
