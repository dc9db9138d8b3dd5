/**
 * Lesson: leader failover, acks=all against acks=1. The leader of partition 0 (b0) stops reaching
 * its followers (its fetch answers are dropped), keeps accepting writes, and crashes: the controller
 * elects a follower, and what b0 acknowledged to the acks=1 producer alone is gone, while every
 * acks=all write the producers were told about survives (they were never told about the others, and
 * retried them). Owns this lesson's script, text and checks; it must never step a run.
 */
import type { CheckContext, Lesson } from "./lesson.ts";
import { quietConfig, teachingCluster } from "./teaching-run.ts";

const crashMs = 3_500;

/** Acknowledged writes to partition 0 with these acks that the current leader's log does not hold. */
function lostOps(ctx: CheckContext, acks: number) {
  const p = ctx.view.partitions[0]!;
  if (p.leader < 0) return undefined;
  const values = ctx.replicaValues(p.leader, 0);
  if (values === undefined) return undefined;
  return ctx.history.produces.filter(
    (op) =>
      op.partition === 0 &&
      op.acks === acks &&
      op.outcome === "ok" &&
      op.offset >= 0 &&
      values[op.offset] !== op.value,
  );
}

function lostWrites(ctx: CheckContext, acks: number): number | undefined {
  return lostOps(ctx, acks)?.length;
}

export const failover: Lesson = {
  id: "failover",
  title: "Leader failover: acks=all against acks=1",
  narration: [
    "Producer p2 sends with acks=1: the leader answers once it has written the record itself. Producers p0 and p1 send with acks=all: the leader answers once every in-sync replica has it (the high watermark passed it).",
    "At 3 s partition 0's leader b0 stops reaching its followers: its fetch answers are dropped for a second. It still accepts writes. acks=1 sends are answered at once; acks=all sends wait, because the high watermark cannot move.",
    "At 3.5 s b0 crashes. The controller elects a follower from the ISR, which never received b0's last records. The acks=1 records b0 acknowledged are lost; the acks=all producers time out or get NOT_LEADER_OR_FOLLOWER, find the new leader and retry, and lose nothing.",
    "At 6 s b0 restarts, truncates the records only it had, and follows the new leader.",
    'Try it yourself: before 3 s, set p1 (acks=all) to acks=1 with the explicit partition 0 under "A producer\'s settings", and play on. Now p1 loses acknowledged records too; the notes name them. Set it back to acks=all and they survive.',
  ],
  seed: "3",
  config: (seed) => quietConfig(seed),
  factory: teachingCluster,
  script: [
    {
      atMs: 3_000,
      input: { kind: "drop", from: "b0", to: "b1", durationMs: 1_000 },
      say: "b0's messages to b1 are dropped for a second.",
    },
    {
      atMs: 3_000,
      input: { kind: "drop", from: "b0", to: "b2", durationMs: 1_000 },
      say: "b0's messages to b2 are dropped for a second.",
    },
    { atMs: crashMs, input: { kind: "crash", node: "b0" }, say: "b0, the leader, crashes." },
    { atMs: 6_000, input: { kind: "restart", node: "b0" }, say: "b0 restarts." },
  ],
  notes: (ctx) => {
    const p = ctx.view.partitions[0]!;
    const lost = lostOps(ctx, 1);
    if (p.leader <= 0 || lost === undefined) return [];
    const written = (ops: NonNullable<typeof lost>) =>
      ops.map((op) => `value ${op.value} from ${op.producer} at offset ${op.offset}`).join(", ") || "none";
    return [
      `Partition 0's leader is b${p.leader}.`,
      `acks=1 records acknowledged and not in b${p.leader}'s log: ${written(lost)}.`,
      `acks=all records acknowledged and not in b${p.leader}'s log: ${written(lostOps(ctx, -1) ?? [])}.`,
    ];
  },
  checks() {
    let failedOver = false;
    return [
      {
        text: "Partition 0 is led by b0, its preferred replica, with three in-sync replicas.",
        holds: (ctx) => ctx.view.partitions[0]!.leader === 0 && ctx.view.partitions[0]!.isr.length === 3,
      },
      {
        text: "b0 is down and partition 0 has a new leader with a higher leader epoch.",
        holds: (ctx) => {
          const p = ctx.view.partitions[0]!;
          failedOver = !ctx.view.brokers[0]!.up && p.leader > 0 && p.leaderEpoch > 0;
          return failedOver;
        },
      },
      {
        text: "A producer's request failed (an error code or a timeout) and it retried on the new leader.",
        holds: (ctx) => failedOver && ctx.clientLog.retries > 0,
      },
      {
        text: "acks=1: the new leader's log lacks records the old leader acknowledged (lost writes).",
        holds: (ctx) => failedOver && (lostWrites(ctx, 1) ?? 0) > 0,
      },
      {
        text: "acks=all: every acknowledged record is in the new leader's log, and no invariant broke.",
        holds: (ctx) =>
          failedOver && ctx.nowMs > 5_000 && lostWrites(ctx, -1) === 0 && ctx.violations.length === 0,
      },
      {
        text: "b0 restarted and follows the new leader, its log cut back to agree with it.",
        holds: (ctx) => {
          const p = ctx.view.partitions[0]!;
          const b0 = p.replicas[0]!;
          if (!failedOver || !b0.up || b0.role !== "follower" || p.leader <= 0) return false;
          const mine = ctx.replicaValues(0, 0);
          const theirs = ctx.replicaValues(p.leader, 0);
          if (mine === undefined || theirs === undefined || mine.length === 0) return false;
          return mine.every((v, i) => theirs[i] === v);
        },
      },
    ];
  },
};
