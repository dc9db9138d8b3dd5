/**
 * Each simulated broker opens its replicas' logs through the node's own `LogDir`, as the broker does,
 * so simulated runs exercise what a broker's partitions share. Goal: show that a seeded run evicts
 * from the shared tail budget across partitions (reusing its one slab), drops index mirrors and
 * reloads them, with every invariant still checked and the run still deterministic; and that a
 * restart after a clean stop trusts the clean-shutdown marker while one after a crash does not.
 * Method: the brokers' storage counters at the end of a run (`RunResult.storage`), read from the
 * counters the storage classes expose, which are tested first on their own.
 */
import { describe, expect, test } from "bun:test";
import { IndexCache, type IndexCacheMember, TailBudget, type TailOwner } from "@eddy/storage";
import {
  type BrokerStorageCounters,
  brokerIndexCacheBytesMax,
  brokerTailBytesTotalMax,
  replicaTailBytesMax,
} from "../src/cluster/broker-log-dir.ts";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { faultRatesNone } from "../src/faults.ts";
import { type RunResult, runOnce } from "../src/run.ts";
import { runConfig, workloadDefault } from "../src/run-config.ts";

/** The counters of every broker of a run, summed. */
function totals(r: RunResult): BrokerStorageCounters {
  const sum: Record<string, number> = {};
  for (const { counters } of r.storage)
    for (const [key, value] of Object.entries(counters)) sum[key] = (sum[key] ?? 0) + value;
  return sum as unknown as BrokerStorageCounters;
}

describe("the storage counters the simulator reads", () => {
  test("TailBudget counts its evictions, and those of another owner than the one appending", () => {
    const budget = new TailBudget(250);
    const owner = (): TailOwner => ({ evictOldest: (e) => budget.release(e) });
    const a = owner();
    const b = owner();
    const batch = (of: TailOwner) => ({ baseOffset: 0, lastOffset: 0, segmentBase: 0, owner: of });
    // One slab of 250 bytes; batches of up to 62 bytes are packed into it.
    expect(budget.admit(batch(a), new Uint8Array(60))).not.toBeNull();
    expect(budget.admit(batch(b), new Uint8Array(60))).not.toBeNull();
    expect(budget.admit(batch(b), new Uint8Array(60))).not.toBeNull();
    expect(budget.admit(batch(b), new Uint8Array(60))).not.toBeNull();
    expect(budget.evictions).toBe(0);
    // The slab is full: b's next batch empties it, evicting a's batch (across) and b's own three.
    expect(budget.admit(batch(b), new Uint8Array(60))).not.toBeNull();
    expect(budget.evictions).toBe(4);
    expect(budget.evictionsAcrossOwners).toBe(1);
    expect(budget.slabsAllocated).toBe(1);
    // A batch its owner releases itself is not an eviction.
    const own = budget.admit(batch(a), new Uint8Array(60))!;
    budget.release(own);
    expect(budget.evictions).toBe(4);
  });

  test("IndexCache counts mirrors reloaded after it dropped them, not first loads", () => {
    const cache = new IndexCache(1_000);
    const member = (): IndexCacheMember => ({ mirrorBytes: () => 400, dropIndexes: () => {} });
    const [x, y, z] = [member(), member(), member()];
    cache.admit(x!);
    cache.admit(y!);
    expect(cache.reloads).toBe(0);
    cache.admit(z!);
    expect(cache.evictions).toBe(1);
    expect(cache.has(x!)).toBe(false);
    // x is read again: its mirrors come back from its files.
    cache.admit(x!);
    expect(cache.reloads).toBe(1);
    // Admitting a held member again (a touch) is no reload.
    cache.admit(x!);
    expect(cache.reloads).toBe(1);
  });
});

describe("simulated brokers open their logs through one LogDir each", () => {
  test("the bounds are smaller than what the partitions could use", () => {
    // Two partitions could hold two replica tails; the broker's budget holds less than that.
    expect(brokerTailBytesTotalMax).toBeLessThan(workloadDefault.partitions * replicaTailBytesMax);
    expect(brokerIndexCacheBytesMax).toBeLessThanOrEqual(4 * 1024);
  });

  test("a seeded run evicts across partitions, reuses its slab, drops and reloads index mirrors", () => {
    // Ten times the default load, so that partitions roll past simLogConfig's 8 KiB segments and the
    // checkers' reads from offset 0 need more index mirrors than the cache holds.
    const config = runConfig(3n, { workload: { ...workloadDefault, produceIntervalMs: 20 } });
    const r = runOnce(config, kafkaCluster);
    expect(r.violations).toEqual([]);
    expect(r.convergedAtMs).toBeGreaterThan(0);
    expect(r.acked).toBeGreaterThan(100);
    expect(r.checks).toBeGreaterThan(0);
    const t = totals(r);
    expect(r.storage.map((s) => s.node)).toEqual(["b0", "b1", "b2"]);
    expect(t.tailEvictions).toBeGreaterThan(100);
    expect(t.tailEvictionsAcrossPartitions).toBeGreaterThan(0);
    expect(t.tailEvictionsAcrossPartitions).toBeLessThan(t.tailEvictions);
    // Slab reuse: one slab per log directory (each process start makes one), however many evictions.
    const logDirsOpened = 3 + t.startsAfterCleanStop + t.startsAfterCrash;
    expect(t.tailSlabsAllocated).toBeLessThanOrEqual(logDirsOpened);
    expect(t.indexMirrorsDropped).toBeGreaterThan(0);
    expect(t.indexMirrorsReloaded).toBeGreaterThan(0);
    // The counters are part of the deterministic run: the same seed gives the same run and counts.
    const again = runOnce(config, kafkaCluster);
    expect(again.hash).toBe(r.hash);
    expect(again.storage).toEqual(r.storage);
  }, 60_000);

  test("a restart after a clean stop trusts the marker; one after a crash does not", () => {
    const config = runConfig(1n, {
      faults: {
        rates: faultRatesNone,
        schedule: [
          { atMs: 3_000, kind: "stop", node: "b0" },
          { atMs: 5_000, kind: "restart", node: "b0" },
          { atMs: 6_000, kind: "crash", node: "b1" },
          { atMs: 7_000, kind: "restart", node: "b1" },
        ],
      },
    });
    const r = runOnce(config, kafkaCluster);
    expect(r.violations).toEqual([]);
    expect(r.convergedAtMs).toBeGreaterThan(0);
    expect(r.probes.get("clean-shutdown-marker-written")).toBe(1);
    const [b0, b1, b2] = r.storage.map((s) => s.counters);
    expect(b0).toMatchObject({
      startsAfterCleanStop: 1,
      startsAfterCleanStopTrusted: 1,
      startsAfterCrash: 0,
    });
    expect(b1).toMatchObject({ startsAfterCleanStop: 0, startsAfterCrash: 1, startsAfterCrashTrusted: 0 });
    expect(b2).toMatchObject({ startsAfterCleanStop: 0, startsAfterCrash: 0 });
  }, 60_000);
});
