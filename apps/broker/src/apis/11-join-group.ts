/**
 * JoinGroup (key 11): v0-v5. Hands the join to the group coordinator and answers when it does: at
 * once for errors and MEMBER_ID_REQUIRED (v4+ only, which the core decides from the version), or
 * once the rebalance forms the generation, which may take until another member joins or the
 * rebalance timeout passes. v0 has no rebalance timeout: the session timeout stands in, as in Kafka.
 * v0-v6 cannot carry a null protocol name, so none is sent as "".
 */
import { ErrorCode } from "@eddy/protocol";
import { allowed } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const joinGroupApi = defineApi({
  key: 11,
  name: "JoinGroup",
  versionMin: 0,
  versionMax: 5,
  handle: async (ctx, request) => {
    const version = ctx.apiVersion;
    // Kafka's rule: joining needs READ on the group; a refused member is told so and never joins.
    const denied = !allowed(ctx, "READ", "GROUP", request.groupId);
    const answer = denied
      ? null
      : await ctx.node.groups.request({
          type: "joinGroup",
          groupId: request.groupId,
          memberId: request.memberId,
          groupInstanceId: version >= 5 ? request.groupInstanceId : null,
          protocolType: request.protocolType,
          protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
          sessionTimeoutMs: request.sessionTimeoutMs,
          rebalanceTimeoutMs: version >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
          apiVersion: version,
          clientId: ctx.header.clientId ?? "",
          clientHost: `/${ctx.connection.remoteAddress}`,
        });
    if (answer === null) {
      return {
        throttleTimeMs: 0,
        errorCode: denied ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.NOT_COORDINATOR,
        generationId: -1,
        protocolName: "",
        leader: "",
        memberId: request.memberId,
        members: [],
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      generationId: answer.generationId,
      protocolName: answer.protocolName ?? "",
      leader: answer.leaderId,
      memberId: answer.memberId,
      members: answer.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        metadata: m.metadata,
      })),
    };
  },
});
