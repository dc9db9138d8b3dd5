/**
 * DeleteGroups (key 42): v0-v1. Deletes Empty groups with their committed offsets (durably, before
 * answering); a group with members gets NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.
 */
import { ErrorCode } from "@eddy/protocol";
import { defineApi } from "./api.ts";

export const deleteGroupsApi = defineApi({
  key: 42,
  name: "DeleteGroups",
  versionMin: 0,
  versionMax: 1,
  handle: async (ctx, request) => {
    const answer = await ctx.node.groups.request({ type: "deleteGroups", groupIds: request.groupsNames });
    return {
      throttleTimeMs: 0,
      results:
        answer?.results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode })) ??
        request.groupsNames.map((groupId) => ({ groupId, errorCode: ErrorCode.NOT_COORDINATOR })),
    };
  },
});
