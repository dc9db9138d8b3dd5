/**
 * Lesson: consumer-group rebalancing on join, leave and crash. A third member joins (one member idles:
 * two partitions for three members), one leaves cleanly with LeaveGroup, one crashes and is dropped
 * only when its session times out; each change is a new generation with a new assignment. Owns this
 * lesson's script, text and checks; it must never step a run.
 */
import type { CheckContext, Lesson } from "./lesson.ts";
import { quietConfig, teachingCluster } from "./teaching-run.ts";

function group(ctx: CheckContext) {
  return ctx.view.group;
}

/** Members the coordinator has, by their own view: stable ones and what each owns. */
function stableMembers(ctx: CheckContext) {
  return ctx.view.consumers.filter((k) => k.phase === "stable");
}

export const rebalancing: Lesson = {
  id: "rebalancing",
  title: "Rebalancing: members joining, leaving and crashing",
  narration: [
    "Consumers k0 and k1 form group g. The coordinator (on b0) numbers each membership round a generation; the elected member computes who reads which partition, and each partition has one owner per generation.",
    "At 3 s k2 joins. Members learn of the rebalance from a heartbeat answered REBALANCE_IN_PROGRESS, rejoin, and a new generation starts. With 2 partitions and 3 members, one member owns nothing: extra members idle.",
    "At 6 s k0 leaves cleanly (LeaveGroup): the group rebalances at once.",
    "At 9 s k1 crashes without a word. Nothing happens until its session times out (3 s without a heartbeat); then the coordinator rebalances and k2 takes both partitions.",
  ],
  seed: "5",
  config: (seed) => quietConfig(seed),
  factory: teachingCluster,
  script: [
    { atMs: 3_000, input: { kind: "addConsumer" }, say: "A third consumer, k2, joins the group." },
    { atMs: 6_000, input: { kind: "removeConsumer", consumer: "k0" }, say: "k0 leaves the group cleanly." },
    { atMs: 9_000, input: { kind: "crash", node: "k1" }, say: "k1 crashes." },
  ],
  checks() {
    let firstGeneration = -1;
    let joinedGeneration = -1;
    let leftGeneration = -1;
    return [
      {
        text: "Group g is Stable with k0 and k1, one partition each.",
        holds: (ctx) => {
          const stable = stableMembers(ctx);
          const ok =
            group(ctx).state === "Stable" &&
            stable.length === 2 &&
            stable.every((k) => k.assigned.length === 1);
          if (ok) firstGeneration = group(ctx).generation;
          return ok;
        },
      },
      {
        text: "A member's heartbeat was answered REBALANCE_IN_PROGRESS when k2 joined.",
        holds: (ctx) =>
          ctx.nowMs > 3_000 && (ctx.clientLog.errorCounts.get("REBALANCE_IN_PROGRESS") ?? 0) > 0,
      },
      {
        text: "k2 joined: a new generation of 3 members, one of them idle (2 partitions for 3 members).",
        holds: (ctx) => {
          const stable = stableMembers(ctx);
          const ok =
            firstGeneration >= 0 &&
            group(ctx).state === "Stable" &&
            group(ctx).generation > firstGeneration &&
            stable.length === 3 &&
            stable.filter((k) => k.assigned.length === 0).length === 1;
          if (ok) joinedGeneration = group(ctx).generation;
          return ok;
        },
      },
      {
        text: "k0 left: the next generation has k1 and k2, one partition each.",
        holds: (ctx) => {
          const stable = stableMembers(ctx);
          const ok =
            joinedGeneration >= 0 &&
            group(ctx).state === "Stable" &&
            group(ctx).generation > joinedGeneration &&
            group(ctx).members === 2 &&
            stable.length === 2 &&
            stable.every((k) => k.name !== "k0" && k.assigned.length === 1);
          if (ok) leftGeneration = group(ctx).generation;
          return ok;
        },
      },
      {
        text: "k1 crashed: after its session timed out, k2 alone owns both partitions in a new generation.",
        holds: (ctx) => {
          const k2 = ctx.view.consumers.find((k) => k.name === "k2");
          return (
            leftGeneration >= 0 &&
            ctx.nowMs < 14_000 &&
            group(ctx).state === "Stable" &&
            group(ctx).generation > leftGeneration &&
            group(ctx).members === 1 &&
            k2?.phase === "stable" &&
            k2.assigned.length === 2
          );
        },
      },
    ];
  },
};
