/**
 * `bun run bench`: simulated seconds per wall second for 3 brokers + a 3-node controller quorum under
 * load, beside two baselines measured in the same run: the bare event loop with no-op nodes (same
 * node count, periodic pings) and the same cluster with faults off. No timed assertions: figures only.
 *
 * Before any row, the cluster runs `SIM_BENCH_WARMUP` (40) seeds with faults off and as many with swarm
 * faults, untimed, so the rows measure the simulator rather than the JIT compiling it: a batch of CI
 * seeds runs in a long-lived process, and the optimizing tiers take a few hundred runs' worth of calls
 * to settle (a 5-seed warm-up left the rows 10-30 % low). Each row then runs `SIM_BENCH_SEEDS` (100)
 * seeds. `SIM_BENCH_WARMUP=5 SIM_BENCH_SEEDS=40` runs the previous defaults; `SIM_BENCH_WARMUP=0`
 * leaves one warm-up run per row only.
 */
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { noopCluster } from "../src/cluster/noop-cluster.ts";
import { faultRatesNone } from "../src/faults.ts";
import { type ClusterFactory, runOnce } from "../src/run.ts";
import { type RunConfig, runConfig, workloadDefault } from "../src/run-config.ts";

const seeds = Number(process.env.SIM_BENCH_SEEDS ?? 100);

interface Row {
  name: string;
  simS: number;
  wallS: number;
  events: number;
  acked: number;
}

function measure(name: string, factory: ClusterFactory, base: Partial<RunConfig>): Row {
  // One warm-up run so the JIT has compiled the hot paths before timing.
  runOnce(runConfig(999_999n, base), factory);
  let simMs = 0;
  let events = 0;
  let acked = 0;
  const start = performance.now();
  for (let s = 1; s <= seeds; s++) {
    const r = runOnce(runConfig(BigInt(s), base), factory);
    simMs += r.simMs;
    events += r.events;
    acked += r.acked;
  }
  const wallMs = performance.now() - start;
  return { name, simS: simMs / 1000, wallS: wallMs / 1000, events, acked };
}

const calm = { faults: { rates: faultRatesNone, schedule: [] } };
const heavy = { workload: { ...workloadDefault, produceIntervalMs: 50 } };
const warmupSeeds = Number(process.env.SIM_BENCH_WARMUP ?? 40);
const warmupStart = performance.now();
for (let s = 1; s <= warmupSeeds; s++) {
  runOnce(runConfig(BigInt(900_000 + s), calm), kafkaCluster);
  runOnce(runConfig(BigInt(900_000 + s), {}), kafkaCluster);
}
const warmupS = (performance.now() - warmupStart) / 1000;
const rows = [
  measure("baseline: bare event loop, no-op nodes", noopCluster, calm),
  measure("kafka cluster, faults off", kafkaCluster, calm),
  measure("kafka cluster, swarm faults", kafkaCluster, {}),
  measure("kafka cluster, swarm faults, 4x load", kafkaCluster, heavy),
  measure("kafka cluster, swarm faults, CI shape (5 s safety)", kafkaCluster, { safetyMs: 5_000 }),
];
console.log(
  `${seeds} seeds per row, 3 brokers + 3 controllers + 3 producers + 2 consumers, bun ${Bun.version}`,
);
console.log(
  `JIT warm-up before the rows (not counted): ${warmupSeeds} seeds faults off + ${warmupSeeds} swarm, ${warmupS.toFixed(2)} s`,
);
console.log(
  `${"run".padEnd(50)} ${"sim s".padStart(8)} ${"wall s".padStart(7)} ${"events".padStart(9)} ${"acked".padStart(7)} ${"events/s".padStart(9)} ${"sim-s/wall-s".padStart(13)}`,
);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(50)} ${r.simS.toFixed(0).padStart(8)} ${r.wallS.toFixed(2).padStart(7)} ${String(r.events).padStart(9)} ${String(r.acked).padStart(7)} ${(r.events / r.wallS).toFixed(0).padStart(9)} ${(r.simS / r.wallS).toFixed(0).padStart(13)}`,
  );
}
