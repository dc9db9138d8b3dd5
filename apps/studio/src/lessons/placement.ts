/**
 * Lesson: replica placement, the rule i mod n and (i + j) mod n. With 6 partitions over 3 brokers,
 * partition i's first (preferred) replica is on broker i mod 3 and its j-th on (i + j) mod 3, so
 * leaders and replicas spread evenly; when a broker dies its partitions get leaders from the rest of
 * their replica lists, and the lists themselves do not change. Owns this lesson's script, text and
 * checks; it must never step a run.
 */
import type { CheckContext, Lesson } from "./lesson.ts";
import { quietConfig, teachingCluster } from "./teaching-run.ts";

const partitionCount = 6;
const brokerCount = 3;

function placedByRule(ctx: CheckContext): boolean {
  return ctx.view.partitions.every(
    (p) =>
      p.assignment.length === brokerCount &&
      p.assignment.every((b, j) => b === (p.partition + j) % brokerCount),
  );
}

export const placement: Lesson = {
  id: "placement",
  title: "Replica placement: i mod n and (i + j) mod n",
  narration: [
    "When the controller creates topic t (6 partitions, replication factor 3) it places replicas over the live brokers sorted by id, n = 3 of them: partition i's first replica on broker i mod n, its j-th on broker (i + j) mod n.",
    "The first replica is the preferred leader, so partitions 0 and 3 start led by b0, 1 and 4 by b1, 2 and 5 by b2: leadership spreads evenly. Each row of the table shows the replica list in order.",
    "At 5 s b1 crashes. The controller moves leadership of partitions 1 and 4 to the next live in-sync replica of their lists; the lists themselves stay as placed. At 8 s b1 restarts and comes back as a follower.",
  ],
  seed: "6",
  config: (seed) => quietConfig(seed, { partitions: partitionCount }),
  factory: teachingCluster,
  script: [
    { atMs: 5_000, input: { kind: "crash", node: "b1" }, say: "b1 crashes." },
    { atMs: 8_000, input: { kind: "restart", node: "b1" }, say: "b1 restarts." },
  ],
  checks() {
    let moved = false;
    return [
      {
        text: "Partition i's replicas are brokers [i mod 3, (i+1) mod 3, (i+2) mod 3], for all 6 partitions.",
        holds: placedByRule,
      },
      {
        text: "Each partition is first led by its preferred replica, broker i mod 3.",
        holds: (ctx) => ctx.view.partitions.every((p) => p.leader === p.partition % brokerCount),
      },
      {
        text: "With b1 down, partitions 1 and 4 are led by another broker of their replica lists.",
        holds: (ctx) => {
          moved =
            !ctx.view.brokers[1]!.up &&
            [1, 4].every((i) => {
              const p = ctx.view.partitions[i]!;
              return p.leader >= 0 && p.leader !== 1 && p.assignment.includes(p.leader);
            });
          return moved;
        },
      },
      {
        text: "The replica lists did not change: placement is decided once, at creation.",
        holds: (ctx) => moved && placedByRule(ctx),
      },
    ];
  },
};
