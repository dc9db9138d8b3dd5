/**
 * The storage model of one partition replica on one broker: a synchronous, in-simulator twin of the
 * memory engine's semantics. Appends are issued at once and complete after a disk delay; only completed
 * appends are durable, so a crash loses the in-flight suffix. A torn tail (a partially written last
 * batch) is cut by recovery, exactly like a lost suffix. A failed write or flush makes the broker
 * fail-stop (Kafka takes a log directory offline and halts with a single directory).
 *
 * Why not the Effect `LogStore` of @eddy/storage-memory: every append would run an Effect program
 * and allocate record-batch bytes, which costs far more than the simulated replication it stands for
 * and would keep the simulator well under its speed goal; the semantics the checkers depend on
 * (durable prefix, lost unflushed suffix, truncation, HW and epoch checkpoints) are the ones modelled here.
 */
import { invariant } from "@eddy/core";

export const batchesPerLogMax = 1_000_000;

/** One stored batch: offsets, the producer fields and the record values (one value per offset). */
export interface StoredBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly leaderEpoch: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly values: readonly number[];
}

export interface EpochEntryData {
  readonly epoch: number;
  readonly startOffset: number;
}

export class SimLog {
  /** Issued batches in offset order; those ending at or below `durableEnd` are durable. */
  batches: StoredBatch[] = [];
  /** First offset the log holds (records below it were deleted or never copied). */
  start = 0;
  /** End offset of the issued log. */
  end = 0;
  /** End offset of the completed (durable) log. */
  durableEnd = 0;
  /** In-flight appends: the end offset each completes to, in issue order. */
  inflight: number[] = [];
  /** The durable HW checkpoint, written lazily (Kafka: replica.high.watermark.checkpoint.interval.ms). */
  hwCheckpoint = 0;
  /** The latest HW the core asked to checkpoint, written at the next checkpoint flush. */
  hwPending = 0;
  epochCheckpoint: readonly EpochEntryData[] = [];

  /** Issues a write of `batch`; with `completes` false it joins the write issued next (one I/O). */
  append(batch: StoredBatch, completes = true): void {
    invariant(batch.baseOffset === this.end, () => `append at ${batch.baseOffset}, log ends at ${this.end}`);
    invariant(
      batch.values.length === batch.lastOffset - batch.baseOffset + 1,
      "batch values do not match its offsets",
    );
    invariant(this.batches.length < batchesPerLogMax, "log holds too many batches");
    this.batches.push(batch);
    this.end = batch.lastOffset + 1;
    if (completes) this.inflight.push(this.end);
  }

  /** Completes the oldest in-flight append; returns the new durable end. */
  completeOne(): number {
    const next = this.inflight.shift();
    invariant(next !== undefined, "no append in flight");
    this.durableEnd = Math.max(this.durableEnd, next);
    return this.durableEnd;
  }

  /** Removes every record at or above `offset`. */
  truncate(offset: number): void {
    invariant(offset >= 0, "negative truncation offset");
    while (this.batches.length > 0 && this.batches[this.batches.length - 1]!.baseOffset >= offset)
      this.batches.pop();
    const last = this.batches[this.batches.length - 1];
    if (last !== undefined && last.lastOffset >= offset) {
      // Kafka truncates inside a batch too; keep the records below the cut.
      const keep = offset - last.baseOffset;
      this.batches[this.batches.length - 1] = {
        ...last,
        lastOffset: offset - 1,
        values: last.values.slice(0, keep),
      };
    }
    this.end = Math.min(this.end, offset);
    this.durableEnd = Math.min(this.durableEnd, offset);
    this.inflight = this.inflight.filter((e) => e <= offset);
  }

  /** Records below `offset` may go; the log starts there (retention, DeleteRecords). */
  advanceStart(offset: number): void {
    invariant(
      offset >= this.start && offset <= this.end,
      () => `log start ${offset} outside [${this.start}, ${this.end}]`,
    );
    while (this.batches.length > 0 && this.batches[0]!.lastOffset < offset) this.batches.shift();
    this.start = offset;
  }

  /** Drops every record and restarts the empty log at `offset` (Kafka's truncateFullyAndStartAt). */
  truncateFullyAt(offset: number): void {
    invariant(offset >= 0, "negative log start");
    this.batches = [];
    this.inflight = [];
    this.start = offset;
    this.end = offset;
    this.durableEnd = offset;
  }

  /** A crash: everything not yet durable is gone (a torn tail is cut by recovery the same way). */
  crash(): void {
    this.truncate(this.durableEnd);
    this.inflight = [];
  }

  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const b = this.batches[mid]!;
      if (b.lastOffset < offset) lo = mid + 1;
      else if (b.baseOffset > offset) hi = mid - 1;
      else return mid;
    }
    return -1;
  }

  /** Whole durable batches overlapping [from, to). */
  readBatches(from: number, to: number, batchesMax: number): StoredBatch[] {
    const out: StoredBatch[] = [];
    const limit = Math.min(to, this.durableEnd);
    if (from >= limit) return out;
    let i = this.indexOf(from);
    while (i >= 0 && i < this.batches.length && out.length < batchesMax) {
      const b = this.batches[i]!;
      if (b.baseOffset >= limit) break;
      out.push(b);
      i++;
    }
    return out;
  }

  /** Values at [from, to), one per offset (-1 for an offset not held). */
  values(from: number, to: number): number[] {
    const out: number[] = [];
    if (from >= to) return out;
    let i = this.indexOf(from);
    for (let o = from; o < to; o++) {
      while (i >= 0 && i < this.batches.length && this.batches[i]!.lastOffset < o) i++;
      const b = i >= 0 ? this.batches[i] : undefined;
      out.push(b !== undefined && b.baseOffset <= o ? b.values[o - b.baseOffset]! : -1);
    }
    return out;
  }
}
