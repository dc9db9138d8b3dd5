/**
 * The broker's cache of incremental fetch sessions (KIP-227), as Kafka's FetchSessionCache keeps it:
 * at most `slotsMax` sessions (`max.incremental.fetch.session.cache.slots`), each holding the
 * partitions a fetcher reads, their fetch parameters and what was last sent about them. When the cache
 * is full a new session may take the slot of a stale one (unused for `evictionMs`,
 * `min.incremental.fetch.session.eviction.ms`), else of the least valuable one: a follower's session
 * (privileged) may evict a consumer's, and any session may evict one that is older than `evictionMs`
 * and holds fewer partitions.
 *
 * Owns the sessions and their bookkeeping only. It is plain data and functions: the clock arrives as
 * `nowMs` arguments and session ids come from the `randomId` function it is given, so tests replay
 * it exactly. It must never read a log, a clock or a random source of its own.
 */

/** The session id that names no session: a sessionless fetch, or a full fetch that got none. */
export const sessionIdNone = 0;
/** The epoch of a full fetch that asks for a new session. */
export const epochInitial = 0;
/** The epoch of a full fetch that wants no session (and closes the one it names). */
export const epochFinal = -1;
/** Tries to draw an unused session id before giving up; with at most `slotsMax` used ids of 2^31 it never runs out. */
const sessionIdDrawsMax = 1000;

/** Kafka's FetchMetadata.nextEpoch: epochs count up from 1 and wrap to 1, never to 0 or below. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return epochFinal;
  if (epoch >= 0x7fff_ffff) return 1;
  return epoch + 1;
}

/** One partition of a session: what the fetcher last asked for and what the broker last told it. */
export interface CachedPartition {
  /** `topicKey(topic, partition)`: the map key in the session. */
  readonly key: string;
  /** The topic as the request names it: its name (Fetch v7-v12) or its id (v13+). */
  readonly topic: string;
  readonly partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  /** The fetcher's own log start offset (a follower's; -1 from a consumer). */
  fetcherLogStartOffset: bigint;
  /** The high watermark last sent to the fetcher; -1 after an error, so the partition is sent again once it mends. */
  highWatermark: bigint;
  /** The log start offset last sent to the fetcher. */
  logStartOffset: bigint;
}

export interface FetchSession {
  readonly id: number;
  /** A follower's session: it may evict consumers' sessions. */
  readonly privileged: boolean;
  /** Created by Fetch v13+, so its partitions are named by topic id; a fetch of the other kind is refused. */
  readonly usesTopicIds: boolean;
  readonly createdMs: number;
  lastUsedMs: number;
  /** The epoch the next incremental fetch must carry. */
  epoch: number;
  /** Its partitions in the order they are read: one answered with data moves to the end (fairness). */
  readonly partitions: Map<string, CachedPartition>;
}

export interface FetchSessionCacheSettings {
  /** `max.incremental.fetch.session.cache.slots`. */
  readonly slotsMax: number;
  /** `min.incremental.fetch.session.eviction.ms`. */
  readonly evictionMs: number;
  /** Partitions one session may hold; the request path refuses a session that would grow past it. */
  readonly partitionsPerSessionMax: number;
}

/** The key of a partition in a session: the topic as the request names it, then the index. */
export function topicKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Kafka's EvictableKey order: unprivileged before privileged, then fewer partitions, then lower id. */
function evictableBefore(
  a: { privileged: boolean; size: number; id: number },
  b: { privileged: boolean; size: number; id: number },
): boolean {
  if (a.privileged !== b.privileged) return !a.privileged;
  if (a.size !== b.size) return a.size < b.size;
  return a.id < b.id;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  /** Sessions removed to make room for another (Kafka's IncrementalFetchSessionEvictionsPerSec, as a total). */
  evictionCount = 0;

  constructor(
    readonly settings: FetchSessionCacheSettings,
    /** A uniformly drawn integer in [1, 2^31 - 1]; the cache retries one already in use. */
    private readonly randomId: () => number,
  ) {
    if (!(settings.slotsMax >= 0 && Number.isInteger(settings.slotsMax)))
      throw new RangeError(`slotsMax must be a whole number >= 0, got ${settings.slotsMax}`);
    if (!(settings.evictionMs >= 0))
      throw new RangeError(`evictionMs must be >= 0, got ${settings.evictionMs}`);
    if (!(settings.partitionsPerSessionMax >= 1))
      throw new RangeError(`partitionsPerSessionMax must be >= 1, got ${settings.partitionsPerSessionMax}`);
  }

  /** Sessions cached now (Kafka's NumIncrementalFetchSessions). */
  get size(): number {
    return this.sessions.size;
  }

  /** Partitions over all sessions (Kafka's NumIncrementalFetchPartitionsCached); at most slotsMax sessions are summed. */
  get partitionCount(): number {
    let count = 0;
    for (const session of this.sessions.values()) count += session.partitions.size;
    return count;
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  /** Removes a session; true when it was cached. */
  remove(id: number): boolean {
    return this.sessions.delete(id);
  }

  /** Marks a session used at `nowMs` (it is then the last to go stale). */
  touch(session: FetchSession, nowMs: number): void {
    if (nowMs > session.lastUsedMs) session.lastUsedMs = nowMs;
  }

  /**
   * Caches a new session holding `partitions` when there is a free slot or one can be evicted, and
   * answers its id; answers `sessionIdNone` when neither, or when there is nothing to cache.
   */
  maybeCreate(
    nowMs: number,
    privileged: boolean,
    usesTopicIds: boolean,
    partitions: Map<string, CachedPartition>,
  ): number {
    if (partitions.size === 0 || partitions.size > this.settings.partitionsPerSessionMax)
      return sessionIdNone;
    if (this.sessions.size >= this.settings.slotsMax && !this.tryEvict(privileged, partitions.size, nowMs))
      return sessionIdNone;
    const id = this.newSessionId();
    if (id === sessionIdNone) return sessionIdNone;
    this.sessions.set(id, {
      id,
      privileged,
      usesTopicIds,
      createdMs: nowMs,
      lastUsedMs: nowMs,
      epoch: nextEpoch(epochInitial),
      partitions,
    });
    if (this.sessions.size > this.settings.slotsMax) throw new Error("fetch session cache over its slots");
    return id;
  }

  /**
   * Kafka's tryEvict: the least recently used session goes if it is stale; otherwise the least
   * valuable session the newcomer may evict goes when the newcomer is worth at least as much. A
   * session may be evicted by any newcomer once it is older than `evictionMs`, and by a follower's
   * newcomer at any age when it is a consumer's. The scan is over at most `slotsMax` sessions and
   * happens only when the cache is full.
   */
  private tryEvict(privileged: boolean, size: number, nowMs: number): boolean {
    let oldest: FetchSession | undefined;
    for (const s of this.sessions.values()) {
      if (
        oldest === undefined ||
        s.lastUsedMs < oldest.lastUsedMs ||
        (s.lastUsedMs === oldest.lastUsedMs && s.id < oldest.id)
      )
        oldest = s;
    }
    if (oldest === undefined) return false;
    if (nowMs - oldest.lastUsedMs > this.settings.evictionMs) {
      this.evict(oldest.id);
      return true;
    }
    let cheapest: { privileged: boolean; size: number; id: number } | undefined;
    for (const s of this.sessions.values()) {
      const settled = nowMs - s.createdMs > this.settings.evictionMs;
      if (!(settled || (privileged && !s.privileged))) continue;
      const key = { privileged: s.privileged, size: s.partitions.size, id: s.id };
      if (cheapest === undefined || evictableBefore(key, cheapest)) cheapest = key;
    }
    // The newcomer's key has id 0, below every real id: an equal session is not evicted.
    if (cheapest === undefined || evictableBefore({ privileged, size, id: sessionIdNone }, cheapest))
      return false;
    this.evict(cheapest.id);
    return true;
  }

  private evict(id: number): void {
    if (!this.sessions.delete(id)) throw new Error(`evicting fetch session ${id}, which is not cached`);
    this.evictionCount++;
  }

  private newSessionId(): number {
    for (let draw = 0; draw < sessionIdDrawsMax; draw++) {
      const id = this.randomId();
      if (!Number.isInteger(id) || id < 1 || id > 0x7fff_ffff)
        throw new RangeError(`bad session id draw ${id}`);
      if (!this.sessions.has(id)) return id;
    }
    return sessionIdNone;
  }
}
