/**
 * LeaveGroup (key 13): v0-v3. v0-v2 name one member and get one error code (the member's); v3
 * takes a batch of members, dynamic or static, and answers each besides the top-level error.
 */
import { ErrorCode } from "@eddy/protocol";
import { allowed } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

/** The first version that leaves a batch of members (KIP-345). */
const batchVersionMin = 3;

export const leaveGroupApi = defineApi({
  key: 13,
  name: "LeaveGroup",
  versionMin: 0,
  versionMax: 3,
  handle: async (ctx, request) => {
    if (!allowed(ctx, "READ", "GROUP", request.groupId))
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] };
    const batch = ctx.apiVersion >= batchVersionMin;
    const members = batch
      ? request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId }))
      : [{ memberId: request.memberId, groupInstanceId: null }];
    const answer = await ctx.node.groups.request({ type: "leaveGroup", groupId: request.groupId, members });
    if (answer === null) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NOT_COORDINATOR,
        members: [],
      };
    }
    if (!batch) {
      return { throttleTimeMs: 0, errorCode: answer.members[0]?.errorCode ?? answer.errorCode };
    }
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      members: answer.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        errorCode: m.errorCode,
      })),
    };
  },
});
