/**
 * Consumer groups for the admin API: the list with each group's lag, one group with members,
 * assignments and per-partition lag (`group-view.ts`), and resetting a group's committed offsets as
 * `kafka-consumer-groups.sh --reset-offsets` does: to the earliest or latest offset, the first at or
 * after a time, an exact offset or a shift, for one topic (all its partitions or some), planned
 * without `execute` and committed with it. Owns the reset's plan; the commit goes through the
 * coordinator's own OffsetCommit path as a simple commit, which the coordinator refuses while the
 * group has members, as Kafka does. Must never commit an offset outside a partition's log.
 */
import { ErrorCode, errorCodeName } from "@eddy/protocol";
import type { BrokerNode } from "../node/broker-node.ts";
import { ApiRefusal, intWithin } from "./api-json.ts";
import {
  CoordinatorUnavailable,
  describeGroup,
  type GroupView,
  listGroups,
  withLeaderLag,
} from "./group-view.ts";

/** OffsetCommit v7's meaning (generation -1 and no member: a simple, administrative commit). */
const commitApiVersion = 7;

/** Every group with its member count and total lag, partitions hosted elsewhere asked of their leaders. */
export async function listGroupsWithLag(node: BrokerNode): Promise<unknown> {
  const summaries = await listGroups(node);
  const views = new Map<string, GroupView>();
  for (const g of summaries) {
    const view = await describeGroup(node, g.groupId).catch(() => null);
    if (view !== null) views.set(g.groupId, view);
  }
  // One leader read for all the groups of the listing.
  const complete = new Map((await withLeaderLag(node, [...views.values()])).map((v) => [v.groupId, v]));
  const groups = summaries.map((g) => {
    const view = complete.get(g.groupId);
    return { ...g, memberCount: view?.members.length ?? 0, totalLag: view?.totalLag ?? null };
  });
  return { groups };
}

/**
 * One group: its generation and protocol, members and assignments, and the lag of every partition
 * it committed or was assigned, those hosted on other nodes asked of their leaders.
 */
export async function groupDetail(node: BrokerNode, groupId: string): Promise<unknown> {
  const view = await describeGroup(node, groupId);
  if (view === null) throw new ApiRefusal(404, `no group named ${groupId}`);
  const [complete] = await withLeaderLag(node, [view]);
  return complete;
}

type Target =
  | { readonly kind: "earliest" }
  | { readonly kind: "latest" }
  | { readonly kind: "offset"; readonly offset: number }
  | { readonly kind: "timestamp"; readonly timestampMs: number }
  | { readonly kind: "shift"; readonly by: number };

function targetOf(body: Record<string, unknown>): Target {
  const to = body.to;
  if (to === "earliest" || to === "latest") return { kind: to };
  const bound = { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
  if (to === "offset")
    return { kind: "offset", offset: intWithin(body.offset, "offset", { min: 0, max: bound.max }, null) };
  if (to === "timestamp")
    return {
      kind: "timestamp",
      timestampMs: intWithin(body.timestamp, "timestamp", { min: 0, max: bound.max }, null),
    };
  if (to === "shift") return { kind: "shift", by: intWithin(body.by, "by", bound, null) };
  throw new ApiRefusal(
    400,
    'to must be "earliest", "latest", "offset" (with offset), "timestamp" (with timestamp in ms) or "shift" (with by)',
  );
}

/**
 * `{ topic, partitions?: number[], to, offset? | timestamp? | by?, execute?: boolean }`: the planned
 * offset of each partition (clamped to its log), committed only when `execute` is true.
 */
export async function resetGroupOffsets(
  node: BrokerNode,
  groupId: string,
  body: Record<string, unknown>,
): Promise<unknown> {
  const topic = body.topic;
  if (typeof topic !== "string" || node.image.topics[topic] === undefined) {
    throw new ApiRefusal(404, `no topic named ${String(topic)}`);
  }
  const all = node.image.topics[topic]!.partitions.map((p) => p.partition);
  const asked = body.partitions;
  if (asked !== undefined && (!Array.isArray(asked) || asked.some((p) => !all.includes(p as number)))) {
    throw new ApiRefusal(400, `partitions must be a list of ${topic}'s partitions (0 to ${all.length - 1})`);
  }
  const partitions = (asked as number[] | undefined) ?? all;
  const target = targetOf(body);
  const execute = body.execute === true;
  const view = await describeGroup(node, groupId);
  if (view !== null && view.members.length > 0) {
    throw new ApiRefusal(
      409,
      `group ${groupId} has ${view.members.length} active member(s); offsets can be reset only while it is empty, so stop its consumers first`,
    );
  }
  const committed = new Map(
    view?.offsets.filter((o) => o.topic === topic).map((o) => [o.partition, o.committedOffset]),
  );
  const plan = partitions.map((partition) => {
    const replica = node.partition(topic, partition);
    if (replica === undefined)
      throw new ApiRefusal(503, `partition ${topic}-${partition} is not hosted on this node`);
    const start = replica.logStartOffset;
    const end = replica.highWatermark;
    let offset: number;
    switch (target.kind) {
      case "earliest":
        offset = start;
        break;
      case "latest":
        offset = end;
        break;
      case "offset":
        offset = target.offset;
        break;
      case "timestamp": {
        const found = replica.listOffset(target.timestampMs, -1);
        if (found.errorCode !== ErrorCode.NONE) throw new ApiRefusal(503, errorCodeName(found.errorCode));
        offset = found.offset < 0 ? end : found.offset;
        break;
      }
      case "shift":
        offset = (committed.get(partition) ?? start) + target.by;
        break;
    }
    // As Kafka's tool: an offset outside the log is moved to its nearest end.
    offset = Math.min(end, Math.max(start, offset));
    return { topic, partition, currentOffset: committed.get(partition) ?? null, newOffset: offset };
  });
  if (!execute) return { groupId, executed: false, offsets: plan };
  const answer = await node.groups.request({
    type: "offsetCommit",
    groupId,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    apiVersion: commitApiVersion,
    offsets: plan.map((p) => ({
      topic,
      partition: p.partition,
      offset: p.newOffset,
      leaderEpoch: -1,
      metadata: null,
    })),
  });
  if (answer === null) throw new CoordinatorUnavailable("the group coordinator cannot answer now");
  const refused = answer.partitions.find((p) => p.errorCode !== ErrorCode.NONE);
  if (refused !== undefined) {
    const status =
      refused.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ||
      refused.errorCode === ErrorCode.REBALANCE_IN_PROGRESS
        ? 409
        : 400;
    throw new ApiRefusal(status, `the coordinator refused the commit: ${errorCodeName(refused.errorCode)}`);
  }
  await node.deleteOffsetsIfTopicsDeleted([topic]);
  return { groupId, executed: true, offsets: plan };
}
