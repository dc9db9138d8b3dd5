/**
 * OffsetCommit (key 8): v0-v7. Partitions this node's metadata does not know are answered
 * UNKNOWN_TOPIC_OR_PARTITION here (the coordinator does not know topics) and the rest go to the
 * group coordinator, which checks the member and generation and answers only once the offsets are
 * durable. v0 has no generation or member: it is a simple commit (generation -1). The v1 per-partition
 * commit timestamp and the v2-v4 retention time are ignored: offsets carry the coordinator's commit
 * time and expire by `offsets.retention.minutes`, as Kafka 2.1+ does. v6 adds the leader epoch, v7
 * static members. Offsets of a topic deleted while the commit was in flight are purged again.
 */
import { ErrorCode } from "@eddy/protocol";
import { allowed, deniedNames } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const offsetCommitApi = defineApi({
  key: 8,
  name: "OffsetCommit",
  versionMin: 0,
  versionMax: 7,
  handle: async (ctx, request) => {
    const version = ctx.apiVersion;
    const image = ctx.node.image;
    const known = (topic: string, partition: number): boolean =>
      image.topics[topic]?.partitions.some((p) => p.partition === partition) ?? false;
    // Kafka's rules: READ on the group (else every partition is refused) and READ on each topic.
    const groupDenied = !allowed(ctx, "READ", "GROUP", request.groupId);
    const deniedTopics = deniedNames(
      ctx,
      "READ",
      "TOPIC",
      request.topics.map((t) => t.name),
    );
    const refusalOf = (topic: string): number | undefined =>
      groupDenied
        ? ErrorCode.GROUP_AUTHORIZATION_FAILED
        : deniedTopics.has(topic)
          ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
          : undefined;
    const entries: {
      topic: string;
      partition: number;
      offset: number;
      leaderEpoch: number;
      metadata: string | null;
    }[] = [];
    for (const t of request.topics) {
      for (const p of t.partitions) {
        if (refusalOf(t.name) !== undefined || !known(t.name, p.partitionIndex)) continue;
        entries.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: Number(p.committedOffset),
          leaderEpoch: version >= 6 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata,
        });
      }
    }
    const errors = new Map<string, number>();
    const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;
    if (entries.length > 0) {
      const answer = await ctx.node.groups.request({
        type: "offsetCommit",
        groupId: request.groupId,
        generationId: version >= 1 ? request.generationIdOrMemberEpoch : -1,
        memberId: version >= 1 ? request.memberId : "",
        groupInstanceId: version >= 7 ? request.groupInstanceId : null,
        apiVersion: version,
        offsets: entries,
      });
      if (answer === null) {
        for (const e of entries) errors.set(keyOf(e.topic, e.partition), ErrorCode.NOT_COORDINATOR);
      } else {
        for (const p of answer.partitions) errors.set(keyOf(p.topic, p.partition), p.errorCode);
        await ctx.node.deleteOffsetsIfTopicsDeleted(new Set(entries.map((e) => e.topic)));
      }
    }
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode:
            refusalOf(t.name) ??
            errors.get(keyOf(t.name, p.partitionIndex)) ??
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      })),
    };
  },
});
