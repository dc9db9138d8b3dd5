/**
 * CreatePartitions (key 37): v0-v1. Grows a topic's partition count through the controller, placing
 * the new partitions with the same rule as topic creation. Explicit assignments are refused.
 */
import { ErrorCode } from "@eddy/protocol";
import { deniedNames } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const createPartitionsApi = defineApi({
  key: 37,
  name: "CreatePartitions",
  versionMin: 0,
  versionMax: 1,
  handle: async (ctx, request) => {
    const node = ctx.node;
    // Kafka's rule: ALTER on each topic; refused topics never reach the controller.
    const denied = deniedNames(
      ctx,
      "ALTER",
      "TOPIC",
      request.topics.map((t) => t.name),
    );
    const refused = request.topics.filter((t) => t.assignments !== null && t.assignments.length > 0);
    const wanted = request.topics.filter((t) => !refused.includes(t) && !denied.has(t.name));
    const results = new Map<string, { errorCode: number; errorMessage: string | null }>();
    if (request.validateOnly) {
      for (const t of wanted) {
        const topic = node.image.topics[t.name];
        results.set(t.name, {
          errorCode:
            topic === undefined
              ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
              : t.count <= topic.partitions.length
                ? ErrorCode.INVALID_PARTITIONS
                : ErrorCode.NONE,
          errorMessage: null,
        });
      }
    } else if (wanted.length > 0) {
      for (const r of await node.createPartitions(wanted.map((t) => ({ name: t.name, count: t.count })))) {
        results.set(r.name, r);
      }
    }
    return {
      throttleTimeMs: 0,
      results: request.topics.map((t) => {
        if (denied.has(t.name)) {
          return { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null };
        }
        if (refused.includes(t)) {
          return {
            name: t.name,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: "explicit assignments are not supported",
          };
        }
        const r = results.get(t.name);
        return {
          name: t.name,
          errorCode: r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
          errorMessage: r?.errorMessage ?? null,
        };
      }),
    };
  },
});
