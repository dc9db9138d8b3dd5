/**
 * Lesson: replication, the ISR and the high watermark. Partition 0's leader (b0, its preferred
 * replica) is cut from one follower both ways; the follower stops fetching, the leader drops it from
 * the ISR after replica.lag.time.max.ms (1 s), the high watermark advances with the two left
 * (min.insync.replicas is 2), and after the heal the follower catches up and rejoins. Owns this
 * lesson's script, text and checks; it must never step a run.
 */
import type { CheckContext, Lesson } from "./lesson.ts";
import { quietConfig, teachingCluster } from "./teaching-run.ts";

function p0(ctx: CheckContext) {
  return ctx.view.partitions[0]!;
}

export const replication: Lesson = {
  id: "replication",
  title: "Replication, the ISR and the high watermark",
  narration: [
    "Topic t has 2 partitions with 3 replicas each. The leader appends produced records; followers fetch them. The in-sync replicas (ISR) are the replicas caught up with the leader.",
    "The high watermark (HW) is the offset below which every ISR member has the record: consumers read only below it, and an acks=all produce is answered once the HW passes it.",
    "At 3 s the link between partition 0's leader b0 and its follower b1 is cut both ways. Watch b1's log end stop while b0's keeps growing, then b1 leave the ISR about a second later. With 2 in-sync replicas (min.insync.replicas = 2) the HW keeps moving.",
    "At 7 s the link heals: b1 fetches what it missed and rejoins the ISR.",
  ],
  seed: "3",
  config: (seed) => quietConfig(seed),
  factory: teachingCluster,
  script: [
    {
      atMs: 3_000,
      input: { kind: "cut", from: "b0", to: "b1", oneWay: false },
      say: "The link between b0 (partition 0's leader) and b1 is cut both ways.",
    },
    { atMs: 7_000, input: { kind: "heal" }, say: "The network heals." },
  ],
  checks() {
    let shrunkAtHw = -1;
    let shrunk = false;
    return [
      {
        text: "Partition 0 has a leader, b0, and all three replicas are in its ISR.",
        holds: (ctx) => p0(ctx).leader === 0 && p0(ctx).isr.length === 3,
      },
      {
        text: "While cut, b1's log end falls behind the leader's high watermark.",
        holds: (ctx) => {
          const [leader, b1] = [p0(ctx).replicas[0]!, p0(ctx).replicas[1]!];
          return ctx.nowMs > 3_000 && b1.up && b1.logEndOffset < leader.highWatermark;
        },
      },
      {
        text: "b1 left partition 0's ISR (two in-sync replicas while all three brokers are up).",
        holds: (ctx) => {
          const p = p0(ctx);
          if (p.isr.includes(1) || p.isr.length !== 2 || !ctx.view.brokers.every((b) => b.up)) return false;
          shrunk = true;
          shrunkAtHw = p.replicas[0]!.highWatermark;
          return true;
        },
      },
      {
        text: "With two in-sync replicas the leader's high watermark still advances.",
        holds: (ctx) => shrunk && p0(ctx).isr.length === 2 && p0(ctx).replicas[0]!.highWatermark > shrunkAtHw,
      },
      {
        text: "After the heal b1 caught up and is back in the ISR.",
        holds: (ctx) => shrunk && ctx.nowMs > 7_000 && p0(ctx).isr.includes(1) && p0(ctx).isr.length === 3,
      },
    ];
  },
};
