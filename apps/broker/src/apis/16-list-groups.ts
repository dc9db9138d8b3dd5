/**
 * ListGroups (key 16): v0-v2. Every group this node coordinates, with its protocol type (empty for
 * groups that only store offsets). The state filter arrives in v4, which is not served.
 */
import { ErrorCode } from "@eddy/protocol";
import { allowed, allowedOnCluster } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const listGroupsApi = defineApi({
  key: 16,
  name: "ListGroups",
  versionMin: 0,
  versionMax: 2,
  handle: async (ctx) => {
    const answer = await ctx.node.groups.request({ type: "listGroups", statesFilter: [] });
    if (answer === null) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_COORDINATOR, groups: [] };
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      // Kafka's rule: DESCRIBE on the cluster lists every group, otherwise those the requester may describe.
      groups: answer.groups
        .filter((g) => allowedOnCluster(ctx, "DESCRIBE") || allowed(ctx, "DESCRIBE", "GROUP", g.groupId))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })),
    };
  },
});
