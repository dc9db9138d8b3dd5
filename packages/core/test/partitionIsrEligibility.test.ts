/**
 * ISR eligibility (Kafka's KIP-841) on the leader, pinned on the sequence that stalled a clean stop
 * (issue 12): a controlled shutdown fences the stopping broker in the same image that moves its
 * leadership; the new leader learns both, and the stopping broker, still running for a moment, fetches
 * from it at its log end. A leader that proposed it for the ISR was refused (INELIGIBLE_REPLICA), and
 * the refused member stayed an ISR candidate holding the high watermark at its last position, so every
 * acks=all write timed out until `fencingIsr` acted `replicaLagTimeMaxMs` (30 s) later. Method: drive
 * `step` directly through that sequence, then a fast-check property over random fetches and metadata.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { partition, producer } from "../src/index.ts";
import { drive } from "./partition-drive.ts";

type State = partition.PartitionState;
type Input = partition.PartitionInput;

const E = producer.errorCode;

const fetch = (replicaId: number, fetchOffset: number, fetchId: number, lastFetchedEpoch: number): Input => ({
  type: "fetchFromFollower",
  topic: "t",
  partition: 0,
  replicaId,
  incarnation: 0,
  fetchId,
  currentLeaderEpoch: 3,
  fetchOffset,
  lastFetchedEpoch,
});

const produceAll = (requestId: number): Input => ({
  type: "produce",
  requestId,
  acks: -1,
  timeoutMs: 30_000,
  batch: {
    recordCount: 1,
    sizeBytes: 10,
    maxTimestamp: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
  },
});

const proposals = (ready: readonly partition.PartitionReady[]) =>
  ready.flatMap((r) => r.send).filter((e) => e.to === "controller");

/**
 * Broker 2 followed broker 1 in epoch 2 and holds offsets 0..4; the image that fences broker 1 (its
 * controlled shutdown) makes broker 2 leader of epoch 3 with ISR [3, 2]. `ineligible` is what that
 * image says of the replicas; null sends no eligibility at all (the binding before the fix).
 */
function newLeader(ineligible: readonly number[] | null): State {
  const recovered = {
    logStartOffset: 0,
    logEndOffset: 5,
    highWatermark: 4,
    epochs: [
      { epoch: 0, startOffset: 0 },
      { epoch: 2, startOffset: 3 },
    ],
  };
  const start = partition.initialState(
    { topic: "t", partition: 0, brokerId: 2, minInsyncReplicas: 2 },
    recovered,
    1_000,
    7,
  );
  const inputs: Input[] = [
    {
      type: "becomeFollower",
      leaderId: 1,
      leaderEpoch: 2,
      partitionEpoch: 4,
      isr: [1, 2, 3],
      replicas: [1, 2, 3],
    },
  ];
  if (ineligible !== null) inputs.push({ type: "isrEligibility", ineligibleReplicas: ineligible });
  inputs.push({ type: "becomeLeader", leaderEpoch: 3, partitionEpoch: 5, isr: [3, 2], replicas: [1, 2, 3] });
  const s = drive(start, ...inputs).state;
  expect(s.role).toBe("leader");
  expect(s.leaderEpochStartOffset).toBe(5);
  return s;
}

describe("a broker stopping cleanly while it still fetches", () => {
  test("is not proposed for the ISR, so acks=all commits at the remaining follower's next fetch", () => {
    // The stopping broker 1 fetches at the new leader's end (it had everything), as a follower of epoch 3.
    const s = drive(newLeader([1]), fetch(1, 5, 1, 2), fetch(3, 5, 1, 2));
    expect(proposals(s.ready)).toEqual([]);
    expect(partition.maximalIsr(s.state)).toEqual([3, 2]);
    expect(s.state.highWatermark).toBe(5);
    // A write of the new epoch commits on the very fetch that shows broker 3 has it; no other produce needed.
    const written = drive(s.state, produceAll(1), { type: "appendCompleted", logEndOffset: 6 });
    expect(written.ready.flatMap((r) => r.respond)).toEqual([]);
    const fetched = drive(written.state, fetch(3, 6, 2, 3));
    expect(fetched.state.highWatermark).toBe(6);
    expect(fetched.ready[0]!.respond.map((r) => [r.requestId, r.errorCode, r.baseOffset])).toEqual([
      [1, E.NONE, 5],
    ]);
    // The answer to that fetch tells broker 3 the new high watermark at once.
    expect(fetched.ready[0]!.send).toMatchObject([
      { to: 3, message: { type: "fetchResponse", highWatermark: 6 } },
    ]);
  });

  test("without the metadata's word it is proposed, refused, and holds the high watermark (the stall)", () => {
    // The sequence of the stalled clean stops, kept so the mechanism above stays explained.
    const s = drive(newLeader(null), fetch(1, 5, 1, 2), fetch(3, 5, 1, 2));
    expect(proposals(s.ready).map((e) => e.message)).toMatchObject([
      { type: "alterPartition", newIsr: [3, 2, 1] },
    ]);
    const refused = drive(
      s.state,
      {
        type: "alterPartitionResponse",
        errorCode: E.INELIGIBLE_REPLICA,
        leaderEpoch: -1,
        partitionEpoch: -1,
        isr: [],
      },
      produceAll(1),
      { type: "appendCompleted", logEndOffset: 6 },
      fetch(3, 6, 2, 3),
    );
    expect(refused.state.isrCandidates).toEqual([1]);
    expect(refused.state.highWatermark).toBe(5);
    expect(refused.ready.flatMap((r) => r.respond)).toEqual([]);
  });

  test("a replica that turns eligible again is proposed at once if its fetch is parked", () => {
    // Broker 1 restarted and registered again; its fetches park at the leader's end while it is fenced.
    // Its first fetch is answered at once (it learns the high watermark); the next one parks.
    const s = drive(newLeader([1]), fetch(3, 5, 1, 2), fetch(1, 5, 1, 2), fetch(1, 5, 2, 2));
    expect(s.state.followers.find((f) => f.replicaId === 1)?.parkedFetch).not.toBeNull();
    expect(proposals(s.ready)).toEqual([]);
    const unfenced = drive(s.state, { type: "isrEligibility", ineligibleReplicas: [] });
    expect(proposals(unfenced.ready).map((e) => e.message)).toMatchObject([
      { type: "alterPartition", partitionEpoch: 5, newIsr: [3, 2, 1] },
    ]);
    // The same list again changes nothing and returns the very state.
    const again = partition.step(unfenced.state, { type: "isrEligibility", ineligibleReplicas: [] });
    expect(again.state).toBe(unfenced.state);
  });

  test("a malformed list is refused", () => {
    const s = newLeader([]);
    expect(() => partition.step(s, { type: "isrEligibility", ineligibleReplicas: [1, 1] })).toThrow(
      "ineligible replicas repeat",
    );
  });
});

describe("property: a leader never proposes a replica the metadata shows ineligible", () => {
  test("over random fetches, eligibility changes, answers and ticks", () => {
    const replica = fc.constantFrom(1, 3);
    const event = fc.oneof(
      fc.record({ kind: fc.constant("fetch" as const), replicaId: replica, behind: fc.nat(3) }),
      fc.record({ kind: fc.constant("eligibility" as const), ineligible: fc.subarray([1, 3]) }),
      fc.record({ kind: fc.constant("produce" as const) }),
      fc.record({ kind: fc.constant("refuse" as const) }),
      fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 2_000 }) }),
    );
    fc.assert(
      fc.property(fc.subarray([1, 3]), fc.array(event, { maxLength: 60 }), (initial, events) => {
        let s = newLeader(initial);
        let fetchId = 1;
        let requestId = 1;
        for (const e of events) {
          let input: Input;
          if (e.kind === "fetch") {
            const offset = Math.max(0, s.logEndOffset - e.behind);
            input = fetch(e.replicaId, offset, fetchId++, offset > 5 ? 3 : 2);
          } else if (e.kind === "eligibility")
            input = { type: "isrEligibility", ineligibleReplicas: e.ineligible };
          else if (e.kind === "produce") input = produceAll(requestId++);
          else if (e.kind === "refuse")
            input = {
              type: "alterPartitionResponse",
              errorCode: E.INELIGIBLE_REPLICA,
              leaderEpoch: -1,
              partitionEpoch: -1,
              isr: [],
            };
          else input = { type: "tick", nowMs: s.nowMs + e.ms };
          const before = s;
          const result = partition.step(s, input);
          s = result.state;
          if (s.nextOffset > s.logEndOffset)
            s = partition.step(s, { type: "appendCompleted", logEndOffset: s.nextOffset }).state;
          for (const envelope of result.ready.send) {
            if (envelope.message.type !== "alterPartition") continue;
            // A retry repeats an earlier proposal; only a member added now is a new decision.
            const earlier = before.pendingIsrChange?.proposedIsr ?? before.isr;
            for (const id of envelope.message.newIsr) {
              if (!earlier.includes(id) && !before.isr.includes(id))
                expect(result.state.ineligibleReplicas).not.toContain(id);
            }
          }
        }
      }),
      { seed: 12, numRuns: 300 },
    );
  });
});
