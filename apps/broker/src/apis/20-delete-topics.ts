/**
 * DeleteTopics (key 20): v0-v3. Deletes topics through the controller; each replica drops its
 * partition folders once the deletion has committed.
 */
import { defineApi } from "./api.ts";

export const deleteTopicsApi = defineApi({
  key: 20,
  name: "DeleteTopics",
  versionMin: 0,
  versionMax: 3,
  handle: async (ctx, request) => {
    const results = await ctx.node.deleteTopics(request.topicNames);
    return {
      throttleTimeMs: 0,
      responses: results.map((r) => ({ name: r.name, errorCode: r.errorCode })),
    };
  },
});
