/**
 * Fetch (key 1): v4-v16 served, v4-v11 advertised to clients (see `versionMaxAdvertised`). A
 * consumer's fetch (replica id -1) reads whole batches below each partition's high watermark, within
 * the partition and response byte limits (the first batch may exceed them, KIP-74), and long-polls up to `maxWaitMs` until `minBytes` are available; from v13
 * topics are named by id (an unknown one is UNKNOWN_TOPIC_ID). A follower's fetch (ReplicaState's
 * ReplicaId >= 0 from v15, ReplicaId before) needs CLUSTER_ACTION and goes to the partition replicas
 * as the core's replication messages (`cluster/replica-fetch-server.ts`). Sessions (KIP-227) are
 * declined: every fetch is answered as a full, sessionless one.
 */

import type { PartitionReplica } from "@eddy/node";
import { ErrorCode } from "@eddy/protocol";
import { topicById } from "../cluster/replica-fetch-server.ts";
import { fetchReplicaId, refusedPartition } from "../cluster/replica-fetch-wire.ts";
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
      if (!denied && replication !== null) return replication.server.serve(request, ctx.apiVersion);
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
    // From v13 a topic is named by its id; the name is worked out here once.
    const image = node.image;
    const topicNames = request.topics.map((t) =>
      ctx.apiVersion >= 13 ? (topicById(image, t.topicId)?.name ?? null) : t.topic,
    );
    const deadline = Date.now() + Math.min(Math.max(request.maxWaitMs, 0), fetchWaitMsMax);
    const readCommitted = request.isolationLevel === 1;
    // Kafka's rule: a consumer needs READ on each topic.
    const deniedTopics = deniedNames(
      ctx,
      "READ",
      "TOPIC",
      topicNames.filter((name) => name !== null),
    );
    const readAll = async () => {
      let budget = request.maxBytes > 0 ? request.maxBytes : 0x7fffffff;
      let total = 0;
      let failed = false;
      const responses = [];
      // Each replica read, with the offset its high watermark must pass before a new read can add bytes.
      const parked: { replica: PartitionReplica; offset: number }[] = [];
      for (const [topicIndex, topic] of request.topics.entries()) {
        const name = topicNames[topicIndex] ?? null;
        const partitions = [];
        for (const p of topic.partitions) {
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
        responses.push({ topic: name ?? topic.topic, topicId: topic.topicId, partitions });
      }
      return { responses, total, failed, parked };
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
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: result.responses };
  },
});
