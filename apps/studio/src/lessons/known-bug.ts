/**
 * Lesson: a known bug and the invariant that catches it. The `double-assignment` switch re-creates a
 * broken assignor that hands partition 0 to every member; when a third member joins, two members own
 * partition 0 in one generation, and the online checker of invariant 15 (group exclusivity) reports
 * it. Owns this lesson's script, text and checks; it must never step a run.
 */
import type { Lesson } from "./lesson.ts";
import { quietConfig, teachingCluster } from "./teaching-run.ts";

export const knownBug: Lesson = {
  id: "known-bug",
  title: "A known bug, caught by an invariant",
  narration: [
    "The simulator keeps a corpus of historical bugs behind switches, and checkers that watch invariants after every event. Turning a bug on shows what it breaks and which check notices.",
    "At 3 s the double-assignment bug is switched on: the group's assignor hands partition 0 to every member. At 3.2 s a third consumer joins, the group rebalances, and two members own partition 0 in the same generation.",
    "Invariant 15 (group exclusivity: each partition has at most one owner per generation) reports it, listed under the run in red.",
  ],
  seed: "5",
  config: (seed) => quietConfig(seed),
  factory: teachingCluster,
  script: [
    {
      atMs: 3_000,
      input: { kind: "bug", bug: "double-assignment" },
      say: "The double-assignment bug is switched on.",
    },
    { atMs: 3_200, input: { kind: "addConsumer" }, say: "A third consumer joins." },
  ],
  checks: () => [
    {
      text: "Two members own partition 0 in one generation.",
      holds: (ctx) => ctx.view.consumers.filter((k) => k.assigned.includes(0)).length >= 2,
    },
    {
      text: "Invariant 15 (group exclusivity) reported a violation.",
      holds: (ctx) => ctx.violations.some((v) => v.invariant === 15),
    },
  ],
};
