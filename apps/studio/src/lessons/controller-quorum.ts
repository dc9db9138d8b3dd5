/**
 * Lesson: the controller quorum electing a leader. The three controllers run Raft over the metadata
 * log; the active one (the leader whose term's entry committed) answers broker heartbeats. When it
 * crashes, the others time out, one campaigns in a higher term and wins a majority (2 of 3), and the
 * brokers carry on with the new active controller (in this seed after a split vote); the old one
 * restarts as a follower of the new term.
 * Owns this lesson's script, text and checks; it must never step a run.
 */
import type { CheckContext, Lesson } from "./lesson.ts";
import { quietConfig, teachingCluster } from "./teaching-run.ts";

function active(ctx: CheckContext) {
  return ctx.view.controllers.find((c) => c.active);
}

export const controllerQuorum: Lesson = {
  id: "controller-quorum",
  title: "The controller quorum electing a leader",
  narration: [
    "Three controllers keep the cluster's metadata (topics, leaders, ISRs, which brokers are alive) in a log replicated with Raft. One is the leader of the current term; once an entry of its term is committed it is the active controller, and the brokers' heartbeats go to it.",
    "At 4 s the active controller crashes. The other two stop hearing from it; after an election timeout each becomes a candidate in a higher term and asks for votes. A candidate needs 2 of 3 votes, its own and one more.",
    "In this run both time out in the same term and each votes for itself: a split vote, no leader in that term. Their next timeouts are drawn at random, so one campaigns first in the next term and wins the other's vote.",
    "At 11 s the old controller restarts. It sees the higher term and rejoins as a follower: a term never goes back, and a quorum needs only a majority.",
  ],
  seed: "8",
  config: (seed) => quietConfig(seed),
  factory: teachingCluster,
  script: [
    {
      atMs: 4_000,
      input: { kind: "crash", node: "controller:active" },
      say: "The active controller crashes.",
    },
    { atMs: 11_000, input: { kind: "restart", node: "last-crashed" }, say: "The old controller restarts." },
  ],
  checks() {
    let firstName = "";
    let firstTerm = -1;
    let electedName = "";
    return [
      {
        text: "One controller is active: the Raft leader of its term, the other two following.",
        holds: (ctx) => {
          const a = active(ctx);
          const followers = ctx.view.controllers.filter((c) => c.role === "follower").length;
          return a !== undefined && a.role === "leader" && followers === 2;
        },
      },
      {
        text: "The active controller is down: the others time out and campaign as candidates in a higher term.",
        holds: (ctx) =>
          firstName !== "" &&
          ctx.view.controllers.some((c) => c.up && c.role === "candidate" && c.term > firstTerm),
      },
      {
        text: "A split vote: both candidates in the same term, each voting for itself, so no leader in it.",
        holds: (ctx) => {
          const candidates = ctx.view.controllers.filter((c) => c.up && c.role === "candidate");
          return candidates.length === 2 && candidates[0]!.term === candidates[1]!.term;
        },
      },
      {
        text: "The active controller is down and another was elected in a higher term.",
        holds: (ctx) => {
          const a = active(ctx);
          // Until one goes down, remember who is active: that is the one the crash takes.
          if (ctx.view.controllers.every((c) => c.up)) {
            firstName = a?.name ?? firstName;
            firstTerm = a?.term ?? firstTerm;
            return false;
          }
          const old = ctx.view.controllers.find((c) => c.name === firstName);
          if (a === undefined || old === undefined || old.up || a.name === firstName || a.term <= firstTerm)
            return false;
          electedName = a.name;
          return true;
        },
      },
      {
        text: "The old controller restarted and follows the new term.",
        holds: (ctx) => {
          const old = ctx.view.controllers.find((c) => c.name === firstName);
          const a = active(ctx);
          return (
            electedName !== "" &&
            old !== undefined &&
            old.up &&
            old.role === "follower" &&
            a !== undefined &&
            old.term === a.term
          );
        },
      },
      {
        text: "Every partition still has a leader under the new controller.",
        holds: (ctx) => electedName !== "" && ctx.view.partitions.every((p) => p.leader >= 0),
      },
    ];
  },
};
