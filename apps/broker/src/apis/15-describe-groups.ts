/**
 * DescribeGroups (key 15): v0-v4. State, protocol and members of each group; a group this node does
 * not hold is described as Dead without an error, as Kafka does. Member metadata and assignments are
 * filled only while the group is Stable. v3 adds authorized operations (not computed: no ACLs, so
 * Kafka's "omitted" value), v4 static member ids.
 */
import { ErrorCode } from "@eddy/protocol";
import { deniedNames } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

/** Kafka's INT32_MIN: authorized operations were not requested or are not known. */
const authorizedOperationsOmitted = -2147483648;

export const describeGroupsApi = defineApi({
  key: 15,
  name: "DescribeGroups",
  versionMin: 0,
  versionMax: 4,
  handle: async (ctx, request) => {
    // Kafka's rule: DESCRIBE on each group; a refused group is answered without reaching the coordinator.
    const denied = deniedNames(ctx, "DESCRIBE", "GROUP", request.groups);
    const wanted = request.groups.filter((g) => !denied.has(g));
    const answer =
      wanted.length === 0 && denied.size > 0
        ? null
        : await ctx.node.groups.request({ type: "describeGroups", groupIds: wanted });
    const described = new Map(answer?.groups.map((g) => [g.groupId, g]) ?? []);
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => {
        const g = denied.has(groupId) ? undefined : described.get(groupId);
        if (g === undefined) {
          return {
            errorCode: denied.has(groupId) ? ErrorCode.GROUP_AUTHORIZATION_FAILED : ErrorCode.NOT_COORDINATOR,
            groupId,
            groupState: "",
            protocolType: "",
            protocolData: "",
            members: [],
            authorizedOperations: authorizedOperationsOmitted,
          };
        }
        return {
          errorCode: g.errorCode,
          groupId: g.groupId,
          groupState: g.state,
          protocolType: g.protocolType,
          protocolData: g.protocolData,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberMetadata: m.metadata,
            memberAssignment: m.assignment,
          })),
          authorizedOperations: authorizedOperationsOmitted,
        };
      }),
    };
  },
});
