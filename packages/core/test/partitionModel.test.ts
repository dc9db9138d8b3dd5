/**
 * fast-check model tests for the partition replica, run on the in-process cluster.
 *
 * 1. Without faults, the replicated log must behave like the naive model: one list of records in the
 *    order the leader accepted them, offsets assigned by counting, and a high watermark equal to the
 *    smallest durable log end across the ISR once everything is delivered.
 * 2. With crashes, restarts, fencing, elections, reordering and loss, the rules that lose data when
 *    wrong must hold after every event: acks=all only when the whole ISR (>= min.insync) has the record,
 *    committed prefixes agree, the leader holds every committed record, nothing acknowledged is lost,
 *    the visible high watermark never goes back, and after healing all replicas converge.
 * Seeds and shrunk counterexamples are printed by fast-check on failure; pass them back to replay.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { partition } from "../src/index.ts";
import { Cluster, diskEnd } from "./partitionCluster.ts";

type Command =
  | { readonly kind: "produce"; readonly broker: number; readonly acks: number; readonly count: number }
  | { readonly kind: "deliver"; readonly index: number }
  | { readonly kind: "drop"; readonly index: number }
  | { readonly kind: "complete"; readonly broker: number }
  | { readonly kind: "tick"; readonly ms: number }
  | { readonly kind: "crash"; readonly broker: number }
  | { readonly kind: "restart"; readonly broker: number }
  | { readonly kind: "fence"; readonly broker: number }
  | { readonly kind: "elect"; readonly broker: number }
  | { readonly kind: "idem" }
  | { readonly kind: "deleteRecords"; readonly index: number };

/**
 * An idempotent producer with one request in flight: it resends the same sequence after an error or
 * after waiting too long (its request may still be alive somewhere), and moves on only after success.
 */
class IdempotentClient {
  nextSeq = 0;
  inFlight: { seq: number; requestId: number; waited: number } | null = null;
  static readonly producerId = 77;
  static readonly patienceCommands = 25;

  act(cluster: Cluster): void {
    if (this.inFlight !== null) {
      const { requestId } = this.inFlight;
      const response = cluster.responses.find((r) => r.requestId === requestId);
      if (response === undefined && ++this.inFlight.waited < IdempotentClient.patienceCommands) return;
      if (response?.errorCode === 0) this.nextSeq++;
      this.inFlight = null;
    }
    const leader = cluster.controller[0]!.leader;
    if (leader < 1 || !cluster.broker(leader).up) return;
    const idem = { pid: IdempotentClient.producerId, epoch: 0, seq: this.nextSeq };
    const requestId = cluster.produce(leader, 0, -1, 1, idem);
    this.inFlight = { seq: this.nextSeq, requestId, waited: 0 };
  }
}

const broker = fc.integer({ min: 1, max: 3 });
const acks = fc.constantFrom(-1, 1, 0);

const calmCommand: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("produce" as const),
      broker: fc.constant(1),
      acks,
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("deliver" as const), index: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("complete" as const), broker }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 200 }) }),
  },
);

const faultyCommand: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("produce" as const),
      broker,
      acks,
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 14, arbitrary: fc.record({ kind: fc.constant("deliver" as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("drop" as const), index: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("complete" as const), broker }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash" as const), broker }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const), broker }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("fence" as const), broker }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("elect" as const), broker }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("idem" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteRecords" as const), index: fc.nat() }) },
);

function run(cluster: Cluster, command: Command, client?: IdempotentClient): void {
  switch (command.kind) {
    case "produce": {
      // Broker 0 stands for "whoever the controller says leads", as a client with fresh metadata would.
      const target = command.broker === 0 ? cluster.controller[0]!.leader : command.broker;
      if (target >= 1 && cluster.broker(target).up) cluster.produce(target, 0, command.acks, command.count);
      break;
    }
    case "deliver":
      if (cluster.network.length > 0) cluster.deliverAt(command.index % cluster.network.length);
      break;
    case "drop":
      if (cluster.network.length > 0) cluster.dropAt(command.index % cluster.network.length);
      break;
    case "complete":
      if (cluster.broker(command.broker).up) cluster.completeAppends(command.broker, 0);
      break;
    case "tick":
      cluster.tick(command.ms);
      break;
    case "crash":
      if (cluster.broker(command.broker).up) cluster.crash(command.broker);
      break;
    case "restart":
      if (!cluster.broker(command.broker).up) cluster.restart(command.broker);
      break;
    case "fence": {
      // The controller fences a broker whose session expired, i.e. one that is down.
      const down = cluster.brokers.filter((b) => !b.up);
      const victim = down[command.broker % Math.max(1, down.length)];
      if (victim !== undefined) cluster.fence(victim.id);
      break;
    }
    case "elect":
      cluster.elect(0, command.broker);
      break;
    case "idem":
      client?.act(cluster);
      break;
    case "deleteRecords": {
      // DeleteRecords on the leader at a batch boundary (the shell rounds to one), at most its HW.
      const leader = cluster.controller[0]!.leader;
      if (leader < 1 || !cluster.broker(leader).up) break;
      const replica = cluster.broker(leader).replicas[0]!;
      const bases = replica.disk.map((d) => d.baseOffset).filter((o) => o <= replica.state.highWatermark);
      if (bases.length > 0) cluster.deleteRecords(leader, 0, bases[command.index % bases.length]!);
      break;
    }
  }
  cluster.take();
}

function newCluster(minInsyncReplicas: number): Cluster {
  const cluster = new Cluster({ brokers: 3, partitions: 1, minInsyncReplicas, autoComplete: false });
  cluster.elect(0, 1);
  cluster.stabilize();
  cluster.take();
  return cluster;
}

/** Restarts everyone, then delivers and ticks until the cluster is quiet and every replica caught up. */
function heal(cluster: Cluster): void {
  for (const b of cluster.brokers) if (!b.up) cluster.restart(b.id);
  if (cluster.controller[0]!.leader < 0) cluster.elect(0);
  for (let round = 0; round < 100; round++) {
    cluster.stabilize();
    cluster.tick(1_000);
  }
  cluster.stabilize();
  cluster.take();
}

describe("partition replica against the naive model", () => {
  test("without faults: one ordered list of records, counted offsets, HW = min durable end over the ISR", () => {
    fc.assert(
      fc.property(fc.array(calmCommand, { minLength: 20, maxLength: 150, size: "max" }), (commands) => {
        const cluster = newCluster(2);
        const model: Array<{ requestId: number; count: number }> = [];
        for (const command of commands) {
          if (command.kind === "produce") {
            const requestId = cluster.requestIdNext;
            run(cluster, command);
            model.push({ requestId, count: command.count });
          } else run(cluster, command);
          // The naive high watermark: no replica's durable log ends before the leader's HW.
          const leader = cluster.broker(1).replicas[0]!.state;
          for (const b of cluster.brokers) {
            expect(diskEnd(b.replicas[0]!)).toBeGreaterThanOrEqual(leader.highWatermark);
          }
        }
        heal(cluster);
        const offsets = new Map<number, number>();
        let next = 0;
        for (const m of model) {
          offsets.set(m.requestId, next);
          next += m.count;
        }
        for (const r of cluster.responses) {
          expect(r.errorCode).toBe(0);
          expect(r.baseOffset).toBe(offsets.get(r.requestId)!);
        }
        // acks=0 is answered at once, acks=1 and acks=all once they qualify: every request is answered.
        expect(cluster.responses.length).toBe(model.length);
        const expected = model.map((m) => `${offsets.get(m.requestId)}:r${m.requestId}`).join(" ");
        for (const b of cluster.brokers) {
          const replica = b.replicas[0]!;
          expect(replica.disk.map((d) => `${d.baseOffset}:${d.label}`).join(" ")).toBe(expected);
          expect(replica.state.highWatermark).toBe(next);
        }
        expect(cluster.check()).toEqual([]);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  test("with crashes, fencing, elections, loss and reordering, no acknowledged write is lost", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1, 2),
        fc.array(faultyCommand, { minLength: 30, maxLength: 200, size: "max" }),
        (minIsr, commands) => {
          const cluster = newCluster(minIsr);
          const client = new IdempotentClient();
          let visibleHighWatermark = 0;
          for (const command of commands) {
            run(cluster, command, client);
            expect(cluster.check()).toEqual([]);
            const leaderId = cluster.controller[0]!.leader;
            if (leaderId >= 0 && cluster.broker(leaderId).up) {
              const state = cluster.broker(leaderId).replicas[0]!.state;
              const latest = partition.listOffsets(state, {
                timestamp: partition.latestTimestamp,
                currentLeaderEpoch: -1,
              });
              if (latest.errorCode === 0) {
                // The end of the log a client can see never moves backwards, even across leader changes.
                expect(latest.offset).toBeGreaterThanOrEqual(visibleHighWatermark);
                visibleHighWatermark = latest.offset;
              }
            }
          }
          heal(cluster);
          expect(cluster.check()).toEqual([]);
          // Convergence: every replica holds the same log above the largest log start (a replica that ran
          // DeleteRecords as leader keeps its later log start), fully committed.
          const start = Math.max(...cluster.brokers.map((b) => b.replicas[0]!.diskStart));
          const logs = cluster.brokers.map((b) =>
            b.replicas[0]!.disk.filter((d) => d.baseOffset >= start)
              .map((d) => `${d.baseOffset}:${d.label}`)
              .join(" "),
          );
          expect(new Set(logs).size).toBe(1);
          // Idempotence (invariants 11 and 12): the producer's sequences appear once each, in order, with
          // no gaps, however often it retried across crashes and leader changes.
          const sequences = cluster
            .broker(1)
            .replicas[0]!.disk.filter((d) => d.producerId === IdempotentClient.producerId)
            .map((d) => d.baseSequence);
          // DeleteRecords may have removed the first ones; what remains is consecutive.
          const first = sequences[0] ?? 0;
          expect(sequences).toEqual(sequences.map((_, i) => first + i));
          for (const b of cluster.brokers) {
            const s = b.replicas[0]!.state;
            expect(s.highWatermark).toBe(s.logEndOffset);
          }
          // Every acks=all success is in the final log at its offset.
          const finalReplica = cluster.broker(1).replicas[0]!;
          const finalLog = finalReplica.disk;
          for (const ack of cluster.acked) {
            // Deleted on purpose by DeleteRecords below the log start; everything else must be there.
            if (ack.acks !== -1 || ack.lastOffset < finalReplica.diskStart) continue;
            expect(
              finalLog.some(
                (d) => d.baseOffset === ack.baseOffset && (ack.duplicate || d.label === ack.label),
              ),
            ).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});
