/**
 * DeleteTopics (key 20): v0-v3. Deletes topics through the controller; each replica drops its
 * partition folders once the deletion has committed.
 */
import { ErrorCode } from "@eddy/protocol";
import { deniedNames } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const deleteTopicsApi = defineApi({
  key: 20,
  name: "DeleteTopics",
  versionMin: 0,
  versionMax: 3,
  handle: async (ctx, request) => {
    // Kafka's rule: DELETE on each topic; refused topics never reach the controller.
    const denied = deniedNames(ctx, "DELETE", "TOPIC", request.topicNames);
    const wanted = request.topicNames.filter((name) => !denied.has(name));
    const results = wanted.length === 0 ? [] : await ctx.node.deleteTopics(wanted);
    const codes = new Map(results.map((r) => [r.name, r.errorCode]));
    return {
      throttleTimeMs: 0,
      responses: request.topicNames.map((name) => ({
        name,
        errorCode: denied.has(name)
          ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
          : (codes.get(name) ?? ErrorCode.UNKNOWN_SERVER_ERROR),
      })),
    };
  },
});
