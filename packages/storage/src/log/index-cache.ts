/**
 * One byte bound on the in-memory index mirrors (`.index` and `.timeindex` columns) of the inactive
 * segments of every partition in an engine, as Kafka's lazily memory-mapped indexes cost page cache
 * rather than heap. It owns the accounting and the order of eviction: the segment whose mirrors were
 * used longest ago drops them first, and reloads them from its index files when a lookup next needs
 * them. It must never hold a segment whose index files are not durable (a crash could then lose the
 * only copy of a dropped mirror), nor an active segment (appends update its mirrors); the partition
 * log admits a segment only once both hold, and removes it before either stops holding.
 */
import { invariant } from "@eddy/core";

/**
 * Bytes of loaded inactive index mirrors kept across all partitions by default: 8 MiB holds the
 * indexes of about 4 GB of log at one entry per 4 KiB (20 bytes an entry), which covers consumers
 * reading back recent segments; older ones are reloaded from their files (page cache) per lookup.
 */
export const indexCacheBytesDefault = 8 * 1024 * 1024;
/**
 * Bytes counted for a loaded segment beyond its columns: the four typed-array objects and the two
 * index objects. It also bounds the entry count: a cache never holds more than `bytesMax / this`.
 */
export const indexMirrorOverheadBytes = 256;
/** Segments the cache holds at most whatever its bound; a cache with more is a bug. */
export const indexCacheEntriesMax = 1 << 22;

/** A segment whose index mirrors the cache may drop. */
export interface IndexCacheMember {
  /** Bytes its loaded mirrors hold (the columns' capacity plus `indexMirrorOverheadBytes`). */
  mirrorBytes(): number;
  /** Lets go of its mirrors; their index files are durable, so a lookup can reload them. */
  dropIndexes(): void;
}

export class IndexCache {
  /** Members in use order, least recent first (a Map keeps insertion order), with the bytes counted. */
  private readonly members = new Map<IndexCacheMember, number>();
  private heldBytes = 0;
  /** Mirrors dropped to stay within the bound since the cache was made (tests and benchmarks read it). */
  evictions = 0;
  /**
   * Segments admitted again after the cache had dropped their mirrors, i.e. mirrors reloaded from
   * their index files since the cache was made (tests and the simulator read it).
   */
  reloads = 0;
  /**
   * Members whose mirrors the cache dropped and that were not admitted since. Weak, so it needs no
   * bound of its own: it keeps no segment alive, and a closed or deleted segment leaves with its object.
   */
  private readonly dropped = new WeakSet<IndexCacheMember>();

  constructor(readonly bytesMax: number) {
    invariant(Number.isSafeInteger(bytesMax) && bytesMax >= 0, () => `index cache ${bytesMax} bytes`);
  }

  /** Bytes of the loaded mirrors the cache holds now; never above `bytesMax` between calls. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Segments whose mirrors the cache holds. */
  get size(): number {
    return this.members.size;
  }

  has(member: IndexCacheMember): boolean {
    return this.members.has(member);
  }

  /**
   * Counts a segment's loaded mirrors as used most recently, then drops the mirrors used longest ago
   * until the bound holds. A segment larger than the whole bound is dropped at once: its caller holds
   * the columns it loaded for the lookup it is doing, and the next lookup reloads them.
   */
  admit(member: IndexCacheMember): void {
    this.remove(member);
    if (this.dropped.delete(member)) this.reloads += 1;
    const bytes = member.mirrorBytes();
    invariant(bytes > 0, "a loaded mirror counts its bytes");
    invariant(
      this.members.size < indexCacheEntriesMax,
      () => `more than ${indexCacheEntriesMax} cached indexes`,
    );
    this.members.set(member, bytes);
    this.heldBytes += bytes;
    for (const [oldest, oldestBytes] of this.members) {
      if (this.heldBytes <= this.bytesMax) break;
      this.members.delete(oldest);
      this.heldBytes -= oldestBytes;
      this.evictions += 1;
      this.dropped.add(oldest);
      oldest.dropIndexes();
    }
    invariant(
      this.heldBytes <= this.bytesMax,
      () => `index cache holds ${this.heldBytes} > ${this.bytesMax}`,
    );
  }

  /** Marks a held segment as used most recently; a segment the cache does not hold is left alone. */
  touch(member: IndexCacheMember): void {
    const bytes = this.members.get(member);
    if (bytes === undefined) return;
    this.members.delete(member);
    this.members.set(member, bytes);
  }

  /**
   * Stops counting a segment without dropping its mirrors: it is becoming active again (a truncation),
   * or it is being deleted or closed.
   */
  remove(member: IndexCacheMember): void {
    const bytes = this.members.get(member);
    if (bytes === undefined) return;
    this.members.delete(member);
    this.heldBytes -= bytes;
    invariant(this.heldBytes >= 0, "index cache bytes stay non-negative");
  }
}
