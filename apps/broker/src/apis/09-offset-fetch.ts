/**
 * OffsetFetch (key 9): v0-v5. Committed offsets of one group; a partition with nothing committed
 * (or of a topic that does not exist) answers offset -1 without an error, as Kafka does. v2+ may ask
 * for every committed offset (topics null) and carry a top-level error; before v2 an error goes on
 * every partition. v5 adds the committed leader epoch. v0 asked ZooKeeper in Kafka; here it reads
 * the same offsets as v1.
 */
import { ErrorCode } from "@eddy/protocol";
import { allowed } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

/** The first version with a top-level error code and "all topics" (topics null). */
const topLevelErrorVersionMin = 2;

export const offsetFetchApi = defineApi({
  key: 9,
  name: "OffsetFetch",
  versionMin: 0,
  versionMax: 5,
  handle: async (ctx, request) => {
    const version = ctx.apiVersion;
    const requested =
      request.topics === null
        ? null
        : request.topics.flatMap((t) =>
            t.partitionIndexes.map((partition) => ({ topic: t.name, partition })),
          );
    // Kafka's rules: DESCRIBE on the group, else GROUP_AUTHORIZATION_FAILED and nothing is read; DESCRIBE
    // on each topic, else its partitions answer TOPIC_AUTHORIZATION_FAILED (left out when all were asked).
    const groupDenied = !allowed(ctx, "DESCRIBE", "GROUP", request.groupId);
    const describable = new Map<string, boolean>();
    const topicAllowed = (topic: string): boolean => {
      let known = describable.get(topic);
      if (known === undefined) {
        known = allowed(ctx, "DESCRIBE", "TOPIC", topic);
        describable.set(topic, known);
      }
      return known;
    };
    const answer = groupDenied
      ? null
      : await ctx.node.groups.request({
          type: "offsetFetch",
          groupId: request.groupId,
          partitions: requested,
        });
    const errorCode = groupDenied
      ? ErrorCode.GROUP_AUTHORIZATION_FAILED
      : answer === null
        ? ErrorCode.NOT_COORDINATOR
        : answer.errorCode;
    const failed = errorCode !== ErrorCode.NONE;
    // Topics in request order (or first-seen order when all were asked for), partitions within them.
    const byTopic = new Map<
      string,
      {
        partitionIndex: number;
        committedOffset: bigint;
        committedLeaderEpoch: number;
        metadata: string | null;
        errorCode: number;
      }[]
    >();
    const partitionsOf = (topic: string) => {
      let list = byTopic.get(topic);
      if (list === undefined) {
        list = [];
        byTopic.set(topic, list);
      }
      return list;
    };
    if (failed) {
      // Before v2 the partitions are the only place an error can go.
      for (const r of version < topLevelErrorVersionMin ? (requested ?? []) : []) {
        partitionsOf(r.topic).push({
          partitionIndex: r.partition,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: "",
          errorCode,
        });
      }
    } else {
      for (const p of answer?.partitions ?? []) {
        const visible = topicAllowed(p.topic);
        if (!visible && requested === null) continue;
        partitionsOf(p.topic).push({
          partitionIndex: p.partition,
          committedOffset: visible ? BigInt(p.committedOffset) : -1n,
          committedLeaderEpoch: visible ? p.committedLeaderEpoch : -1,
          metadata: visible ? p.metadata : "",
          errorCode: visible ? p.errorCode : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        });
      }
    }
    return {
      throttleTimeMs: 0,
      errorCode,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    };
  },
});
