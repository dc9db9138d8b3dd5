/**
 * The rules that lose data when wrong, pinned one by one on a single replica state machine:
 * acks=all and min.insync.replicas, the high watermark never decreasing, leaders only from the ISR,
 * one leader per epoch, no truncation below the high watermark, consumers reading only below it, and
 * leader-epoch fencing of fetches. Each test drives `step` directly and inspects its Ready.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { InvariantError, partition, producer } from "../src/index.ts";
import { drive } from "./partition-drive.ts";

type State = partition.PartitionState;
type Input = partition.PartitionInput;

const E = producer.errorCode;

function leader(isr: number[], minInsyncReplicas: number, replicas = [1, 2, 3]): State {
  const s = partition.initialState({ topic: "t", partition: 0, brokerId: 1, minInsyncReplicas });
  return drive(s, { type: "becomeLeader", leaderEpoch: 1, partitionEpoch: 1, isr, replicas }).state;
}

const batch = (recordCount: number): partition.ProduceBatch => ({
  recordCount,
  sizeBytes: 10,
  maxTimestamp: 0,
  producerId: -1,
  producerEpoch: -1,
  baseSequence: -1,
});

const produce = (requestId: number, acks: number, count = 1): Input => ({
  type: "produce",
  requestId,
  acks,
  timeoutMs: 60_000,
  batch: batch(count),
});

const fetch = (replicaId: number, fetchOffset: number, fetchId = 1, epoch = 1): Input => ({
  type: "fetchFromFollower",
  topic: "t",
  partition: 0,
  replicaId,
  incarnation: 0,
  fetchId,
  currentLeaderEpoch: epoch,
  fetchOffset,
  lastFetchedEpoch: fetchOffset > 0 ? 1 : -1,
});

const responses = (ready: partition.PartitionReady[]) => ready.flatMap((r) => r.respond);

describe("acks=all and min.insync.replicas", () => {
  test("acks=all is answered only once every ISR member has the record", () => {
    let { state } = drive(leader([1, 2, 3], 2), produce(1, -1, 2), {
      type: "appendCompleted",
      logEndOffset: 2,
    });
    let step = drive(state, fetch(2, 2));
    expect(responses(step.ready)).toEqual([]);
    expect(step.state.highWatermark).toBe(0);
    step = drive(step.state, fetch(3, 1));
    expect(responses(step.ready)).toEqual([]);
    step = drive(step.state, fetch(3, 2, 2));
    state = step.state;
    expect(state.highWatermark).toBe(2);
    expect(responses(step.ready)).toEqual([
      { requestId: 1, errorCode: E.NONE, baseOffset: 0, logStartOffset: 0, duplicate: false, acks: -1 },
    ]);
  });

  test("an ISR below min.insync.replicas refuses acks=all before appending anything", () => {
    const { state, ready } = drive(leader([1], 2), produce(1, -1));
    expect(ready[0]!.persist).toEqual([]);
    expect(responses(ready)[0]!.errorCode).toBe(E.NOT_ENOUGH_REPLICAS);
    expect(state.nextOffset).toBe(0);
    // acks=1 does not care about min.insync.replicas.
    const one = drive(state, produce(2, 1), { type: "appendCompleted", logEndOffset: 1 });
    expect(responses(one.ready)[0]!.errorCode).toBe(E.NONE);
  });

  test("an ISR that shrinks below min.insync.replicas while a write waits answers NOT_ENOUGH_REPLICAS_AFTER_APPEND", () => {
    const s = drive(
      leader([1, 2], 2),
      fetch(2, 0),
      produce(1, -1),
      { type: "appendCompleted", logEndOffset: 1 },
      { type: "tick", nowMs: 30_001 },
    );
    const proposal = s.ready[3]!.send.find((e) => e.message.type === "alterPartition");
    expect(proposal?.message).toMatchObject({ type: "alterPartition", newIsr: [1] });
    const after = drive(s.state, {
      type: "alterPartitionResponse",
      errorCode: E.NONE,
      leaderEpoch: 1,
      partitionEpoch: 2,
      isr: [1],
    });
    expect(after.state.highWatermark).toBe(1);
    expect(responses(after.ready)).toEqual([
      {
        requestId: 1,
        errorCode: E.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        baseOffset: -1,
        logStartOffset: 0,
        duplicate: false,
        acks: -1,
      },
    ]);
  });

  test("a proposed ISR member keeps holding the high watermark when the answer leaves its fate open", () => {
    // ISR [1]; broker 2 catches up and is proposed; the controller applies it but the answer we get is
    // INVALID_UPDATE_VERSION (a retry raced the first copy). Broker 2 may be in the ISR now, so a write
    // must not be acknowledged before it has it.
    const s = drive(leader([1], 1, [1, 2]), fetch(2, 0));
    expect(s.state.pendingIsrChange?.proposedIsr).toEqual([1, 2]);
    const refused = drive(
      s.state,
      {
        type: "alterPartitionResponse",
        errorCode: E.INVALID_UPDATE_VERSION,
        leaderEpoch: 1,
        partitionEpoch: 2,
        isr: [1, 2],
      },
      produce(1, -1),
      { type: "appendCompleted", logEndOffset: 1 },
    );
    expect(refused.state.pendingIsrChange?.awaitingMetadata).toBe(true);
    expect(refused.state.highWatermark).toBe(0);
    expect(responses(refused.ready)).toEqual([]);
    // Metadata settles it: broker 2 is in the ISR, and the write commits once it has fetched past it.
    const settled = drive(
      refused.state,
      { type: "becomeLeader", leaderEpoch: 1, partitionEpoch: 2, isr: [1, 2], replicas: [1, 2] },
      fetch(2, 1, 2),
    );
    expect(settled.state.highWatermark).toBe(1);
    expect(responses(settled.ready).map((r) => r.errorCode)).toEqual([E.NONE]);
  });

  test("a member once proposed keeps holding the high watermark until the partition epoch moves", () => {
    // The answer to one copy says "not applied", but a retried copy sent at the same partition epoch may
    // still be applied later (the controller only checks epochs), adding broker 2 behind our back.
    const s = drive(leader([1], 1, [1, 2]), fetch(2, 0));
    expect(s.state.isrCandidates).toEqual([2]);
    const refused = drive(
      s.state,
      {
        type: "alterPartitionResponse",
        errorCode: E.INELIGIBLE_REPLICA,
        leaderEpoch: 1,
        partitionEpoch: 1,
        isr: [1],
      },
      produce(1, -1),
      { type: "appendCompleted", logEndOffset: 1 },
    );
    expect(refused.state.pendingIsrChange).toBeNull();
    expect(refused.state.highWatermark).toBe(0);
    // A newer partition epoch from metadata ends the doubt: broker 2 is not in the ISR, so the write commits.
    const settled = drive(refused.state, {
      type: "becomeLeader",
      leaderEpoch: 1,
      partitionEpoch: 2,
      isr: [1],
      replicas: [1, 2],
    });
    expect(settled.state.highWatermark).toBe(1);
    expect(responses(settled.ready).map((r) => r.errorCode)).toEqual([E.NONE]);
  });
});

describe("AlterPartition refusals that leave the outcome open", () => {
  test("with no newer metadata, the leader proposes again after alterPartitionMetadataWaitMs (seed 305065)", () => {
    // A deposed controller with an old image refuses our expansion with INVALID_UPDATE_VERSION; the
    // active controller's metadata already matches ours, so no newer partition epoch will ever come.
    // Waiting for it without a limit left the ISR short forever; the leader must ask again.
    const s = drive(leader([1], 1, [1, 2]), fetch(2, 0));
    expect(s.state.pendingIsrChange?.proposedIsr).toEqual([1, 2]);
    const refused = drive(s.state, {
      type: "alterPartitionResponse",
      errorCode: E.INVALID_UPDATE_VERSION,
      leaderEpoch: -1,
      partitionEpoch: -1,
      isr: [],
    });
    expect(refused.state.pendingIsrChange?.awaitingMetadata).toBe(true);
    const waitMs = refused.state.config.alterPartitionMetadataWaitMs;
    // Still waiting just before the limit, and the wake-up is armed for it.
    expect(refused.ready[0]!.wakeAtMs).toBe(waitMs);
    const early = drive(refused.state, { type: "tick", nowMs: waitMs - 1 }, fetch(2, 0, 2));
    expect(early.ready.flatMap((r) => r.send).filter((e) => e.to === "controller")).toEqual([]);
    // After it, the change is dropped and the next fetch of the caught-up follower proposes it again.
    const later = drive(early.state, { type: "tick", nowMs: waitMs }, fetch(2, 0, 3));
    const proposals = later.ready.flatMap((r) => r.send).filter((e) => e.to === "controller");
    expect(proposals.map((e) => e.message)).toMatchObject([{ type: "alterPartition", newIsr: [1, 2] }]);
    // The member stays an ISR candidate throughout: the high watermark never passes it meanwhile.
    expect(later.state.isrCandidates).toEqual([2]);
  });

  test("dropping an awaited change never lets the high watermark pass a member it proposed", () => {
    const s = drive(leader([1], 1, [1, 2]), fetch(2, 0));
    const refused = drive(
      s.state,
      {
        type: "alterPartitionResponse",
        errorCode: E.FENCED_LEADER_EPOCH,
        leaderEpoch: -1,
        partitionEpoch: -1,
        isr: [],
      },
      produce(1, -1),
      { type: "appendCompleted", logEndOffset: 1 },
      { type: "tick", nowMs: 60_000 },
    );
    expect(refused.state.highWatermark).toBe(0);
    expect(responses(refused.ready.slice(0, 3))).toEqual([]);
  });
});

describe("a refused ISR candidate that stays down", () => {
  test("stops holding the high watermark once an ISR change moves the partition epoch (seed 1297)", () => {
    // ISR [1,2]; broker 3 catches up, is proposed, and the controller refuses it (it went down). Until
    // the partition epoch moves a late copy of the proposal could still add it, so it holds the high
    // watermark; with nothing else to move the epoch, acks=all stalled for good.
    const lagMs = partition.partitionConfigDefaults.replicaLagTimeMaxMs;
    const s = drive(leader([1, 2], 1), fetch(2, 0), fetch(3, 0));
    expect(s.state.pendingIsrChange?.proposedIsr).toEqual([1, 2, 3]);
    const refused = drive(
      s.state,
      {
        type: "alterPartitionResponse",
        errorCode: E.INELIGIBLE_REPLICA,
        leaderEpoch: -1,
        partitionEpoch: -1,
        isr: [],
      },
      produce(1, -1),
      { type: "appendCompleted", logEndOffset: 1 },
      fetch(2, 1, 2),
    );
    expect(refused.state.highWatermark).toBe(0);
    // Broker 2 keeps fetching; broker 3 stays silent. Just before the lag time nothing is proposed.
    const quiet = drive(refused.state, { type: "tick", nowMs: lagMs - 100 }, fetch(2, 1, 3), {
      type: "tick",
      nowMs: lagMs,
    });
    expect(quiet.ready.flatMap((r) => r.send).filter((e) => e.to === "controller")).toEqual([]);
    expect(quiet.state.highWatermark).toBe(0);
    // The wake-up is armed for the moment broker 3 counts as silent.
    expect(quiet.ready[2]!.wakeAtMs).toBe(lagMs + 1);
    // After it, the leader proposes an ISR change whose commit kills every older copy. Until it commits,
    // the high watermark still waits for broker 3.
    const fencing = drive(quiet.state, { type: "tick", nowMs: lagMs + 1 });
    const proposals = fencing.ready[0]!.send.filter((e) => e.to === "controller").map((e) => e.message);
    expect(proposals).toMatchObject([{ type: "alterPartition", partitionEpoch: 1, newIsr: [1] }]);
    expect(fencing.state.highWatermark).toBe(0);
    const committed = drive(fencing.state, {
      type: "alterPartitionResponse",
      errorCode: E.NONE,
      leaderEpoch: 1,
      partitionEpoch: 2,
      isr: [1],
    });
    expect(committed.state.highWatermark).toBe(1);
    expect(responses(committed.ready).map((r) => r.errorCode)).toEqual([E.NONE]);
    // Broker 2 is proposed back at its next fetch; broker 3 no longer holds anything.
    const back = drive(committed.state, fetch(2, 1, 4));
    expect(back.ready[0]!.send.filter((e) => e.to === "controller").map((e) => e.message)).toMatchObject([
      { type: "alterPartition", partitionEpoch: 2, newIsr: [1, 2] },
    ]);
    expect(partition.maximalIsr(back.state)).toEqual([1, 2]);
  });

  test("a leader alone in its ISR does not spin while a silent candidate holds the high watermark", () => {
    const s = drive(leader([1], 1), fetch(3, 0));
    const refused = drive(
      s.state,
      {
        type: "alterPartitionResponse",
        errorCode: E.INELIGIBLE_REPLICA,
        leaderEpoch: -1,
        partitionEpoch: -1,
        isr: [],
      },
      produce(1, 1),
      { type: "appendCompleted", logEndOffset: 1 },
      { type: "tick", nowMs: 100_000 },
    );
    expect(refused.state.highWatermark).toBe(0);
    expect(refused.ready.flatMap((r) => r.send).filter((e) => e.to === "controller")).toEqual([]);
    expect(refused.ready[3]!.wakeAtMs).toBeNull();
  });
});

describe("leaders and epochs", () => {
  test("a replica outside the ISR cannot become leader", () => {
    const s = partition.initialState({ topic: "t", partition: 0, brokerId: 1 });
    expect(() =>
      partition.step(s, {
        type: "becomeLeader",
        leaderEpoch: 1,
        partitionEpoch: 1,
        isr: [2, 3],
        replicas: [1, 2, 3],
      }),
    ).toThrow(InvariantError);
  });

  test("two leaders never share an epoch", () => {
    const s = partition.initialState({ topic: "t", partition: 0, brokerId: 1 });
    const follower = drive(s, {
      type: "becomeFollower",
      leaderId: 2,
      leaderEpoch: 5,
      partitionEpoch: 1,
      isr: [1, 2],
      replicas: [1, 2],
    }).state;
    expect(() =>
      partition.step(follower, {
        type: "becomeLeader",
        leaderEpoch: 5,
        partitionEpoch: 2,
        isr: [1, 2],
        replicas: [1, 2],
      }),
    ).toThrow(InvariantError);
    expect(() =>
      partition.step(follower, {
        type: "becomeFollower",
        leaderId: 3,
        leaderEpoch: 5,
        partitionEpoch: 2,
        isr: [1, 2, 3],
        replicas: [1, 2, 3],
      }),
    ).toThrow(InvariantError);
    // A stale instruction for an older epoch is ignored, not obeyed.
    const stale = partition.step(follower, {
      type: "becomeLeader",
      leaderEpoch: 4,
      partitionEpoch: 9,
      isr: [1],
      replicas: [1, 2],
    });
    expect(stale.state).toBe(follower);
  });

  test("a reordered older fetch is dropped, so a follower's position never moves back", () => {
    const s = drive(
      leader([1, 2], 1),
      produce(1, 1, 2),
      { type: "appendCompleted", logEndOffset: 2 },
      fetch(2, 2, 5),
    );
    expect(s.state.followers[0]!.logEndOffset).toBe(2);
    const old = partition.step(s.state, fetch(2, 0, 4));
    expect(old.state).toBe(s.state);
    expect(old.ready.send).toEqual([]);
  });

  test("fetches carrying another leader epoch are fenced", () => {
    const s = leader([1, 2, 3], 1);
    const old = drive(s, fetch(2, 0, 1, 0)).ready[0]!.send[0]!.message;
    expect(old).toMatchObject({ type: "fetchResponse", errorCode: E.FENCED_LEADER_EPOCH });
    const future = drive(s, fetch(2, 0, 1, 2)).ready[0]!.send[0]!.message;
    expect(future).toMatchObject({ type: "fetchResponse", errorCode: E.UNKNOWN_LEADER_EPOCH });
  });
});

describe("high watermark", () => {
  test("consumers read only below the high watermark", () => {
    const s = drive(leader([1, 2], 1), fetch(2, 0), produce(1, 1, 3), {
      type: "appendCompleted",
      logEndOffset: 3,
    }).state;
    expect(s.highWatermark).toBe(0);
    const bounds = partition.consumerReadBounds(s, { fetchOffset: 0, currentLeaderEpoch: 1 });
    expect(bounds).toMatchObject({ errorCode: E.NONE, readToOffset: 0, highWatermark: 0 });
    const later = drive(s, fetch(2, 2, 2)).state;
    expect(partition.consumerReadBounds(later, { fetchOffset: 1, currentLeaderEpoch: 1 }).readToOffset).toBe(
      2,
    );
    expect(partition.consumerReadBounds(later, { fetchOffset: 4, currentLeaderEpoch: 1 }).errorCode).toBe(
      E.OFFSET_OUT_OF_RANGE,
    );
  });

  test("a follower never truncates below its high watermark", () => {
    let s = partition.initialState(
      { topic: "t", partition: 0, brokerId: 2 },
      {
        logStartOffset: 0,
        logEndOffset: 8,
        highWatermark: 5,
        epochs: [{ epoch: 1, startOffset: 0 }],
      },
    );
    s = drive(s, {
      type: "becomeFollower",
      leaderId: 1,
      leaderEpoch: 2,
      partitionEpoch: 1,
      isr: [1, 2],
      replicas: [1, 2],
    }).state;
    const inFlight = s.fetchInFlight!;
    const diverging = {
      type: "fetchResponse" as const,
      topic: "t",
      partition: 0,
      leaderId: 1,
      incarnation: 0,
      fetchId: inFlight.fetchId,
      leaderEpoch: 2,
      errorCode: 0,
      highWatermark: 5,
      logStartOffset: 0,
      leaderEndOffset: 9,
      readFromOffset: 8,
      readToOffset: 8,
      divergingEpoch: { epoch: 1, endOffset: 6 },
      batches: [],
    };
    const ok = partition.step(s, diverging);
    expect(ok.ready.persist).toContainEqual({ type: "truncate", offset: 6 });
    expect(() => partition.step(s, { ...diverging, divergingEpoch: { epoch: 1, endOffset: 3 } })).toThrow(
      InvariantError,
    );
  });

  test("a divergence that reaches the leader's log start makes the follower start over there", () => {
    let s = partition.initialState(
      { topic: "t", partition: 0, brokerId: 2 },
      { logStartOffset: 0, logEndOffset: 3, highWatermark: 0, epochs: [{ epoch: 0, startOffset: 0 }] },
    );
    s = drive(s, {
      type: "becomeFollower",
      leaderId: 1,
      leaderEpoch: 1,
      partitionEpoch: 1,
      isr: [1, 2],
      replicas: [1, 2],
    }).state;
    const r = partition.step(s, {
      type: "fetchResponse",
      topic: "t",
      partition: 0,
      leaderId: 1,
      incarnation: 0,
      fetchId: s.fetchInFlight!.fetchId,
      leaderEpoch: 1,
      errorCode: 0,
      highWatermark: 2,
      logStartOffset: 1,
      leaderEndOffset: 2,
      readFromOffset: 3,
      readToOffset: 3,
      // The leader deleted below 1 and no longer knows where epoch 0 ended: it answers its log start.
      divergingEpoch: { epoch: 0, endOffset: 1 },
      batches: [],
    });
    expect(r.ready.persist).toContainEqual({ type: "truncateFully", offset: 1 });
    expect(r.state).toMatchObject({ logStartOffset: 1, logEndOffset: 1, highWatermark: 1, epochs: [] });
  });

  test("the high watermark never decreases whatever followers report", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("produce" as const), count: fc.integer({ min: 1, max: 3 }) }),
            fc.record({
              kind: fc.constant("fetch" as const),
              replica: fc.constantFrom(2, 3),
              back: fc.nat({ max: 4 }),
            }),
            fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
            fc.record({
              kind: fc.constant("isr" as const),
              isr: fc.constantFrom([1], [1, 2], [1, 3], [1, 2, 3]),
            }),
          ),
          { maxLength: 80 },
        ),
        (commands) => {
          let s = leader([1, 2, 3], 1);
          let fetchId = 1;
          let highWatermark = 0;
          for (const c of commands) {
            let input: Input;
            if (c.kind === "produce") input = produce(fetchId++, 1, c.count);
            else if (c.kind === "fetch")
              input = fetch(c.replica, Math.max(0, s.logEndOffset - c.back), fetchId++);
            else if (c.kind === "tick") input = { type: "tick", nowMs: s.nowMs + c.ms };
            else {
              input = {
                type: "becomeLeader",
                leaderEpoch: 1,
                partitionEpoch: s.partitionEpoch + 1,
                isr: c.isr,
                replicas: [1, 2, 3],
              };
            }
            s = partition.step(s, input).state;
            if (s.nextOffset > s.logEndOffset) {
              s = partition.step(s, { type: "appendCompleted", logEndOffset: s.nextOffset }).state;
            }
            expect(s.highWatermark).toBeGreaterThanOrEqual(highWatermark);
            highWatermark = s.highWatermark;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("logical time", () => {
  test("ticking only at wakeAtMs is enough for ISR shrink and produce timeouts", () => {
    let s = leader([1, 2, 3], 1);
    let r = partition.step(s, fetch(2, 0));
    s = r.state;
    r = partition.step(s, { ...produce(1, -1), timeoutMs: 45_000 } as partition.PartitionInput);
    s = r.state;
    r = partition.step(s, { type: "appendCompleted", logEndOffset: 1 });
    s = r.state;
    const seen: string[] = [];
    let wake = r.ready.wakeAtMs;
    for (let i = 0; i < 20 && wake !== null; i++) {
      r = partition.step(s, { type: "tick", nowMs: wake });
      s = r.state;
      for (const e of r.ready.send)
        if (e.message.type === "alterPartition") seen.push(`${s.nowMs} alter ${e.message.newIsr}`);
      for (const p of r.ready.respond) seen.push(`${s.nowMs} respond ${producer.errorName(p.errorCode)}`);
      wake = r.ready.wakeAtMs;
    }
    // Broker 3 never fetched: 30 s after the election it is out; broker 2 is stuck at offset 0 behind the
    // leader's end and goes too. Nobody answers the AlterPartition, so it is retried every second, and the
    // write times out at its deadline.
    expect(seen[0]).toBe("30001 alter 1");
    expect(seen).toContain("45000 respond REQUEST_TIMED_OUT");
    expect(seen.filter((line) => line.includes("alter")).length).toBeGreaterThan(1);
  });
});
