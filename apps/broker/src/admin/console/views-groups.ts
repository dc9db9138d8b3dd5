/**
 * The console's group pages: the list with state, members and total lag; one group drawn by
 * packages/ui's group view as the studio draws its groups (generation, members and assignments, each
 * partition's committed offset, high watermark and lag, "high watermark minus committed", the high
 * watermarks of partitions led elsewhere asked of their leaders by the admin API), its protocol, the
 * total lag over time as a chart sampled while the page is open, and an offset reset that is
 * previewed (a dry run) and confirmed before it is executed. Owns the wording and the lag history,
 * bounded to `lagSamplesMax` samples per group.
 */
import { consumerGroup, type GroupData, toDom } from "@eddy/ui";
import { ApiError, api, type GroupDetail } from "./api.ts";
import { confirmAction } from "./confirm.ts";
import { el, link, table } from "./dom.ts";

/** Samples of a group's total lag kept for its chart: ten minutes at one every two seconds. */
const lagSamplesMax = 300;
const lagHistory = new Map<string, { atMs: number; lag: number }[]>();

function recordLag(group: string, lag: number): { atMs: number; lag: number }[] {
  let samples = lagHistory.get(group);
  if (samples === undefined) {
    samples = [];
    lagHistory.set(group, samples);
  }
  samples.push({ atMs: Date.now(), lag });
  if (samples.length > lagSamplesMax) samples.splice(0, samples.length - lagSamplesMax);
  return samples;
}

const svgNs = "http://www.w3.org/2000/svg";

function svg(tag: string, attrs: Record<string, string>, text?: string): SVGElement {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The total lag over time as a line, with the highest lag and the time span written on the axes. */
function lagChart(samples: readonly { atMs: number; lag: number }[]): Element {
  const width = 640;
  const height = 180;
  const pad = 36;
  const maxLag = Math.max(1, ...samples.map((s) => s.lag));
  const first = samples[0]?.atMs ?? 0;
  const spanMs = Math.max(1, (samples[samples.length - 1]?.atMs ?? 0) - first);
  const x = (atMs: number) => pad + ((atMs - first) / spanMs) * (width - 2 * pad);
  const y = (lag: number) => height - pad - (lag / maxLag) * (height - 2 * pad);
  const chart = svg("svg", {
    id: "lag-chart",
    viewBox: `0 0 ${width} ${height}`,
    width: String(width),
    height: String(height),
    role: "img",
    "aria-label": `total lag over the last ${Math.round(spanMs / 1000)} s, now ${samples[samples.length - 1]?.lag ?? 0}`,
  });
  chart.append(
    svg("line", {
      x1: String(pad),
      y1: String(height - pad),
      x2: String(width - pad),
      y2: String(height - pad),
      stroke: "#999",
    }),
    svg("line", {
      x1: String(pad),
      y1: String(pad),
      x2: String(pad),
      y2: String(height - pad),
      stroke: "#999",
    }),
    svg("text", { x: "4", y: String(pad + 4), "font-size": "12" }, String(maxLag)),
    svg("text", { x: "4", y: String(height - pad + 4), "font-size": "12" }, "0"),
    svg(
      "text",
      { x: String(width - pad), y: String(height - 8), "font-size": "12", "text-anchor": "end" },
      "now",
    ),
    svg(
      "text",
      { x: String(pad), y: String(height - 8), "font-size": "12" },
      `${Math.round(spanMs / 1000)} s ago`,
    ),
    ...samples.map((s) =>
      svg("circle", { cx: x(s.atMs).toFixed(1), cy: y(s.lag).toFixed(1), r: "3", fill: "#0b3d91" }),
    ),
    svg("polyline", {
      points: samples.map((s) => `${x(s.atMs).toFixed(1)},${y(s.lag).toFixed(1)}`).join(" "),
      fill: "none",
      stroke: "#0b3d91",
      "stroke-width": "2",
    }),
  );
  return chart;
}

/**
 * One group as packages/ui's group view (the studio's): its generation in the sentence; a member is
 * its member id, its assignment written `topic-partition`.
 */
export function groupData(group: GroupDetail): GroupData {
  return {
    id: group.groupId,
    state: group.state,
    generation: group.generationId,
    memberCount: group.members.length,
    memberColumns: ["client id", "host"],
    members: group.members.map((m) => ({
      name: m.memberId,
      assigned: m.assignment.flatMap((a) => a.partitions.map((p) => `${a.topic}-${p}`)),
      cells: [m.clientId, m.clientHost],
    })),
    offsets: group.offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      committed: o.committedOffset,
      highWatermark: o.highWatermark,
      owner: o.memberId,
    })),
  };
}

export async function renderGroups(main: HTMLElement): Promise<void> {
  const { groups } = await api.groups();
  main.replaceChildren(
    el("h2", {}, ["Consumer groups"]),
    table(
      `${groups.length} group(s)`,
      ["group", "state", "protocol type", "members", "total lag"],
      groups.map((g) => [
        link(`/groups/${encodeURIComponent(g.groupId)}`, g.groupId),
        g.state,
        g.protocolType || "-",
        g.memberCount,
        g.totalLag ?? "-",
      ]),
      { id: "groups" },
    ),
  );
}

function resetForm(
  group: GroupDetail,
  topics: readonly string[],
  rerender: () => Promise<void>,
): HTMLElement {
  const out = el("div", { id: "reset-results", "aria-live": "polite" });
  const form = el("form", { id: "reset-form", class: "controls" }, [
    el("label", { for: "reset-topic" }, ["Topic"]),
    el(
      "select",
      { id: "reset-topic", name: "topic" },
      topics.map((t) => el("option", { value: t }, [t])),
    ),
    el("label", { for: "reset-to" }, ["Reset to"]),
    el("select", { id: "reset-to", name: "to" }, [
      el("option", { value: "earliest" }, ["earliest"]),
      el("option", { value: "latest" }, ["latest"]),
      el("option", { value: "offset" }, ["offset"]),
      el("option", { value: "timestamp" }, ["time (ms since epoch)"]),
      el("option", { value: "shift" }, ["shift by"]),
    ]),
    el("label", { for: "reset-value" }, ["Value"]),
    el("input", { id: "reset-value", name: "value", size: "14", placeholder: "for offset, time, shift" }),
    el("button", { type: "submit", id: "reset-preview" }, ["Preview"]),
  ]);
  const bodyOf = (): Record<string, unknown> => {
    const data = new FormData(form as HTMLFormElement);
    const to = String(data.get("to"));
    const value = Number(data.get("value"));
    const key = to === "offset" ? "offset" : to === "timestamp" ? "timestamp" : to === "shift" ? "by" : null;
    return { topic: String(data.get("topic")), to, ...(key === null ? {} : { [key]: value }) };
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = bodyOf();
    try {
      const plan = await api.resetOffsets(group.groupId, body);
      const execute = el("button", { type: "button", id: "reset-execute", class: "danger" }, [
        "Reset offsets…",
      ]);
      execute.addEventListener("click", async () => {
        const ok = await confirmAction(
          `Commit these offsets for group ${group.groupId}? Its consumers will start from them.`,
          "Reset offsets",
        );
        if (!ok) return;
        try {
          await api.resetOffsets(group.groupId, { ...body, execute: true });
          await rerender();
        } catch (error) {
          out.replaceChildren(
            el("p", { class: "error-code", "data-testid": "notice" }, [(error as Error).message]),
          );
        }
      });
      out.replaceChildren(
        table(
          "Planned offsets (dry run: nothing committed yet)",
          ["topic", "partition", "current offset", "new offset"],
          plan.offsets.map((o) => [o.topic, o.partition, o.currentOffset ?? "-", o.newOffset]),
          { id: "reset-plan" },
        ),
        execute,
      );
    } catch (error) {
      out.replaceChildren(
        el("p", { class: "error-code", "data-testid": "notice" }, [(error as Error).message]),
      );
    }
  });
  return el("section", { "aria-labelledby": "reset-title" }, [
    el("h3", { id: "reset-title" }, ["Reset offsets"]),
    form,
    out,
  ]);
}

/** Draws one group; the router calls it again every two seconds while the page is open. */
export async function renderGroup(main: HTMLElement, name: string): Promise<void> {
  let group: GroupDetail;
  try {
    group = await api.group(name);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      main.replaceChildren(
        el("h2", {}, [`Group ${name}`]),
        el("p", { class: "error-code" }, [`No group named ${name}.`]),
      );
      return;
    }
    throw error;
  }
  const samples = recordLag(name, group.totalLag);
  // A redraw keeps the reset form and its preview as they are, so a refresh never loses a plan.
  const kept = main.querySelector("#reset-section");
  const topics = [...new Set(group.offsets.map((o) => o.topic))];
  const reset =
    kept ?? el("div", { id: "reset-section" }, [resetForm(group, topics, () => renderGroup(main, name))]);
  main.replaceChildren(
    el("h2", {}, [`Group ${name}`]),
    toDom(
      consumerGroup(groupData(group), {
        sentence: { "data-testid": `group-state-${group.groupId}` },
        offsets: { id: "group-offsets" },
        members: { id: "group-members" },
      }),
    ),
    el("h3", {}, ["Lag over time"]),
    el("p", { "data-testid": "group-state" }, [
      "Total lag ",
      el("strong", { id: "lag-total", "data-testid": "lag-total" }, [String(group.totalLag)]),
      " (high watermark minus committed offset, over the committed partitions, wherever their leaders are).",
    ]),
    el("p", { id: "group-protocol" }, [
      "Generation ",
      el("strong", { "data-testid": "group-generation" }, [String(group.generationId)]),
      `, protocol ${group.protocolType || "-"}/${group.protocol || "-"} (the assignor the members chose; empty while rebalancing).`,
    ]),
    el("figure", {}, [
      lagChart(samples),
      el("figcaption", {}, ["Total lag while this page is open, sampled every 2 s."]),
    ]),
    reset,
  );
}
