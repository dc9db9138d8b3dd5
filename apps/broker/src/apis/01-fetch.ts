/**
 * Fetch (key 1): v4-v16 served, v4-v11 advertised to clients (see `versionMaxAdvertised`). A
 * consumer's fetch (replica id -1) reads whole batches below each partition's high watermark, within
 * the partition and response byte limits (the first batch may exceed them, KIP-74), and long-polls up to `maxWaitMs` until `minBytes` are available; from v13
 * topics are named by id (an unknown one is UNKNOWN_TOPIC_ID). A follower's fetch (ReplicaState's
 * ReplicaId >= 0 from v15, ReplicaId before) needs CLUSTER_ACTION and goes to the partition replicas
 * as the core's replication messages (`cluster/replica-fetch-server.ts`), in a session of the same
 * cache as consumers', privileged (KIP-227). A consumer's fetch uses
 * sessions (KIP-227, v7+; `fetch-session/`): epoch -1 is sessionless, epoch 0 a full fetch that gets a
 * session when the cache has room, and an incremental fetch reads its whole session but answers only
 * partitions with records, a new high watermark or log start offset, or an error, so an idle consumer
 * of many partitions gets an empty response. READ is checked on every partition of every fetch.
 */

import type { PartitionReplica } from "@eddy/node";
import { ErrorCode } from "@eddy/protocol";
import { topicById } from "../cluster/replica-fetch-server.ts";
import { fetchReplicaId, refusedPartition } from "../cluster/replica-fetch-wire.ts";
import {
  closeFetchContext,
  openFetchContext,
  type PartitionWanted,
  sessionRequestOf,
} from "../fetch-session/fetch-context.ts";
import { fetchSessionsOf } from "../fetch-session/fetch-sessions.ts";
import { allowedOnCluster, deniedNames } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

/** The longest long poll this broker honours, whatever the client asks. */
const fetchWaitMsMax = 30_000;
/** Partitions in one fetch; more is refused as an invalid request. */
const fetchPartitionsMax = 10_000;
/** Reads in one long poll; each follows a wake-up from one of its partitions, so this rarely ends the wait. */
const fetchPollRoundsMax = 1000;

/**
 * Resolves when any parked partition's high watermark passes the offset its last read saw (or its
 * leadership or log start moves), or after `waitMs`. Every waiter is removed when it resolves.
 */
function waitForAny(
  parked: readonly { replica: PartitionReplica; offset: number }[],
  waitMs: number,
): Promise<void> {
  return new Promise((resolve) => {
    const cancels: (() => void)[] = [];
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const cancel of cancels) cancel();
      resolve();
    };
    const timer = setTimeout(finish, waitMs);
    for (const p of parked) {
      if (p.replica.highWatermark > p.offset) {
        finish();
        return;
      }
      const cancel = p.replica.waitForChange(finish);
      // Too many polls wait on this partition already: answer now rather than hold memory.
      if (cancel === null) {
        finish();
        return;
      }
      cancels.push(cancel);
    }
  });
}

export const fetchApi = defineApi({
  key: 1,
  name: "Fetch",
  versionMin: 4,
  versionMax: 16,
  // Clients are offered v4-v11: from v13 topics go by id, which this broker's Metadata (v0-v8) does
  // not give them; the followers of the cluster send v16.
  versionMaxAdvertised: 11,
  handle: async (ctx, request) => {
    const node = ctx.node;
    const partitionCount = request.topics.reduce((n, t) => n + t.partitions.length, 0);
    if (partitionCount > fetchPartitionsMax) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, sessionId: 0, responses: [] };
    }
    const replicaId = fetchReplicaId(request, ctx.apiVersion);
    if (replicaId >= 0) {
      // Kafka's rule: a follower needs CLUSTER_ACTION on the cluster, without which every partition is refused.
      const denied = !allowedOnCluster(ctx, "CLUSTER_ACTION");
      const replication = node.replication;
      // A follower's session lives in the consumers' cache, privileged (KIP-227).
      if (!denied && replication !== null)
        return replication.server.serve(request, ctx.apiVersion, fetchSessionsOf(node, fetchPartitionsMax));
      const code = denied ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.NOT_LEADER_OR_FOLLOWER;
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        sessionId: 0,
        responses: request.topics.map((t) => ({
          topic: t.topic,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => refusedPartition(p.partition, code)),
        })),
      };
    }
    // Sessions (KIP-227): which partitions this fetch reads, after its session's changes.
    const usesTopicIds = ctx.apiVersion >= 13;
    const sessions = fetchSessionsOf(node, fetchPartitionsMax);
    const context = openFetchContext(
      sessions.cache,
      sessionRequestOf(request, ctx.apiVersion, false),
      Date.now(),
    );
    if (context.kind === "error") {
      return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: 0, responses: [] };
    }
    if (context.kind === "incremental") sessions.incrementalFetchCount++;
    const wanted = context.partitions;
    // From v13 a topic is named by its id; each name is worked out here once.
    const image = node.image;
    const topicNames = new Map<string, string | null>();
    for (const p of wanted) {
      if (!topicNames.has(p.topic))
        topicNames.set(p.topic, usesTopicIds ? (topicById(image, p.topic)?.name ?? null) : p.topic);
    }
    const deadline = Date.now() + Math.min(Math.max(request.maxWaitMs, 0), fetchWaitMsMax);
    const readCommitted = request.isolationLevel === 1;
    // Kafka's rule: a consumer needs READ on each topic, checked on every fetch, session or not.
    const deniedTopics = deniedNames(
      ctx,
      "READ",
      "TOPIC",
      [...topicNames.values()].filter((name) => name !== null),
    );
    const readAll = async () => {
      let budget = request.maxBytes > 0 ? request.maxBytes : 0x7fffffff;
      let total = 0;
      let failed = false;
      // One answer per wanted partition, in the same order.
      const partitions: FetchPartitionAnswer[] = [];
      // Each replica read, with the offset its high watermark must pass before a new read can add bytes.
      const parked: { replica: PartitionReplica; offset: number }[] = [];
      for (const p of wanted) {
        const name = topicNames.get(p.topic) ?? null;
        const denied = name !== null && deniedTopics.has(name);
        const replica = denied || name === null ? undefined : node.partition(name, p.partition);
        const fetchOffset = Number(p.fetchOffset);
        if (replica === undefined) {
          partitions.push({
            partitionIndex: p.partition,
            errorCode: denied
              ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
              : name === null
                ? ErrorCode.UNKNOWN_TOPIC_ID
                : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            highWatermark: -1n,
            lastStableOffset: -1n,
            logStartOffset: -1n,
            abortedTransactions: readCommitted ? [] : null,
            preferredReadReplica: -1,
            records: new Uint8Array(0),
          });
          continue;
        }
        // Only the first partition with data may exceed the budget, as in Kafka.
        const limit = Math.max(0, Math.min(p.partitionMaxBytes, budget));
        const read = replica.read(fetchOffset, limit, p.currentLeaderEpoch, total === 0);
        total += read.records.length;
        budget -= read.records.length;
        failed ||= read.errorCode !== ErrorCode.NONE;
        parked.push({ replica, offset: Math.max(fetchOffset, read.highWatermark) });
        partitions.push({
          partitionIndex: p.partition,
          errorCode: read.errorCode,
          highWatermark: BigInt(read.highWatermark),
          lastStableOffset: BigInt(read.lastStableOffset),
          logStartOffset: BigInt(read.logStartOffset),
          abortedTransactions: readCommitted ? [] : null,
          preferredReadReplica: -1,
          records: read.records,
        });
      }
      return { partitions, total, failed, parked };
    };
    let result = await readAll();
    // Long poll: park until a partition's high watermark moves past what the last read saw, or time
    // runs out. A read that failed is answered at once, as in Kafka: waiting cannot mend it.
    for (
      let round = 0;
      round < fetchPollRoundsMax && !result.failed && result.total < Math.max(request.minBytes, 1);
      round++
    ) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      if (result.parked.length === 0) {
        await Bun.sleep(remaining);
        break;
      }
      await waitForAny(result.parked, remaining);
      result = await readAll();
    }
    // The session learns what this response tells the fetcher; an incremental one carries only changes.
    const outcome = closeFetchContext(
      sessions.cache,
      context,
      result.partitions.map((p) => ({
        errorCode: p.errorCode,
        highWatermark: p.highWatermark,
        logStartOffset: p.logStartOffset,
        recordBytes: p.records.length,
        preferredReadReplica: p.preferredReadReplica,
      })),
      Date.now(),
    );
    const responses = groupByTopic(wanted, result.partitions, outcome.included, topicNames, usesTopicIds);
    return { throttleTimeMs: 0, errorCode: outcome.errorCode, sessionId: outcome.sessionId, responses };
  },
});

interface FetchPartitionAnswer {
  readonly partitionIndex: number;
  readonly errorCode: number;
  readonly highWatermark: bigint;
  readonly lastStableOffset: bigint;
  readonly logStartOffset: bigint;
  readonly abortedTransactions: [] | null;
  readonly preferredReadReplica: number;
  readonly records: Uint8Array;
}

/**
 * The response's topics: the included answers grouped under their topic, topics in the order they
 * first appear (a session's order after its fairness moves, else the request's).
 */
function groupByTopic(
  wanted: readonly PartitionWanted[],
  answers: readonly FetchPartitionAnswer[],
  included: readonly boolean[],
  topicNames: ReadonlyMap<string, string | null>,
  usesTopicIds: boolean,
): { topic: string; topicId?: string; partitions: FetchPartitionAnswer[] }[] {
  const byTopic = new Map<string, { topic: string; topicId?: string; partitions: FetchPartitionAnswer[] }>();
  for (const [i, p] of wanted.entries()) {
    if (included[i] !== true) continue;
    let topic = byTopic.get(p.topic);
    if (topic === undefined) {
      const name = topicNames.get(p.topic) ?? null;
      topic = usesTopicIds
        ? { topic: name ?? "", topicId: p.topic, partitions: [] }
        : { topic: p.topic, partitions: [] };
      byTopic.set(p.topic, topic);
    }
    topic.partitions.push(answers[i]!);
  }
  return [...byTopic.values()];
}
