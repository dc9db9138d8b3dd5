/**
 * Draws one snapshot of the run as text and tables: the status line (lesson, seed, virtual time,
 * step, trace events, phase, hash), the violations, servers with liveness and roles, each
 * partition's placement and replicas (log end, high watermark, leader epoch, ISR), the group and its
 * members, the clients' side, the lesson, the learner's inputs and the last trace events. Owns the
 * wording and layout; it must never ask the worker for anything or keep state between snapshots.
 */
import type { ClusterView, PartitionView } from "@eddy/sim";
import type { Snapshot } from "../worker-messages.ts";
import { el, table } from "./dom.ts";
import { renderClients } from "./render-clients.ts";
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

function brokerList(ids: readonly number[]): string {
  return `[${ids.map((b) => `b${b}`).join(", ")}]`;
}

function liveness(up: boolean): HTMLElement {
  return el("span", { class: up ? "up" : "down" }, [up ? "up" : "down"]);
}

function statusItem(label: string, value: string, id: string): HTMLElement {
  return el("div", {}, [el("dt", {}, [label]), el("dd", { id, "data-testid": id }, [value])]);
}

function phaseText(s: Snapshot): string {
  if (s.phase !== "ended") return s.phase === "safety" ? "safety (faults on)" : "liveness (healed)";
  return s.convergedAtMs >= 0 ? `ended, converged at ${s.convergedAtMs} ms` : "ended, not converged";
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

function renderServers(region: HTMLElement, view: ClusterView): void {
  region.replaceChildren(
    el("div", { class: "grid" }, [
      table(
        "Brokers",
        ["broker", "liveness", "hosts"],
        view.brokers.map((b) => [b.name, liveness(b.up), b.coordinator ? "group coordinator" : ""]),
      ),
      table(
        "Controllers (Raft quorum)",
        ["controller", "liveness", "role", "term", "commit index"],
        view.controllers.map((c) => [
          c.name,
          liveness(c.up),
          el("span", { class: c.active ? "leader" : "" }, [c.active ? `${c.role}, active` : c.role]),
          c.term,
          c.commitIndex,
        ]),
      ),
    ]),
  );
}

function partitionTable(p: PartitionView): HTMLElement {
  const leader = p.leader >= 0 ? `b${p.leader}` : "none yet";
  const caption = `Partition ${p.partition}: leader ${leader}, leader epoch ${p.leaderEpoch}, ISR ${brokerList(p.isr)}, replicas placed ${brokerList(p.assignment)}`;
  const section = table(
    caption,
    ["replica", "liveness", "role", "leader epoch", "log start", "log end", "high watermark", "ISR it knows"],
    p.replicas.map((r) => [
      r.broker,
      liveness(r.up),
      el("span", { class: r.role === "leader" ? "leader" : "", "data-role": r.role }, [r.role]),
      r.leaderEpoch,
      r.logStartOffset,
      r.logEndOffset,
      r.highWatermark,
      brokerList(r.isr),
    ]),
  );
  section.setAttribute("data-partition", String(p.partition));
  return section;
}

function renderGroup(region: HTMLElement, view: ClusterView): void {
  const hw = (p: number) => {
    const part = view.partitions[p];
    const leader = part?.replicas.find((r) => r.role === "leader");
    return leader?.highWatermark ?? -1;
  };
  const summaries = view.groups.map((g) =>
    el("p", { "data-testid": `group-state-${g.id}` }, [
      `Group ${g.id}: coordinator state ${g.state}, generation ${g.generation}, ${g.members} member${g.members === 1 ? "" : "s"}. Committed offsets and lag (high watermark minus committed): ${
        g.committed
          .map((c, p) => `p${p} ${c < 0 ? "none" : `${c}, lag ${Math.max(0, hw(p) - c)}`}`)
          .join("; ") || "none"
      }.`,
    ]),
  );
  region.replaceChildren(
    ...summaries,
    table(
      "Members",
      ["consumer", "group", "phase", "generation", "assigned partitions", "positions"],
      view.consumers.map((k) => [
        k.name,
        k.group,
        k.stable ? "stable" : k.phase,
        k.generation,
        k.assigned.join(", ") || "none (idle)",
        k.positions.map((pos, i) => `p${k.assigned[i]} at ${pos}`).join(", ") || "-",
      ]),
    ),
  );
}

/**
 * What each region was last drawn from, as text: a region whose inputs are unchanged is not rebuilt
 * (at one step per frame most are), so a frame costs only what moved. The page owns one and passes it.
 */
export type DrawnFrom = Map<string, string>;

/** Runs `draw` unless `key` is what the region was last drawn from. */
function redraw(drawn: DrawnFrom, region: string, key: string, draw: () => void): void {
  if (drawn.get(region) === key) return;
  draw();
  drawn.set(region, key);
}

/** Draws the snapshot; `findTarget` is the offset the learner asked to find (null: the default). */
export function render(regions: Regions, s: Snapshot, findTarget: number | null, drawn: DrawnFrom): void {
  renderStatus(regions.status, s);
  redraw(drawn, "lesson", JSON.stringify([s.lessonTitle, s.notes, s.script, s.checks]), () =>
    renderLesson(regions.lesson, s),
  );
  redraw(drawn, "timeline", JSON.stringify(s.timeline), () => renderTimeline(regions.timeline, s));
  redraw(drawn, "violations", JSON.stringify(s.violations), () =>
    regions.violations.replaceChildren(
      ...s.violations.map((v) =>
        el("p", { class: "violation", "data-testid": "violation" }, [`Violation ${v}`]),
      ),
    ),
  );
  const view = s.view;
  if (view !== null) {
    redraw(drawn, "servers", JSON.stringify([view.brokers, view.controllers]), () =>
      renderServers(regions.servers, view),
    );
    renderMessages(regions.messages, s, view);
    redraw(drawn, "partitions", JSON.stringify(view.partitions), () =>
      regions.partitions.replaceChildren(...view.partitions.map(partitionTable)),
    );
    redraw(drawn, "consumers", JSON.stringify([view.groups, view.consumers, view.partitions]), () =>
      renderGroup(regions.consumers, view),
    );
    redraw(drawn, "segments", JSON.stringify([s.segments, findTarget]), () =>
      renderSegments(regions.segments, s.segments, findTarget),
    );
    redraw(
      drawn,
      "clients",
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
  const items = s.tail.map((t) =>
    el("li", {}, [`#${t.i}  ${t.tMs} ms  ${t.kind.padEnd(5)} ${t.node.padEnd(4)} ${t.summary}`]),
  );
  regions.trace.replaceChildren(
    el("ol", { class: "trace", "aria-label": "last trace events, oldest first" }, items),
  );
}
