/**
 * DeleteGroups (key 42): v0-v1. Deletes Empty groups with their committed offsets (durably, before
 * answering); a group with members gets NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.
 */
import { ErrorCode } from "@eddy/protocol";
import { deniedNames } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const deleteGroupsApi = defineApi({
  key: 42,
  name: "DeleteGroups",
  versionMin: 0,
  versionMax: 1,
  handle: async (ctx, request) => {
    // Kafka's rule: DELETE on each group; refused groups are answered and never reach the coordinator.
    const denied = deniedNames(ctx, "DELETE", "GROUP", request.groupsNames);
    const wanted = request.groupsNames.filter((g) => !denied.has(g));
    const answer =
      wanted.length === 0 ? null : await ctx.node.groups.request({ type: "deleteGroups", groupIds: wanted });
    const results = new Map<string, number>(answer?.results.map((r) => [r.groupId, r.errorCode]) ?? []);
    return {
      throttleTimeMs: 0,
      results: request.groupsNames.map((groupId) => ({
        groupId,
        errorCode: denied.has(groupId)
          ? ErrorCode.GROUP_AUTHORIZATION_FAILED
          : (results.get(groupId) ?? ErrorCode.NOT_COORDINATOR),
      })),
    };
  },
});
