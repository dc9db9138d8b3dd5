/**
 * The online checkers of invariants 18 (metadata safety), 19 (snapshot/log-start consistency), 24
 * (committed Raft entries never change) and 25 (every ISR member holds the committed prefix),
 * driven directly with the reports the shells make: each rule passes on a correct report and fails
 * with its invariant number on a wrong one.
 */
import { describe, expect, test } from "bun:test";
import {
  metadataHash,
  OnlineChecker,
  type RaftLogView,
  type ReplicaLogView,
} from "../src/cluster/online-checker.ts";
import { Violations } from "../src/violation.ts";

const part = (isr: number[]) => ({
  partition: 0,
  leader: isr[0]!,
  leaderEpoch: 3,
  partitionEpoch: 5,
  isr,
  replicas: [0, 1, 2],
});

function checker(): { v: Violations; o: OnlineChecker } {
  const v = new Violations();
  return { v, o: new OnlineChecker(v) };
}

const log = (snapshotIndex: number, first: number, last: number, term = 2): RaftLogView => ({
  snapshot: { index: snapshotIndex, term: 1 },
  entries: Array.from({ length: Math.max(0, last - first + 1) }, (_, k) => ({ index: first + k, term })),
});

describe("18 metadata safety", () => {
  test("the hash follows the content, not the object", () => {
    expect(metadataHash([part([0, 1])])).toBe(metadataHash([part([0, 1])]));
    expect(metadataHash([part([0, 1])])).not.toBe(metadataHash([part([0, 1, 2])]));
    expect(metadataHash([part([0, 1])])).not.toBe(metadataHash([part([1, 0])]));
    expect(metadataHash([])).not.toBe(metadataHash([part([0])]));
  });

  test("brokers may apply committed images in order; restarts start over", () => {
    const { v, o } = checker();
    const h5 = metadataHash([part([0, 1])]);
    const h7 = metadataHash([part([0])]);
    o.metadataCommitted("c0", 5, h5);
    o.metadataCommitted("c1", 5, h5);
    o.metadataCommitted("c0", 7, h7);
    o.metadataAppliedByBroker("b0", 0, 5, h5);
    o.metadataAppliedByBroker("b0", 0, 7, h7);
    o.metadataAppliedByBroker("b0", 1, 5, h5);
    expect(v.list).toEqual([]);
    expect(v.checks.get(18)).toBe(6);
  });

  test("controllers disagreeing on a committed offset", () => {
    const { v, o } = checker();
    o.metadataCommitted("c0", 5, 1);
    o.metadataCommitted("c1", 5, 2);
    expect(v.list.map((x) => x.invariant)).toEqual([18]);
  });

  test("a broker applying an uncommitted offset, another image, or an older offset", () => {
    const { v, o } = checker();
    o.metadataCommitted("c0", 5, 1);
    o.metadataCommitted("c0", 7, 2);
    o.metadataAppliedByBroker("b0", 0, 6, 1);
    o.metadataAppliedByBroker("b1", 0, 5, 9);
    o.metadataAppliedByBroker("b2", 0, 7, 2);
    o.metadataAppliedByBroker("b2", 0, 5, 1);
    expect(v.list.map((x) => x.message)).toEqual([
      "broker b0 applied metadata offset 6, never committed",
      "broker b1 applied image 00000009 at metadata offset 5, committed 00000001",
      "broker b2 applied metadata offset 5 after 7 in one incarnation",
    ]);
  });
});

describe("19 snapshot/log-start consistency", () => {
  test("a log starting right after its snapshot, or at index 1, is consistent", () => {
    const { v, o } = checker();
    o.controllerLog("c0", "leader", false, 20, log(8, 9, 20), log(8, 9, 20));
    o.controllerLog("c0", "follower", true, 8, log(8, 9, 8), log(8, 9, 8));
    o.controllerLog("c1", "follower", false, 3, log(0, 1, 5), log(0, 1, 5));
    // Kafka allows a snapshot inside a log that still starts at its beginning.
    o.controllerLog("c2", "follower", false, 6, log(4, 1, 6), log(4, 1, 6));
    expect(v.list).toEqual([]);
  });

  test("each broken rule is reported as 19", () => {
    const cases: [string, () => void][] = [];
    const { v, o } = checker();
    cases.push(["leader loads", () => o.controllerLog("c0", "leader", true, 8, log(8, 9, 8), log(8, 9, 8))]);
    cases.push(["gap", () => o.controllerLog("c0", "follower", false, 20, log(8, 11, 20), log(8, 11, 20))]);
    cases.push([
      "no snapshot at start",
      () => o.controllerLog("c0", "follower", false, 20, log(8, 5, 20), log(8, 5, 20)),
    ]);
    cases.push([
      "stored gap",
      () => o.controllerLog("c0", "follower", false, 20, log(8, 9, 20), log(8, 10, 20)),
    ]);
    cases.push([
      "uncommitted snapshot",
      () => o.controllerLog("c0", "follower", false, 7, log(8, 9, 20), log(8, 9, 20)),
    ]);
    cases.push([
      "stale stored suffix",
      () => o.controllerLog("c0", "follower", false, 8, log(8, 9, 8), log(8, 9, 9)),
    ]);
    cases.push([
      "stored end in another term",
      () => o.controllerLog("c0", "follower", false, 8, log(8, 9, 12, 3), log(8, 9, 12, 2)),
    ]);
    for (const [name, run] of cases) {
      const before = v.list.length;
      run();
      expect({ name, found: v.list.slice(before).map((x) => x.invariant) }).toEqual({ name, found: [19] });
    }
  });
});

/** A log with no snapshot whose entries have the given terms, index 1 first. */
const terms = (...ts: number[]): RaftLogView => ({
  snapshot: { index: 0, term: 0 },
  entries: ts.map((term, k) => ({ index: k + 1, term })),
});

describe("24 committed Raft entries never change", () => {
  test("a correct history: commits agree, leaders hold them, no lacking controller can win", () => {
    const { v, o } = checker();
    o.raftLog("c0", "leader", 1, 2, terms(1, 1), 3);
    o.raftLog("c1", "follower", 1, 2, terms(1, 1), 3);
    // c2 lags: it lacks index 2, but both others' logs are more up to date than its own.
    o.raftLog("c2", "follower", 1, 1, terms(1), 3);
    // c1 leads term 2 holding everything committed in term 1.
    o.raftLog("c0", "follower", 2, 2, terms(1, 1, 2), 3);
    o.raftLog("c1", "leader", 2, 3, terms(1, 1, 2), 3);
    // A deposed leader of term 1 that has not noticed lacks what term 2 committed: exempt.
    o.raftLog("c2", "leader", 1, 1, terms(1), 3);
    expect(v.list).toEqual([]);
  });

  test("Figure 8: an earlier term's entry committed while a controller lacking it could still win", () => {
    const { v, o } = checker();
    o.raftLog("c2", "follower", 2, 1, terms(1, 2), 3);
    o.raftLog("c1", "follower", 3, 1, terms(1), 3);
    // c0 leads term 3 and counts c1's copy of its term-1 entry at index 2.
    o.raftLog("c1", "follower", 3, 1, terms(1, 1), 3);
    o.raftLog("c0", "leader", 3, 2, terms(1, 1, 3), 3);
    expect(v.list.map((x) => x.invariant)).toEqual([24]);
    expect(v.list[0]!.message).toContain("controller c2 lacks it");
  });

  test("an index committed in two terms, and a leader without a committed entry", () => {
    const { v, o } = checker();
    o.raftLog("c0", "leader", 1, 2, terms(1, 1), 3);
    o.raftLog("c1", "follower", 2, 2, terms(1, 2), 3);
    o.raftLog("c2", "leader", 3, 0, terms(1), 3);
    expect(v.list.map((x) => x.message)).toEqual([
      "controller c1 committed Raft index 2 in term 2, committed before in term 1",
      "controller c2 leads term 3 without committed Raft index 2 (term 1): its log ends at 1",
    ]);
  });
});

/** A partition log holding `values` from offset 0. */
const replicaLog = (values: number[]): ReplicaLogView => ({
  start: 0,
  end: values.length,
  values: (from, to) => values.slice(from, to),
});

describe("25 every ISR member holds the committed prefix", () => {
  test("a member that holds the committed records, or more, may join; a down one is not judged", () => {
    const { v, o } = checker();
    o.committedPrefix(0, 1, 0, [10, 11, 12]);
    o.isrMemberAdded("c0", 7, 0, 2, replicaLog([10, 11, 12]));
    o.isrMemberAdded("c0", 8, 0, 0, replicaLog([10, 11, 12, 13]));
    o.isrMemberAdded("c0", 9, 0, 0, undefined);
    expect(v.list).toEqual([]);
    expect(v.checks.get(25)).toBe(2);
  });

  test("a member short of the committed length, or holding other records, breaks it", () => {
    const { v, o } = checker();
    o.committedPrefix(0, 1, 0, [10, 11, 12]);
    o.isrMemberAdded("c0", 7, 0, 2, replicaLog([10]));
    o.isrMemberAdded("c0", 8, 0, 0, replicaLog([10, 99, 12]));
    expect(v.list.map((x) => x.message)).toEqual([
      "p=0: broker 2 joined the ISR with log end 1, below the committed 3",
      "p=0: broker 0 joined the ISR holding 99 at offset 1, committed 11",
    ]);
  });

  test("an entry is judged once, by the first controller to apply it", () => {
    const { v, o } = checker();
    o.committedPrefix(0, 1, 0, [10, 11, 12]);
    o.isrMemberAdded("c0", 7, 0, 2, replicaLog([10, 11, 12]));
    // c1 applies the same entry later, when the member may legitimately be behind a newer HW.
    o.committedPrefix(0, 1, 3, [13]);
    o.isrMemberAdded("c1", 7, 0, 2, replicaLog([10, 11, 12]));
    expect(v.list).toEqual([]);
  });
});

describe("27 one owner per partition across generations", () => {
  // The coordinator's clock runs with the simulated time in these tests unless a test says otherwise.
  test("a member that learned its generation ended, or whose session ran out, hands over cleanly", () => {
    const { v, o } = checker();
    o.at(0).groupSessionAck("g", "k0", 3_000);
    o.at(0).groupAssigned("g", "k0", 1, [0, 1], 0);
    o.at(100).groupRead("g", "k0", 1, 0, 100);
    // k0 learns of the rebalance and gives up its partitions; k1 gets p=0 in generation 2.
    o.at(200).groupOwnershipEnds("g", "k0");
    o.at(300).groupSessionAck("g", "k1", 3_250);
    o.at(300).groupAssigned("g", "k1", 2, [0], 300);
    o.at(400).groupRead("g", "k1", 2, 0, 400);
    // k0 still owns p=1 but its session ran out (a zombie): k1 may take it, and k0's late read is allowed.
    o.at(3_500).groupSessionAck("g", "k1", 6_400);
    o.at(3_500).groupAssigned("g", "k1", 3, [1], 3_500);
    o.at(3_600).groupRead("g", "k0", 1, 1, 3_600);
    expect(v.list).toEqual([]);
  });

  test("sessions run on the coordinator's clock: a fast one evicts a member early", () => {
    const { v, o } = checker();
    o.at(0).groupSessionAck("g", "k0", 3_000);
    o.at(0).groupAssigned("g", "k0", 1, [0], 0);
    // 1,800 ms later the coordinator's clock, running 1.7 times fast, reads 3,060: k0's session is over.
    o.at(1_800).groupSessionAck("g", "k1", 6_000);
    o.at(1_800).groupAssigned("g", "k1", 2, [0], 3_060);
    expect(v.list).toEqual([]);
  });

  test("a newer generation's owner while the old one still owns it, and a read after the generation ended", () => {
    const { v, o } = checker();
    o.at(0).groupSessionAck("g", "k0", 3_000);
    o.at(0).groupAssigned("g", "k0", 1, [0, 1], 0);
    o.at(500).groupSessionAck("g", "k1", 3_500);
    o.at(500).groupAssigned("g", "k1", 2, [0], 500);
    o.at(600).groupOwnershipEnds("g", "k0");
    o.at(700).groupRead("g", "k0", 1, 0, 700);
    expect(v.list.map((x) => x.message)).toEqual([
      "group g: p=0 assigned to k1 in generation 2 while k0 still owns it from generation 1",
      "group g: k0 read p=0 under generation 1 after it ended, while k1 owns it from generation 2",
    ]);
  });
});

describe("28 an ISR member never truncates below the high watermark", () => {
  test("truncating at or above the committed length, or out of the ISR below it, is fine", () => {
    const { v, o } = checker();
    o.committedPrefix(0, 1, 0, [10, 11, 12]);
    o.isrMemberTruncation(0, 2, 3, true);
    o.isrMemberTruncation(0, 2, 5, true);
    // Out of the ISR a replica may hold stale records below the committed length and drop them.
    o.isrMemberTruncation(0, 0, 1, false);
    expect(v.list).toEqual([]);
    expect(v.checks.get(28)).toBe(2);
  });

  test("an ISR member truncating to its own lagging HW, below the leader's, breaks it", () => {
    const { v, o } = checker();
    o.committedPrefix(0, 1, 0, [10, 11, 12]);
    // Its own HW says 2 (7 passes), the leader's committed HW is 3.
    o.truncation(0, 2, 2, 2);
    o.isrMemberTruncation(0, 2, 2, true);
    expect(v.list.map((x) => x.message)).toEqual([
      "p=0 broker 2 in the ISR truncated to 2, below the committed 3",
    ]);
  });
});
