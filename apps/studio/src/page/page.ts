/**
 * The studio page: reads the moment from the address (`?lesson=L&seed=N&step=K&inputs=T`), starts the
 * simulation worker, wires playback (play, pause, one step, back one step, speed), the timeline
 * (rewind to any step), the lesson and seed fields and the input controls (buttons and keys), and
 * renders each snapshot the worker sends. The address is kept at the shown moment, so copying it
 * shares that exact step with its inputs. Owns the pacing of requests (one outstanding at a time);
 * it must never run the simulator itself, so the page stays responsive however slow a step is.
 */
import type { Reply, Request, Snapshot } from "../worker-messages.ts";
import { openStepMax } from "../worker-messages.ts";
import { fillSelect, inputButtons } from "./controls.ts";
import { addressUpdateMsMin, Pacing } from "./pacing.ts";
import { type DrawnFrom, type Regions, regionIds, render } from "./render.ts";
import { defaultTarget } from "./render-segments.ts";

/** Step presses waiting while the worker is busy; more are dropped rather than queued without end. */
const queuedStepsMax = 1_000;
/** Characters of the inputs parameter read from an address at most (the worker parses it). */
const inputsCharsMax = 8_000;
const seedPattern = /^[0-9]{1,19}$/;
const lessonPattern = /^[a-z-]{1,32}$/;

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (node === null) throw new Error(`studio page: missing #${id}`);
  return node as T;
}

/** The worker's code ships as a string (worker-source.js) so the page also opens from a folder. */
function startWorker(): Worker {
  const source = (globalThis as { studioWorkerSource?: string }).studioWorkerSource;
  if (source === undefined) throw new Error("studio page: worker-source.js did not load");
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  return new Worker(url);
}

interface Moment {
  readonly lesson: string;
  readonly seed: string;
  readonly step: number;
  readonly inputs: string;
}

/** The offset the segments view looks up, from the address (`find=X`); null: its default. */
function readFind(): number | null {
  return offsetOrNull(new URLSearchParams(location.search).get("find") ?? "");
}

/** A non-negative offset from a field or parameter; null for anything else, the empty text included. */
function offsetOrNull(text: string): number | null {
  const find = Number(text);
  return text.trim() !== "" && Number.isInteger(find) && find >= 0 && find <= 1_000_000_000 ? find : null;
}

function readAddress(): Moment {
  const params = new URLSearchParams(location.search);
  const lesson = params.get("lesson") ?? "free";
  const seedParam = params.get("seed") ?? "";
  const stepParam = Number(params.get("step") ?? "0");
  return {
    lesson: lessonPattern.test(lesson) ? lesson : "free",
    seed: seedPattern.test(seedParam) ? seedParam : "",
    step: Number.isInteger(stepParam) && stepParam >= 0 ? Math.min(stepParam, openStepMax) : 0,
    inputs: (params.get("inputs") ?? "").slice(0, inputsCharsMax),
  };
}

function addressOf(s: Snapshot): string {
  const params = new URLSearchParams({ lesson: s.lesson, seed: s.seed, step: String(s.step) });
  if (s.inputsText !== "") params.set("inputs", s.inputsText);
  if (findTarget !== null) params.set("find", String(findTarget));
  return `?${params.toString()}`;
}

const regions = Object.fromEntries(regionIds.map((id) => [id, byId(id)])) as unknown as Regions;
const seedInput = byId<HTMLInputElement>("seed-input");
const lessonSelect = byId<HTMLSelectElement>("lesson-select");
const playButton = byId<HTMLButtonElement>("play");
const pauseButton = byId<HTMLButtonElement>("pause");
const speedSelect = byId<HTMLSelectElement>("speed");
const rewindRange = byId<HTMLInputElement>("rewind-range");
const rewindStep = byId<HTMLInputElement>("rewind-step");
const refusal = byId("refusal");

const worker = startWorker();
let busy = false;
let playing = false;
let queuedSteps = 0;
let last: Snapshot | null = null;
/**
 * Snapshots received and not drawn yet, oldest first; one is drawn each animation frame. Two may
 * wait, so while playing the worker steps the next batch while the page draws (the worker's time and
 * the page's overlap instead of adding up), and every snapshot is still drawn: the speed stays "steps
 * per frame".
 */
const undrawn: Snapshot[] = [];
const undrawnMax = 2;
let frameScheduled = false;
/** Snapshots drawn since the page loaded: while playing, the page's frames. */
let renders = 0;
/** The furthest step this page has shown of this run, the timeline's end. */
let furthestStep = 0;
/** What each region was last drawn from (render.ts skips regions whose inputs did not change). */
const drawn: DrawnFrom = new Map();
/** While playing, the tables are redrawn a few times a second, the messages drawing every frame. */
const pacing = new Pacing();
/** Milliseconds the page spent drawing snapshots, for the bench. */
let drawMsTotal = 0;
/** The offset the learner asked the segments view to find, or null for its default. */
let findTarget: number | null = readFind();

function send(request: Request): void {
  busy = true;
  document.body.dataset.busy = "true";
  worker.postMessage(request);
}

function scheduleFrame(): void {
  if (frameScheduled) return;
  frameScheduled = true;
  requestAnimationFrame(frame);
}

/** While playing, asks for the next steps when no request is out and a snapshot has room to wait. */
function requestNext(): void {
  if (playing && !busy && undrawn.length < undrawnMax)
    send({ type: "step", count: Number(speedSelect.value) });
}

/**
 * One animation frame: the next request goes out first, so the worker steps while the page draws
 * (at most one request in flight, at most `undrawnMax` snapshots waiting).
 */
function frame(): void {
  frameScheduled = false;
  const next = undrawn.shift();
  requestNext();
  if (next !== undefined) show(next);
  if (playing || undrawn.length > 0) scheduleFrame();
}

function show(snapshot: Snapshot): void {
  last = snapshot;
  const drawStartMs = performance.now();
  render(regions, snapshot, findTarget, drawn, pacing);
  drawMsTotal += performance.now() - drawStartMs;
  renders++;
  document.body.dataset.drawMs = drawMsTotal.toFixed(1);
  // The worker's own stepping time for this run, so the bench can show where a frame's time goes.
  document.body.dataset.workerMs = snapshot.stepWallMs.toFixed(1);
  // replaceState costs milliseconds in Chromium (it measured 14 ms a frame while playing, more than
  // the whole drawing), so while playing the address follows once a second; paused it is exact.
  if (pacing.due("address", performance.now(), addressUpdateMsMin))
    history.replaceState(null, "", addressOf(snapshot));
  if (document.activeElement !== seedInput) seedInput.value = snapshot.seed;
  fillSelect(
    "lesson-select",
    snapshot.lessons.map((l) => [l.id, l.title]),
    snapshot.lesson,
  );
  fillSelect(
    "bug-select",
    snapshot.bugs.map((b) => [b, b]),
    byId<HTMLSelectElement>("bug-select").value || (snapshot.bugs[0] ?? ""),
  );
  furthestStep = Math.max(furthestStep, snapshot.step);
  rewindRange.max = String(furthestStep);
  if (document.activeElement !== rewindRange) rewindRange.value = String(snapshot.step);
  if (document.activeElement !== rewindStep) rewindStep.value = String(snapshot.step);
  refusal.textContent = snapshot.refusal;
  byId("notice").textContent = snapshot.notice;
  const findInput = byId<HTMLInputElement>("find-offset");
  if (document.activeElement !== findInput && snapshot.segments !== null)
    findInput.value = String(findTarget ?? defaultTarget(snapshot.segments));
  document.body.dataset.renders = String(renders);
  document.body.dataset.step = String(snapshot.step);
  document.body.dataset.ready = "true";
  if (snapshot.phase === "ended") setPlaying(false);
}

function setPlaying(on: boolean): void {
  const wasPlaying = playing;
  playing = on && last?.phase !== "ended";
  pacing.playing = playing;
  // Paused, every region shows the moment in the address, the tables the pacing skipped included.
  if (wasPlaying && !playing && last !== null) {
    render(regions, last, findTarget, drawn, pacing);
    history.replaceState(null, "", addressOf(last));
  }
  playButton.disabled = playing;
  pauseButton.disabled = !playing;
  document.body.dataset.playing = String(playing);
  if (playing) scheduleFrame();
}

worker.onmessage = (event: MessageEvent<Reply>) => {
  busy = false;
  document.body.dataset.busy = "false";
  const reply = event.data;
  if (reply.type === "error") {
    refusal.textContent = reply.message;
    setPlaying(false);
    return;
  }
  if (undrawn.length >= undrawnMax) undrawn.shift();
  undrawn.push(reply.snapshot);
  if (queuedSteps > 0) {
    const count = queuedSteps;
    queuedSteps = 0;
    send({ type: "step", count });
  } else requestNext();
  scheduleFrame();
};

function stepOnce(): void {
  if (playing) setPlaying(false);
  if (busy) queuedSteps = Math.min(queuedStepsMax, queuedSteps + 1);
  else send({ type: "step", count: 1 });
}

/** Rewinds (or moves forward) to `step` by replay; ignored while the worker is busy. */
function goTo(step: number): void {
  if (!Number.isInteger(step) || step < 0 || busy) return;
  setPlaying(false);
  send({ type: "rewind", step: Math.min(step, openStepMax) });
}

function open(moment: Moment): void {
  setPlaying(false);
  queuedSteps = 0;
  furthestStep = moment.step;
  document.body.dataset.ready = "false";
  send({ type: "open", lesson: moment.lesson, seed: moment.seed, inputs: moment.inputs, step: moment.step });
}

byId<HTMLFormElement>("lesson-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const seed = seedInput.value.trim();
  open({ lesson: lessonSelect.value, seed: seedPattern.test(seed) ? seed : "", step: 0, inputs: "" });
});
/** Trace files larger than this are refused before reading (a 25 s run writes a few MB). */
const traceFileBytesMax = 64 * 1024 * 1024;
byId<HTMLInputElement>("trace-file").addEventListener("change", async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file === undefined || busy) return;
  if (file.size > traceFileBytesMax) {
    refusal.textContent = `${file.name} is over ${traceFileBytesMax / 1024 / 1024} MiB`;
    return;
  }
  setPlaying(false);
  furthestStep = 0;
  const seed = seedInput.value.trim();
  send({
    type: "traceFile",
    seed: seedPattern.test(seed) ? seed : "1",
    name: file.name,
    text: await file.text(),
  });
});
// Choosing a lesson opens it at its own seed.
lessonSelect.addEventListener("change", () =>
  open({ lesson: lessonSelect.value, seed: "", step: 0, inputs: "" }),
);
byId<HTMLFormElement>("rewind-form").addEventListener("submit", (event) => {
  event.preventDefault();
  goTo(Number(rewindStep.value));
});
byId<HTMLFormElement>("find-form").addEventListener("submit", (event) => {
  event.preventDefault();
  findTarget = offsetOrNull(byId<HTMLInputElement>("find-offset").value);
  if (last !== null) show(last);
});
rewindRange.addEventListener("change", () => goTo(Number(rewindRange.value)));
playButton.addEventListener("click", () => setPlaying(true));
pauseButton.addEventListener("click", () => setPlaying(false));
byId("step").addEventListener("click", stepOnce);
byId("back").addEventListener("click", () => goTo((last?.step ?? 0) - 1));
for (const [id, make] of Object.entries(inputButtons)) {
  byId(id).addEventListener("click", () => {
    const input = make();
    if (input === undefined || busy) return;
    setPlaying(false);
    send({ type: "input", input });
  });
}
document.addEventListener("keydown", (event) => {
  const target = event.target as HTMLElement | null;
  if (target !== null && (target.tagName === "INPUT" || target.tagName === "SELECT")) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "n") stepOnce();
  else if (event.key === "b") goTo((last?.step ?? 0) - 1);
  else if (event.key === "p") setPlaying(!playing);
});

const start = readAddress();
seedInput.value = start.seed;
pauseButton.disabled = true;
open(start);
