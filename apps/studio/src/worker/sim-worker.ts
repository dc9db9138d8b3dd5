/**
 * The studio's Web Worker: it owns the one simulated run (the simulator's kafka cluster model through
 * `SteppedRun`, the same code as `bun run sim`) and answers each request from the page with a
 * snapshot. It must never touch the DOM, read the wall clock except to report its own speed, or step
 * without being asked: the page decides the pace, so a link's step count is exact.
 */
import { kafkaCluster, runConfig, SteppedRun } from "@eddy/sim";
import {
  openStepMax,
  type Reply,
  type Request,
  type Snapshot,
  stepsPerRequestMax,
  type TraceLine,
  traceSummaryCharsMax,
  traceTailLinesMax,
} from "../worker-messages.ts";
import { summarizeTraceLine } from "./trace-summary.ts";

interface Session {
  readonly seed: string;
  readonly run: SteppedRun;
  step: number;
  stepWallMs: number;
}

let session: Session | null = null;

function open(seedText: string, step: number): Session {
  const seed = BigInt(seedText);
  const run = new SteppedRun(runConfig(seed, { trace: true }), kafkaCluster);
  const opened: Session = { seed: seed.toString(), run, step: 0, stepWallMs: 0 };
  advance(opened, Math.min(Math.max(0, Math.floor(step)), openStepMax));
  return opened;
}

function advance(s: Session, count: number): void {
  const startMs = performance.now();
  s.step += s.run.steps(count);
  s.stepWallMs += performance.now() - startMs;
}

function snapshot(s: Session): Snapshot {
  const tail: TraceLine[] = s.run
    .traceTail(traceTailLinesMax)
    .map((line) => summarizeTraceLine(line, traceSummaryCharsMax));
  return {
    seed: s.seed,
    step: s.step,
    nowMs: s.run.nowMs,
    traceEvents: s.run.traceEvents,
    phase: s.run.phase,
    hash: s.run.hashHex,
    convergedAtMs: s.run.convergedAtMs,
    violations: s.run.violations.map((v) => `#${v.invariant} at ${v.atMs} ms: ${v.message}`),
    view: s.run.view() ?? null,
    tail,
    stepWallMs: s.stepWallMs,
  };
}

function handle(request: Request): Reply {
  if (request.type === "open") session = open(request.seed, request.step);
  else if (session !== null)
    advance(session, Math.min(Math.max(0, Math.floor(request.count)), stepsPerRequestMax));
  if (session === null) return { type: "error", message: "no run is open yet" };
  return { type: "snapshot", snapshot: snapshot(session) };
}

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<Request>) => void) | null;
  postMessage(reply: Reply): void;
};

scope.onmessage = (event) => {
  let reply: Reply;
  try {
    reply = handle(event.data);
  } catch (e) {
    reply = { type: "error", message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  scope.postMessage(reply);
};
