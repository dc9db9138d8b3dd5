/**
 * Named scenarios for `--scenario`: hand-written fault schedules (with role aliases resolved when the
 * fault fires: "leader:0", "follower:0", "controller:active", "last-crashed") that drive one
 * well-known situation, each with an expectation on coverage probes showing the situation happened,
 * on top of "no invariant broke".
 */
import { type FaultEvent, faultRatesNone } from "./faults.ts";
import type { RunResult } from "./run.ts";
import type { RunConfig } from "./run-config.ts";

export interface Scenario {
  readonly description: string;
  readonly config: Partial<RunConfig>;
  /** Returns what the run failed to show (empty when the scenario happened as intended). */
  readonly expect: (r: RunResult) => string[];
}

function faults(schedule: FaultEvent[]): Partial<RunConfig> {
  return { faults: { rates: faultRatesNone, schedule } };
}

function needProbes(r: RunResult, names: readonly string[]): string[] {
  return names.filter((n) => r.probes.get(n) === 0).map((n) => `probe ${n} never hit`);
}

function needAcks(r: RunResult): string[] {
  return r.acked > 10 ? [] : [`only ${r.acked} acknowledged writes`];
}

export const scenarios: Record<string, Scenario> = {
  "leader-failover-acks-all": {
    description: "The leader of partition 0 crashes under acks=all load; a follower from the ISR takes over.",
    config: faults([
      { atMs: 5_000, kind: "crash", node: "leader:0" },
      { atMs: 8_000, kind: "restart", node: "last-crashed" },
    ]),
    expect: (r) => [
      ...needProbes(r, ["leader-failover", "controller-elected-partition-leader"]),
      ...needAcks(r),
    ],
  },
  "isr-shrink-below-min-isr": {
    description:
      "Two followers of partition 0 crash one after the other and stay down until the liveness phase: the ISR shrinks below min.insync.replicas (2) and acks=all produces are refused.",
    config: faults([
      { atMs: 4_000, kind: "crash", node: "follower:0" },
      { atMs: 5_000, kind: "crash", node: "follower:0" },
    ]),
    expect: (r) => [
      ...needProbes(r, ["isr-shrink", "isr-below-min", "produce-NOT_ENOUGH_REPLICAS"]),
      ...needAcks(r),
    ],
  },
  "follower-truncation": {
    description:
      "The leader of partition 0 is cut off, keeps taking acks=1 writes that never replicate, a new leader is elected, and after healing the old leader truncates its divergent tail by leader epoch.",
    config: faults([
      { atMs: 5_000, kind: "isolate", node: "leader:0" },
      { atMs: 5_000, kind: "heal" },
      { atMs: 5_001, kind: "oneWay", from: "leader:0", to: "follower:0" },
      { atMs: 5_001, kind: "partition", nodes: ["leader:0"] },
      { atMs: 9_000, kind: "heal" },
    ]),
    expect: (r) => [...needProbes(r, ["leader-failover", "follower-truncation"]), ...needAcks(r)],
  },
  "consumer-rebalance": {
    description:
      "Consumers join and leave the group (churn) with no faults: every join and leave triggers a rebalance.",
    config: faults([]),
    expect: (r) => [...needProbes(r, ["rebalance"]), ...(r.polls > 10 ? [] : [`only ${r.polls} polls`])],
  },
  "controller-partitioned": {
    description:
      "The active controller is partitioned away from the quorum and the brokers; the other two elect a new leader.",
    config: faults([
      { atMs: 5_000, kind: "isolate", node: "controller:active" },
      { atMs: 9_000, kind: "heal" },
    ]),
    expect: (r) => [...needProbes(r, ["controller-failover"]), ...needAcks(r)],
  },
  "controller-snapshot-install": {
    description:
      "A follower controller is cut off from the start while a broker crash and restart commit metadata; the leader compacts its log past it and, once healed, sends it a snapshot to load (checked by 18 and 19).",
    config: faults([
      { atMs: 0, kind: "isolate", node: "c2" },
      { atMs: 3_000, kind: "crash", node: "leader:0" },
      { atMs: 4_500, kind: "restart", node: "last-crashed" },
      { atMs: 7_000, kind: "heal" },
    ]),
    expect: (r) => [
      ...needProbes(r, ["controller-compacted", "controller-snapshot-installed"]),
      ...needAcks(r),
    ],
  },
  "controller-conflicting-suffixes": {
    description:
      "Figure 8 of the Raft paper in three controllers (seed 2 draws one entry per append): c0 is isolated while leading term 1 and fences the brokers on its own; c2 wins term 2 and is isolated the millisecond it wins, so its term-2 entry reaches nobody; c0 and c1 are healed, c0 wins term 3 and replicates its term-1 entry to c1 before its own, so an earlier term's entry sits on a quorum uncommitted; finally c2 rejoins and its conflicting suffix is cut. With --bug raft-commit-earlier-term, #24 names the unsafe commit.",
    config: {
      seed: 2n,
      ...faults([
        { atMs: 1_000, kind: "isolate", node: "c0" },
        { atMs: 3_155, kind: "isolate", node: "c2" },
        { atMs: 6_500, kind: "heal" },
        { atMs: 6_500, kind: "isolate", node: "c2" },
        { atMs: 9_500, kind: "heal" },
      ]),
    },
    expect: (r) => [
      ...(r.probes.get("controller-failover") >= 2
        ? []
        : [`only ${r.probes.get("controller-failover")} controller failovers (two wanted: terms 2 and 3)`]),
      // No acknowledged-write floor: with no controller reachable by the brokers for most of the
      // safety phase, few writes get through, and the quorum is what this scenario is about.
      ...needProbes(r, ["controller-log-truncated", "raft-earlier-term-entry-on-quorum"]),
    ],
  },
  "crash-unflushed": {
    description:
      "A follower, then a leader, dies in the middle of a write (torn tail): the unflushed suffix is lost, recovery cuts it and the replica catches up from the leader.",
    config: faults([
      { atMs: 5_000, kind: "tornTail", node: "follower:0" },
      { atMs: 5_500, kind: "tornTail", node: "leader:1" },
      { atMs: 8_000, kind: "restart", node: "b0" },
      { atMs: 8_000, kind: "restart", node: "b1" },
      { atMs: 8_000, kind: "restart", node: "b2" },
    ]),
    expect: (r) => [
      ...needProbes(r, ["torn-tail", "crash-lost-unflushed", "storage-recovery"]),
      ...needAcks(r),
    ],
  },
  "clean-stop-leader": {
    description:
      "The leader of partition 0 stops cleanly under acks=all load (a controlled shutdown): it asks the controller to fence it, which moves its leaderships in one image; it keeps fetching from the new leaders for a while, then flushes and exits, and restarts later. A new leader never proposes the fenced broker for its ISR, so no AlterPartition is refused as INELIGIBLE_REPLICA (issue 12's stall).",
    config: faults([
      { atMs: 5_000, kind: "stop", node: "leader:0" },
      { atMs: 8_000, kind: "restart", node: "last-crashed" },
    ]),
    expect: (r) => [
      ...needProbes(r, ["clean-stop", "clean-stop-fenced", "controller-elected-partition-leader"]),
      ...(r.probes.get("isr-ineligible-refused") === 0
        ? []
        : [`${r.probes.get("isr-ineligible-refused")} AlterPartition refused as INELIGIBLE_REPLICA`]),
      ...needAcks(r),
    ],
  },
};

export const scenarioNames: string[] = Object.keys(scenarios);
