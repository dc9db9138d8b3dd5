/**
 * Finding an offset in a segmented log, as Kafka's log does: a binary search over the segments' base
 * offsets picks the segment (the last whose base is at most the offset), then a binary search over
 * that segment's sparse `.index` picks the last entry at most the offset, whose position is where a
 * scan of the `.log` starts. Every probe is returned, so the page can show the search step by step.
 * Owns that search over plain data; it must never read a disk or the DOM.
 */
import type { SegmentView } from "../worker-messages.ts";

export interface Probe {
  /** "segment" probes compare base offsets; "index" probes compare index entries. */
  readonly over: "segment" | "index";
  readonly low: number;
  readonly high: number;
  readonly mid: number;
  /** The offset at `mid` (a base offset or an index entry's offset). */
  readonly midOffset: number;
  /** Whether the offset at mid is at most the target (the search goes right) or not (left). */
  readonly atMost: boolean;
}

export interface Found {
  readonly probes: readonly Probe[];
  /** Index of the segment holding the offset, or -1 when it is below the log start. */
  readonly segment: number;
  /** Index of the index entry to start from in that segment, or -1 (scan from the segment's start). */
  readonly entry: number;
  /** Byte position in the segment's `.log` where the scan starts. */
  readonly position: number;
}

/** The last of `count` increasing values at most `target` (by `at`), with its probes; -1 if none. */
function floorSearch(
  count: number,
  at: (i: number) => number,
  target: number,
  over: Probe["over"],
  probes: Probe[],
): number {
  let low = 0;
  let high = count - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const midOffset = at(mid);
    const atMost = midOffset <= target;
    probes.push({ over, low, high, mid, midOffset, atMost });
    if (atMost) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

export function findOffset(segments: readonly SegmentView[], target: number): Found {
  const probes: Probe[] = [];
  const segment = floorSearch(segments.length, (i) => segments[i]!.baseOffset, target, "segment", probes);
  if (segment < 0) return { probes, segment, entry: -1, position: 0 };
  const index = segments[segment]!.index;
  const entry = floorSearch(index.length, (i) => index[i]!.offset, target, "index", probes);
  return { probes, segment, entry, position: entry < 0 ? 0 : index[entry]!.position };
}
