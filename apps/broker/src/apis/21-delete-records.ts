/**
 * DeleteRecords (key 21): v0-v1. Raises each partition's log start offset (its low watermark);
 * offset -1 means the high watermark. Whole segments below it are deleted from disk.
 */
import { deniedNames } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";
import { answerPerPartition } from "./per-partition.ts";

export const deleteRecordsApi = defineApi({
  key: 21,
  name: "DeleteRecords",
  versionMin: 0,
  versionMax: 1,
  handle: (ctx, request) =>
    answerPerPartition(
      ctx,
      request.topics,
      (replica, p) => {
        const r = replica.deleteRecords(Number(p.offset));
        return {
          partitionIndex: p.partitionIndex,
          lowWatermark: BigInt(r.lowWatermark),
          errorCode: r.errorCode,
        };
      },
      (p, errorCode) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode }),
      // Kafka's rule: deleting records needs DELETE on the topic.
      deniedNames(
        ctx,
        "DELETE",
        "TOPIC",
        request.topics.map((t) => t.name),
      ),
    ),
});
