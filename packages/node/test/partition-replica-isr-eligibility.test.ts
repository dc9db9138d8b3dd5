/**
 * PartitionReplica.applyIsrEligibility, the binding of Kafka's KIP-841 check that the broker calls with
 * every committed image (issue 12's clean-stop stall). Goal: a leader whose image shows a replica
 * fenced (a controlled shutdown) never sends AlterPartition for it, however caught up its fetches are,
 * so acks=all commits on the remaining ISR member alone; and the list steps the core only when it
 * changes. Method: one replica over an in-memory log, fetches handed in as the transport would.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import { batchOf, openReplica, produce, TestEnv } from "./test-env.ts";

function fetchFrom(replicaId: number, fetchOffset: number, fetchId: number) {
  return {
    type: "fetch" as const,
    topic: "t",
    partition: 0,
    replicaId,
    incarnation: 1,
    fetchId,
    currentLeaderEpoch: 1,
    fetchOffset,
    lastFetchedEpoch: fetchOffset > 0 ? 1 : -1,
  };
}

describe("PartitionReplica ISR eligibility", () => {
  test("a fenced replica fetching at the leader's end is never proposed; acks=all commits without it", () => {
    const env = new TestEnv();
    const r = openReplica(env, { core: { minInsyncReplicas: 2, replicaLagTimeMaxMs: 30_000 } });
    // The image that moved the leadership here also fenced broker 2 (its controlled shutdown).
    r.applyIsrEligibility([2]);
    r.applyLeadership({ leader: 0, leaderEpoch: 1, partitionEpoch: 3, isr: [0, 1], replicas: [0, 1, 2] });
    const waiting = produce(r, batchOf(["a"]), -1, 30_000);
    expect(waiting.outcome).toBe(null);
    r.onPeerMessage(fetchFrom(2, 1, 1), new Uint8Array(0));
    expect(env.alters).toEqual([]);
    expect(r.coreState.isrCandidates).toEqual([]);
    r.onPeerMessage(fetchFrom(1, 1, 1), new Uint8Array(0));
    expect(r.highWatermark).toBe(1);
    expect(waiting.outcome?.errorCode).toBe(ErrorCode.NONE);
  });

  test("an unchanged list steps nothing; an unfenced replica is proposed at its next fetch", () => {
    const env = new TestEnv();
    const r = openReplica(env);
    r.applyIsrEligibility([2]);
    r.applyLeadership({ leader: 0, leaderEpoch: 1, partitionEpoch: 3, isr: [0, 1], replicas: [0, 1, 2] });
    const before = r.coreState;
    r.applyIsrEligibility([2]);
    expect(r.coreState).toBe(before);
    r.applyIsrEligibility([]);
    expect(r.coreState.ineligibleReplicas).toEqual([]);
    r.onPeerMessage(fetchFrom(2, 0, 1), new Uint8Array(0));
    expect(env.alters.map((a) => a.newIsr)).toEqual([[0, 1, 2]]);
  });
});
