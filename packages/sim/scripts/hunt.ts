/**
 * `bun run hunt [BUG...]`: searches for each known bug with fast-check (up to 10,000 runs), shrinks
 * the failing schedule and prints a table with the runs it took, the schedule length after shrinking
 * and the replay line.
 */
import { type BugName, bugNames, isBugName } from "../src/bugs.ts";
import { kafkaCluster } from "../src/cluster/kafka-cluster.ts";
import { hunt } from "../src/hunt.ts";

const wanted = Bun.argv.slice(2).filter(isBugName);
const list: readonly BugName[] = wanted.length > 0 ? wanted : bugNames;
for (const bug of list) {
  const start = performance.now();
  const r = hunt(bug, kafkaCluster, { base: { safetyMs: 3_000, livenessMs: 6_000 } });
  const secs = ((performance.now() - start) / 1000).toFixed(1);
  console.log(
    `${bug.padEnd(26)} ${r.found ? "found" : "MISSED"} after ${r.runsToFind} runs, ${r.shrinks} shrinks, ` +
      `${r.scheduleLength} events, #${r.invariant} (${secs}s)`,
  );
  if (r.found) console.log(`  ${r.message}\n  replay: ${r.replay}`);
}
