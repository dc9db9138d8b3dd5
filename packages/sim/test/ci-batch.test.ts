/**
 * The CI seed batch: many short swarm runs (each seed draws its own fault mix) through the whole
 * cluster, every invariant checked, zero violations allowed. SIM_CI_SEEDS sets the count
 * (default 10,000, about a minute on one core); SIM_CI_FROM the first seed. Broker-minority healing is
 * on (`--heal-majority`): in a third of the runs one broker stays down through the liveness phase, so
 * the batch also proves the cluster converges without it (stuck ISR changes, high-watermark holds).
 */
import { expect, test } from "bun:test";
import { runBatch, summaryTable } from "../src/batch.ts";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { replayLine } from "../src/run-config.ts";

const seeds = Number(process.env.SIM_CI_SEEDS ?? 10_000);
const from = BigInt(process.env.SIM_CI_FROM ?? 1);

test(`CI batch: ${seeds} swarm seeds with zero violations`, () => {
  const s = runBatch(from, seeds, kafkaCluster, {
    safetyMs: 5_000,
    livenessMs: 15_000,
    healBrokerMajority: true,
  });
  console.log(summaryTable(s));
  const failures = s.failed.map(
    (r) => `${replayLine(r.config)}  -> #${r.violations[0]!.invariant} ${r.violations[0]!.message}`,
  );
  expect(failures).toEqual([]);
  expect(s.seeds).toBe(seeds);
  // The batch must really exercise the cluster, not pass vacuously.
  expect(s.acked).toBeGreaterThan(seeds * 5);
  expect(s.polls).toBeGreaterThan(seeds * 5);
  expect(s.checks).toBeGreaterThan(seeds * 100);
}, 600_000);
