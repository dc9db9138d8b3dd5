/**
 * SyncGroup (key 14): v0-v3. The leader sends every member's assignment, followers send none; each
 * member is answered with its own assignment once the leader's has arrived (followers that sync
 * first are held by the coordinator). The answer is sent only after the generation's metadata is
 * durable. v3 adds static members (group.instance.id).
 */
import { ErrorCode } from "@eddy/protocol";
import { allowed } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const syncGroupApi = defineApi({
  key: 14,
  name: "SyncGroup",
  versionMin: 0,
  versionMax: 3,
  handle: async (ctx, request) => {
    if (!allowed(ctx, "READ", "GROUP", request.groupId)) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
        assignment: new Uint8Array(0),
      };
    }
    const answer = await ctx.node.groups.request({
      type: "syncGroup",
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? request.groupInstanceId : null,
      protocolType: null,
      protocolName: null,
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: answer?.errorCode ?? ErrorCode.NOT_COORDINATOR,
      assignment: answer?.assignment ?? new Uint8Array(0),
    };
  },
});
