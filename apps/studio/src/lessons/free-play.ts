/**
 * Free play: the run `bun run sim --seed N` runs (swarm faults drawn from the seed), with every
 * control open and no checks. Owns that lesson's text only.
 */
import { runConfig } from "@eddy/sim";
import type { Lesson } from "./lesson.ts";
import { freePlayCluster } from "./teaching-run.ts";

export const freePlay: Lesson = {
  id: "free",
  title: "Free play: the simulator's own run of a seed",
  narration: [
    "This is the run `bun run sim --seed N` makes: faults drawn from the seed (crashes, pauses, partitions, slow links, disk errors) during a 10 s safety phase, then everything healed and a liveness phase that must converge.",
    "Step through it, or break it further with the controls: kill a broker, cut a link, turn on a known bug and watch which invariant catches it.",
  ],
  seed: "1",
  config: (seed) => runConfig(seed, { trace: true }),
  factory: freePlayCluster,
  script: [],
  checks: () => [],
};
