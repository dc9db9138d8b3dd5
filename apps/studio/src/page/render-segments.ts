/**
 * Draws partition 0's segments on its leader's disk (base offset, `.log` bytes and how many are
 * flushed, `.index` and `.timeindex` entries) and the search for one offset over them: the binary
 * search over base offsets, then over the chosen segment's real sparse-index entries, probe by
 * probe, ending at the byte where a scan of the `.log` starts. Owns that wording; it must never ask
 * the worker for anything or keep state between snapshots.
 */
import { findOffset } from "../lessons/find-offset.ts";
import type { SegmentsView } from "../worker-messages.ts";
import { el, table } from "./dom.ts";

/** Index entries listed per segment at most; the rest are counted. */
const entriesListedMax = 40;

function fileName(base: number): string {
  return `${String(base).padStart(20, "0")}.log`;
}

/** The offset the page looks up when the learner named none: two thirds into the log. */
export function defaultTarget(view: SegmentsView): number {
  return Math.floor((view.logEndOffset * 2) / 3);
}

export function renderSegments(region: HTMLElement, view: SegmentsView | null, target: number | null): void {
  if (view === null || view.segments.length === 0) {
    region.replaceChildren(el("p", {}, ["No segments yet: the topic does not exist yet."]));
    return;
  }
  const wanted = target ?? defaultTarget(view);
  const found = findOffset(view.segments, wanted);
  const segments = table(
    `Partition ${view.partition} on ${view.broker}: ${view.segments.length} segment${view.segments.length === 1 ? "" : "s"}, log end ${view.logEndOffset}`,
    ["segment file", "base offset", ".log bytes (flushed)", ".index entries", ".timeindex entries", "state"],
    view.segments.map((s, i) => {
      const cells = [
        fileName(s.baseOffset),
        s.baseOffset,
        `${s.logBytes} (${s.durableBytes})`,
        s.active ? "in memory" : s.index.length,
        s.active ? "in memory" : s.timeEntries,
        s.active ? "active (appended to)" : "rolled",
      ];
      return i === found.segment ? cells.map((c) => el("td", { class: "found" }, [c])) : cells;
    }),
  );
  const probes = el(
    "ol",
    { class: "probes", "aria-label": "the binary search, probe by probe" },
    found.probes.map((p) =>
      el("li", {}, [
        `${p.over === "segment" ? "Segments" : "Index entries"} ${p.low} to ${p.high}, middle ${p.mid}: ${p.over === "segment" ? "base offset" : "entry offset"} ${p.midOffset} ${p.atMost ? `<= ${wanted}, look right` : `> ${wanted}, look left`}`,
      ]),
    ),
  );
  const children: HTMLElement[] = [segments];
  let verdict: string;
  if (found.segment < 0) verdict = `Offset ${wanted} is below the log start: no segment holds it.`;
  else {
    const seg = view.segments[found.segment]!;
    const listed = seg.index
      .slice(0, entriesListedMax)
      .map((e, i) =>
        el("li", { class: i === found.entry ? "found" : "" }, [`offset ${e.offset} at byte ${e.position}`]),
      );
    if (!seg.active)
      children.push(
        el("h4", {}, [`The sparse index of ${fileName(seg.baseOffset)} (one entry per 256 bytes appended)`]),
        el("ol", { class: "index-entries", start: "0" }, listed),
        ...(seg.index.length > entriesListedMax
          ? [el("p", {}, [`and ${seg.index.length - entriesListedMax} more entries`])]
          : []),
      );
    verdict = seg.active
      ? `Offset ${wanted} is in the active segment ${fileName(seg.baseOffset)}, whose index is still in memory (written when the segment rolls): the search ends at its index in memory, and here a scan reads its .log from byte 0.`
      : found.entry < 0
        ? `Offset ${wanted} is in ${fileName(seg.baseOffset)}, before its first index entry: the scan reads its .log from byte 0.`
        : `Offset ${wanted} is in ${fileName(seg.baseOffset)}; the index entry for offset ${seg.index[found.entry]!.offset} says its batch starts at byte ${found.position}, so the scan reads the .log from there to offset ${wanted}.`;
  }
  children.push(
    el("h4", {}, [`Finding offset ${wanted}: ${found.probes.length} probes`]),
    probes,
    el("p", { "data-testid": "find-verdict" }, [verdict]),
  );
  region.replaceChildren(...children);
}
