/**
 * Lesson: segments, the sparse index and the binary search for an offset. The producers send four
 * times as often, so partition 0's log rolls through several 8 KiB segments; each rolled segment's
 * `.index` holds one entry per 256 bytes appended (far fewer than its records), and finding an offset
 * takes a binary search over the segments and then over one index: a handful of probes, whatever the
 * log's length. Owns this lesson's script, text and checks; it must never step a run.
 */
import { findOffset } from "./find-offset.ts";
import type { CheckContext, Lesson } from "./lesson.ts";
import { quietConfig, teachingCluster } from "./teaching-run.ts";

function rolled(ctx: CheckContext) {
  return ctx.segments()?.segments.filter((s) => !s.active) ?? [];
}

export const segments: Lesson = {
  id: "segments",
  title: "Segments, the sparse index and the binary search for an offset",
  narration: [
    "A partition's log is not one file: it is a row of segments, each named by its base offset (its first offset). The broker appends to the newest, the active segment, and rolls a new one when it is full (8 KiB here; 1 GiB by default in Kafka). Old segments are what retention deletes, whole.",
    "Beside each segment's .log is a sparse .index: not one entry per record, but one per 256 bytes appended (index.interval.bytes; 4 KiB by default), each giving a batch's offset and its byte position in the .log. A .timeindex does the same for timestamps.",
    "To find an offset, the log binary-searches the segments' base offsets, then the segment's index for the last entry at or below the offset, and scans the .log forward from that byte. The view under the partitions shows it over the real entries read off the leader's disk; type another offset to search again.",
    "The producers here send every 50 ms, four times as often as in the other lessons, so the log rolls several segments within a few seconds.",
  ],
  seed: "7",
  config: (seed) => quietConfig(seed, { produceIntervalMs: 50 }),
  factory: teachingCluster,
  script: [],
  checks: () => [
    {
      text: "Partition 0's log rolled: at least three segments on its leader's disk.",
      holds: (ctx) => (ctx.segments()?.segments.length ?? 0) >= 3,
    },
    {
      text: "The index is sparse: a rolled segment has index entries, far fewer than its records.",
      holds: (ctx) => {
        const segs = ctx.segments()?.segments ?? [];
        return segs.some(
          (s, i) =>
            !s.active &&
            s.index.length > 0 &&
            i + 1 < segs.length &&
            s.index.length * 2 < segs[i + 1]!.baseOffset - s.baseOffset,
        );
      },
    },
    {
      text: "Finding an offset inside a rolled segment stops at a real index entry at or below it.",
      holds: (ctx) => {
        const view = ctx.segments();
        const done = rolled(ctx);
        if (view === null || done.length < 2) return false;
        const target = done[1]!.index.at(-1)?.offset ?? -1;
        if (target < 0) return false;
        const found = findOffset(view.segments, target + 1);
        return (
          found.segment === 1 &&
          found.entry >= 0 &&
          view.segments[1]!.index[found.entry]!.offset <= target + 1
        );
      },
    },
    {
      text: "The search takes a handful of probes: at most 2 + log2(segments) + log2(index entries).",
      holds: (ctx) => {
        const view = ctx.segments();
        if (view === null || rolled(ctx).length < 2) return false;
        const target = Math.floor((view.logEndOffset * 2) / 3);
        const found = findOffset(view.segments, target);
        const entries = found.segment >= 0 ? view.segments[found.segment]!.index.length : 0;
        return found.probes.length <= 2 + Math.log2(view.segments.length) + Math.log2(Math.max(1, entries));
      },
    },
  ],
  notes: (ctx) => {
    const view = ctx.segments();
    if (view === null) return [];
    const entries = view.segments.reduce((n, s) => n + s.index.length, 0);
    return [
      `${view.broker} holds partition 0 in ${view.segments.length} segment${view.segments.length === 1 ? "" : "s"} for ${view.logEndOffset} records; the rolled ones have ${entries} index entries on disk.`,
    ];
  },
};
