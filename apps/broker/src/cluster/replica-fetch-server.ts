/**
 * The leader's side of replication over Kafka's Fetch: a follower's Fetch (ReplicaState.ReplicaId
 * >= 0) is checked partition by partition, each partition handed to this node's replica as the
 * core's "fetch" message, and answered with the core's "fetchResponse" mapped back to Kafka's fields
 * (`replica-fetch-wire.ts`).
 *
 * The core answers a fetch when it has something (at once) or parks it until its log or high
 * watermark moves or `replica.fetch.wait.max.ms` passes. One Fetch carries every partition a follower
 * has a fetch for at that moment, as Kafka's replica fetcher sends it, so the request is answered as
 * soon as one of its partitions is: waiting for every parked partition would hold a busy partition's
 * records behind an idle one's wait. A partition still parked then stays outstanding here, and its
 * answer, when the core gives it, is kept for the follower's next Fetch, which names the partition
 * again with the same offset and epochs (the follower keeps it in flight); that Fetch takes the kept
 * answer, or waits for it, instead of asking the core a second time. Kafka's wire has no fetch id, so
 * this side numbers the fetches it hands the core; the follower matches answers to its own.
 *
 * A follower's Fetch goes through the node's fetch session cache (KIP-227), the consumers' cache,
 * as a privileged session (Kafka caches a replica's session with the privileged flag, so it may evict
 * a consumer's): a full request (epoch 0) gets a session id when there is room; an incremental one
 * (`fetch-session/fetch-context.ts`) reads every partition of the session, named or not, and the
 * answer carries only those with records, a new high watermark or log start, a diverging epoch or an
 * error. A partition still parked, or answered with nothing new, is left out; the follower keeps its
 * fetch in flight. Without a session cache (`serve`'s third argument) every request is sessionless.
 *
 * Owns: the bounded table of outstanding partition fetches, the non-replica check, and the waiting of
 * one Fetch request. Must never hold a request past its wait (plus `answerSlackMs`), never answer a
 * partition with another fetch's answer, and never hand the core a fetch from a broker that is not a
 * replica of the partition in this node's committed metadata.
 */
import type { controller } from "@eddy/core";
import {
  ErrorCode,
  type FetchRequest,
  type FetchResponseInput,
  type FetchResponsePartitionDataInput,
  uuidZero,
} from "@eddy/protocol";
import {
  closeFetchContext,
  type FetchContext,
  openFetchContext,
  type PartitionRead,
  type PartitionWanted,
  sessionRequestOf,
} from "../fetch-session/fetch-context.ts";
import type { NodeFetchSessions } from "../fetch-session/fetch-sessions.ts";
import {
  fetchReplicaEpoch,
  fetchReplicaId,
  type PeerFetch,
  type PeerFetchResponse,
  peerFetchOf,
  refusedPartition,
  responsePartitionOf,
  wireTopicId,
} from "./replica-fetch-wire.ts";

/** Partition fetches outstanding on this leader, all followers together; more are left unanswered. */
export const outstandingFetchesMax = 100_000;
/** The longest a follower's Fetch is held, whatever it asks (Kafka's replica.fetch.wait.max.ms is 500). */
export const replicaFetchWaitMsMax = 30_000;
/** Partitions one follower's Fetch may name; more is refused as an invalid request. */
export const replicaFetchPartitionsMax = 100_000;
/**
 * Time past the request's wait given to the core, whose parked fetches expire at the same moment, so
 * an expiring one is answered in this request rather than kept for the next.
 */
const answerSlackMs = 50;
/**
 * An unanswered outstanding fetch older than this is not waited on again but replaced by a new one:
 * the core holds a fetch for at most its replica.fetch.wait.max.ms, so it was dropped (an offline
 * replica answers nothing).
 */
const repollMsMax = 5_000;
/** An outstanding fetch nobody asked for again in this long is forgotten (its follower moved on). */
const outstandingMsMax = 60_000;
/** Non-replica refusals are logged at most this often. */
const refusalLogIntervalMs = 5_000;

/** What the server needs of its node. */
export interface ReplicaFetchHost {
  /** The committed image this node acts on. */
  image(): controller.MetadataImage;
  /** This node's replica of a partition, if it hosts one. */
  replica(
    topic: string,
    partition: number,
  ): { onPeerMessage(message: PeerFetch, records: Uint8Array): void } | undefined;
  nowMs(): number;
  log(line: string): void;
}

interface Outstanding {
  readonly follower: number;
  readonly topic: string;
  readonly partition: number;
  /** The fetch as handed to the core; its fetchId is this server's number. */
  readonly fetch: PeerFetch;
  readonly createdMs: number;
  answer: { readonly message: PeerFetchResponse; readonly records: Uint8Array } | null;
  /** The request waiting for this answer, woken when it comes. */
  wake: (() => void) | null;
}

/** What an answer tells a fetch session about its partition. */
function readOf(
  errorCode: number,
  highWatermark: bigint,
  logStartOffset: bigint,
  recordBytes: number,
  divergingEpoch: boolean,
): PartitionRead {
  return { errorCode, highWatermark, logStartOffset, recordBytes, preferredReadReplica: -1, divergingEpoch };
}

const outstandingKey = (follower: number, topic: string, partition: number): string =>
  `${follower}\u0000${topic}\u0000${partition}`;

/** Topics by their wire id (`wireTopicId`), worked out once per image. */
const namesById = new WeakMap<controller.MetadataImage, Map<string, controller.TopicImage>>();

export function topicById(
  image: controller.MetadataImage,
  topicId: string,
): controller.TopicImage | undefined {
  let byId = namesById.get(image);
  if (byId === undefined) {
    byId = new Map();
    for (const topic of Object.values(image.topics)) {
      const wireId = wireTopicId(topic.topicId);
      if (wireId !== null) byId.set(wireId, topic);
    }
    namesById.set(image, byId);
  }
  return byId.get(topicId);
}

export class ReplicaFetchServer {
  private readonly outstanding = new Map<string, Outstanding>();
  /** Fetch ids handed to the core: they only grow, so the core never takes a new fetch for a stale one. */
  private fetchIdNext = 1;
  private refusalLoggedMs = Number.NEGATIVE_INFINITY;
  private prunedMs = 0;

  constructor(private readonly host: ReplicaFetchHost) {}

  /** Outstanding partition fetches (for tests and metrics). */
  get outstandingCount(): number {
    return this.outstanding.size;
  }

  /**
   * Answers one follower's Fetch (`version` 15+ names it in ReplicaState, older ones in ReplicaId),
   * through `sessions` when given (Fetch v7+).
   */
  async serve(
    request: FetchRequest,
    version: number,
    sessions?: NodeFetchSessions,
  ): Promise<FetchResponseInput> {
    const follower = fetchReplicaId(request, version);
    if (follower < 0) throw new Error("ReplicaFetchServer.serve is for replica fetches only");
    const incarnation = Math.max(0, fetchReplicaEpoch(request, version));
    const partitionCount = request.topics.reduce((n, t) => n + t.partitions.length, 0);
    if (partitionCount > replicaFetchPartitionsMax) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, sessionId: 0, responses: [] };
    }
    this.prune();
    const asked = sessionRequestOf(request, version, true);
    const usesTopicIds = asked.usesTopicIds;
    // Sessions (KIP-227): which partitions this fetch reads, after its session's changes.
    const context: FetchContext =
      sessions === undefined || version < 7
        ? { kind: "sessionless", partitions: asked.partitions }
        : openFetchContext(sessions.cache, asked, this.host.nowMs());
    if (context.kind === "error") {
      return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: 0, responses: [] };
    }
    if (context.kind === "incremental" && sessions !== undefined) sessions.incrementalFetchCount++;
    const image = this.host.image();
    const waitMs = Math.min(Math.max(request.maxWaitMs, 0), replicaFetchWaitMsMax);
    // Each partition, in the context's order: refused at once, or the outstanding fetch that answers it.
    const slots: {
      topicIndex: number;
      refused: FetchResponsePartitionDataInput | null;
      entry: Outstanding | null;
    }[] = [];
    const topics: { topic: string; topicId: string }[] = [];
    const topicIndexes = new Map<string, number>();
    for (const p of context.partitions) {
      const topic = usesTopicIds ? topicById(image, p.topic) : image.topics[p.topic];
      let topicIndex = topicIndexes.get(p.topic);
      if (topicIndex === undefined) {
        topicIndex = topics.length;
        topicIndexes.set(p.topic, topicIndex);
        topics.push(
          usesTopicIds
            ? { topic: topic?.name ?? "", topicId: p.topic }
            : { topic: p.topic, topicId: uuidZero },
        );
      }
      if (topic === undefined) {
        const code = usesTopicIds ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        slots.push({ topicIndex, refused: refusedPartition(p.partition, code), entry: null });
        continue;
      }
      const assignment = topic.partitions.find((a) => a.partition === p.partition);
      if (assignment === undefined) {
        slots.push({
          topicIndex,
          refused: refusedPartition(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
          entry: null,
        });
        continue;
      }
      // Kafka's Partition.fetchRecords: a fetch from a broker that is not an assigned replica is
      // refused before it touches the follower state ("Received fetch request from non-replica").
      if (!assignment.replicas.includes(follower)) {
        this.logRefusal(
          `replica fetch from broker ${follower} for ${topic.name}-${p.partition} refused: it is not a replica (replicas ${assignment.replicas.join(",")})`,
        );
        slots.push({
          topicIndex,
          refused: refusedPartition(p.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER),
          entry: null,
        });
        continue;
      }
      const replica = this.host.replica(topic.name, p.partition);
      if (replica === undefined) {
        slots.push({
          topicIndex,
          refused: refusedPartition(p.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER),
          entry: null,
        });
        continue;
      }
      const entry = this.outstandingFor(follower, incarnation, topic.name, p, replica);
      slots.push({ topicIndex, refused: null, entry });
    }
    const answered = () =>
      slots.some((s) => s.refused !== null || (s.entry !== null && s.entry.answer !== null));
    if (!answered() && waitMs > 0) await this.waitForAny(slots, waitMs + answerSlackMs);
    // What each partition answers now, for the session: null while it has no answer to give.
    const reads: (PartitionRead | null)[] = [];
    // The response's MaxBytes, as Kafka's leader keeps it (the first partition with records may
    // exceed it, KIP-74): answers past it stay here for the follower's next Fetch.
    const responseBytesMax = request.maxBytes > 0 ? request.maxBytes : 0x7fff_ffff;
    let responseBytes = 0;
    for (const slot of slots) {
      if (slot.refused !== null) {
        reads.push(readOf(slot.refused.errorCode ?? ErrorCode.NONE, -1n, -1n, 0, false));
        continue;
      }
      const entry = slot.entry;
      const answer = entry?.answer ?? null;
      if (entry === null || answer === null) {
        if (entry !== null) entry.wake = null;
        reads.push(null);
        continue;
      }
      const recordBytes = answer.records.length;
      if (responseBytes > 0 && responseBytes + recordBytes > responseBytesMax) {
        // Over the response's bytes: left out of this answer and kept for the follower's next Fetch.
        entry.wake = null;
        reads.push(null);
        continue;
      }
      responseBytes += recordBytes;
      const m = answer.message;
      reads.push(
        readOf(
          m.errorCode,
          BigInt(m.highWatermark),
          BigInt(m.logStartOffset),
          recordBytes,
          m.divergingEpoch !== null,
        ),
      );
    }
    const outcome =
      sessions === undefined
        ? { errorCode: ErrorCode.NONE, sessionId: 0, included: reads.map((r) => r !== null) }
        : closeFetchContext(sessions.cache, context, reads, this.host.nowMs());
    if (outcome.errorCode !== ErrorCode.NONE) {
      // Overtaken by another fetch of the session while this one waited: answers stay for the next.
      return { throttleTimeMs: 0, errorCode: outcome.errorCode, sessionId: 0, responses: [] };
    }
    const partitionsByTopic: FetchResponsePartitionDataInput[][] = topics.map(() => []);
    for (const [i, slot] of slots.entries()) {
      if (reads[i] === null) continue;
      if (slot.refused !== null) {
        if (outcome.included[i] === true) partitionsByTopic[slot.topicIndex]!.push(slot.refused);
        continue;
      }
      const entry = slot.entry!;
      const answer = entry.answer!;
      // The answer is used up whether it is sent or not: one with nothing new is not news later either,
      // and the next Fetch hands the core a new fetch for the partition.
      const key = outstandingKey(entry.follower, entry.topic, entry.partition);
      if (this.outstanding.get(key) === entry) this.outstanding.delete(key);
      if (outcome.included[i] !== true) continue;
      partitionsByTopic[slot.topicIndex]!.push(
        responsePartitionOf(answer.message, answer.records, this.knownLeader(entry)),
      );
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId: outcome.sessionId,
      responses: topics
        .map((t, i) => ({ topic: t.topic, topicId: t.topicId, partitions: partitionsByTopic[i]! }))
        .filter((t) => t.partitions.length > 0),
    };
  }

  /**
   * The core's answer to a fetch this server handed it (called from the replica's `sendPeer`).
   * Returns false when no outstanding fetch matches it: a fetch replaced by a newer one, or forgotten.
   */
  answer(to: number, message: PeerFetchResponse, records: Uint8Array): boolean {
    const entry = this.outstanding.get(outstandingKey(to, message.topic, message.partition));
    if (entry === undefined || entry.fetch.fetchId !== message.fetchId || entry.answer !== null) return false;
    if (entry.fetch.incarnation !== message.incarnation) return false;
    entry.answer = { message, records };
    const wake = entry.wake;
    entry.wake = null;
    wake?.();
    return true;
  }

  /**
   * The outstanding fetch for this partition: the one already handed to the core when the follower
   * asks again for the same offset with the same epochs (it is re-polling a parked fetch), or a new
   * one handed to the core now, replacing any other.
   */
  private outstandingFor(
    follower: number,
    incarnation: number,
    topic: string,
    p: PartitionWanted,
    replica: { onPeerMessage(message: PeerFetch, records: Uint8Array): void },
  ): Outstanding | null {
    const key = outstandingKey(follower, topic, p.partition);
    const current = this.outstanding.get(key);
    if (
      current !== undefined &&
      (current.answer !== null || this.host.nowMs() - current.createdMs <= repollMsMax) &&
      current.fetch.incarnation === incarnation &&
      current.fetch.fetchOffset === Number(p.fetchOffset) &&
      current.fetch.currentLeaderEpoch === p.currentLeaderEpoch &&
      current.fetch.lastFetchedEpoch === p.lastFetchedEpoch
    ) {
      return current;
    }
    if (current === undefined && this.outstanding.size >= outstandingFetchesMax) {
      this.logRefusal(
        `replica fetch from broker ${follower} for ${topic}-${p.partition} left unanswered: ${outstandingFetchesMax} fetches outstanding`,
      );
      return null;
    }
    const fetchId = this.fetchIdNext;
    this.fetchIdNext = fetchId + 1;
    const entry: Outstanding = {
      follower,
      topic,
      partition: p.partition,
      fetch: peerFetchOf(topic, p, follower, incarnation, fetchId),
      createdMs: this.host.nowMs(),
      answer: null,
      wake: null,
    };
    this.outstanding.set(key, entry);
    // The core may answer inside this call (the step sends before it returns): `answer` fills the entry.
    replica.onPeerMessage(entry.fetch, new Uint8Array(0));
    return entry;
  }

  private waitForAny(slots: readonly { entry: Outstanding | null }[], waitMs: number): Promise<void> {
    return new Promise((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(finish, waitMs);
      for (const slot of slots) if (slot.entry !== null) slot.entry.wake = finish;
    });
  }

  /** The leader this node's metadata names for the entry's partition (for NOT_LEADER answers). */
  private knownLeader(entry: Outstanding): { leaderId: number; leaderEpoch: number } | null {
    const assignment = this.host
      .image()
      .topics[entry.topic]?.partitions.find((a) => a.partition === entry.partition);
    return assignment === undefined
      ? null
      : { leaderId: assignment.leader, leaderEpoch: assignment.leaderEpoch };
  }

  /** Forgets outstanding fetches no follower came back for (at most once a second). */
  private prune(): void {
    const nowMs = this.host.nowMs();
    if (nowMs - this.prunedMs < 1_000) return;
    this.prunedMs = nowMs;
    for (const [key, entry] of this.outstanding) {
      if (nowMs - entry.createdMs > outstandingMsMax && entry.wake === null) this.outstanding.delete(key);
    }
  }

  private logRefusal(line: string): void {
    const nowMs = this.host.nowMs();
    if (nowMs - this.refusalLoggedMs < refusalLogIntervalMs) return;
    this.refusalLoggedMs = nowMs;
    this.host.log(`cluster: ${line}`);
  }
}
