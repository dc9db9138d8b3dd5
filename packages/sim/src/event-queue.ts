/**
 * The simulator's single event queue: a binary min-heap ordered by (virtual time in ms, insertion
 * sequence). Ties are broken only by the sequence counter, so two runs that push the same events in the
 * same order pop them in the same order. It owns ordering only; it must never look at event contents.
 */
import { invariant } from "@eddy/core";

/** The queue refuses to grow past this; a run that needs more has a feedback loop (a bug). */
export const queueEventsMax = 1_000_000;

export interface Queued<T> {
  readonly timeMs: number;
  readonly seq: number;
  readonly item: T;
}

export class EventQueue<T> {
  private readonly heap: Queued<T>[] = [];
  private seqNext = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `item` at `timeMs`; returns its sequence number. */
  push(timeMs: number, item: T): number {
    invariant(Number.isFinite(timeMs) && timeMs >= 0, "EventQueue.push: bad time");
    invariant(this.heap.length < queueEventsMax, "EventQueue.push: queue full");
    const seq = this.seqNext++;
    const heap = this.heap;
    const node: Queued<T> = { timeMs, seq, item };
    let i = heap.length;
    heap.push(node);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.timeMs < timeMs || (p.timeMs === timeMs && p.seq < seq)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = node;
    return seq;
  }

  peekTimeMs(): number | undefined {
    return this.heap[0]?.timeMs;
  }

  /** Removes and returns the earliest event, or undefined when empty. */
  pop(): Queued<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (top === undefined) return undefined;
    const last = heap.pop()!;
    const n = heap.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let cn = heap[l]!;
        if (r < n) {
          const rn = heap[r]!;
          if (rn.timeMs < cn.timeMs || (rn.timeMs === cn.timeMs && rn.seq < cn.seq)) {
            c = r;
            cn = rn;
          }
        }
        if (last.timeMs < cn.timeMs || (last.timeMs === cn.timeMs && last.seq < cn.seq)) break;
        heap[i] = cn;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}
