/**
 * The naive model of a partition log that both engines are compared with: plain arrays of
 * segments holding arrays of batches, no indexes, no files, every rule written the obvious way.
 * It owns nothing but a reference behaviour; it must never share code with the engines (that
 * would make the comparison prove nothing), so the few Kafka rules are restated here.
 */
import type { LogConfig } from "../port/log-config.ts";
import type { ReadResult, RetentionResult, SegmentInfo, TimestampMatch } from "../port/log-store.ts";

export interface ModelBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestampMs: number;
  readonly bytes: Uint8Array;
}

interface ModelSegment {
  readonly baseOffset: number;
  batches: Array<ModelBatch>;
}

const size = (s: ModelSegment) => s.batches.reduce((n, b) => n + b.bytes.length, 0);
const maxTs = (s: ModelSegment) => s.batches.reduce((m, b) => Math.max(m, b.maxTimestampMs), -1);

/** What an operation expects: a value or a NotFound failure. */
export type Expect<A> =
  | { readonly ok: true; readonly value: A }
  | { readonly ok: false; readonly reason: "NotFound" };

const ok = <A>(value: A): Expect<A> => ({ ok: true, value });
const notFound: Expect<never> = { ok: false, reason: "NotFound" };

export class LogModel {
  segments: Array<ModelSegment> = [{ baseOffset: 0, batches: [] }];
  logStart = 0;
  logEnd = 0;
  checkpoint: number | null = null;

  constructor(readonly config: LogConfig) {}

  private active(): ModelSegment {
    return this.segments[this.segments.length - 1]!;
  }

  append(batches: ReadonlyArray<ModelBatch>, nowMs: number): void {
    const total = batches.reduce((n, b) => n + b.bytes.length, 0);
    const appendMaxTs = batches.reduce((m, b) => Math.max(m, b.maxTimestampMs), -1);
    const active = this.active();
    if (active.batches.length > 0) {
      const first = active.batches[0]!;
      const waited = first.maxTimestampMs >= 0 ? appendMaxTs - first.maxTimestampMs : nowMs;
      if (
        size(active) > this.config.segmentBytesMax - total ||
        waited > this.config.rollMs ||
        this.indexFull(active)
      ) {
        this.segments.push({ baseOffset: this.logEnd, batches: [] });
      }
    }
    this.active().batches.push(...batches);
    this.logEnd = batches[batches.length - 1]!.lastOffset + 1;
  }

  /**
   * Whether the active segment's index files are full, replaying Kafka's sparse-index rule over its
   * batches: an offset entry once more than `indexIntervalBytes` were written since the last one,
   * and a time entry beside it when the largest timestamp grew.
   */
  private indexFull(segment: ModelSegment): boolean {
    let since = 0;
    let offsetEntries = 0;
    let timeEntries = 0;
    let maxSoFar = -1;
    let lastTimeEntry = -1;
    for (const b of segment.batches) {
      maxSoFar = Math.max(maxSoFar, b.maxTimestampMs);
      if (since > this.config.indexIntervalBytes) {
        offsetEntries += 1;
        if (maxSoFar >= 0 && maxSoFar > lastTimeEntry) {
          timeEntries += 1;
          lastTimeEntry = maxSoFar;
        }
        since = 0;
      }
      since += b.bytes.length;
    }
    return (
      offsetEntries >= Math.floor(this.config.indexBytesMax / 8) ||
      timeEntries >= Math.floor(this.config.indexBytesMax / 12)
    );
  }

  roll(): void {
    if (this.active().batches.length > 0) this.segments.push({ baseOffset: this.logEnd, batches: [] });
  }

  read(
    fetchOffset: number,
    maxBytes: number,
    maxOffsetExclusive: number,
    minOneBatch: boolean,
  ): Expect<ReadResult> {
    if (fetchOffset < this.logStart || fetchOffset > this.logEnd) return notFound;
    const limit = Math.min(maxOffsetExclusive, this.logEnd);
    const picked: Array<ModelBatch> = [];
    const segment = this.segments.find((s) => s.batches.some((b) => b.lastOffset >= fetchOffset));
    if (segment !== undefined && fetchOffset < limit) {
      let bytes = 0;
      for (const b of segment.batches) {
        if (b.lastOffset < fetchOffset) continue;
        if (b.lastOffset >= limit) break;
        if (bytes + b.bytes.length > maxBytes && !(picked.length === 0 && minOneBatch)) break;
        picked.push(b);
        bytes += b.bytes.length;
        if (bytes >= maxBytes) break;
      }
    }
    const records = new Uint8Array(picked.reduce((n, b) => n + b.bytes.length, 0));
    let at = 0;
    for (const b of picked) {
      records.set(b.bytes, at);
      at += b.bytes.length;
    }
    return ok({
      records,
      batchCount: picked.length,
      nextOffset: picked.length === 0 ? fetchOffset : picked[picked.length - 1]!.lastOffset + 1,
      logStartOffset: this.logStart,
      logEndOffset: this.logEnd,
    });
  }

  offsetForTimestamp(timestampMs: number): TimestampMatch | null {
    for (const s of this.segments) {
      for (const b of s.batches) {
        if (b.maxTimestampMs >= timestampMs && b.lastOffset >= this.logStart) {
          return { baseOffset: b.baseOffset, lastOffset: b.lastOffset, maxTimestampMs: b.maxTimestampMs };
        }
      }
    }
    return null;
  }

  truncateTo(offset: number): Expect<void> {
    if (offset >= this.logEnd) return ok(undefined);
    if (offset < this.segments[0]!.baseOffset) return notFound;
    while (this.segments.length > 1 && this.active().baseOffset > offset) this.segments.pop();
    const active = this.active();
    active.batches = active.batches.filter((b) => b.lastOffset < offset);
    const last = active.batches[active.batches.length - 1];
    this.logEnd = last === undefined ? active.baseOffset : last.lastOffset + 1;
    this.logStart = Math.min(this.logStart, this.logEnd);
    return ok(undefined);
  }

  truncateFullyAndStartAt(offset: number): void {
    this.segments = [{ baseOffset: offset, batches: [] }];
    this.logStart = offset;
    this.logEnd = offset;
    this.checkpoint = offset;
  }

  advanceLogStart(offset: number): Expect<void> {
    if (offset > this.logEnd) return notFound;
    if (offset <= this.logStart) return ok(undefined);
    this.logStart = offset;
    this.checkpoint = offset;
    while (this.segments.length > 1 && this.segments[1]!.baseOffset <= this.logStart) this.segments.shift();
    return ok(undefined);
  }

  applyRetention(nowMs: number, offsetLimit: number): RetentionResult {
    const limit = Math.min(offsetLimit, this.logEnd);
    let excess = this.config.retentionBytesMax >= 0 ? this.totalBytes() - this.config.retentionBytesMax : 0;
    let count = 0;
    for (; count < this.segments.length; count++) {
      const s = this.segments[count]!;
      const upper = count + 1 < this.segments.length ? this.segments[count + 1]!.baseOffset : this.logEnd;
      if (upper > limit || s.batches.length === 0) break;
      const belowStart = upper <= this.logStart && count + 1 < this.segments.length;
      const old = this.config.retentionMs >= 0 && maxTs(s) >= 0 && nowMs - maxTs(s) > this.config.retentionMs;
      const big = this.config.retentionBytesMax >= 0 && excess - size(s) >= 0;
      if (!(belowStart || old || big)) break;
      excess -= size(s);
    }
    if (count === this.segments.length && count > 0) this.roll();
    const deleted = this.segments.splice(0, count);
    this.logStart = Math.max(this.logStart, this.segments[0]!.baseOffset);
    return {
      deletedSegmentCount: deleted.length,
      deletedBytes: deleted.reduce((n, s) => n + size(s), 0),
      logStartOffset: this.logStart,
    };
  }

  /** What a clean restart recovers: the log end is where the last batch ends. */
  restart(): void {
    const active = this.active();
    const last = active.batches[active.batches.length - 1];
    this.logEnd = last === undefined ? active.baseOffset : last.lastOffset + 1;
    this.logStart = Math.min(Math.max(this.checkpoint ?? 0, this.segments[0]!.baseOffset), this.logEnd);
  }

  /**
   * What a crash that recovered the log up to `recoveredEnd` leaves: the batches below it, in the
   * segments that start at or below it, then the usual restart rules.
   */
  crash(recoveredEnd: number): void {
    const kept = this.segments.filter((s, i) => i === 0 || s.baseOffset <= recoveredEnd);
    for (const s of kept) s.batches = s.batches.filter((b) => b.lastOffset < recoveredEnd);
    this.segments = kept;
    this.restart();
  }

  /** Whether `offset` is where a batch of the log ends or a segment starts (a place a crash may cut). */
  isBoundary(offset: number): boolean {
    return this.segments.some(
      (s) => s.baseOffset === offset || s.batches.some((b) => b.lastOffset + 1 === offset),
    );
  }

  totalBytes(): number {
    return this.segments.reduce((n, s) => n + size(s), 0);
  }

  segmentInfos(): ReadonlyArray<Pick<SegmentInfo, "baseOffset" | "sizeBytes" | "maxTimestampMs" | "active">> {
    return this.segments.map((s, i) => ({
      baseOffset: s.baseOffset,
      sizeBytes: size(s),
      maxTimestampMs: maxTs(s),
      active: i === this.segments.length - 1,
    }));
  }

  /** Every stored batch, oldest first. */
  batches(): ReadonlyArray<ModelBatch> {
    return this.segments.flatMap((s) => s.batches);
  }
}
