/**
 * Every named scenario runs clean (no invariant broken, converged in the liveness phase) and shows,
 * through its coverage probes, that it drove the situation it names.
 */
import { describe, expect, test } from "bun:test";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { runOnce } from "../src/run.ts";
import { runConfig } from "../src/run-config.ts";
import { scenarioNames, scenarios } from "../src/scenarios.ts";

describe("scenarios", () => {
  expect(scenarioNames).toEqual([
    "leader-failover-acks-all",
    "isr-shrink-below-min-isr",
    "follower-truncation",
    "consumer-rebalance",
    "controller-partitioned",
    "controller-snapshot-install",
    "controller-conflicting-suffixes",
    "crash-unflushed",
  ]);
  for (const name of scenarioNames) {
    test(name, () => {
      const sc = scenarios[name]!;
      const r = runOnce(runConfig(1n, sc.config), kafkaCluster);
      expect(r.violations).toEqual([]);
      expect(r.convergedAtMs).toBeGreaterThan(0);
      expect(sc.expect(r)).toEqual([]);
    }, 60_000);
  }
});
