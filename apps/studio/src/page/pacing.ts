/**
 * How often each region of the page is redrawn while the run plays. The messages drawing and the
 * status line change every frame and are cheap to update in place; the tables (partitions, groups,
 * clients, segments, the trace list, the lesson) are rebuilt whole and cost style and layout work, and
 * nobody reads a table that changes 60 times a second. So while playing a table is redrawn at most
 * every `tablesRedrawMsMin`; when paused or stepped every region is drawn from the snapshot shown, so
 * what a learner reads (and what the tests read) is always the moment named in the address.
 * Owns that schedule; it must never draw anything itself.
 */

/** While playing, a table is redrawn at most this often (wall ms). */
export const tablesRedrawMsMin = 250;
/**
 * While playing, the address bar follows at most this often: Chromium's replaceState costs several
 * milliseconds (it measured 14 ms a call on the shared machine, more than a whole frame's drawing).
 */
export const addressUpdateMsMin = 1_000;
/** Regions tracked at most (the page has about a dozen). */
const regionsMax = 64;

export class Pacing {
  /** Whether the run is playing now; off, every region is due. */
  playing = false;
  private readonly lastDrawMs = new Map<string, number>();

  /**
   * Whether `region` may be redrawn at wall time `nowMs` (while playing, at most every `gapMsMin`);
   * records the draw when it may.
   */
  due(region: string, nowMs: number, gapMsMin = tablesRedrawMsMin): boolean {
    if (this.playing) {
      const last = this.lastDrawMs.get(region);
      if (last !== undefined && nowMs - last < gapMsMin) return false;
    }
    if (this.lastDrawMs.size >= regionsMax && !this.lastDrawMs.has(region)) this.lastDrawMs.clear();
    this.lastDrawMs.set(region, nowMs);
    return true;
  }
}
