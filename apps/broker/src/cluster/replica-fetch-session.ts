/**
 * The follower's end of a fetch session (KIP-227) with one leader broker, as Kafka's
 * FetchSessionHandler keeps it for its replica fetcher threads: the first request is full (epoch 0,
 * naming every partition); the leader answers it with a session id; later requests are incremental
 * (that id and the next epoch), naming only partitions added to the set or whose fetch state changed
 * (fetch offset, epochs, log start), and listing the ones that left it in ForgottenTopicsData. The
 * leader reads the whole session on every request and answers only partitions with something new.
 *
 *   after a full request answered with id n        next: id n, epoch 1
 *   after an incremental request answered          next: same id, epoch + 1 (wrapping to 1)
 *   FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, or the leader answered id 0
 *                                                  next: id 0, epoch 0 (a new session)
 *   any other error, a failed request, a response naming partitions it was not asked for,
 *   another incarnation of this follower           next: the old id, epoch 0 (close it, start anew)
 *
 * Owns: the session's id, epoch and partitions as the leader holds them. Plain data, no clock and no
 * I/O: the fetcher (`replica-fetcher.ts`) builds each request through `build` and reports its fate
 * through `onResponse` or `onFailure`. It must never build an incremental request whose partitions
 * differ from what the leader's session would hold after it, and never keep more than
 * `sessionPartitionsMax` partitions.
 */
import { ErrorCode } from "@eddy/protocol";

/** Partitions one session holds; more is a bug of the caller, which sends at most this many per request. */
export const sessionPartitionsMax = 10_000;
/** The session id of no session (a full request asking for one names it). */
const sessionIdNone = 0;
/** The epoch of a full request that asks for a new session. */
const epochInitial = 0;

/** One partition's fetch state, as a request names it; the session compares these to find changes. */
export interface SessionPartition {
  /** The topic's id as the wire carries it. */
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch: number;
  readonly lastFetchedEpoch: number;
  readonly logStartOffset: number;
}

/** The session fields of one request and which partitions it names. */
export interface SessionRequest {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** Full requests name every partition; incremental ones only the added and changed. */
  readonly full: boolean;
  /** Keys (`sessionPartitionKey`) of the partitions the request names, in the order given to `build`. */
  readonly toSend: readonly string[];
  /** Partitions the leader's session must drop (ForgottenTopicsData). */
  readonly toForget: readonly { readonly topicId: string; readonly partition: number }[];
  /**
   * The fetch state the leader reads for each partition of the session after this request: what an
   * answer to a partition answers. Kept by the request, so a later `build` does not change it.
   */
  readonly readState: ReadonlyMap<string, SessionPartition>;
}

export const sessionPartitionKey = (topicId: string, partition: number): string => `${topicId}:${partition}`;

/** Whether two fetches of a partition ask the leader for the same thing. */
export function sameFetchState(a: SessionPartition, b: SessionPartition): boolean {
  return (
    a.fetchOffset === b.fetchOffset &&
    a.currentLeaderEpoch === b.currentLeaderEpoch &&
    a.lastFetchedEpoch === b.lastFetchedEpoch &&
    a.logStartOffset === b.logStartOffset
  );
}

/** Kafka's FetchMetadata.nextEpoch for a session's epochs: up from 1, wrapping to 1. */
function nextIncrementalEpoch(epoch: number): number {
  return epoch >= 0x7fff_ffff ? 1 : epoch + 1;
}

export class ReplicaFetchSession {
  private sessionId = sessionIdNone;
  private epoch = epochInitial;
  /** The incarnation (broker epoch) of this follower the session was made for. */
  private incarnation: number | null = null;
  /** The session's partitions as the leader holds them once the last request is read. */
  private readonly partitions = new Map<string, SessionPartition>();
  /** Requests built and how many of them were incremental, for tests and logs. */
  fullCount = 0;
  incrementalCount = 0;

  /** The id and epoch the next request carries. */
  get next(): { readonly sessionId: number; readonly sessionEpoch: number } {
    return { sessionId: this.sessionId, sessionEpoch: this.epoch };
  }

  /**
   * The request for `wanted`, the partitions this follower fetches from the leader now (each at most
   * once). The session takes them as its partitions at once, as Kafka's handler does; a request that
   * then fails makes the next one full, so the two sides never disagree.
   */
  build(wanted: readonly SessionPartition[], incarnation: number): SessionRequest {
    if (wanted.length > sessionPartitionsMax)
      throw new RangeError(
        `a fetch session holds at most ${sessionPartitionsMax} partitions, got ${wanted.length}`,
      );
    if (this.incarnation !== null && this.incarnation !== incarnation) this.closeAndStartNew();
    this.incarnation = incarnation;
    const next = new Map<string, SessionPartition>();
    for (const p of wanted) {
      const key = sessionPartitionKey(p.topicId, p.partition);
      if (next.has(key)) throw new Error(`partition ${key} is fetched twice in one request`);
      next.set(key, p);
    }
    const full = this.epoch === epochInitial;
    const toSend: string[] = [];
    const toForget: { topicId: string; partition: number }[] = [];
    if (full) {
      toSend.push(...next.keys());
      this.fullCount++;
    } else {
      for (const [key, p] of next) {
        const held = this.partitions.get(key);
        if (held === undefined || !sameFetchState(held, p)) toSend.push(key);
      }
      for (const [key, p] of this.partitions) {
        if (!next.has(key)) toForget.push({ topicId: p.topicId, partition: p.partition });
      }
      this.incrementalCount++;
    }
    this.partitions.clear();
    for (const [key, p] of next) this.partitions.set(key, p);
    if (this.partitions.size !== next.size) throw new Error("fetch session lost a partition while building");
    return {
      sessionId: this.sessionId,
      sessionEpoch: this.epoch,
      full,
      toSend,
      toForget,
      readState: next,
    };
  }

  /**
   * The leader's answer to `request`: its top-level error, session id and the keys of the partitions
   * it carries. Returns whether the partitions may be used; false means the answer is dropped (its
   * partitions stay in flight) and the next request is full.
   */
  onResponse(
    request: SessionRequest,
    errorCode: number,
    sessionId: number,
    answered: Iterable<string>,
  ): boolean {
    if (request.sessionEpoch !== this.epoch || request.sessionId !== this.sessionId) {
      // A request built before a reset (its own failure, another incarnation): the session moved on.
      return false;
    }
    if (errorCode !== ErrorCode.NONE) {
      if (
        errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND ||
        errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH
      ) {
        this.startNew();
      } else {
        this.closeAndStartNew();
      }
      return false;
    }
    for (const key of answered) {
      if (!request.readState.has(key)) {
        // Kafka's verifyFullFetchResponsePartitions / verifyIncrementalFetchResponsePartitions.
        this.closeAndStartNew();
        return false;
      }
    }
    if (sessionId === sessionIdNone) {
      // No room for a session on the leader (or it closed ours): full requests until it has some.
      this.startNew();
    } else if (request.full) {
      this.sessionId = sessionId;
      this.epoch = nextIncrementalEpoch(epochInitial);
    } else {
      this.epoch = nextIncrementalEpoch(this.epoch);
    }
    return true;
  }

  /** The request got no answer (timeout, connection lost): the next one is full and closes the session. */
  onFailure(request: SessionRequest): void {
    if (request.sessionEpoch !== this.epoch || request.sessionId !== this.sessionId) return;
    this.closeAndStartNew();
  }

  /** Kafka's nextCloseExistingAttemptNew: a full request naming the old id, which the leader drops. */
  closeAndStartNew(): void {
    this.epoch = epochInitial;
    this.partitions.clear();
  }

  /** Kafka's FetchMetadata.INITIAL: a full request with no id. */
  private startNew(): void {
    this.sessionId = sessionIdNone;
    this.epoch = epochInitial;
    this.partitions.clear();
  }
}
