/**
 * Unit tests of the Raft node: a one-voter quorum, a three-voter election and commit, and the
 * rules of the persist-then-send-then-apply contract.
 */
import { describe, expect, test } from "bun:test";
import { InvariantError } from "../src/invariant.ts";
import { prngFromSeed } from "../src/prng.ts";
import * as quorum from "../src/quorum/index.ts";
import { Cluster } from "./quorum-cluster.ts";

describe("quorum: one voter", () => {
  test("elects itself on campaign and commits once the entry is persisted", () => {
    let s = quorum.initialState<string, null>({
      id: 1,
      voters: [1],
      prng: prngFromSeed(1),
      emptySnapshotData: null,
    });
    let r = quorum.step(s, { type: "campaign" });
    s = r.state;
    expect(s.role).toBe("leader");
    expect(r.ready.hardState).toEqual({ term: 1, votedFor: 1, commitIndex: 0 });
    expect(r.ready.entries).toEqual([{ index: 1, term: 1, payload: null }]);
    expect(r.ready.committed).toEqual([]);
    expect(r.ready.messages).toEqual([]);
    r = quorum.step(s, { type: "persisted", index: 1, term: 1 });
    s = r.state;
    expect(r.ready.committed).toEqual([{ index: 1, term: 1, payload: null }]);
    expect(r.ready.softState.leaderReady).toBe(true);
    r = quorum.step(s, { type: "propose", payload: "a" });
    s = r.state;
    expect(r.ready.proposal).toEqual({ accepted: true, index: 2, term: 1 });
    expect(r.ready.committed).toEqual([]);
    r = quorum.step(s, { type: "persisted", index: 2, term: 1 });
    expect(r.ready.committed).toEqual([{ index: 2, term: 1, payload: "a" }]);
    expect(r.ready.hardState).toEqual({ term: 1, votedFor: 1, commitIndex: 2 });
  });

  test("elects itself after an election timeout of ticks", () => {
    let s = quorum.initialState<string, null>({
      id: 7,
      voters: [7],
      prng: prngFromSeed(9),
      emptySnapshotData: null,
    });
    let ticks = 0;
    while (s.role !== "leader") {
      s = quorum.step(s, { type: "tick" }).state;
      ticks++;
      expect(ticks).toBeLessThan(2 * s.config.electionTicks);
    }
    expect(ticks).toBeGreaterThanOrEqual(s.config.electionTicks);
  });
});

describe("quorum: three voters", () => {
  test("a campaign elects a leader, a proposal commits on every node", () => {
    const c = new Cluster({ ids: [1, 2, 3], seed: 3 });
    c.step(1, { type: "campaign" });
    c.stabilize();
    expect(c.node(1).state.role).toBe("leader");
    expect(c.propose(1, "x")).toEqual({ accepted: true, index: 2, term: 1 });
    expect(c.propose(2, "y")).toEqual({ accepted: false, reason: "NOT_LEADER", leaderHint: 1 });
    c.stabilize();
    c.tickAll();
    c.stabilize();
    for (const n of c.nodes.values()) {
      expect(n.applied.map((e) => e.payload)).toEqual([null, "x"]);
    }
    c.checkLogMatching();
  });

  test("a follower does not vote for a candidate with a shorter log", () => {
    const c = new Cluster({ ids: [1, 2, 3], seed: 4 });
    c.step(1, { type: "campaign" });
    c.stabilize();
    c.propose(1, "x");
    c.stabilize();
    // Node 2 holds entries 1..2; a candidate whose log ends at 1 is behind it.
    const r = quorum.step(c.node(2).state, {
      type: "message",
      message: {
        type: "RequestVote",
        from: 3,
        to: 2,
        term: 5,
        preVote: false,
        lastLogIndex: 1,
        lastLogTerm: 1,
      },
    });
    const vote = r.ready.messages[0];
    expect(vote).toMatchObject({ type: "Vote", granted: false, term: 5 });
    expect(r.ready.hardState).toMatchObject({ term: 5, votedFor: null });
  });

  test("a leader that loses its quorum steps down after an election timeout", () => {
    const c = new Cluster({ ids: [1, 2, 3], seed: 5 });
    c.step(1, { type: "campaign" });
    c.stabilize();
    c.isolate(1);
    for (let i = 0; i < 3 * c.node(1).state.config.electionTicks; i++) {
      c.tick(1);
      c.stabilize();
    }
    expect(c.node(1).state.role).toBe("follower");
  });

  test("a lagging follower catches up through a snapshot", () => {
    const c = new Cluster({ ids: [1, 2, 3], seed: 6, compactEvery: 5 });
    c.step(1, { type: "campaign" });
    c.stabilize();
    c.crash(3);
    for (let i = 0; i < 20; i++) {
      c.propose(1, `v${i}`);
      c.stabilize();
    }
    c.tickAll();
    c.stabilize();
    expect(c.node(1).state.snapshot.index).toBeGreaterThan(5);
    c.restart(3);
    for (let i = 0; i < 3; i++) {
      c.tickAll();
      c.stabilize();
    }
    expect(c.node(3).applied.map((e) => e.payload)).toEqual(c.node(1).applied.map((e) => e.payload));
    expect(c.node(3).state.snapshot.index).toBeGreaterThan(0);
  });

  test("a leader counts itself only for entries the shell has made durable", () => {
    const c = new Cluster({ ids: [1, 2, 3], seed: 8, autoAck: false });
    c.step(1, { type: "campaign" });
    c.stabilize();
    c.ack(1);
    c.ack(2);
    c.ack(3);
    c.stabilize();
    c.crash(3);
    c.propose(1, "x");
    c.stabilize();
    // Node 2 has acknowledged entry 2, but node 1 has not confirmed its own write: 1 of 3 is no quorum.
    expect(c.node(1).state.commitIndex).toBe(1);
    c.ack(1);
    expect(c.node(1).state.commitIndex).toBe(2);
  });

  test("a persisted acknowledgement for entries since overwritten is ignored", () => {
    let s = quorum.initialState<string, null>({
      id: 2,
      voters: [1, 2, 3],
      prng: prngFromSeed(2),
      emptySnapshotData: null,
    });
    const append = (term: number, entries: quorum.Entry<string>[], prevLogIndex = 0, prevLogTerm = 0) =>
      quorum.step(s, {
        type: "message",
        message: {
          type: "AppendEntries",
          from: 1,
          to: 2,
          term,
          prevLogIndex,
          prevLogTerm,
          entries,
          leaderCommit: 0,
        },
      }).state;
    s = append(1, [{ index: 1, term: 1, payload: "a" }]);
    // A new leader of term 2 overwrites entry 1 before the shell acknowledged the old one.
    s = append(2, [{ index: 1, term: 2, payload: "b" }]);
    s = quorum.step(s, { type: "persisted", index: 1, term: 1 }).state;
    expect(s.persistedIndex).toBe(0);
    s = quorum.step(s, { type: "persisted", index: 1, term: 2 }).state;
    expect(s.persistedIndex).toBe(1);
  });

  test("a restarted node hands its committed entries out again, after its snapshot", () => {
    const c = new Cluster({ ids: [1, 2, 3], seed: 9, compactEvery: 2 });
    c.step(1, { type: "campaign" });
    c.stabilize();
    for (const v of ["a", "b", "c"]) {
      c.propose(1, v);
      c.stabilize();
    }
    c.tickAll();
    c.stabilize();
    const before = c.node(2).applied.map((e) => e.payload);
    c.crash(2);
    c.restart(2);
    c.tick(2);
    expect(c.node(2).applied.map((e) => e.payload)).toEqual(before);
  });

  test("the in-memory tail is bounded: proposals are refused when full and accepted again after compaction", () => {
    const config = { logEntriesMax: 8, proposalEntriesMax: 6 };
    let s = quorum.initialState<string, string[]>({
      id: 1,
      voters: [1],
      prng: prngFromSeed(4),
      emptySnapshotData: [],
      config,
    });
    const stepAck = (input: quorum.Input<string, string[]>) => {
      const r = quorum.step(s, input);
      s = r.state;
      const last = r.ready.entries[r.ready.entries.length - 1];
      if (last !== undefined)
        s = quorum.step(s, { type: "persisted", index: last.index, term: last.term }).state;
      return r.ready;
    };
    stepAck({ type: "campaign" });
    for (let i = 0; i < 5; i++)
      expect(stepAck({ type: "propose", payload: `v${i}` }).proposal?.accepted).toBe(true);
    expect(stepAck({ type: "propose", payload: "over" }).proposal).toEqual({
      accepted: false,
      reason: "LOG_FULL",
      leaderHint: 1,
    });
    stepAck({ type: "compact", index: 4, data: ["v0", "v1", "v2"] });
    expect(s.entries.length).toBe(2);
    expect(stepAck({ type: "propose", payload: "again" }).proposal).toMatchObject({
      accepted: true,
      index: 7,
    });
  });
});

describe("quorum: Raft paper rules", () => {
  test("a leader never commits an entry of an earlier term by counting replicas (Raft §5.4.2)", () => {
    const c = new Cluster({ ids: [1, 2, 3], seed: 12, config: { preVote: false, entriesPerAppendMax: 1 } });
    c.step(1, { type: "campaign" });
    c.stabilize();
    // Entry 2 of term 1 reaches only node 1's log.
    c.propose(1, "old");
    while (c.deliverFirst(() => true, true)) {}
    // Node 1 restarts and wins term 2 with its longer log; its no-op is entry 3.
    c.crash(1);
    c.restart(1);
    c.step(1, { type: "campaign" });
    while (c.deliverFirst((m) => m.type === "RequestVote" || m.type === "Vote")) {}
    expect(c.node(1).state).toMatchObject({ role: "leader", term: 2 });
    // Let node 2 acknowledge entry 2 but not yet entry 3: one entry per append.
    const toNode2 = (m: { to: number; from: number }) =>
      (m.to === 2 && m.from === 1) || (m.to === 1 && m.from === 2);
    for (let k = 0; k < 6 && c.node(2).state.entries.length < 2; k++) c.deliverFirst(toNode2);
    while (c.deliverFirst((m) => m.type === "AppendResponse" && m.from === 2)) {}
    expect(quorum.lastIndex(c.node(2).state)).toBe(2);
    // Entry 2 is on a majority (nodes 1 and 2), but it is of term 1: not committed yet.
    expect(c.node(1).state.commitIndex).toBe(1);
    c.stabilize();
    c.tickAll();
    c.stabilize();
    // Once the term-2 no-op is on a majority, both commit together.
    expect(c.node(1).state.commitIndex).toBe(3);
  });
});

describe("quorum: follower commit", () => {
  test("a follower never commits past the last entry the leader's message verified", () => {
    let s = quorum.initialState<string, null>({
      id: 2,
      voters: [1, 2, 3],
      prng: prngFromSeed(5),
      emptySnapshotData: null,
      durable: {
        hardState: { term: 1, votedFor: 1, commitIndex: 1 },
        snapshot: { index: 0, term: 0, data: null },
        entries: [
          { index: 1, term: 1, payload: null },
          { index: 2, term: 1, payload: "stale" },
        ],
      },
    });
    // The leader of term 2 committed a different entry 2; this heartbeat only verifies up to 1.
    const r = quorum.step(s, {
      type: "message",
      message: {
        type: "AppendEntries",
        from: 1,
        to: 2,
        term: 2,
        prevLogIndex: 1,
        prevLogTerm: 1,
        entries: [],
        leaderCommit: 2,
      },
    });
    s = r.state;
    expect(s.commitIndex).toBe(1);
    expect(r.ready.committed.map((e) => e.payload)).toEqual([null]);
    expect(r.ready.messages).toEqual([
      {
        type: "AppendResponse",
        from: 2,
        to: 1,
        term: 2,
        success: true,
        matchIndex: 1,
        rejectedIndex: 0,
        hintIndex: 0,
      },
    ]);
  });
});

describe("quorum: persistReady", () => {
  const e = (index: number, term: number, payload = `${index}`) => ({ index, term, payload });
  const base: quorum.DurableState<string, string> = {
    hardState: { term: 2, votedFor: 1, commitIndex: 1 },
    snapshot: { index: 0, term: 0, data: "" },
    entries: [e(1, 1), e(2, 1), e(3, 2)],
  };
  const ready = (over: Partial<quorum.Ready<string, string>>): quorum.Ready<string, string> => ({
    hardState: null,
    snapshot: null,
    entries: [],
    messages: [],
    committed: [],
    proposal: null,
    softState: { role: "follower", term: 2, leaderId: 1, leaderReady: false },
    ...over,
  });

  test("new entries overwrite stored ones from their first index", () => {
    const next = quorum.persistReady(base, ready({ entries: [e(3, 3, "x"), e(4, 3)] }));
    expect(next.entries).toEqual([e(1, 1), e(2, 1), e(3, 3, "x"), e(4, 3)]);
  });

  test("a snapshot keeps the stored suffix only if the entry at its index has its term", () => {
    const matching = quorum.persistReady(base, ready({ snapshot: { index: 2, term: 1, data: "s" } }));
    expect(matching.entries).toEqual([e(3, 2)]);
    const stale = quorum.persistReady(base, ready({ snapshot: { index: 3, term: 3, data: "s" } }));
    expect(stale.entries).toEqual([]);
    expect(stale.snapshot.index).toBe(3);
  });

  test("a gap between stored and new entries is a bug", () => {
    expect(() => quorum.persistReady(base, ready({ entries: [e(5, 3)] }))).toThrow(InvariantError);
  });
});
