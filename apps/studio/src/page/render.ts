/**
 * Draws one snapshot of the run as text and tables: the status line (lesson, seed, virtual time,
 * step, trace events, phase, hash), the violations, servers with liveness and roles, each
 * partition's placement and replicas (log end, high watermark, leader epoch, ISR), the group and its
 * members, the clients' side, the lesson, the learner's inputs and the last trace events. The servers,
 * partitions and groups are packages/ui's views, shared with the broker's console (render-cluster.ts).
 * Owns the wording and layout; it must never ask the worker for anything or keep state between snapshots.
 */
import { toDom, statusItem as uiStatusItem } from "@eddy/ui";
import type { Snapshot } from "../worker-messages.ts";
import { el } from "./dom.ts";
import type { Pacing } from "./pacing.ts";
import { renderClients } from "./render-clients.ts";
import { renderGroups, renderPartitions, renderServers } from "./render-cluster.ts";
import { renderLesson, renderTimeline } from "./render-lesson.ts";
import { renderMessages } from "./render-messages.ts";
import { renderSegments } from "./render-segments.ts";

export interface Regions {
  readonly status: HTMLElement;
  readonly violations: HTMLElement;
  readonly servers: HTMLElement;
  readonly messages: HTMLElement;
  readonly partitions: HTMLElement;
  readonly segments: HTMLElement;
  readonly consumers: HTMLElement;
  readonly clients: HTMLElement;
  readonly lesson: HTMLElement;
  readonly timeline: HTMLElement;
  readonly trace: HTMLElement;
}

/** The ids of the regions, in the order the page shows them (the browser test reads them all). */
export const regionIds = [
  "lesson",
  "status",
  "violations",
  "servers",
  "messages",
  "partitions",
  "segments",
  "consumers",
  "clients",
  "timeline",
  "trace",
] as const;

function phaseText(s: Snapshot): string {
  if (s.phase !== "ended") return s.phase === "safety" ? "safety (faults on)" : "liveness (healed)";
  return s.convergedAtMs >= 0 ? `ended, converged at ${s.convergedAtMs} ms` : "ended, not converged";
}

function statusItem(label: string, value: string, id: string): Node {
  return toDom(uiStatusItem(label, value, id));
}

export function renderStatus(region: HTMLElement, s: Snapshot): void {
  const speed = s.stepWallMs > 0 ? `${Math.round(s.nowMs / s.stepWallMs)} sim-s per wall-s` : "-";
  region.replaceChildren(
    statusItem("Lesson", s.lesson, "lesson-id"),
    statusItem("Seed", s.seed, "seed"),
    statusItem("Virtual time", `${s.nowMs} ms`, "virtual-time"),
    statusItem("Step", String(s.step), "step-count"),
    statusItem("Trace events", String(s.traceEvents), "trace-count"),
    statusItem("Phase", phaseText(s), "phase"),
    statusItem("Trace hash", s.hash, "hash"),
    statusItem("Violations", String(s.violations.length), "violation-count"),
    statusItem("Worker speed", speed, "speed-figure"),
  );
}

/**
 * What each region was last drawn from, as text: a region whose inputs are unchanged is not rebuilt
 * (at one step per frame most are), so a frame costs only what moved. The page owns one and passes it.
 */
export type DrawnFrom = Map<string, string>;

/**
 * Runs `draw` unless `key` is what the region was last drawn from, or, while playing, the region was
 * drawn too recently (pacing.ts); the key is built only when the region is due, since building it
 * costs as much as a small draw.
 */
function redraw(drawn: DrawnFrom, region: string, key: () => string, draw: () => void): void {
  if (pace !== undefined && !pace.pacing.due(region, pace.nowMs)) return;
  const text = key();
  if (drawn.get(region) === text) return;
  draw();
  drawn.set(region, text);
}

/** The pacing of the draw in progress, if the page paces (set for the length of one `render`). */
let pace: { readonly pacing: Pacing; readonly nowMs: number } | undefined;

/**
 * Draws the snapshot; `findTarget` is the offset the learner asked to find (null: the default). With
 * `pacing`, while playing, the tables are redrawn only every so often (the drawing and status always).
 */
export function render(
  regions: Regions,
  s: Snapshot,
  findTarget: number | null,
  drawn: DrawnFrom,
  pacing?: Pacing,
): void {
  pace = pacing === undefined ? undefined : { pacing, nowMs: performance.now() };
  try {
    renderPaced(regions, s, findTarget, drawn);
  } finally {
    pace = undefined;
  }
}

function renderPaced(regions: Regions, s: Snapshot, findTarget: number | null, drawn: DrawnFrom): void {
  // The step and virtual time change with every snapshot: while playing they are read a few times a
  // second like the tables, and the messages drawing carries the motion.
  redraw(
    drawn,
    "status",
    () =>
      JSON.stringify([
        s.lesson,
        s.seed,
        s.step,
        s.nowMs,
        s.traceEvents,
        s.phase,
        s.convergedAtMs,
        s.hash,
        s.violations.length,
        s.stepWallMs,
      ]),
    () => renderStatus(regions.status, s),
  );
  redraw(
    drawn,
    "lesson",
    () => JSON.stringify([s.lessonTitle, s.notes, s.script, s.checks]),
    () => renderLesson(regions.lesson, s),
  );
  redraw(
    drawn,
    "timeline",
    () => JSON.stringify(s.timeline),
    () => renderTimeline(regions.timeline, s),
  );
  redraw(
    drawn,
    "violations",
    () => JSON.stringify(s.violations),
    () =>
      regions.violations.replaceChildren(
        ...s.violations.map((v) =>
          el("p", { class: "violation", "data-testid": "violation" }, [`Violation ${v}`]),
        ),
      ),
  );
  const view = s.view;
  if (view !== null) {
    redraw(
      drawn,
      "servers",
      () => JSON.stringify([view.brokers, view.controllers]),
      () => renderServers(regions.servers, view),
    );
    renderMessages(regions.messages, s, view);
    redraw(
      drawn,
      "partitions",
      () => JSON.stringify(view.partitions),
      () => renderPartitions(regions.partitions, view),
    );
    redraw(
      drawn,
      "consumers",
      () => JSON.stringify([view.groups, view.consumers, view.partitions]),
      () => renderGroups(regions.consumers, view),
    );
    redraw(
      drawn,
      "segments",
      () => JSON.stringify([s.segments, findTarget]),
      () => renderSegments(regions.segments, s.segments, findTarget),
    );
    redraw(
      drawn,
      "clients",
      () =>
        JSON.stringify([
          s.clientRows,
          s.errorCounts,
          s.producerTallies,
          s.clientRetries,
          s.clientTimeouts,
          view.producers,
        ]),
      () => renderClients(regions.clients, s, view),
    );
  }
  redraw(
    drawn,
    "trace",
    () => JSON.stringify(s.tail),
    () =>
      regions.trace.replaceChildren(
        el(
          "ol",
          { class: "trace", "aria-label": "last trace events, oldest first" },
          s.tail.map((t) =>
            el("li", {}, [`#${t.i}  ${t.tMs} ms  ${t.kind.padEnd(5)} ${t.node.padEnd(4)} ${t.summary}`]),
          ),
        ),
      ),
  );
}
