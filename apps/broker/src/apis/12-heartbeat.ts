/**
 * Heartbeat (key 12): v0-v3. Keeps a member's session alive and tells it, through
 * REBALANCE_IN_PROGRESS, that it must rejoin. v3 adds static members (group.instance.id).
 */
import { ErrorCode } from "@eddy/protocol";
import { allowed } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const heartbeatApi = defineApi({
  key: 12,
  name: "Heartbeat",
  versionMin: 0,
  versionMax: 3,
  handle: async (ctx, request) => {
    if (!allowed(ctx, "READ", "GROUP", request.groupId))
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const answer = await ctx.node.groups.request({
      type: "heartbeat",
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? request.groupInstanceId : null,
    });
    return { throttleTimeMs: 0, errorCode: answer?.errorCode ?? ErrorCode.NOT_COORDINATOR };
  },
});
