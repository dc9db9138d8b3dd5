/**
 * The administrative group APIs: DescribeGroups (15), ListGroups (16) and DeleteGroups (42). They read
 * group state, except DeleteGroups, which removes Empty groups with their offsets (writing tombstones).
 *
 * It must never delete a group that has members or is rebalancing.
 */
import { invariant } from "../invariant.ts";
import { type Context, noBytes, respond } from "./context.ts";
import { ErrorCode, type ErrorCodeValue } from "./errors.ts";
import type {
  DeleteGroupsInput,
  DescribeGroupsInput,
  DescribeGroupsResponse,
  ListGroupsInput,
  ListGroupsResponse,
} from "./types.ts";

export function describeGroups(ctx: Context, input: DescribeGroupsInput): void {
  const tooMany = input.groupIds.length > ctx.state.options.requestEntriesMax;
  const groups: DescribeGroupsResponse["groups"][number][] = [];
  for (const groupId of tooMany ? [] : input.groupIds) {
    const group = ctx.state.groups.get(groupId);
    if (group === undefined) {
      // Kafka describes a group it does not hold as Dead, without an error.
      groups.push({
        groupId,
        errorCode: ErrorCode.NONE,
        state: "Dead",
        protocolType: "",
        protocolData: "",
        generationId: 0,
        members: [],
      });
      continue;
    }
    const stable = group.state === "Stable";
    const protocolName = group.protocolName;
    groups.push({
      groupId,
      errorCode: ErrorCode.NONE,
      state: group.state,
      protocolType: group.protocolType ?? "",
      protocolData: stable && protocolName !== null ? protocolName : "",
      generationId: group.generationId,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable
          ? (m.protocols.find((p) => p.name === protocolName)?.metadata ?? noBytes())
          : noBytes(),
        assignment: stable ? m.assignment : noBytes(),
      })),
    });
  }
  invariant(tooMany || groups.length === input.groupIds.length, "describeGroups: one entry per id");
  respond(ctx, { kind: "describeGroups", requestId: input.requestId, groups });
}

export function listGroups(ctx: Context, input: ListGroupsInput): void {
  const groups: ListGroupsResponse["groups"][number][] = [];
  for (const group of ctx.state.groups.values()) {
    if (input.statesFilter.length > 0 && !input.statesFilter.includes(group.state)) continue;
    groups.push({ groupId: group.groupId, protocolType: group.protocolType ?? "", state: group.state });
  }
  invariant(groups.length <= ctx.state.options.groupsMax, "listGroups: more groups than groupsMax");
  respond(ctx, { kind: "listGroups", requestId: input.requestId, errorCode: ErrorCode.NONE, groups });
}

export function deleteGroups(ctx: Context, input: DeleteGroupsInput): void {
  const results: { groupId: string; errorCode: ErrorCodeValue }[] = [];
  if (input.groupIds.length <= ctx.state.options.requestEntriesMax) {
    for (const groupId of input.groupIds) {
      const group = ctx.state.groups.get(groupId);
      if (group === undefined) {
        results.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
        continue;
      }
      if (group.state !== "Empty") {
        results.push({ groupId, errorCode: ErrorCode.NON_EMPTY_GROUP });
        continue;
      }
      for (const [topic, partitions] of group.offsets) {
        for (const partition of partitions.keys()) {
          ctx.persist.push({ kind: "offsetTombstone", groupId, topic, partition });
        }
      }
      ctx.persist.push({ kind: "groupTombstone", groupId });
      ctx.state.groups.delete(groupId);
      invariant(!ctx.state.groups.has(groupId), "deleteGroups: group survived");
      results.push({ groupId, errorCode: ErrorCode.NONE });
    }
  }
  respond(ctx, { kind: "deleteGroups", requestId: input.requestId, results });
}
