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
  // The heap is held as three parallel arrays (time, sequence, item) rather than one object per
  // event: a push allocates nothing beyond the item itself.
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private seqNext = 0;
  /** Time and sequence number of the event `popItem` returned last. */
  poppedTimeMs = 0;
  poppedSeq = 0;

  get size(): number {
    return this.times.length;
  }

  /** Schedules `item` at `timeMs`; returns its sequence number. */
  push(timeMs: number, item: T): number {
    invariant(Number.isFinite(timeMs) && timeMs >= 0, "EventQueue.push: bad time");
    const times = this.times;
    invariant(times.length < queueEventsMax, "EventQueue.push: queue full");
    const seqs = this.seqs;
    const items = this.items;
    const seq = this.seqNext++;
    let i = times.length;
    times.push(timeMs);
    seqs.push(seq);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < timeMs || (pt === timeMs && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    times[i] = timeMs;
    seqs[i] = seq;
    items[i] = item;
    return seq;
  }

  /**
   * Calls `visit` with each queued item and its time, in heap order (not time order), at most
   * `countMax` of them; for read-only views of what is pending. It must not push or pop meanwhile.
   */
  forEachQueued(countMax: number, visit: (timeMs: number, item: T) => void): void {
    const n = Math.min(this.times.length, countMax);
    for (let i = 0; i < n; i++) visit(this.times[i]!, this.items[i]!);
  }

  peekTimeMs(): number | undefined {
    return this.times.length > 0 ? this.times[0] : undefined;
  }

  /** Removes and returns the earliest event, or undefined when empty. */
  pop(): Queued<T> | undefined {
    if (this.times.length === 0) return undefined;
    const item = this.popItem();
    return { timeMs: this.poppedTimeMs, seq: this.poppedSeq, item };
  }

  /**
   * Removes the earliest event and returns its item; its time and sequence number are left in
   * `poppedTimeMs` and `poppedSeq`. The queue must not be empty.
   */
  popItem(): T {
    const times = this.times;
    const seqs = this.seqs;
    const items = this.items;
    const n = times.length - 1;
    invariant(n >= 0, "EventQueue.popItem: empty queue");
    const top = items[0]!;
    this.poppedTimeMs = times[0]!;
    this.poppedSeq = seqs[0]!;
    const lastTime = times.pop()!;
    const lastSeq = seqs.pop()!;
    const lastItem = items.pop()!;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        let ct = times[l]!;
        let cs = seqs[l]!;
        if (r < n) {
          const rt = times[r]!;
          const rs = seqs[r]!;
          if (rt < ct || (rt === ct && rs < cs)) {
            c = r;
            ct = rt;
            cs = rs;
          }
        }
        if (lastTime < ct || (lastTime === ct && lastSeq < cs)) break;
        times[i] = ct;
        seqs[i] = cs;
        items[i] = items[c]!;
        i = c;
      }
      times[i] = lastTime;
      seqs[i] = lastSeq;
      items[i] = lastItem;
    }
    return top;
  }
}
