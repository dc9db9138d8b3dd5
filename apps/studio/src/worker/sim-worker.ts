/**
 * The studio's Web Worker: it owns the one session (a lesson's run through the simulator's
 * `SteppedRun`, the same code as `bun run sim`, with the learner's timeline of inputs) and answers
 * each request from the page with a snapshot. It must never touch the DOM, read the wall clock except
 * to report its own speed, or step without being asked: the page decides the pace, so a link's step
 * count is exact.
 */
import { bugNames, formatInput } from "@eddy/sim";
import { lessonById, lessons } from "../lessons/index.ts";
import {
  clientRowsShownMax,
  messagesInFlightMax,
  type Reply,
  type Request,
  type Snapshot,
  stepsPerRequestMax,
  type TraceLine,
  traceSummaryCharsMax,
  traceTailLinesMax,
} from "../worker-messages.ts";
import { Session } from "./session.ts";
import { checkTraceFile } from "./trace-file.ts";
import { summarizeTraceLine } from "./trace-summary.ts";

const seedPattern = /^[0-9]{1,19}$/;
let session: Session | null = null;
/** What came of the last trace file opened, shown until another run opens. */
let notice = "";

export function snapshot(s: Session): Snapshot {
  const run = s.run;
  const tail: TraceLine[] = run
    .traceTail(traceTailLinesMax)
    .map((line) => summarizeTraceLine(line, traceSummaryCharsMax));
  const tallies = new Map<string, { sends: number; acked: number; failed: number; retries: number }>();
  for (const op of run.history.produces) {
    const t = tallies.get(op.producer) ?? { sends: 0, acked: 0, failed: 0, retries: 0 };
    t.sends++;
    if (op.outcome === "ok") t.acked++;
    else if (op.outcome === "fail") t.failed++;
    t.retries += Math.max(0, op.attempts - 1);
    tallies.set(op.producer, t);
  }
  return {
    seed: s.seed.toString(),
    lesson: s.lesson.id,
    lessonTitle: s.lesson.title,
    narration: s.lesson.narration,
    lessons: lessons.map((l) => ({ id: l.id, title: l.title })),
    bugs: bugNames,
    inputsText: s.inputsText,
    timeline: s.inputs.map((t) => ({ step: t.step, text: formatInput(t.input), ahead: t.step > s.step })),
    script: s.lesson.script.map((e, i) => ({
      atMs: e.atMs,
      text: `${formatInput(e.input)}: ${e.say}`,
      applied: i < s.scriptApplied,
    })),
    checks: s.checkResults(),
    clientRows: s.clientLog.rows.slice(-clientRowsShownMax),
    errorCounts: [...s.clientLog.errorCounts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)),
    producerTallies: [...tallies].map(([name, t]) => ({ name, ...t })),
    clientRetries: s.clientLog.retries,
    clientTimeouts: s.clientLog.timeouts,
    refusal: s.refusal,
    notice,
    notes: s.notes(),
    segments: s.segments(),
    step: s.step,
    nowMs: run.nowMs,
    traceEvents: run.traceEvents,
    phase: run.phase,
    hash: run.hashHex,
    convergedAtMs: run.convergedAtMs,
    violations: run.violations.map((v) => `#${v.invariant} at ${v.atMs} ms: ${v.message}`),
    view: run.view() ?? null,
    tail,
    inFlight: run.messagesInFlight(messagesInFlightMax),
    dropped: run.messagesDropped(),
    stepWallMs: s.stepWallMs,
  };
}

function handle(request: Request): Reply {
  if (request.type === "traceFile") {
    const seed = seedPattern.test(request.seed) ? request.seed : "1";
    const { matches, verdict } = checkTraceFile(BigInt(seed), request.text);
    notice = `Trace ${request.name.slice(0, 80)}: ${verdict}`;
    if (matches || session === null) session = Session.open(lessons[0]!, seed, "", 0);
  } else if (request.type === "open") {
    notice = "";
    const lesson = lessonById(request.lesson) ?? lessons[0]!;
    // No seed in the link: the lesson's own.
    const seed = seedPattern.test(request.seed) ? request.seed : lesson.seed;
    session = Session.open(lesson, seed, request.inputs, request.step);
  } else if (session !== null) {
    if (request.type === "step")
      session.advance(Math.min(Math.max(0, Math.floor(request.count)), stepsPerRequestMax));
    else if (request.type === "rewind") session = session.rewind(request.step);
    else session.input(request.input);
  }
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
