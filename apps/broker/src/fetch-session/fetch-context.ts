/**
 * What one Fetch means for the session cache (KIP-227), as Kafka's FetchManager decides it:
 * `openFetchContext` reads the request's SessionId and SessionEpoch and says which partitions to
 * read (a full fetch's own, or an incremental fetch's whole session after its additions, updates and
 * ForgottenTopicsData), and `closeFetchContext` takes what was read and says the response's
 * top-level error, SessionId and which partitions it carries: all of a full fetch's, and of an
 * incremental fetch only those with records, a changed high watermark or log start offset, a
 * preferred read replica or an error.
 *
 *   epoch -1            sessionless full fetch; a session it names is closed
 *   epoch 0             full fetch; a session it names is closed, a new one is made when there is room
 *   id n, epoch e > 0   incremental: FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH,
 *                       FETCH_SESSION_TOPIC_ID_ERROR (v13+ against a v7-v12 session or back)
 *
 * Owns those rules only. Plain functions over the cache: no reads, no clock, no authorization (the
 * handler checks ACLs on every partition of every fetch, session or not). Between open and close a
 * long poll may run; a second fetch of the same session in that time moves the epoch, and this one's
 * close then answers INVALID_FETCH_SESSION_EPOCH, as Kafka does.
 */
import { ErrorCode, type FetchRequest } from "@eddy/protocol";
import {
  type CachedPartition,
  epochFinal,
  epochInitial,
  type FetchSession,
  type FetchSessionCache,
  nextEpoch,
  sessionIdNone,
  topicKey,
} from "./fetch-session-cache.ts";

/** One partition to read, as a fetch request (or the session) names it. */
export interface PartitionWanted {
  /** The topic's name (v7-v12) or id (v13+). */
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly partitionMaxBytes: number;
  readonly currentLeaderEpoch: number;
  readonly lastFetchedEpoch: number;
  readonly logStartOffset: bigint;
}

/** What a read of one partition answered, as far as the session cares. */
export interface PartitionRead {
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  readonly recordBytes: number;
  /** -1 when none, as on the wire. */
  readonly preferredReadReplica: number;
  /** The answer carries a DivergingEpoch (KIP-320): always sent, so the fetcher truncates. */
  readonly divergingEpoch?: boolean;
}

export interface FetchRequestSession {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** The request's partitions, in request order. */
  readonly partitions: readonly PartitionWanted[];
  /** ForgottenTopicsData: the topic's name or id and the partitions to drop from the session. */
  readonly forgotten: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
  /** Fetch v13+: topics named by id. */
  readonly usesTopicIds: boolean;
  /** A follower's fetch: its session is privileged. */
  readonly privileged: boolean;
}

/**
 * What a Fetch request of `version` asks of the session layer: its partitions in request order and
 * its forgotten ones, named by topic id from v13 (by name before). Consumers and followers read
 * their requests with this one function.
 */
export function sessionRequestOf(
  request: FetchRequest,
  version: number,
  privileged: boolean,
): FetchRequestSession {
  const usesTopicIds = version >= 13;
  return {
    sessionId: request.sessionId,
    sessionEpoch: request.sessionEpoch,
    partitions: request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: usesTopicIds ? t.topicId : t.topic,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: p.lastFetchedEpoch,
        logStartOffset: p.logStartOffset,
      })),
    ),
    forgotten: request.forgottenTopicsData.map((f) => ({
      topic: usesTopicIds ? f.topicId : f.topic,
      partitions: f.partitions,
    })),
    usesTopicIds,
    privileged,
  };
}

export type FetchContext =
  /** The request is refused as a whole with `errorCode` and no partitions. */
  | { readonly kind: "error"; readonly errorCode: number }
  /** Read `partitions`, answer them all, make no session. */
  | { readonly kind: "sessionless"; readonly partitions: readonly PartitionWanted[] }
  /** Read `partitions`, answer them all, and cache a session of them if there is room. */
  | {
      readonly kind: "full";
      readonly partitions: readonly PartitionWanted[];
      readonly privileged: boolean;
      readonly usesTopicIds: boolean;
    }
  /** Read the session's partitions (in session order) and answer only what changed. */
  | {
      readonly kind: "incremental";
      readonly session: FetchSession;
      /** The session's epoch after this fetch; another fetch in between moves it and fails this one. */
      readonly epochAfter: number;
      readonly partitions: readonly PartitionWanted[];
    };

export interface FetchOutcome {
  readonly errorCode: number;
  readonly sessionId: number;
  /** For each read partition, in the context's order: whether the response carries it. */
  readonly included: readonly boolean[];
}

function cachedFrom(wanted: PartitionWanted): CachedPartition {
  return {
    key: topicKey(wanted.topic, wanted.partition),
    topic: wanted.topic,
    partition: wanted.partition,
    fetchOffset: wanted.fetchOffset,
    partitionMaxBytes: wanted.partitionMaxBytes,
    currentLeaderEpoch: wanted.currentLeaderEpoch,
    lastFetchedEpoch: wanted.lastFetchedEpoch,
    fetcherLogStartOffset: wanted.logStartOffset,
    highWatermark: -1n,
    logStartOffset: -1n,
  };
}

function wantedFrom(cached: CachedPartition): PartitionWanted {
  return {
    topic: cached.topic,
    partition: cached.partition,
    fetchOffset: cached.fetchOffset,
    partitionMaxBytes: cached.partitionMaxBytes,
    currentLeaderEpoch: cached.currentLeaderEpoch,
    lastFetchedEpoch: cached.lastFetchedEpoch,
    logStartOffset: cached.fetcherLogStartOffset,
  };
}

/**
 * Kafka's CachedPartition.maybeUpdateResponseData: whether an incremental response must carry this
 * partition, remembering what it tells the fetcher. An error sets the remembered high watermark to -1
 * so the partition is sent again once the error is gone.
 */
export function mustRespond(cached: CachedPartition, read: PartitionRead): boolean {
  let respond = read.recordBytes > 0 || read.preferredReadReplica >= 0;
  if (cached.highWatermark !== read.highWatermark) {
    respond = true;
    cached.highWatermark = read.highWatermark;
  }
  if (cached.logStartOffset !== read.logStartOffset) {
    respond = true;
    cached.logStartOffset = read.logStartOffset;
  }
  if (read.errorCode !== ErrorCode.NONE) {
    respond = true;
    cached.highWatermark = -1n;
  }
  if (read.divergingEpoch === true) respond = true;
  return respond;
}

/** Kafka's FetchManager.newContext. May change the cache: closes, touches and updates sessions. */
export function openFetchContext(
  cache: FetchSessionCache,
  request: FetchRequestSession,
  nowMs: number,
): FetchContext {
  const { sessionId, sessionEpoch } = request;
  if (sessionEpoch === epochInitial || sessionEpoch === epochFinal) {
    // Any session a full fetch names is closed, whatever comes next.
    if (sessionId !== sessionIdNone) cache.remove(sessionId);
    if (sessionEpoch === epochFinal) return { kind: "sessionless", partitions: request.partitions };
    return {
      kind: "full",
      partitions: request.partitions,
      privileged: request.privileged,
      usesTopicIds: request.usesTopicIds,
    };
  }
  const session = cache.get(sessionId);
  if (session === undefined) return { kind: "error", errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
  if (session.epoch !== sessionEpoch)
    return { kind: "error", errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
  if (session.usesTopicIds !== request.usesTopicIds)
    return { kind: "error", errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
  // Kafka's FetchSession.update: a named partition is added at the end or updated in place.
  for (const wanted of request.partitions) {
    const key = topicKey(wanted.topic, wanted.partition);
    const cached = session.partitions.get(key);
    if (cached === undefined) {
      session.partitions.set(key, cachedFrom(wanted));
    } else {
      cached.fetchOffset = wanted.fetchOffset;
      cached.partitionMaxBytes = wanted.partitionMaxBytes;
      cached.currentLeaderEpoch = wanted.currentLeaderEpoch;
      cached.lastFetchedEpoch = wanted.lastFetchedEpoch;
      cached.fetcherLogStartOffset = wanted.logStartOffset;
    }
  }
  for (const topic of request.forgotten) {
    for (const partition of topic.partitions) session.partitions.delete(topicKey(topic.topic, partition));
  }
  if (session.partitions.size === 0) {
    // Nothing left to follow: the session ends and this fetch is answered as a sessionless one.
    cache.remove(session.id);
    return { kind: "sessionless", partitions: request.partitions };
  }
  if (session.partitions.size > cache.settings.partitionsPerSessionMax) {
    // Grown past what one fetch may name: the fetcher must start again with a full fetch.
    cache.remove(session.id);
    return { kind: "error", errorCode: ErrorCode.INVALID_REQUEST };
  }
  cache.touch(session, nowMs);
  session.epoch = nextEpoch(session.epoch);
  return {
    kind: "incremental",
    session,
    epochAfter: session.epoch,
    partitions: [...session.partitions.values()].map(wantedFrom),
  };
}

/**
 * Kafka's updateAndGenerateResponseData: `reads` answers `context.partitions` one for one. A full
 * fetch caches its session here, once its partitions are read, so the session starts from what the
 * response told the fetcher.
 *
 * A read may be null: the partition has no answer in this response yet (a follower's fetch the
 * leader's replica still holds, `cluster/replica-fetch-server.ts`). It is left out of the response
 * and its cached state is untouched; in a full fetch it is cached with the high watermark unknown
 * (-1), so its first answer is always sent.
 */
export function closeFetchContext(
  cache: FetchSessionCache,
  context: FetchContext,
  reads: readonly (PartitionRead | null)[],
  nowMs: number,
): FetchOutcome {
  if (context.kind === "error")
    return { errorCode: context.errorCode, sessionId: sessionIdNone, included: [] };
  if (reads.length !== context.partitions.length)
    throw new Error(`fetch context read ${reads.length} partitions of ${context.partitions.length}`);
  const all = reads.map((read) => read !== null);
  if (context.kind === "sessionless")
    return { errorCode: ErrorCode.NONE, sessionId: sessionIdNone, included: all };
  if (context.kind === "full") {
    const partitions = new Map<string, CachedPartition>();
    for (const [i, wanted] of context.partitions.entries()) {
      const cached = cachedFrom(wanted);
      const read = reads[i];
      if (read !== null && read !== undefined) mustRespond(cached, read);
      // A partition named twice is cached as its last mention, as Kafka's request map keeps it.
      partitions.delete(cached.key);
      partitions.set(cached.key, cached);
    }
    const sessionId = cache.maybeCreate(nowMs, context.privileged, context.usesTopicIds, partitions);
    return { errorCode: ErrorCode.NONE, sessionId, included: all };
  }
  const { session } = context;
  if (session.epoch !== context.epochAfter) {
    return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, included: [] };
  }
  const included = context.partitions.map((wanted, i) => {
    const key = topicKey(wanted.topic, wanted.partition);
    const cached = session.partitions.get(key);
    if (cached === undefined)
      throw new Error(`fetch session ${session.id} lost ${key} between open and close`);
    const read = reads[i];
    if (read === null || read === undefined || !mustRespond(cached, read)) return false;
    // Answered partitions go to the back, so under a byte limit the others are read first next time.
    session.partitions.delete(key);
    session.partitions.set(key, cached);
    return true;
  });
  return { errorCode: ErrorCode.NONE, sessionId: session.id, included };
}
