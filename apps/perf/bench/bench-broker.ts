/**
 * What issue 15's footprint benchmarks share: a broker started as users start it with the fsync probe
 * preloaded (so the process the harness holds is the broker itself, which `kill -9` must reach), the
 * perf tool run to completion with its JSON figures, kcat's last record of a topic, and the probe's
 * fsync counts. It owns no figure and prints nothing; each benchmark file says what it measures.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type RunningBroker, repoRoot, startBroker } from "@eddy/broker/test/harness.ts";
import { spawnSync } from "bun";
import type { FinalFigures } from "../src/report.ts";

/** The probe preload, from the broker app (which depends on the storage binding it reads). */
export const fsyncProbePath = join(repoRoot, "apps/broker/bench/fsync-probe.ts");

export interface ProbedBroker {
  readonly broker: RunningBroker;
  /** Wall milliseconds from the spawn to the broker's `ready` line. */
  readonly readyMs: number;
  /** The probe's latest counts (written every 50 ms). */
  fsyncs(): { dataSyncs: number; pathSyncs: number };
}

/**
 * Starts a broker on `dataDir` with `args` and the fsync probe writing to `probeOut` every `probeMs`
 * (a benchmark that reads the broker's idle CPU wants it rare: the probe's own writes are CPU of the
 * broker's process).
 */
export async function startProbedBroker(
  dataDir: string,
  probeOut: string,
  args: string[] = [],
  probeMs = 50,
): Promise<ProbedBroker> {
  const started = performance.now();
  const broker = await startBroker({
    dataDir,
    args,
    preload: fsyncProbePath,
    env: { FSYNC_PROBE_OUT: probeOut, FSYNC_PROBE_MS: String(probeMs) },
    startMsMax: 120_000,
  });
  const readyMs = performance.now() - started;
  return {
    broker,
    readyMs,
    fsyncs: () => JSON.parse(readFileSync(probeOut, "utf8")) as { dataSyncs: number; pathSyncs: number },
  };
}

/** Runs the perf tool with `args` to completion and returns its final JSON figures. */
export function perf(args: string[], timeoutMs = 600_000): FinalFigures {
  const argv = [
    "bun",
    "apps/perf/src/main.ts",
    ...args,
    "--output",
    "json",
    "--reporting-interval",
    "3600000",
  ];
  const result = spawnSync(argv, { cwd: repoRoot, timeout: timeoutMs });
  if (result.exitCode !== 0) {
    throw new Error(
      `perf ${args.join(" ")} exited ${result.exitCode}: ${result.stderr.toString().slice(0, 2000)}`,
    );
  }
  const lines = result.stdout.toString().trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as FinalFigures;
}

/** Starts the perf tool with `args` without waiting; `done` resolves to its final JSON figures. */
export function perfAsync(args: string[]): Promise<FinalFigures> {
  const argv = [
    "bun",
    "apps/perf/src/main.ts",
    ...args,
    "--output",
    "json",
    "--reporting-interval",
    "3600000",
  ];
  const child = Bun.spawn(argv, { cwd: repoRoot, stdout: "pipe", stderr: "pipe" });
  return (async () => {
    const [out, err, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    if (code !== 0) throw new Error(`perf ${args.join(" ")} exited ${code}: ${err.slice(0, 2000)}`);
    const lines = out.trim().split("\n");
    return JSON.parse(lines[lines.length - 1]!) as FinalFigures;
  })();
}

/** The offset of the last record of partition 0 of `topic`, read with kcat (a fetch at the log end). */
export function lastOffset(bootstrap: string, topic: string): number {
  const result = spawnSync(
    [
      "kcat",
      "-C",
      "-b",
      bootstrap,
      "-t",
      topic,
      "-p",
      "0",
      "-o",
      "-1",
      "-c",
      "1",
      "-e",
      "-q",
      "-f",
      "%o\n",
      "-X",
      "fetch.wait.max.ms=10",
    ],
    {
      timeout: 60_000,
    },
  );
  if (result.exitCode !== 0) throw new Error(`kcat read of ${topic}: ${result.stderr.toString()}`);
  return Number(result.stdout.toString().trim());
}

/** Bytes of every file under `dir` (the log's size on disk). */
export function dirBytes(dir: string): number {
  const result = spawnSync(["du", "-sb", dir]);
  return Number(result.stdout.toString().split("\t")[0]);
}
