/**
 * The studio page: reads the seed and step from the address (`?seed=N&step=K`), starts the simulation
 * worker, wires play, pause, one step, speed and the seed field (buttons and keys), and renders each
 * snapshot the worker sends. The address is kept at the shown moment, so copying it shares that
 * exact step. Owns the pacing of requests (one outstanding at a time); it must never run the
 * simulator itself, so the page stays responsive however slow a step is.
 */
import type { Reply, Request, Snapshot } from "../worker-messages.ts";
import { openStepMax } from "../worker-messages.ts";
import { type Regions, render } from "./render.ts";

/** Step presses waiting while the worker is busy; more are dropped rather than queued without end. */
const queuedStepsMax = 1_000;
const seedPattern = /^[0-9]{1,19}$/;

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

function readAddress(): { seed: string; step: number } {
  const params = new URLSearchParams(location.search);
  const seedParam = params.get("seed") ?? "1";
  const stepParam = Number(params.get("step") ?? "0");
  return {
    seed: seedPattern.test(seedParam) ? seedParam : "1",
    step: Number.isInteger(stepParam) && stepParam >= 0 ? Math.min(stepParam, openStepMax) : 0,
  };
}

const regions: Regions = {
  status: byId("status"),
  servers: byId("servers"),
  partitions: byId("partitions"),
  consumers: byId("consumers"),
  trace: byId("trace"),
};
const seedInput = byId<HTMLInputElement>("seed-input");
const playButton = byId<HTMLButtonElement>("play");
const pauseButton = byId<HTMLButtonElement>("pause");
const stepButton = byId<HTMLButtonElement>("step");
const speedSelect = byId<HTMLSelectElement>("speed");

const worker = startWorker();
let busy = false;
let playing = false;
let queuedSteps = 0;
let last: Snapshot | null = null;
/** The newest snapshot not drawn yet; drawn at the next animation frame. */
let undrawn: Snapshot | null = null;
let frameScheduled = false;
/** Snapshots drawn since the page loaded: while playing, the page's frames. */
let renders = 0;

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

/**
 * One animation frame: while playing, the next request goes out first, so the worker steps while
 * the page draws the snapshot it already has (one request a frame, at most one in flight).
 */
function frame(): void {
  frameScheduled = false;
  if (playing && !busy) send({ type: "step", count: Number(speedSelect.value) });
  if (undrawn !== null) {
    show(undrawn);
    undrawn = null;
  }
  if (playing) scheduleFrame();
}

function show(snapshot: Snapshot): void {
  last = snapshot;
  render(regions, snapshot);
  renders++;
  history.replaceState(null, "", `?seed=${snapshot.seed}&step=${snapshot.step}`);
  if (document.activeElement !== seedInput) seedInput.value = snapshot.seed;
  document.body.dataset.renders = String(renders);
  document.body.dataset.step = String(snapshot.step);
  document.body.dataset.ready = "true";
  if (snapshot.phase === "ended") setPlaying(false);
}

function setPlaying(on: boolean): void {
  playing = on && last?.phase !== "ended";
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
    regions.trace.prepend(
      Object.assign(document.createElement("p"), { className: "violation", textContent: reply.message }),
    );
    setPlaying(false);
    return;
  }
  undrawn = reply.snapshot;
  if (queuedSteps > 0) {
    const count = queuedSteps;
    queuedSteps = 0;
    send({ type: "step", count });
  }
  scheduleFrame();
};

function stepOnce(): void {
  if (playing) setPlaying(false);
  if (busy) queuedSteps = Math.min(queuedStepsMax, queuedSteps + 1);
  else send({ type: "step", count: 1 });
}

function open(seed: string, step: number): void {
  setPlaying(false);
  queuedSteps = 0;
  document.body.dataset.ready = "false";
  send({ type: "open", seed, step });
}

byId<HTMLFormElement>("seed-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const seed = seedInput.value.trim();
  if (seedPattern.test(seed)) open(seed, 0);
});
playButton.addEventListener("click", () => setPlaying(true));
pauseButton.addEventListener("click", () => setPlaying(false));
stepButton.addEventListener("click", stepOnce);
document.addEventListener("keydown", (event) => {
  const target = event.target as HTMLElement | null;
  if (target !== null && (target.tagName === "INPUT" || target.tagName === "SELECT")) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "n") stepOnce();
  else if (event.key === "p") setPlaying(!playing);
});

const start = readAddress();
seedInput.value = start.seed;
pauseButton.disabled = true;
open(start.seed, start.step);
