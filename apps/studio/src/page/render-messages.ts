/**
 * Draws the messages moving between nodes: every node of the model at a fixed place (brokers on top,
 * controllers below, producers left, consumers right; a node that is down drawn dashed and marked
 * "down") and an arrow for each of the last messages delivered, newest darkest, with its type; and,
 * beside the drawing, the same messages as a list in words. Owns that drawing; it must never ask the
 * worker for anything or keep state between snapshots.
 */
import type { ClusterView } from "@eddy/sim";
import type { Snapshot } from "../worker-messages.ts";
import { el } from "./dom.ts";

/** Arrows drawn at most: the last messages delivered. */
export const arrowsMax = 8;
const svgNs = "http://www.w3.org/2000/svg";
const width = 560;
const height = 300;

/** Where each node sits in the drawing. */
function placeOf(name: string): { x: number; y: number } | undefined {
  const kind = name[0];
  const i = Number(name.slice(1));
  if (!Number.isInteger(i)) return undefined;
  if (kind === "b") return { x: 170 + i * 110, y: 60 };
  if (kind === "c") return { x: 170 + i * 110, y: 240 };
  if (kind === "p") return { x: 50, y: 80 + i * 70 };
  if (kind === "k") return { x: 510, y: 60 + i * 60 };
  return undefined;
}

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function nodes(view: ClusterView): { name: string; up: boolean }[] {
  return [
    ...view.brokers.map((b) => ({ name: b.name, up: b.up })),
    ...view.controllers.map((c) => ({ name: c.name, up: c.up })),
    ...view.producers.map((p) => ({ name: p.name, up: true })),
    ...view.consumers.map((k) => ({ name: k.name, up: k.phase !== "removed" })),
  ];
}

export function renderMessages(region: HTMLElement, s: Snapshot, view: ClusterView): void {
  const messages = s.tail.filter((t) => t.kind === "recv" && t.from !== "").slice(-arrowsMax);
  const drawing = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-labelledby": "messages-caption",
    class: "messages",
  });
  drawing.append(
    svg("defs", {}),
    svg("title", { id: "messages-caption" }, "The last messages delivered between nodes, as arrows"),
  );
  const marker = svg("marker", {
    id: "arrow",
    viewBox: "0 0 10 10",
    refX: 10,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: "auto-start-reverse",
  });
  marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: "#222" }));
  drawing.firstChild!.appendChild(marker);
  messages.forEach((m, i) => {
    const from = placeOf(m.from);
    const to = placeOf(m.node);
    if (from === undefined || to === undefined) return;
    // Stop short of the circles, and fade older arrows so the newest stands out.
    const dx = to.x - from.x;
    const dy = to.y - from.y;
    const length = Math.max(1, Math.hypot(dx, dy));
    const cut = 24 / length;
    const opacity = (0.25 + (0.75 * (i + 1)) / messages.length).toFixed(2);
    drawing.append(
      svg("line", {
        x1: from.x + dx * cut,
        y1: from.y + dy * cut,
        x2: to.x - dx * cut,
        y2: to.y - dy * cut,
        stroke: "#222",
        "stroke-width": 2,
        opacity,
        "marker-end": "url(#arrow)",
      }),
      svg(
        "text",
        {
          x: (from.x + to.x) / 2,
          y: (from.y + to.y) / 2 - 4,
          "text-anchor": "middle",
          class: "label",
          opacity,
        },
        m.type,
      ),
    );
  });
  for (const n of nodes(view)) {
    const at = placeOf(n.name);
    if (at === undefined) continue;
    drawing.append(
      svg("circle", {
        cx: at.x,
        cy: at.y,
        r: 20,
        fill: n.up ? "#fff" : "#f4dcdc",
        stroke: n.up ? "#111" : "#8b0000",
        "stroke-width": 2,
        "stroke-dasharray": n.up ? "" : "4 3",
      }),
      svg("text", { x: at.x, y: at.y + 5, "text-anchor": "middle", class: "node" }, n.name),
    );
    if (!n.up)
      drawing.append(svg("text", { x: at.x, y: at.y + 36, "text-anchor": "middle", class: "down" }, "down"));
  }
  const words = el(
    "ol",
    { class: "message-list", "aria-label": "the same messages in words, oldest first" },
    messages.map((m) => el("li", {}, [`${m.tMs} ms: ${m.from} to ${m.node}, ${m.type}`])),
  );
  region.replaceChildren(el("div", { class: "grid" }, [drawing as unknown as HTMLElement, words]));
}
