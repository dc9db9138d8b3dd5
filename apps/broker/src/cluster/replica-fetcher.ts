/**
 * The follower's side of replication over Kafka's Fetch, Kafka's replica fetcher in small: the core's
 * "fetch" messages of every partition following one leader broker go out together as one Fetch
 * request (`replica-fetch-wire.ts`, v16 with ReplicaState), at most one request in flight per leader,
 * over this node's peer connections (request/response with correlation ids and a timeout). Each
 * partition of the answer becomes the core's "fetchResponse" for the fetch this node had in flight
 * for it, whose fetchId and incarnation it takes (Kafka's wire carries neither).
 *
 * Requests to one leader share a fetch session (KIP-227, `replica-fetch-session.ts`): the first is
 * full, later ones incremental, naming only the partitions whose fetch state changed and forgetting
 * those no longer in flight to that leader. A partition the leader has not answered yet (its fetch is
 * parked there, or it had nothing new and the incremental answer left it out) stays in flight: it is
 * in the leader's session, which reads it again on every request, so it is named again only when its
 * state changes (a full request names it like every other). An answer is handed to the partition's
 * fetch in flight when that fetch asks for what the leader read (same offset, epochs and log start),
 * whichever of the replica's fetches it is. A partition whose replica sends a newer fetch (its own
 * timeout, or a new leader) is replaced, and moved when the leader changed. A session error makes the
 * next request full at once; a failed request makes it full after the backoff.
 *
 * Owns: the bounded table of partition fetches in flight per leader, the fetch session with each
 * leader and the request loop. Must never
 * have two requests in flight to one leader, never spin on a leader that is down (failed requests wait
 * `fetchBackoffMs`), and never hand a replica an answer to a fetch it did not send.
 */
import { ErrorCode, type FetchResponse } from "@eddy/protocol";
import {
  ReplicaFetchSession,
  type SessionPartition,
  type SessionRequest,
  sameFetchState,
  sessionPartitionKey,
  sessionPartitionsMax,
} from "./replica-fetch-session.ts";
import {
  type OutgoingFetch,
  type PeerFetch,
  type PeerFetchResponse,
  peerFetchResponseOf,
  replicaFetchRequest,
  replicaFetchWaitMs,
} from "./replica-fetch-wire.ts";

/** Partition fetches in flight to all leaders together; a replica's fetch beyond it is dropped (it retries). */
export const fetchesInFlightMax = 100_000;
/** Partitions named in one Fetch request (and held by its session); the rest wait for the next one. */
export const fetchPartitionsPerRequestMax = sessionPartitionsMax;
/**
 * After an answer, the longest the next Fetch to that leader waits for the replicas it answered to
 * fetch again. Most do so while the answer is delivered; one whose appends are durable only once
 * flushed (flush.messages=1) fetches again when the flush completes. Kafka's fetcher thread appends
 * before it builds the next request; waiting here does the same, so the session neither forgets such
 * a partition and names it again nor leaves its next fetch for the request after. A replica backing
 * off after an error is not waited for past this; it leaves the session until it fetches again.
 */
export const resendWaitMsMax = 50;
/** Kafka's replica.fetch.backoff.ms: the pause after a Fetch that failed or answered nothing at once. */
export const fetchBackoffMs = 200;
/** A Fetch request unanswered this long past its wait has failed (the leader holds one for at most its wait). */
const requestTimeoutSlackMs = 5_000;
/** A partition fetch in flight this long is dropped: its replica has timed it out and sent another. */
const fetchInFlightMsMax = 30_000;
/** Problems are logged at most this often. */
const problemLogIntervalMs = 5_000;

/** What the fetcher needs of its node. */
export interface ReplicaFetcherHost {
  /** Sends a Fetch to `leaderId` and resolves with its response (rejects when it got none). */
  request(
    leaderId: number,
    body: ReturnType<typeof replicaFetchRequest>,
    timeoutMs: number,
  ): Promise<FetchResponse>;
  /** The topic's id in this node's committed metadata. */
  topicId(topic: string): string | undefined;
  /** Hands the leader's answer to this node's replica of the partition. */
  deliver(message: PeerFetchResponse, records: Uint8Array): void;
  nowMs(): number;
  log(line: string): void;
}

interface InFlight {
  readonly out: OutgoingFetch;
  readonly sentMs: number;
}

interface LeaderState {
  /** By partition key, the fetch each partition has in flight to this leader. */
  readonly fetches: Map<string, InFlight>;
  requesting: boolean;
  scheduled: boolean;
  backoff: ReturnType<typeof setTimeout> | null;
  /**
   * Partitions answered in the last response whose replicas have not fetched again yet: at most the
   * partitions of one request (`fetchPartitionsPerRequestMax`), emptied before the next is sent.
   */
  readonly awaitingResend: Set<string>;
  /** Set while the next Fetch waits for them (at most `resendWaitMsMax`). */
  resendWait: ReturnType<typeof setTimeout> | null;
  /** The fetch session with this leader. */
  readonly session: ReplicaFetchSession;
}

/** One request in flight to a leader: its session fields and the fetches it was built from. */
interface SentRequest {
  readonly session: SessionRequest;
  /** The fetches in flight when it was built, by `sessionPartitionKey`. */
  readonly byKey: ReadonlyMap<string, InFlight>;
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function sessionPartitionOf(f: InFlight): SessionPartition {
  const m = f.out.message;
  return {
    topicId: f.out.topicId,
    partition: m.partition,
    fetchOffset: m.fetchOffset,
    currentLeaderEpoch: m.currentLeaderEpoch,
    lastFetchedEpoch: m.lastFetchedEpoch,
    logStartOffset: f.out.logStartOffset,
  };
}

export class ReplicaFetcher {
  private readonly leaders = new Map<number, LeaderState>();
  /** Which leader each partition's fetch is in flight to, so a change of leader moves it. */
  private readonly leaderOf = new Map<string, number>();
  private closed = false;
  private problemLoggedMs = Number.NEGATIVE_INFINITY;
  /** Requests sent and answers delivered, for tests and logs. */
  requestCount = 0;
  deliveredCount = 0;
  /** Session errors (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH) answered to this fetcher. */
  sessionResetCount = 0;

  constructor(private readonly host: ReplicaFetcherHost) {}

  /** A replica's fetch for `leaderId`: it goes out with the next Fetch to that leader. */
  send(leaderId: number, message: PeerFetch, logStartOffset: number): void {
    if (this.closed) return;
    const topicId = this.host.topicId(message.topic);
    if (topicId === undefined) {
      this.problem(`no topic id for ${message.topic} in this node's metadata; its fetch waits for the next`);
      return;
    }
    const key = partitionKey(message.topic, message.partition);
    const previous = this.leaderOf.get(key);
    if (previous !== undefined && previous !== leaderId) this.leaders.get(previous)?.fetches.delete(key);
    if (previous === undefined && this.leaderOf.size >= fetchesInFlightMax) {
      this.problem(
        `${fetchesInFlightMax} partition fetches in flight; ${message.topic}-${message.partition} waits`,
      );
      return;
    }
    this.leaderOf.set(key, leaderId);
    const leader = this.leaderState(leaderId);
    if (leader.awaitingResend.delete(key) && leader.awaitingResend.size === 0 && leader.resendWait !== null) {
      // Every answered replica has fetched again: the next Fetch goes now.
      clearTimeout(leader.resendWait);
      leader.resendWait = null;
    }
    leader.fetches.set(key, { out: { message, topicId, logStartOffset }, sentMs: this.host.nowMs() });
    this.schedule(leaderId, leader);
  }

  close(): void {
    this.closed = true;
    for (const leader of this.leaders.values()) {
      if (leader.backoff !== null) clearTimeout(leader.backoff);
      if (leader.resendWait !== null) clearTimeout(leader.resendWait);
    }
    this.leaders.clear();
    this.leaderOf.clear();
  }

  private leaderState(leaderId: number): LeaderState {
    let leader = this.leaders.get(leaderId);
    if (leader === undefined) {
      leader = {
        fetches: new Map(),
        requesting: false,
        scheduled: false,
        backoff: null,
        awaitingResend: new Set(),
        resendWait: null,
        session: new ReplicaFetchSession(),
      };
      this.leaders.set(leaderId, leader);
    }
    return leader;
  }

  /** Sends after the current work, so the fetches one step (or one answer) produces share a request. */
  private schedule(leaderId: number, leader: LeaderState): void {
    if (leader.requesting || leader.scheduled || leader.backoff !== null || leader.resendWait !== null)
      return;
    leader.scheduled = true;
    queueMicrotask(() => {
      leader.scheduled = false;
      this.pump(leaderId, leader);
    });
  }

  private pump(leaderId: number, leader: LeaderState): void {
    if (this.closed || leader.requesting || leader.backoff !== null || leader.resendWait !== null) return;
    const nowMs = this.host.nowMs();
    const batch: InFlight[] = [];
    for (const [key, f] of leader.fetches) {
      if (nowMs - f.sentMs > fetchInFlightMsMax) {
        leader.fetches.delete(key);
        this.leaderOf.delete(key);
        continue;
      }
      if (batch.length < fetchPartitionsPerRequestMax) batch.push(f);
    }
    if (batch.length === 0) return;
    // One incarnation per request: a replica reopened under a newer broker epoch goes in the next.
    const incarnation = batch[0]!.out.message.incarnation;
    const sent = batch.filter((f) => f.out.message.incarnation === incarnation);
    leader.requesting = true;
    this.requestCount++;
    const startedMs = nowMs;
    let body: ReturnType<typeof replicaFetchRequest>;
    let request: SentRequest;
    try {
      const byKey = new Map<string, InFlight>();
      for (const f of sent) byKey.set(sessionPartitionKey(f.out.topicId, f.out.message.partition), f);
      const session = leader.session.build(sent.map(sessionPartitionOf), incarnation);
      request = { session, byKey };
      body = replicaFetchRequest(
        session.toSend.map((key) => byKey.get(key)!.out),
        replicaFetchWaitMs,
        { sessionId: session.sessionId, sessionEpoch: session.sessionEpoch, forgotten: session.toForget },
        { replicaId: sent[0]!.out.message.replicaId, incarnation },
      );
    } catch (error) {
      leader.requesting = false;
      leader.session.closeAndStartNew();
      this.problem(`a Fetch to broker ${leaderId} was not built: ${(error as Error).message}`);
      this.backOff(leaderId, leader);
      return;
    }
    this.host.request(leaderId, body, replicaFetchWaitMs + requestTimeoutSlackMs).then(
      (response) => {
        leader.requesting = false;
        const outcome = this.onResponse(leaderId, leader, request, response);
        // Nothing answered at once (an error, or a leader that left every partition out) waits a
        // backoff, so a leader that cannot serve is not asked in a tight loop. A session the leader
        // no longer knows is not such a case: the next request is full, and goes at once.
        if (leader.awaitingResend.size > 0) this.waitForResends(leaderId, leader);
        else if (outcome === "sessionReset") this.schedule(leaderId, leader);
        else if (outcome === 0 && this.host.nowMs() - startedMs < replicaFetchWaitMs / 2)
          this.backOff(leaderId, leader);
        else this.schedule(leaderId, leader);
      },
      (error: unknown) => {
        leader.requesting = false;
        leader.session.onFailure(request.session);
        this.problem(`Fetch to broker ${leaderId} failed: ${(error as Error).message}`);
        this.backOff(leaderId, leader);
      },
    );
  }

  /**
   * Hands each answered partition to its replica; returns how many were answered, or "sessionReset"
   * when the leader refused the session (the next request is full).
   */
  private onResponse(
    leaderId: number,
    leader: LeaderState,
    request: SentRequest,
    response: FetchResponse,
  ): number | "sessionReset" {
    if (this.closed) return 0;
    const answeredKeys: string[] = [];
    for (const topic of response.responses) {
      for (const data of topic.partitions)
        answeredKeys.push(sessionPartitionKey(topic.topicId, data.partitionIndex));
    }
    const usable = leader.session.onResponse(
      request.session,
      response.errorCode,
      response.sessionId,
      answeredKeys,
    );
    if (
      response.errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND ||
      response.errorCode === ErrorCode.INVALID_FETCH_SESSION_EPOCH
    ) {
      this.sessionResetCount++;
      return "sessionReset";
    }
    if (response.errorCode !== ErrorCode.NONE) {
      this.problem(`Fetch to broker ${leaderId} answered error ${response.errorCode}`);
      return 0;
    }
    if (!usable) {
      this.problem(`broker ${leaderId} answered partitions it was not asked for; the next Fetch is full`);
      return 0;
    }
    let answered = 0;
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const wireKey = sessionPartitionKey(topic.topicId, data.partitionIndex);
        const asked = request.byKey.get(wireKey);
        const read = request.session.readState.get(wireKey);
        if (asked === undefined || read === undefined) continue;
        const key = partitionKey(asked.out.message.topic, asked.out.message.partition);
        // The fetch in flight now takes the answer when it asks for what the leader read; a replica
        // that moved on (another offset, epoch or leader) meanwhile waits for the answer to its own.
        const f = leader.fetches.get(key);
        if (f === undefined || f.out.topicId !== read.topicId || !sameFetchState(sessionPartitionOf(f), read))
          continue;
        leader.fetches.delete(key);
        this.leaderOf.delete(key);
        answered++;
        const mapped = peerFetchResponseOf(leaderId, f.out.message, data);
        if (typeof mapped === "string") {
          this.problem(`dropped broker ${leaderId}'s answer for ${key.replace("\u0000", "-")}: ${mapped}`);
          continue;
        }
        this.deliveredCount++;
        try {
          this.host.deliver(mapped.message, mapped.records);
          if (!leader.fetches.has(key)) leader.awaitingResend.add(key);
        } catch (error) {
          // A message the core refused (an invariant it breaks) is dropped; the node goes on.
          this.host.log(
            `cluster: broker ${leaderId}'s answer for ${mapped.message.topic}-${mapped.message.partition} was refused: ${(error as Error).message}`,
          );
        }
      }
    }
    return answered;
  }

  /** Holds the next Fetch until the answered replicas fetch again, or `resendWaitMsMax` passes. */
  private waitForResends(leaderId: number, leader: LeaderState): void {
    if (this.closed || leader.resendWait !== null) return;
    leader.resendWait = setTimeout(() => {
      leader.resendWait = null;
      // A replica that has not fetched again by now (backing off, or no longer following) is left
      // out of the next Fetch, and so forgotten by the session until it does.
      leader.awaitingResend.clear();
      this.schedule(leaderId, leader);
    }, resendWaitMsMax);
    (leader.resendWait as { unref?: () => void }).unref?.();
  }

  private backOff(leaderId: number, leader: LeaderState): void {
    if (this.closed || leader.backoff !== null) return;
    leader.backoff = setTimeout(() => {
      leader.backoff = null;
      this.schedule(leaderId, leader);
    }, fetchBackoffMs);
    // A stopping node does not wait for a fetch backoff to exit.
    (leader.backoff as { unref?: () => void }).unref?.();
  }

  private problem(line: string): void {
    const nowMs = this.host.nowMs();
    if (nowMs - this.problemLoggedMs < problemLogIntervalMs) return;
    this.problemLoggedMs = nowMs;
    this.host.log(`cluster: ${line}`);
  }
}
