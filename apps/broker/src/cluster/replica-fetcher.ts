/**
 * The follower's side of replication over Kafka's Fetch, Kafka's replica fetcher in small: the core's
 * "fetch" messages of every partition following one leader broker go out together as one Fetch
 * request (`replica-fetch-wire.ts`, v16 with ReplicaState), at most one request in flight per leader,
 * over this node's peer connections (request/response with correlation ids and a timeout). Each
 * partition of the answer becomes the core's "fetchResponse" for the fetch this node had in flight
 * for it, whose fetchId and incarnation it takes (Kafka's wire carries neither).
 *
 * A partition the leader has not answered yet (its fetch is parked there) stays in flight and is named
 * again in the next request to that leader, which the leader recognises as the same fetch
 * (`replica-fetch-server.ts`). A partition whose replica sends a newer fetch (its own timeout, or a
 * new leader) is replaced, and moved when the leader changed.
 *
 * Owns: the bounded table of partition fetches in flight per leader and the request loop. Must never
 * have two requests in flight to one leader, never spin on a leader that is down (failed requests wait
 * `fetchBackoffMs`), and never hand a replica an answer to a fetch it did not send.
 */
import { ErrorCode, type FetchResponse } from "@eddy/protocol";
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
/** Partitions named in one Fetch request; the rest wait for the next one. */
export const fetchPartitionsPerRequestMax = 10_000;
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
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class ReplicaFetcher {
  private readonly leaders = new Map<number, LeaderState>();
  /** Which leader each partition's fetch is in flight to, so a change of leader moves it. */
  private readonly leaderOf = new Map<string, number>();
  private closed = false;
  private problemLoggedMs = Number.NEGATIVE_INFINITY;
  /** Requests sent and answers delivered, for tests and logs. */
  requestCount = 0;
  deliveredCount = 0;

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
    leader.fetches.set(key, { out: { message, topicId, logStartOffset }, sentMs: this.host.nowMs() });
    this.schedule(leaderId, leader);
  }

  close(): void {
    this.closed = true;
    for (const leader of this.leaders.values()) if (leader.backoff !== null) clearTimeout(leader.backoff);
    this.leaders.clear();
    this.leaderOf.clear();
  }

  private leaderState(leaderId: number): LeaderState {
    let leader = this.leaders.get(leaderId);
    if (leader === undefined) {
      leader = { fetches: new Map(), requesting: false, scheduled: false, backoff: null };
      this.leaders.set(leaderId, leader);
    }
    return leader;
  }

  /** Sends after the current work, so the fetches one step (or one answer) produces share a request. */
  private schedule(leaderId: number, leader: LeaderState): void {
    if (leader.requesting || leader.scheduled || leader.backoff !== null) return;
    leader.scheduled = true;
    queueMicrotask(() => {
      leader.scheduled = false;
      this.pump(leaderId, leader);
    });
  }

  private pump(leaderId: number, leader: LeaderState): void {
    if (this.closed || leader.requesting || leader.backoff !== null) return;
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
    try {
      body = replicaFetchRequest(sent.map((f) => f.out));
    } catch (error) {
      leader.requesting = false;
      this.problem(`a Fetch to broker ${leaderId} was not built: ${(error as Error).message}`);
      this.backOff(leaderId, leader);
      return;
    }
    this.host.request(leaderId, body, replicaFetchWaitMs + requestTimeoutSlackMs).then(
      (response) => {
        leader.requesting = false;
        const answered = this.onResponse(leaderId, leader, sent, response);
        // Nothing answered at once (an error, or a leader that left every partition out) waits a
        // backoff, so a leader that cannot serve is not asked in a tight loop.
        if (answered === 0 && this.host.nowMs() - startedMs < replicaFetchWaitMs / 2)
          this.backOff(leaderId, leader);
        else this.schedule(leaderId, leader);
      },
      (error: unknown) => {
        leader.requesting = false;
        this.problem(`Fetch to broker ${leaderId} failed: ${(error as Error).message}`);
        this.backOff(leaderId, leader);
      },
    );
  }

  /** Hands each answered partition to its replica; returns how many were answered. */
  private onResponse(
    leaderId: number,
    leader: LeaderState,
    sent: readonly InFlight[],
    response: FetchResponse,
  ): number {
    if (this.closed) return 0;
    if (response.errorCode !== ErrorCode.NONE) {
      this.problem(`Fetch to broker ${leaderId} answered error ${response.errorCode}`);
      return 0;
    }
    const byTopicPartition = new Map<string, InFlight>();
    for (const f of sent) byTopicPartition.set(`${f.out.topicId}:${f.out.message.partition}`, f);
    let answered = 0;
    for (const topic of response.responses) {
      for (const data of topic.partitions) {
        const f = byTopicPartition.get(`${topic.topicId}:${data.partitionIndex}`);
        if (f === undefined) {
          this.problem(
            `broker ${leaderId} answered ${topic.topicId}-${data.partitionIndex}, which was not asked`,
          );
          continue;
        }
        const key = partitionKey(f.out.message.topic, f.out.message.partition);
        // Only the fetch still in flight is answered: a replica that sent a newer one meanwhile waits for its own.
        if (leader.fetches.get(key) !== f) continue;
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
