/**
 * The mapping between the core's replication messages (`partition.PeerMessage` "fetch" and
 * "fetchResponse") and Kafka's Fetch request and response, as brokers exchange them: Fetch v16, the
 * version Kafka 3.7 sends between brokers, flexible, with `ReplicaState {ReplicaId, ReplicaEpoch}`
 * naming the follower and its broker epoch (KIP-903), topics by id, and per partition
 * `CurrentLeaderEpoch`, `FetchOffset`, `LastFetchedEpoch` (KIP-320) and `LogStartOffset`. The answer
 * carries `ErrorCode`, `HighWatermark`, `LogStartOffset`, `DivergingEpoch`, `CurrentLeader` and the
 * record batches exactly as the leader stores them.
 *
 * Two things the core needs are not in Kafka's response:
 * - the follower's `fetchId` and `incarnation`, echoed by the core's answer, are recovered on the
 *   follower from its own in-flight request (the fetch it sent for that partition), never sent;
 * - the leader's end offset including appends in flight (`leaderEndOffset`, which a follower whose
 *   log runs past the leader's truncates back to) travels in a tagged field of the partition,
 *   `eddyLeaderEndOffsetTag` (10000, far above Kafka's 0-2), holding an int64. Kafka clients skip
 *   unknown tagged fields; from a leader that sends none the follower never truncates on
 *   OFFSET_OUT_OF_RANGE by it, it backs off and fetches again.
 *
 * Owns: these pure mappings and their checks. Must never do I/O or hold state: the fetcher
 * (`replica-fetcher.ts`) and the leader's side (`replica-fetch-server.ts`) do.
 */
import type { partition } from "@eddy/core";
import {
  ErrorCode,
  type FetchRequestFetchPartitionInput,
  type FetchRequestInput,
  type FetchResponsePartitionData,
  type FetchResponsePartitionDataInput,
  iterateBatches,
  type TaggedField,
  uuidFromBytes,
} from "@eddy/protocol";

/** The Fetch version one Eddy broker sends another (Kafka 3.7's inter-broker version). */
export const replicaFetchVersion = 16;
/** The tag of the leader's end offset in a partition of a Fetch response (Eddy's own, documented above). */
export const eddyLeaderEndOffsetTag = 10_000;
/** Kafka's replica.fetch.wait.max.ms: the longest the leader holds a fetch with nothing new. */
export const replicaFetchWaitMs = 500;
/** Kafka's replica.fetch.response.max.bytes: bytes of batches one response carries in all. */
export const replicaFetchResponseBytesMax = 10 * 1024 * 1024;
/** Kafka's replica.fetch.max.bytes: bytes of batches one partition of a response carries. */
export const replicaFetchPartitionBytesMax = 1024 * 1024;
/** Batches walked in one response partition to find its end; more is refused as malformed. */
const batchesPerPartitionMax = 1_000_000;

export type PeerFetch = Extract<partition.PeerMessage, { type: "fetch" }>;
export type PeerFetchResponse = Extract<partition.PeerMessage, { type: "fetchResponse" }>;

/** One partition's fetch as the follower sends it: the core's message and what the wire adds. */
export interface OutgoingFetch {
  readonly message: PeerFetch;
  /** The topic's id in this node's metadata (Fetch v13+ names topics by id). */
  readonly topicId: string;
  /** The follower's own log start, which Kafka's follower reports to the leader. */
  readonly logStartOffset: number;
}

/** The session fields of a replica Fetch (KIP-227) and the partitions it tells the leader to drop. */
export interface ReplicaFetchSessionFields {
  readonly sessionId: number;
  readonly sessionEpoch: number;
  /** ForgottenTopicsData, by topic id. */
  readonly forgotten: readonly { readonly topicId: string; readonly partition: number }[];
}

/** A sessionless request (KIP-227's FINAL_EPOCH with no session): it names every partition. */
export const sessionlessFetch: ReplicaFetchSessionFields = { sessionId: 0, sessionEpoch: -1, forgotten: [] };

/**
 * The Fetch request carrying `fetches` (all from one follower, one incarnation, at most one per
 * partition) with `session`'s fields. An incremental request may name no partition; it then needs
 * `follower` to say whose it is. Throws on a mixture, which is a bug of the caller.
 */
export function replicaFetchRequest(
  fetches: readonly OutgoingFetch[],
  waitMs: number = replicaFetchWaitMs,
  session: ReplicaFetchSessionFields = sessionlessFetch,
  follower?: { readonly replicaId: number; readonly incarnation: number },
): FetchRequestInput {
  const first = follower ?? fetches[0]?.message;
  if (first === undefined) throw new Error("a replica fetch needs at least one partition or its follower");
  const topics = new Map<string, FetchRequestFetchPartitionInput[]>();
  const seen = new Set<string>();
  for (const f of fetches) {
    const m = f.message;
    if (m.replicaId !== first.replicaId || m.incarnation !== first.incarnation) {
      throw new Error(
        `one Fetch carries one follower's fetches: ${m.replicaId}/${m.incarnation} beside ${first.replicaId}/${first.incarnation}`,
      );
    }
    const key = `${f.topicId}:${m.partition}`;
    if (seen.has(key)) throw new Error(`partition ${m.topic}-${m.partition} is fetched twice in one request`);
    seen.add(key);
    let partitions = topics.get(f.topicId);
    if (partitions === undefined) {
      partitions = [];
      topics.set(f.topicId, partitions);
    }
    partitions.push({
      partition: m.partition,
      currentLeaderEpoch: m.currentLeaderEpoch,
      fetchOffset: BigInt(m.fetchOffset),
      lastFetchedEpoch: m.lastFetchedEpoch,
      logStartOffset: BigInt(f.logStartOffset),
      partitionMaxBytes: replicaFetchPartitionBytesMax,
    });
  }
  const forgotten = new Map<string, number[]>();
  for (const f of session.forgotten) {
    const partitions = forgotten.get(f.topicId);
    if (partitions === undefined) forgotten.set(f.topicId, [f.partition]);
    else partitions.push(f.partition);
  }
  return {
    clusterId: null,
    replicaState: { replicaId: first.replicaId, replicaEpoch: BigInt(first.incarnation) },
    maxWaitMs: waitMs,
    minBytes: 1,
    maxBytes: replicaFetchResponseBytesMax,
    isolationLevel: 0,
    sessionId: session.sessionId,
    sessionEpoch: session.sessionEpoch,
    topics: [...topics].map(([topicId, partitions]) => ({ topicId, partitions })),
    forgottenTopicsData: [...forgotten].map(([topicId, partitions]) => ({ topicId, partitions })),
    rackId: "",
  };
}

/**
 * A topic id as Kafka's wire carries it (16 bytes, written in base64url by the codec) from the form
 * the metadata image keeps (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`); null for anything else.
 */
export function wireTopicId(imageTopicId: string): string | null {
  const hex = imageTopicId.replaceAll("-", "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) return null;
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return uuidFromBytes(bytes);
}

/** The follower a Fetch comes from: ReplicaState.ReplicaId from v15, ReplicaId before; -1 for a consumer. */
export function fetchReplicaId(
  request: { readonly replicaId: number; readonly replicaState: { readonly replicaId: number } },
  version: number,
): number {
  return version >= 15 ? request.replicaState.replicaId : request.replicaId;
}

/** The follower's broker epoch (ReplicaState.ReplicaEpoch from v15), -1 when the version has none. */
export function fetchReplicaEpoch(
  request: { readonly replicaState: { readonly replicaEpoch: bigint } },
  version: number,
): number {
  return version >= 15 ? Number(request.replicaState.replicaEpoch) : -1;
}

/** The core's fetch for one partition of a follower's Fetch request. */
export function peerFetchOf(
  topic: string,
  p: {
    readonly partition: number;
    readonly currentLeaderEpoch: number;
    readonly fetchOffset: bigint;
    readonly lastFetchedEpoch: number;
  },
  replicaId: number,
  incarnation: number,
  fetchId: number,
): PeerFetch {
  return {
    type: "fetch",
    topic,
    partition: p.partition,
    replicaId,
    incarnation,
    fetchId,
    currentLeaderEpoch: p.currentLeaderEpoch,
    fetchOffset: Number(p.fetchOffset),
    lastFetchedEpoch: p.lastFetchedEpoch,
  };
}

/**
 * One partition of the leader's Fetch response, from the core's answer and the batches read for it.
 * `CurrentLeader` names the answering broker and its epoch when it leads; for NOT_LEADER_OR_FOLLOWER
 * and FENCED_LEADER_EPOCH it is `knownLeader`, the leader this broker's metadata names (KIP-951).
 */
export function responsePartitionOf(
  answer: PeerFetchResponse,
  records: Uint8Array,
  knownLeader: { readonly leaderId: number; readonly leaderEpoch: number } | null,
): FetchResponsePartitionDataInput {
  const pointsElsewhere =
    answer.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER ||
    answer.errorCode === ErrorCode.FENCED_LEADER_EPOCH;
  const currentLeader =
    pointsElsewhere && knownLeader !== null
      ? knownLeader
      : { leaderId: answer.leaderId, leaderEpoch: answer.leaderEpoch };
  return {
    partitionIndex: answer.partition,
    errorCode: answer.errorCode,
    highWatermark: BigInt(answer.highWatermark),
    lastStableOffset: BigInt(answer.highWatermark),
    logStartOffset: BigInt(answer.logStartOffset),
    ...(answer.divergingEpoch === null
      ? {}
      : {
          divergingEpoch: {
            epoch: answer.divergingEpoch.epoch,
            endOffset: BigInt(answer.divergingEpoch.endOffset),
          },
        }),
    currentLeader,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
    _unknownTaggedFields: [leaderEndOffsetField(answer.leaderEndOffset)],
  };
}

/** A partition of a replica fetch answered with `errorCode` before it reached any replica. */
export function refusedPartition(partitionIndex: number, errorCode: number): FetchResponsePartitionDataInput {
  return {
    partitionIndex,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: new Uint8Array(0),
  };
}

function leaderEndOffsetField(offset: number): TaggedField {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setBigInt64(0, BigInt(offset));
  return { tag: eddyLeaderEndOffsetTag, data };
}

/** The leader's end offset from Eddy's tagged field, or null when the partition has none (or a bad one). */
export function leaderEndOffsetOf(data: FetchResponsePartitionData): number | null {
  const field = data._unknownTaggedFields?.find((f) => f.tag === eddyLeaderEndOffsetTag);
  if (field === undefined || field.data.length !== 8) return null;
  const offset = new DataView(field.data.buffer, field.data.byteOffset, 8).getBigInt64(0);
  return offset >= 0n && offset <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(offset) : null;
}

/**
 * The core's answer to `sent` (the fetch this follower had in flight for the partition) from one
 * partition of the leader's response, with the batches it carries; or a string saying why the
 * partition cannot be an answer (the core then fetches again after its timeout).
 */
export function peerFetchResponseOf(
  leaderId: number,
  sent: PeerFetch,
  data: FetchResponsePartitionData,
): { readonly message: PeerFetchResponse; readonly records: Uint8Array } | string {
  if (data.partitionIndex !== sent.partition) {
    return `partition ${data.partitionIndex} answers a fetch of ${sent.partition}`;
  }
  const records = data.records ?? new Uint8Array(0);
  const end = batchesEnd(records, sent.fetchOffset);
  if (typeof end === "string") return end;
  const diverging = data.divergingEpoch;
  const hasDivergence = diverging.epoch >= 0 || diverging.endOffset >= 0n;
  // The leader answers with its own epoch; a leader that names none was checked against ours.
  const leaderEpoch =
    data.currentLeader.leaderId === leaderId && data.currentLeader.leaderEpoch >= 0
      ? data.currentLeader.leaderEpoch
      : sent.currentLeaderEpoch;
  return {
    message: {
      type: "fetchResponse",
      topic: sent.topic,
      partition: sent.partition,
      leaderId,
      incarnation: sent.incarnation,
      fetchId: sent.fetchId,
      leaderEpoch,
      errorCode: data.errorCode,
      highWatermark: Number(data.highWatermark),
      logStartOffset: Number(data.logStartOffset),
      // Without Eddy's field the follower cannot tell how far the leader's log runs: never past it.
      leaderEndOffset: leaderEndOffsetOf(data) ?? Number.MAX_SAFE_INTEGER,
      readFromOffset: sent.fetchOffset,
      readToOffset: end,
      divergingEpoch: hasDivergence
        ? { epoch: diverging.epoch, endOffset: Number(diverging.endOffset) }
        : null,
    },
    records,
  };
}

/** The offset after the last whole batch of `records` (`from` when empty), from the batch headers. */
function batchesEnd(records: Uint8Array, from: number): number | string {
  let end = from;
  let count = 0;
  try {
    // The CRCs are checked where the batches are stored (PartitionReplica.onFetchResponse).
    for (const batch of iterateBatches(records, { verifyCrc: false })) {
      if (++count > batchesPerPartitionMax)
        return `more than ${batchesPerPartitionMax} batches in one partition`;
      end = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1;
    }
  } catch (error) {
    return `unreadable batches: ${(error as Error).message}`;
  }
  return end;
}
