/**
 * OffsetFetch (key 9): v0-v5. Committed offsets of one group; a partition with nothing committed
 * (or of a topic that does not exist) answers offset -1 without an error, as Kafka does. v2+ may ask
 * for every committed offset (topics null) and carry a top-level error; before v2 an error goes on
 * every partition. v5 adds the committed leader epoch. v0 asked ZooKeeper in Kafka; here it reads
 * the same offsets as v1.
 */
import { ErrorCode } from "@eddy/protocol";
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
    const answer = await ctx.node.groups.request({
      type: "offsetFetch",
      groupId: request.groupId,
      partitions: requested,
    });
    const errorCode = answer === null ? ErrorCode.NOT_COORDINATOR : answer.errorCode;
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
        partitionsOf(p.topic).push({
          partitionIndex: p.partition,
          committedOffset: BigInt(p.committedOffset),
          committedLeaderEpoch: p.committedLeaderEpoch,
          metadata: p.metadata,
          errorCode: p.errorCode,
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
