/**
 * Worker-thread entry of a parallel batch (started by batch-parallel.ts). It takes one `init` message
 * (model name, first seed, base config: plain data) and then `run` messages naming chunks of seed
 * indices; it answers every seed with one `seed` message, in order, and stops at the first seed that
 * throws with a `crash` message. It never decides which seeds to run or in which order results count.
 */

import type { FromWorker, ToWorker } from "./batch-messages.ts";
import { describeThrown, exitSeedTest, runSeed } from "./batch-seed.ts";
import { models } from "./models.ts";
import type { ClusterFactory } from "./run.ts";
import type { RunConfig } from "./run-config.ts";

let job: { fromSeed: bigint; factory: ClusterFactory; base: Partial<RunConfig> } | undefined;

function send(m: FromWorker): void {
  postMessage(m);
}

addEventListener("message", (event: MessageEvent) => {
  const m = event.data as ToWorker;
  if (m.kind === "init") {
    const factory = models[m.model];
    if (factory === undefined) throw new Error(`batch worker: unknown model ${m.model}`);
    job = { fromSeed: m.fromSeed, factory, base: m.base };
    return;
  }
  if (job === undefined) throw new Error("batch worker: run before init");
  for (let index = m.firstIndex; index < m.firstIndex + m.seeds; index++) {
    const seed = job.fromSeed + BigInt(index);
    if (exitSeedTest !== undefined && BigInt(exitSeedTest) === seed) process.exit(70);
    try {
      send({ kind: "seed", index, outcome: runSeed(seed, job.factory, job.base) });
    } catch (e) {
      send({ kind: "crash", index, detail: describeThrown(e) });
      return;
    }
  }
});
