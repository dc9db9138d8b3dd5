/**
 * Runs warm seeds of one workload for a CPU profile, then prints its speed:
 *   bun --cpu-prof --cpu-prof-dir=/tmp/prof scripts/profile.ts [calm|swarm|heavy] [seeds]
 *   bun scripts/profile-split.ts /tmp/prof/*.cpuprofile
 * The first 100 seeds (unmeasured, other seed numbers) let the JIT settle, so the profile shows the
 * simulator rather than the compiler.
 */
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { faultRatesNone } from "../src/faults.ts";
import { runOnce } from "../src/run.ts";
import { type RunConfig, runConfig, workloadDefault } from "../src/run-config.ts";

const shapes: Record<string, Partial<RunConfig>> = {
  calm: { faults: { rates: faultRatesNone, schedule: [] } },
  swarm: {},
  heavy: { workload: { ...workloadDefault, produceIntervalMs: 50 } },
};
const name = process.argv[2] ?? "calm";
const base = shapes[name];
if (base === undefined) throw new Error(`unknown shape ${name}; known: ${Object.keys(shapes).join(", ")}`);
const seeds = Number(process.argv[3] ?? 150);
for (let s = 1; s <= 100; s++) runOnce(runConfig(BigInt(1_000_000 + s), base), kafkaCluster);
const start = performance.now();
let simMs = 0;
for (let s = 1; s <= seeds; s++) simMs += runOnce(runConfig(BigInt(s), base), kafkaCluster).simMs;
const wallS = (performance.now() - start) / 1000;
console.log(`${name}: ${seeds} warm seeds, ${(simMs / 1000 / wallS).toFixed(0)} sim-s per wall-s`);
