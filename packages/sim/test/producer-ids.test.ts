/**
 * Producer ids under simulation: the brokers answer InitProducerId through the shared node's
 * allocator, fed with blocks each broker reserves on its memory disk. Checked here: the block file
 * (a restart continues after every block reserved before, a power loss keeps it, a write fault
 * reserves nothing, brokers' ranges are disjoint), invariant 26's checker (an id handed out twice, by
 * one broker or two, is a violation; a transactional bump with a higher epoch is not), and whole runs
 * with crashes in which every id handed out is registered, the first request after a start waits for
 * its block, and no id repeats.
 */
import { describe, expect, test } from "bun:test";
import { MemoryDisk } from "@eddy/storage-memory";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { OnlineChecker } from "../src/cluster/online-checker.ts";
import {
  producerIdBlockSize,
  producerIdCursorPath,
  producerIdsPerBroker,
  SimProducerIdBlocks,
} from "../src/cluster/producer-id-blocks.ts";
import { simDataDir } from "../src/cluster/replica-store.ts";
import { runOnce } from "../src/run.ts";
import { runConfig } from "../src/run-config.ts";
import { Violations } from "../src/violation.ts";

function disk(): MemoryDisk {
  const d = new MemoryDisk();
  d.makeDir(simDataDir);
  return d;
}

describe("the simulated broker's producer-id blocks", () => {
  test("a restart continues after every block reserved before, also after a power loss", () => {
    const d = disk();
    const first = SimProducerIdBlocks.open(d, 2);
    expect(first.reserveNow()).toEqual({
      firstProducerId: 2 * producerIdsPerBroker,
      size: producerIdBlockSize,
    });
    expect(first.reserveNow().firstProducerId).toBe(2 * producerIdsPerBroker + producerIdBlockSize);
    d.crash({ _tag: "LoseUnsynced" });
    const again = SimProducerIdBlocks.open(d, 2);
    expect(again.reserveNow().firstProducerId).toBe(2 * producerIdsPerBroker + 2 * producerIdBlockSize);
  });

  test("a write fault throws and reserves nothing", () => {
    const d = disk();
    const blocks = SimProducerIdBlocks.open(d, 0);
    blocks.reserveNow();
    d.faults.failNextWrite = "Io";
    expect(() => blocks.reserveNow()).toThrow("EIO");
    expect(new TextDecoder().decode(d.readAll(producerIdCursorPath)!)).toBe(`${producerIdBlockSize}\n`);
    expect(SimProducerIdBlocks.open(d, 0).reserveNow().firstProducerId).toBe(producerIdBlockSize);
  });

  test("brokers draw from disjoint ranges", () => {
    const ranges = [0, 1, 2].map((b) => SimProducerIdBlocks.open(disk(), b).reserveNow());
    expect(ranges.map((r) => r.firstProducerId)).toEqual([0, producerIdsPerBroker, 2 * producerIdsPerBroker]);
  });

  test("a cursor the writer never wrote is a bug, not a value to guess", () => {
    const d = disk();
    d.writeAtomicNow(producerIdCursorPath, new TextEncoder().encode("12ab\n"));
    expect(() => SimProducerIdBlocks.open(d, 0)).toThrow(producerIdCursorPath);
  });
});

describe("26 producer ids unique", () => {
  test("an id handed out twice is a violation, by another broker or the same one after a restart", () => {
    const v = new Violations();
    const o = new OnlineChecker(v);
    o.at(10).producerIdGranted(0, 0, 7, 0);
    o.at(20).producerIdGranted(1, 0, 8, 0);
    expect(v.list).toEqual([]);
    o.at(30).producerIdGranted(1, 0, 7, 0);
    o.at(40).producerIdGranted(0, 1, 8, 0);
    expect(v.list.map((x) => [x.invariant, x.atMs])).toEqual([
      [26, 30],
      [26, 40],
    ]);
    expect(v.list[0]!.message).toBe(
      "producer id 7 epoch 0 from broker 1 (incarnation 0) was handed out before by broker 0 (incarnation 0) with epoch 0",
    );
    expect(v.checks.get(26)).toBe(4);
  });

  test("a known id with a higher epoch (a transactional id's bump) is not a repeat", () => {
    const v = new Violations();
    const o = new OnlineChecker(v);
    o.producerIdGranted(0, 0, 7, 0);
    o.producerIdGranted(0, 0, 7, 1);
    expect(v.list).toEqual([]);
    o.producerIdGranted(0, 0, 7, 1);
    expect(v.list.map((x) => x.invariant)).toEqual([26]);
  });
});

describe("InitProducerId in whole runs", () => {
  test("every id is registered, first requests wait for their block, and nothing repeats", () => {
    let granted = 0;
    let waited = 0;
    let reserved = 0;
    // Seeds 1 to 20: with clean stops among the drawn faults, 17 is the first whose producer asks again.
    for (let seed = 1n; seed <= 20n; seed++) {
      const r = runOnce(runConfig(seed, { safetyMs: 3_000, livenessMs: 6_000 }), kafkaCluster);
      expect(r.violations.map((x) => `#${x.invariant} ${x.message}`)).toEqual([]);
      granted += r.checksByInvariant.get(26) ?? 0;
      waited += r.probes.get("producer-id-waited-for-block");
      reserved += r.probes.get("producer-id-block-reserved");
    }
    expect(granted).toBeGreaterThan(20);
    expect(waited).toBeGreaterThan(0);
    expect(reserved).toBeGreaterThan(0);
  }, 60_000);
});
