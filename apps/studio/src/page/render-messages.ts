/**
 * Draws the messages moving between nodes: every node of the model at a fixed place (brokers on top,
 * controllers below, producers left, consumers right; a node that is down drawn dashed and marked
 * "down"), each message in flight as a dot on its link at the share of its trip done (the network
 * chose its send and arrival times when it was sent, so the dot is where the simulated message is at
 * this virtual time), labelled with its type, and each message the network dropped lately as a red
 * cross on its link marked "dropped"; beside the drawing, the same messages as a list in words.
 *
 * Owns that drawing. It is updated in place, keyed: the nodes are made once and only their changed
 * attributes are written, and the messages reuse a fixed pool of elements, so a frame costs a few
 * attribute writes instead of a rebuilt tree and its layout. It must never ask the worker for
 * anything; the only state it keeps between snapshots is the elements it drew.
 */
import type { ClusterView } from "@eddy/sim";
import type { FlightMessage, Snapshot } from "../worker-messages.ts";
import { messagesInFlightMax } from "../worker-messages.ts";
import { flightPoint, placeOf } from "./flight-geometry.ts";

/** Dropped messages shown at most, the newest; older drops than `droppedShownMs` are not shown. */
export const droppedShownMax = 8;
/** How long (virtual ms) a drop stays drawn after it happened. */
export const droppedShownMs = 600;
/** Lines of the words list at most (in flight first, then dropped). */
const wordsLinesMax = messagesInFlightMax + droppedShownMax;
const svgNs = "http://www.w3.org/2000/svg";
const width = 560;
const height = 300;

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Writes an attribute only when it changes: unchanged attributes cost no style or layout work. */
function set(node: Element, name: string, value: string | number): void {
  const text = String(value);
  if (node.getAttribute(name) !== text) node.setAttribute(name, text);
}

function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

interface NodeMark {
  readonly circle: SVGElement;
  readonly down: SVGElement;
}

/** One message's elements: its link, its dot (or cross) and its label. */
interface MessageMark {
  readonly group: SVGElement;
  readonly link: SVGElement;
  readonly dot: SVGElement;
  readonly cross: SVGElement;
  readonly label: SVGElement;
}

interface Drawing {
  readonly root: HTMLElement;
  readonly svg: SVGElement;
  readonly nodesLayer: SVGElement;
  readonly nodes: Map<string, NodeMark>;
  readonly marks: MessageMark[];
  readonly words: HTMLOListElement;
  readonly summary: HTMLParagraphElement;
}

/** Each region's drawing, made at its first snapshot. */
const drawings = new WeakMap<HTMLElement, Drawing>();

function makeMark(): MessageMark {
  const group = svg("g", { class: "flight", display: "none" });
  const link = svg("line", { class: "flight-link", "stroke-width": 1.5 });
  const dot = svg("circle", { r: 6, class: "flight-dot" });
  const cross = svg("path", { class: "flight-cross", "stroke-width": 3 });
  const label = svg("text", { "text-anchor": "middle", class: "label" });
  group.append(link, dot, cross, label);
  return { group, link, dot, cross, label };
}

function makeDrawing(region: HTMLElement): Drawing {
  const drawing = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-labelledby": "messages-caption",
    class: "messages",
  });
  drawing.append(
    svg(
      "title",
      { id: "messages-caption" },
      "Messages between nodes: a dot for each in flight, a red cross for each dropped",
    ),
  );
  const marks: MessageMark[] = [];
  const messagesLayer = svg("g", {});
  for (let i = 0; i < messagesInFlightMax + droppedShownMax; i++) {
    const mark = makeMark();
    marks.push(mark);
    messagesLayer.append(mark.group);
  }
  const nodesLayer = svg("g", {});
  drawing.append(messagesLayer, nodesLayer);
  const words = document.createElement("ol");
  words.className = "message-list";
  words.setAttribute("aria-label", "the same messages in words, by arrival");
  const summary = document.createElement("p");
  summary.dataset.testid = "flight-summary";
  const side = document.createElement("div");
  side.append(summary, words);
  const grid = document.createElement("div");
  grid.className = "grid";
  grid.append(drawing as unknown as HTMLElement, side);
  region.replaceChildren(grid);
  return { root: region, svg: drawing, nodesLayer, nodes: new Map(), marks, words, summary };
}

function nodesOf(view: ClusterView): { name: string; up: boolean }[] {
  return [
    ...view.brokers.map((b) => ({ name: b.name, up: b.up })),
    ...view.controllers.map((c) => ({ name: c.name, up: c.up })),
    ...view.producers.map((p) => ({ name: p.name, up: true })),
    ...view.consumers.map((k) => ({ name: k.name, up: k.phase !== "removed" })),
  ];
}

function drawNodes(d: Drawing, view: ClusterView): void {
  for (const n of nodesOf(view)) {
    let mark = d.nodes.get(n.name);
    const at = placeOf(n.name);
    if (at === undefined) continue;
    if (mark === undefined) {
      const circle = svg("circle", { cx: at.x, cy: at.y, r: 20, "stroke-width": 2 });
      const down = svg("text", { x: at.x, y: at.y + 36, "text-anchor": "middle", class: "down" });
      d.nodesLayer.append(
        circle,
        svg("text", { x: at.x, y: at.y + 5, "text-anchor": "middle", class: "node" }, n.name),
        down,
      );
      mark = { circle, down };
      d.nodes.set(n.name, mark);
    }
    set(mark.circle, "fill", n.up ? "#fff" : "#f4dcdc");
    set(mark.circle, "stroke", n.up ? "#111" : "#8b0000");
    set(mark.circle, "stroke-dasharray", n.up ? "" : "4 3");
    // Text, not only display: a hidden element's text would still be read by screen readers and tests.
    setText(mark.down, n.up ? "" : "down");
  }
}

/** The share of its trip a message has done at `nowMs`, 0 to 1. */
export function tripShare(m: FlightMessage, nowMs: number): number {
  if (m.arriveMs <= m.sentMs) return 1;
  return Math.min(1, Math.max(0, (nowMs - m.sentMs) / (m.arriveMs - m.sentMs)));
}

function drawMark(mark: MessageMark, m: FlightMessage, nowMs: number): boolean {
  const from = placeOf(m.from);
  const to = placeOf(m.to);
  if (from === undefined || to === undefined) return false;
  const dropped = m.arriveMs < 0;
  // A drop is drawn a quarter of the way out: the network lost it on the link, before the receiver.
  const at = flightPoint(from, to, dropped ? 0.25 : tripShare(m, nowMs));
  set(mark.group, "display", "inline");
  set(mark.group, "class", dropped ? "flight dropped" : "flight");
  set(mark.link, "x1", from.x);
  set(mark.link, "y1", from.y);
  set(mark.link, "x2", to.x);
  set(mark.link, "y2", to.y);
  set(mark.dot, "display", dropped ? "none" : "inline");
  set(mark.dot, "cx", at.x.toFixed(1));
  set(mark.dot, "cy", at.y.toFixed(1));
  set(mark.cross, "display", dropped ? "inline" : "none");
  if (dropped)
    set(
      mark.cross,
      "d",
      `M ${at.x - 6} ${at.y - 6} L ${at.x + 6} ${at.y + 6} M ${at.x - 6} ${at.y + 6} L ${at.x + 6} ${at.y - 6}`,
    );
  set(mark.label, "x", at.x.toFixed(1));
  set(mark.label, "y", (at.y - 9).toFixed(1));
  setText(mark.label, dropped ? `${m.label} dropped` : m.label);
  return true;
}

function words(m: FlightMessage, nowMs: number): string {
  if (m.arriveMs < 0)
    return `dropped: ${m.from} to ${m.to}, ${m.label}, sent at ${m.sentMs} ms, lost on the link`;
  const share = Math.round(tripShare(m, nowMs) * 100);
  return `in flight: ${m.from} to ${m.to}, ${m.label}, sent at ${m.sentMs} ms, arrives at ${m.arriveMs} ms (${share}% of the way)`;
}

/** The drops recent enough to draw at `nowMs`, newest last. */
export function recentDrops(s: Snapshot): FlightMessage[] {
  return s.dropped.filter((m) => m.sentMs >= s.nowMs - droppedShownMs).slice(-droppedShownMax);
}

export function renderMessages(region: HTMLElement, s: Snapshot, view: ClusterView): void {
  let d = drawings.get(region);
  if (d === undefined || !region.contains(d.svg)) {
    d = makeDrawing(region);
    drawings.set(region, d);
  }
  drawNodes(d, view);
  const shown = [...s.inFlight, ...recentDrops(s)];
  let used = 0;
  for (const m of shown) if (used < d.marks.length && drawMark(d.marks[used]!, m, s.nowMs)) used++;
  for (let i = used; i < d.marks.length; i++) {
    set(d.marks[i]!.group, "display", "none");
    setText(d.marks[i]!.label, "");
  }
  const drops = shown.length - s.inFlight.length;
  setText(
    d.summary,
    `${s.inFlight.length} message${s.inFlight.length === 1 ? "" : "s"} in flight at ${s.nowMs} ms` +
      (drops > 0 ? `, ${drops} dropped in the last ${droppedShownMs} ms` : ""),
  );
  const lines = shown.slice(0, wordsLinesMax);
  const items = d.words.children;
  while (items.length > lines.length) d.words.lastElementChild!.remove();
  lines.forEach((m, i) => {
    const text = words(m, s.nowMs);
    const item = items[i];
    if (item === undefined) {
      const li = document.createElement("li");
      li.textContent = text;
      d.words.append(li);
    } else setText(item, text);
  });
}
