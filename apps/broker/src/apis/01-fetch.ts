/**
 * Fetch (key 1): v4-v11, for consumers (replica fetching arrives with cluster mode). Reads whole
 * batches below each partition's high watermark, within the partition and response byte limits
 * (the first batch may exceed them, KIP-74), and long-polls up to `maxWaitMs` until `minBytes` are
 * available. Sessions (KIP-227) are declined: every fetch is answered as a full, sessionless one.
 */

import type { PartitionReplica } from "@eddy/node";
import { ErrorCode } from "@eddy/protocol";
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
  versionMax: 11,
  handle: async (ctx, request) => {
    const node = ctx.node;
    const partitionCount = request.topics.reduce((n, t) => n + t.partitions.length, 0);
    if (partitionCount > fetchPartitionsMax) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, sessionId: 0, responses: [] };
    }
    const deadline = Date.now() + Math.min(Math.max(request.maxWaitMs, 0), fetchWaitMsMax);
    const readCommitted = request.isolationLevel === 1;
    // Kafka's rules: a consumer needs READ on each topic; a follower (replicaId >= 0) CLUSTER_ACTION on
    // the cluster, without which every partition is refused.
    const followerDenied = request.replicaId >= 0 && !allowedOnCluster(ctx, "CLUSTER_ACTION");
    const deniedTopics = deniedNames(
      ctx,
      "READ",
      "TOPIC",
      request.topics.map((t) => t.topic),
    );
    const readAll = async () => {
      let budget = request.maxBytes > 0 ? request.maxBytes : 0x7fffffff;
      let total = 0;
      let failed = false;
      const responses = [];
      // Each replica read, with the offset its high watermark must pass before a new read can add bytes.
      const parked: { replica: PartitionReplica; offset: number }[] = [];
      for (const topic of request.topics) {
        const partitions = [];
        for (const p of topic.partitions) {
          const denied = followerDenied || deniedTopics.has(topic.topic);
          const replica = denied ? undefined : node.partition(topic.topic, p.partition);
          const fetchOffset = Number(p.fetchOffset);
          if (replica === undefined) {
            partitions.push({
              partitionIndex: p.partition,
              errorCode: denied ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
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
        responses.push({ topic: topic.topic, partitions });
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
