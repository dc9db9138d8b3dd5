/**
 * One byte budget shared by the hot tails of every partition in an engine. It owns the accounting,
 * the order of eviction (when memory goes over the budget, the batch appended longest ago, in
 * whichever partition, leaves first and its partition then reads it from the log files) and the
 * memory small batches are kept in. It must never hold a batch that its partition has already
 * dropped, and never hand out a view of its slabs that outlives the batch in them.
 *
 * Why slabs: a garbage-collected runtime promotes every cached batch to the old generation (it lives
 * for seconds), and evicting it then makes old-generation garbage that only a full collection frees,
 * which the runtime starts when the heap has doubled. Kept as one buffer per batch, a 268 MB cache
 * therefore grew the process by about as much again in dead batches (issue 15). Small batches are
 * instead copied into slabs of `tailSlabBytesMax`, and a slab whose batches have all been evicted is
 * reused for the next ones: the cache's memory is allocated once and stays within the budget. A reader
 * gets a copy of a slab's bytes (see `tailEntryReadable`), because the slab will be overwritten.
 *
 * Large batches (more than a quarter of a slab: a 1 MiB record) are not cached: the produce path copies
 * them once (issue 15's large-values rule), and the server reuses the request buffer they came in.
 */
import { invariant } from "@eddy/core";

/** A buffer small batches are packed into, reused once all of them have been dropped. */
export interface TailSlab {
  readonly buffer: Uint8Array;
  /** Bytes placed so far; the next batch goes here. */
  used: number;
  /** Live entries in it. */
  live: number;
}

/** One cached batch, as a partition's tail and this budget both see it. */
export interface TailEntry {
  baseOffset: number;
  lastOffset: number;
  segmentBase: number;
  /**
   * The batch in its own buffer (an entry made by a caller, or by a log without a budget); empty for a
   * batch in a slab, and emptied when the entry is dropped, so a dropped entry still queued pins nothing.
   */
  bytes: Uint8Array;
  /**
   * The slab holding a small batch, at `slabAt` for `slabLength` bytes; the slab is overwritten once the
   * entry is dropped. Kept as numbers, not a view: a view per cached batch is a long-lived object that
   * becomes old-generation garbage when the batch is evicted, which is what slabs are there to avoid.
   */
  slab?: TailSlab | undefined;
  slabAt?: number;
  slabLength?: number;
  /** The partition holding it, told to drop it when the budget evicts it. */
  owner: TailOwner;
  /** False once the partition dropped it (evicted, truncated, cleared or closed). */
  live: boolean;
  /**
   * Made by `admit`, so the budget reuses the object once neither the budget nor the partition can
   * reach it (see `TailBudget.recycle`); entries made by callers are never reused.
   */
  pooled?: boolean;
}

export interface TailOwner {
  /** Drops `entry`, which is the oldest batch of this partition's tail. */
  evictOldest(entry: TailEntry): void;
}

/** What a partition says of a batch it caches; the budget adds the bytes. */
export interface TailBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly segmentBase: number;
  readonly owner: TailOwner;
}

/** Dropped entry objects kept for reuse. */
export const tailEntryPoolMax = 1 << 16;

/** Entries awaiting eviction, live or not; a budget with more is a bug (each partition caps its count). */
export const tailBudgetEntriesMax = 1 << 26;
/**
 * The largest slab. A megabyte holds 64 of Kafka's default 16 KiB batches, so the end of a slab
 * wastes little, and evicting a whole slab's oldest batches frees at most a sixteenth of the default
 * 16 MiB budget at once.
 */
export const tailSlabBytesMax = 1 << 20;

export class TailBudget {
  /** Entries in append order; those before `head` are gone, dead ones are skipped lazily. */
  private queue: Array<TailEntry> = [];
  private head = 0;
  private deadCount = 0;
  /** Bytes held: the slabs in use plus the live entries that keep their own buffer. */
  private heldBytes = 0;
  /** Bytes of the live batches themselves. */
  private liveBatchBytes = 0;
  /** The slab small batches go to now; it counts as held while it is current. */
  private current: TailSlab | null = null;
  /**
   * Emptied slabs kept for the next batches, counted as held: a partition dropping its own oldest
   * batches (its own bound, a truncation) empties slabs outside an eviction, and letting those go to
   * the collector would make the old-generation garbage the slabs are there to avoid.
   */
  private spares: Array<TailSlab> = [];
  /** A slab's size: `tailSlabBytesMax`, or the whole budget when that is smaller. */
  readonly slabBytes: number;
  /** Batches up to this size are packed into slabs; larger ones keep their own buffer. */
  readonly slabBatchBytesMax: number;
  /**
   * Entry objects the queue has passed, for reuse: an object per cached batch lives long enough to
   * be promoted, and dropping it then is old-generation garbage, as a buffer per batch was.
   */
  private pool: Array<TailEntry> = [];
  /** Slabs allocated since the budget was made: what reuse saves is allocations (tests read it). */
  slabsAllocated = 0;
  /** Live batches the budget evicted to make room since it was made (tests and the simulator read it). */
  evictions = 0;
  /**
   * Of `evictions`, the batches of another owner than the one whose batch needed the room: what
   * sharing one budget among partitions costs them (tests and the simulator read it).
   */
  evictionsAcrossOwners = 0;

  constructor(readonly bytesMax: number) {
    invariant(Number.isSafeInteger(bytesMax) && bytesMax >= 0, () => `tail budget ${bytesMax} bytes`);
    this.slabBytes = Math.min(tailSlabBytesMax, bytesMax);
    this.slabBatchBytesMax = Math.floor(this.slabBytes / 4);
  }

  /** Bytes of memory the cache holds: slabs in use and batches kept in their own buffers. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Bytes of the batches cached now (at most `bytes`: slabs have room left, and dropped batches' space). */
  get batchBytes(): number {
    return this.liveBatchBytes;
  }

  /**
   * Bytes of the buffers the queued entries keep reachable, live or dropped (each distinct
   * ArrayBuffer once), plus the current and spare slabs: what the cache really costs in memory, which must stay
   * within `bytesMax` as `bytes` does. It walks every entry, so it is for tests and diagnostics, not
   * for the append path.
   */
  retainedBufferBytes(): number {
    const seen = new Set<ArrayBufferLike>();
    let total = 0;
    const count = (bytes: Uint8Array): void => {
      if (bytes.length === 0 || seen.has(bytes.buffer)) return;
      seen.add(bytes.buffer);
      total += bytes.buffer.byteLength;
    };
    for (let i = this.head; i < this.queue.length; i++) {
      const entry = this.queue[i]!;
      count(entry.slab === undefined ? entry.bytes : entry.slab.buffer);
    }
    if (this.current !== null) count(this.current.buffer);
    for (const spare of this.spares) count(spare.buffer);
    return total;
  }

  /**
   * Caches `batch` for `of` by copying it into a slab, evicting the oldest entries anywhere until a
   * slab has room, then queues the entry and returns it; null when the batch is not cached (larger than
   * `slabBatchBytesMax`, or no slab can be freed), and the caller must then not cache it either.
   */
  admit(of: TailBatch, batch: Uint8Array): TailEntry | null {
    // A large batch is not cached: copying it into a slab would be a second copy on the way in (the
    // request frame holding it was the first), and keeping the request's buffer would stop the server
    // from reusing it. Consumers read it from the segment file, as Kafka serves every fetch.
    if (batch.length > this.slabBatchBytesMax || batch.length === 0) return null;
    const slab = this.slabWithRoom(batch.length, of.owner);
    if (slab === null) return null;
    const at = slab.used;
    slab.buffer.set(batch, at);
    slab.used += batch.length;
    slab.live += 1;
    const entry = this.entryFor(of, slab, at, batch.length);
    this.enqueue(entry);
    return entry;
  }

  /** Counts an entry the caller made (its own buffer), then evicts the oldest entries until it fits. */
  add(entry: TailEntry): void {
    invariant(entry.live && entry.slab === undefined, "tail budget: a new entry is live and unslabbed");
    this.enqueue(entry);
    this.heldBytes += tailEntryLength(entry);
    this.evictWhile(() => this.heldBytes > this.bytesMax, entry.owner);
  }

  /** Uncounts an entry its partition dropped; it leaves the queue when eviction reaches it. */
  release(entry: TailEntry): void {
    if (!entry.live) return;
    const slab = entry.slab;
    const length = tailEntryLength(entry);
    this.liveBatchBytes -= length;
    tailEntryDrop(entry);
    if (slab !== undefined) {
      slab.live -= 1;
      invariant(slab.live >= 0, "tail budget: a slab's live count stays non-negative");
      if (slab.live === 0 && slab !== this.current) this.spares.push(slab);
    } else {
      this.heldBytes -= length;
    }
    this.deadCount += 1;
    invariant(this.heldBytes >= 0, "tail budget bytes stay non-negative");
    this.compact();
  }

  /**
   * The current slab if `bytes` fit in it, else a fresh one: the current slab again when nothing in
   * it is live, a spare, one freed by evicting the oldest entries, or a new one while the budget has
   * room. Null when the budget cannot free a slab's worth.
   */
  private slabWithRoom(bytes: number, owner: TailOwner): TailSlab | null {
    const current = this.current;
    if (current !== null && current.used + bytes <= current.buffer.length) return current;
    if (current !== null && current.live === 0) {
      current.used = 0;
      return current;
    }
    // The full slab stays held while its batches are live; it becomes a spare when the last goes.
    this.current = null;
    if (this.spares.length === 0) {
      this.evictWhile(
        () => this.spares.length === 0 && this.heldBytes + this.slabBytes > this.bytesMax,
        owner,
      );
    }
    let slab = this.spares.pop();
    if (slab === undefined) {
      if (this.heldBytes + this.slabBytes > this.bytesMax) return null;
      slab = this.newSlab();
      this.heldBytes += slab.buffer.length;
    }
    invariant(slab.live === 0, "tail budget: a reused slab holds no live batch");
    slab.used = 0;
    this.current = slab;
    return slab;
  }

  /** A live entry for `of` at `slabAt` in `slab`, reusing a pooled object when there is one. */
  private entryFor(of: TailBatch, slab: TailSlab, slabAt: number, slabLength: number): TailEntry {
    const reused = this.pool.pop();
    if (reused === undefined) {
      return {
        baseOffset: of.baseOffset,
        lastOffset: of.lastOffset,
        segmentBase: of.segmentBase,
        bytes: noBytes,
        slab,
        slabAt,
        slabLength,
        owner: of.owner,
        live: true,
        pooled: true,
      };
    }
    invariant(!reused.live, "tail budget: a pooled entry is dropped");
    reused.baseOffset = of.baseOffset;
    reused.lastOffset = of.lastOffset;
    reused.segmentBase = of.segmentBase;
    reused.slab = slab;
    reused.slabAt = slabAt;
    reused.slabLength = slabLength;
    reused.owner = of.owner;
    reused.live = true;
    return reused;
  }

  /**
   * Keeps a dropped entry the queue has just passed for reuse. By then its partition has dropped it
   * too (a partition drops an entry before or while the budget passes it: `release`, `evictOldest`)
   * and never reads a dropped entry again, so nothing can see the object change.
   */
  private recycle(entry: TailEntry): void {
    if (entry.pooled === true && this.pool.length < tailEntryPoolMax) this.pool.push(entry);
  }

  private newSlab(): TailSlab {
    this.slabsAllocated += 1;
    return { buffer: new Uint8Array(this.slabBytes), used: 0, live: 0 };
  }

  private enqueue(entry: TailEntry): void {
    invariant(this.queue.length - this.head < tailBudgetEntriesMax, "tail budget entry count");
    this.queue.push(entry);
    this.liveBatchBytes += tailEntryLength(entry);
  }

  /**
   * Evicts the oldest queued entries while `over()` holds, telling each owner to drop its entry;
   * `forOwner` is the owner whose batch needs the room (counted in `evictionsAcrossOwners`).
   */
  private evictWhile(over: () => boolean, forOwner: TailOwner): void {
    while (over()) {
      // Memory holding no batch goes before any batch does: spares, then an empty slab being filled.
      const spare = this.spares.pop();
      if (spare !== undefined) {
        this.heldBytes -= spare.buffer.length;
        continue;
      }
      const current = this.current;
      if (current !== null && current.live === 0) {
        this.current = null;
        this.heldBytes -= current.buffer.length;
        continue;
      }
      if (this.head >= this.queue.length) break;
      const oldest = this.queue[this.head]!;
      this.head += 1;
      if (!oldest.live) {
        this.deadCount -= 1;
        this.recycle(oldest);
        continue;
      }
      // The owner drops it through `release`, which keeps the byte count and counts it as a dead
      // entry still queued; it has left the queue, so that count is taken back first.
      this.deadCount -= 1;
      this.evictions += 1;
      if (oldest.owner !== forOwner) this.evictionsAcrossOwners += 1;
      oldest.owner.evictOldest(oldest);
      invariant(!oldest.live, "tail budget: the owner dropped the evicted entry");
      this.recycle(oldest);
    }
  }

  private compact(): void {
    const held = this.queue.length - this.head;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    // Dead entries from partitions that drop their own batches would otherwise pile up unevicted.
    if (this.deadCount > 1024 && this.deadCount * 2 > held) {
      const kept: Array<TailEntry> = [];
      for (let i = this.head; i < this.queue.length; i++) {
        const entry = this.queue[i]!;
        if (entry.live) kept.push(entry);
        else this.recycle(entry);
      }
      this.queue = kept;
      this.head = 0;
      this.deadCount = 0;
    }
  }
}

const noBytes = new Uint8Array(0);

/** The batch's length in bytes (0 once dropped). */
export function tailEntryLength(entry: TailEntry): number {
  return entry.slab === undefined ? entry.bytes.length : entry.slabLength!;
}

/**
 * The bytes of a cached batch for a reader to keep: a copy when the batch sits in a slab (which is
 * overwritten once the batch is evicted, perhaps while a response holding it waits to be written),
 * the batch's own buffer otherwise.
 */
export function tailEntryReadable(entry: TailEntry): Uint8Array {
  const slab = entry.slab;
  return slab === undefined
    ? entry.bytes
    : slab.buffer.slice(entry.slabAt!, entry.slabAt! + entry.slabLength!);
}

/** Copies a cached batch into `target` at `at`; returns its length. */
export function tailEntryCopyInto(entry: TailEntry, target: Uint8Array, at: number): number {
  const slab = entry.slab;
  if (slab === undefined) {
    target.set(entry.bytes, at);
    return entry.bytes.length;
  }
  const from = entry.slabAt!;
  const length = entry.slabLength!;
  target.set(slab.buffer.subarray(from, from + length), at);
  return length;
}

/**
 * Marks an entry dropped and lets go of its bytes. Dropped entries wait in the budget's queue (and in
 * their partition's array) until eviction or compaction passes them; holding their bytes there kept
 * up to as much again as the budget reachable, so the memory was about twice the bound.
 */
export function tailEntryDrop(entry: TailEntry): void {
  entry.live = false;
  entry.bytes = noBytes;
  entry.slab = undefined;
}
