/**
 * One byte budget shared by the hot tails of every partition in an engine. It owns only the
 * accounting and the order of eviction: when the total goes over the budget, the batch appended
 * longest ago, in whichever partition, leaves memory first (its partition then reads it from the
 * log files). It must never hold a batch that its partition has already dropped.
 */
import { invariant } from "@eddy/core";

/** One cached batch, as a partition's tail and this budget both see it. */
export interface TailEntry {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly segmentBase: number;
  /** The batch; emptied when the entry is dropped, so a dropped entry still queued pins nothing. */
  bytes: Uint8Array;
  /**
   * Bytes the entry keeps in memory and counts against the budgets: its whole buffer when `bytes` is
   * a view into a larger one (the request frame it arrived in), else the batch's length (the default).
   */
  readonly heldBytes?: number | undefined;
  /** The partition holding it, told to drop it when the budget evicts it. */
  readonly owner: TailOwner;
  /** False once the partition dropped it (evicted, truncated, cleared or closed). */
  live: boolean;
}

export interface TailOwner {
  /** Drops `entry`, which is the oldest batch of this partition's tail. */
  evictOldest(entry: TailEntry): void;
}

/** Entries awaiting eviction, live or not; a budget with more is a bug (each partition caps its count). */
export const tailBudgetEntriesMax = 1 << 26;

export class TailBudget {
  /** Entries in append order; those before `head` are gone, dead ones are skipped lazily. */
  private queue: Array<TailEntry> = [];
  private head = 0;
  private deadCount = 0;
  /** Bytes of live entries. */
  private liveBytes = 0;

  constructor(readonly bytesMax: number) {
    invariant(Number.isSafeInteger(bytesMax) && bytesMax >= 0, () => `tail budget ${bytesMax} bytes`);
  }

  get bytes(): number {
    return this.liveBytes;
  }

  /**
   * Bytes of the buffers the queued entries keep reachable, live or dropped (each distinct
   * ArrayBuffer once): what the cache really costs in memory, which must stay within `bytesMax` as
   * `bytes` does. It walks every entry, so it is for tests and diagnostics, not for the append path.
   */
  retainedBufferBytes(): number {
    const seen = new Set<ArrayBufferLike>();
    let total = 0;
    for (let i = this.head; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      if (seen.has(entry.bytes.buffer)) continue;
      seen.add(entry.bytes.buffer);
      total += entry.bytes.buffer.byteLength;
    }
    return total;
  }

  /** Counts a newly cached entry, then evicts the oldest entries anywhere until the total fits. */
  add(entry: TailEntry): void {
    invariant(entry.live, "tail budget: a new entry is live");
    invariant(this.queue.length - this.head < tailBudgetEntriesMax, "tail budget entry count");
    this.queue.push(entry);
    this.liveBytes += tailEntryHeldBytes(entry);
    while (this.liveBytes > this.bytesMax && this.head < this.queue.length) {
      const oldest = this.queue[this.head]!;
      this.head += 1;
      if (!oldest.live) {
        this.deadCount -= 1;
        continue;
      }
      // The owner drops it through `release`, which keeps the byte count.
      oldest.owner.evictOldest(oldest);
      invariant(!oldest.live, "tail budget: the owner dropped the evicted entry");
    }
    this.compact();
  }

  /** Uncounts an entry its partition dropped; it leaves the queue when eviction reaches it. */
  release(entry: TailEntry): void {
    if (!entry.live) return;
    this.liveBytes -= tailEntryHeldBytes(entry);
    tailEntryDrop(entry);
    this.deadCount += 1;
    invariant(this.liveBytes >= 0, "tail budget bytes stay non-negative");
    this.compact();
  }

  private compact(): void {
    const held = this.queue.length - this.head;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    // Dead entries from partitions that drop their own batches would otherwise pile up unevicted.
    if (this.deadCount > 1024 && this.deadCount * 2 > held) {
      this.queue = this.queue.slice(this.head).filter((e) => e.live);
      this.head = 0;
      this.deadCount = 0;
    }
  }
}

const noBytes = new Uint8Array(0);

/** What a live entry counts against the budgets (see `TailEntry.heldBytes`). */
export function tailEntryHeldBytes(entry: TailEntry): number {
  return entry.heldBytes ?? entry.bytes.length;
}

/**
 * Marks an entry dropped and lets go of its bytes. Dropped entries wait in the budget's queue (and in
 * their partition's array) until eviction or compaction passes them; holding their bytes there kept
 * up to as much again as the budget reachable, so the memory was about twice the bound.
 */
export function tailEntryDrop(entry: TailEntry): void {
  entry.live = false;
  entry.bytes = noBytes;
}
