/**
 * ListOffsets (key 2): v0-v5. Earliest (-2), latest (-1, the high watermark), or the first offset whose
 * record timestamp is at or after a time, found through the time index. v0 answers with the old
 * array of offsets.
 */
import type { ListOffsetsResponseListOffsetsPartitionResponseInput } from "@eddy/protocol";
import { deniedNames } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";
import { answerPerPartition } from "./per-partition.ts";

type PartitionAnswer = ListOffsetsResponseListOffsetsPartitionResponseInput;

export const listOffsetsApi = defineApi({
  key: 2,
  name: "ListOffsets",
  versionMin: 0,
  versionMax: 5,
  handle: (ctx, request) =>
    answerPerPartition(
      ctx,
      request.topics,
      (replica, p): PartitionAnswer => {
        const answer = replica.listOffset(Number(p.timestamp), p.currentLeaderEpoch);
        // v0 answers with an array of offsets; v1+ with one offset and its timestamp. The codec
        // refuses values in fields the version lacks, so each version gets only its own fields.
        if (ctx.apiVersion === 0) {
          return {
            partitionIndex: p.partitionIndex,
            errorCode: answer.errorCode,
            oldStyleOffsets: answer.offset >= 0 ? [BigInt(answer.offset)] : [],
          };
        }
        return {
          partitionIndex: p.partitionIndex,
          errorCode: answer.errorCode,
          timestamp: BigInt(answer.timestampMs),
          offset: BigInt(answer.offset),
          ...(ctx.apiVersion >= 4 ? { leaderEpoch: answer.leaderEpoch } : {}),
        };
      },
      (p, errorCode) => ({ partitionIndex: p.partitionIndex, errorCode }),
      // Kafka's rule: listing offsets needs DESCRIBE on the topic.
      deniedNames(
        ctx,
        "DESCRIBE",
        "TOPIC",
        request.topics.map((t) => t.name),
      ),
    ),
});
