/**
 * Checks a trace file written by `bun run sim --seed N --trace FILE` against this build's run of seed
 * N: the run is stepped to its end and its trace lines compared with the file's, one by one, and the
 * final hash with the file's summary line. Either the file is that run (and the studio can show the
 * cluster at any of its steps), or the first line where they differ is named. Owns that comparison;
 * it must never keep the file's text beyond the call, and reads at most `traceFileLinesMax` lines.
 */
import { kafkaCluster, runConfig, SteppedRun } from "@eddy/sim";

/** Lines of a trace file the studio reads at most (a 25 s run writes a few thousand). */
export const traceFileLinesMax = 2_000_000;
/** Steps the check takes at most before giving up on a run that does not end. */
const checkStepsMax = 5_000_000;
/** Characters of a differing line quoted in the verdict. */
const quotedCharsMax = 160;

/** One sentence saying whether the file is seed N's run in this build, and where it differs if not. */
export function checkTraceFile(seed: bigint, text: string): { matches: boolean; verdict: string } {
  const lines = text.split("\n").filter((l) => l.length > 0);
  if (lines.length === 0 || lines.length > traceFileLinesMax)
    return {
      matches: false,
      verdict: `the file has ${lines.length} lines; a trace has 1 to ${traceFileLinesMax}`,
    };
  let summary: { hash?: string; kind?: string };
  try {
    summary = JSON.parse(lines[lines.length - 1]!) as typeof summary;
  } catch {
    return { matches: false, verdict: "its last line is not JSON: not a trace of bun run sim --trace" };
  }
  if (summary.kind !== "end" || typeof summary.hash !== "string")
    return { matches: false, verdict: "its last line is not a trace's summary ({i, kind: end, hash})" };
  const events = lines.length - 1;
  const run = new SteppedRun(runConfig(seed, { trace: true }), kafkaCluster);
  let steps = 0;
  while (steps < checkStepsMax && run.step()) steps++;
  const mine = run.traceTail(run.traceEvents);
  const count = Math.min(mine.length, events);
  for (let i = 0; i < count; i++) {
    if (mine[i] !== lines[i])
      return {
        matches: false,
        verdict: `it differs from this build's run of seed ${seed} at line ${i}: the file has ${lines[i]!.slice(0, quotedCharsMax)}, the run ${mine[i]!.slice(0, quotedCharsMax)}`,
      };
  }
  if (mine.length !== events || run.hashHex !== summary.hash)
    return {
      matches: false,
      verdict: `it has ${events} events and hash ${summary.hash}; this build's run of seed ${seed} has ${mine.length} and ${run.hashHex}`,
    };
  return {
    matches: true,
    verdict: `it is this build's run of seed ${seed}, line for line: ${events} events, hash ${summary.hash}. Step through it here.`,
  };
}
