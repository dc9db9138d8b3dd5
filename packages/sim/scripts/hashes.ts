/**
 * `bun scripts/hashes.ts [seeds] [fullSeeds] [bugSeeds]`: prints one line per run (config, seed,
 * trace hash, events, produces, acked, polls, violations) for seeds 1..N (default 300) with the default
 * (swarm) config and with faults off, full-trace text hashes for the first seeds, and runs under each
 * known-bug switch. Performance work diffs this output before and after a change: identical output
 * means the change did not alter what the simulation does.
 */
import { bugNames } from "../src/bugs.ts";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { faultRatesNone } from "../src/faults.ts";
import { runOnce } from "../src/run.ts";
import { type RunConfig, runConfig } from "../src/run-config.ts";

const seeds = Number(process.argv[2] ?? 300);
const calm: Partial<RunConfig> = { faults: { rates: faultRatesNone, schedule: [] } };
const configs: [string, Partial<RunConfig>][] = [
  ["swarm", {}],
  ["calm", calm],
];
for (const [name, base] of configs) {
  for (let s = 1; s <= seeds; s++) {
    const r = runOnce(runConfig(BigInt(s), base), kafkaCluster);
    console.log(
      `${name} ${s} ${r.hash} ${r.events} ${r.produces} ${r.acked} ${r.polls} ${r.violations.length}`,
    );
  }
}
// A stronger check on a few seeds: the recorded trace holds every delivered message in full, so its
// text hash changes when any message content changes, not only the event order.
const fullSeeds = Number(process.argv[3] ?? 20);
for (const [name, base] of configs) {
  for (let s = 1; s <= fullSeeds; s++) {
    const r = runOnce(runConfig(BigInt(s), { ...base, trace: true }), kafkaCluster);
    console.log(`${name}-full ${s} ${Bun.hash.crc32(r.trace.text()).toString(16)}`);
  }
}
// The known-bug switches drive the rare paths (bad ISR, truncation, elections): each with 25 short
// runs, printing the violations too, since those must be found exactly as before.
const bugSeeds = Number(process.argv[4] ?? 25);
for (const bug of bugNames) {
  for (let s = 1; s <= bugSeeds; s++) {
    const r = runOnce(
      runConfig(BigInt(s), { bugs: [bug], safetyMs: 5_000, livenessMs: 8_000 }),
      kafkaCluster,
    );
    const found = r.violations.map((v) => `${v.invariant}@${v.atMs}`).join(",");
    console.log(`bug-${bug} ${s} ${r.hash} ${r.events} ${found}`);
  }
}
