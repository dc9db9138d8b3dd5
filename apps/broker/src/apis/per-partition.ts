/**
 * The response shape several APIs share (ListOffsets, DeleteRecords): topics, each with partitions,
 * each answered by its replica on this node or, when the node has none, as the caller says an
 * unknown partition is answered. Partitions are answered concurrently and in request order. Owns
 * only that walk; what each answer holds is the caller's.
 */
import type { PartitionReplica } from "@eddy/node";
import { ErrorCode } from "@eddy/protocol";
import type { RequestContext } from "./api.ts";

export async function answerPerPartition<P extends { readonly partitionIndex: number }, A>(
  ctx: RequestContext,
  topics: readonly { readonly name: string; readonly partitions: readonly P[] }[],
  answer: (replica: PartitionReplica, partition: P) => A | Promise<A>,
  unknown: (partition: P, errorCode: number) => A,
  /** Topics the requester may not touch: answered TOPIC_AUTHORIZATION_FAILED, their replicas never asked. */
  denied: ReadonlySet<string> = new Set(),
): Promise<{ throttleTimeMs: number; topics: { name: string; partitions: A[] }[] }> {
  return {
    throttleTimeMs: 0,
    topics: await Promise.all(
      topics.map(async (topic) => ({
        name: topic.name,
        partitions: await Promise.all(
          topic.partitions.map((p) => {
            if (denied.has(topic.name)) return unknown(p, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            const replica = ctx.node.partition(topic.name, p.partitionIndex);
            return replica === undefined
              ? unknown(p, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
              : answer(replica, p);
          }),
        ),
      })),
    ),
  };
}
