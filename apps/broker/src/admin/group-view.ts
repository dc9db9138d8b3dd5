/**
 * Consumer groups as operators read them: each group's state, members with their assignments, and
 * per partition the committed offset, the high watermark and the lag between them, computed as
 * `eddy groups describe` and Kafka's kafka-consumer-groups.sh compute it (the high watermark minus
 * the committed offset, never below 0; none without a committed offset). Owns only reading: it asks
 * the node's group coordinator through the same requests the Kafka APIs use, and must never change a
 * group (resetting offsets is `api-groups.ts`'s, through OffsetCommit's path). A partition hosted on
 * another node gets its high watermark from its leader in `withLeaderLag` (one read for any number
 * of groups), the one place the JSON API and the lag metric both take it from.
 */
import { decodeAssignmentBytes, ErrorCode } from "@eddy/protocol";
import type { BrokerNode } from "../node/broker-node.ts";
import {
  leaderHighWatermarks,
  leaderOffsetsPartitionsMax,
  type PartitionRef,
  partitionRefKey,
} from "./leader-offsets.ts";

/** Groups one listing or scrape reads: the coordinator's own bound is larger, a scrape must stay cheap. */
export const groupsReadMax = 1_000;

export interface GroupSummary {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
}

export interface GroupMemberView {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly assignment: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

export interface GroupOffsetView {
  readonly topic: string;
  readonly partition: number;
  /** null when the group has committed nothing for this partition. */
  readonly committedOffset: number | null;
  /**
   * null when this node does not host the partition (it was deleted, or lives elsewhere) and, after
   * `withLeaderLag`, when its leader did not answer either.
   */
  readonly highWatermark: number | null;
  readonly lag: number | null;
  readonly memberId: string | null;
}

export interface GroupView extends GroupSummary {
  /** The coordinator's generation of the group (0 before its first rebalance). */
  readonly generationId: number;
  /** The protocol the group chose (the assignor, e.g. "range"); "" unless Stable. */
  readonly protocol: string;
  readonly members: readonly GroupMemberView[];
  readonly offsets: readonly GroupOffsetView[];
  readonly totalLag: number;
}

/** Thrown when the coordinator cannot answer now (shutting down, a failed write): try again later. */
export class CoordinatorUnavailable extends Error {
  override readonly name = "CoordinatorUnavailable";
}

export async function listGroups(node: BrokerNode): Promise<GroupSummary[]> {
  const answer = await node.groups.request({ type: "listGroups", statesFilter: [] });
  if (answer === null || answer.errorCode !== ErrorCode.NONE) {
    throw new CoordinatorUnavailable("the group coordinator cannot answer now");
  }
  return answer.groups
    .slice(0, groupsReadMax)
    .map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType }))
    .sort((a, b) => a.groupId.localeCompare(b.groupId));
}

function memberAssignment(protocolType: string, bytes: Uint8Array): GroupMemberView["assignment"] {
  if (protocolType !== "consumer" || bytes.length === 0) return [];
  try {
    const { assignment } = decodeAssignmentBytes(bytes);
    return assignment.assignedPartitions
      .map((t) => ({ topic: t.topic, partitions: [...t.partitions].sort((a, b) => a - b) }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
  } catch {
    // An assignment of another shape (a client's own protocol) is shown as none rather than failing.
    return [];
  }
}

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** One group with members, assignments and lag; null when the coordinator holds no such group. */
export async function describeGroup(node: BrokerNode, groupId: string): Promise<GroupView | null> {
  const described = await node.groups.request({ type: "describeGroups", groupIds: [groupId] });
  const fetched = await node.groups.request({ type: "offsetFetch", groupId, partitions: null });
  if (described === null || fetched === null) {
    throw new CoordinatorUnavailable("the group coordinator cannot answer now");
  }
  const group = described.groups[0];
  const committed = new Map<string, { topic: string; partition: number; offset: number }>();
  if (fetched.errorCode === ErrorCode.NONE) {
    for (const p of fetched.partitions) {
      if (p.errorCode === ErrorCode.NONE && p.committedOffset >= 0) {
        committed.set(keyOf(p.topic, p.partition), {
          topic: p.topic,
          partition: p.partition,
          offset: p.committedOffset,
        });
      }
    }
  }
  if (group === undefined || (group.state === "Dead" && committed.size === 0)) return null;
  const members: GroupMemberView[] = group.members.map((m) => ({
    memberId: m.memberId,
    groupInstanceId: m.groupInstanceId,
    clientId: m.clientId,
    clientHost: m.clientHost,
    assignment: memberAssignment(group.protocolType, m.assignment),
  }));
  // The partitions shown: every committed one and every assigned one, as `eddy groups describe`.
  const partitions = new Map<string, { topic: string; partition: number; memberId: string | null }>();
  for (const [key, c] of committed)
    partitions.set(key, { topic: c.topic, partition: c.partition, memberId: null });
  for (const m of members) {
    for (const a of m.assignment) {
      for (const partition of a.partitions) {
        partitions.set(keyOf(a.topic, partition), { topic: a.topic, partition, memberId: m.memberId });
      }
    }
  }
  let totalLag = 0;
  const offsets = [...partitions.values()]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((p): GroupOffsetView => {
      const committedOffset = committed.get(keyOf(p.topic, p.partition))?.offset ?? null;
      const replica =
        node.image.topics[p.topic] === undefined ? undefined : node.partition(p.topic, p.partition);
      const highWatermark = replica?.highWatermark ?? null;
      const lag = lagOf(committedOffset, highWatermark);
      totalLag += lag ?? 0;
      return {
        topic: p.topic,
        partition: p.partition,
        committedOffset,
        highWatermark,
        lag,
        memberId: p.memberId,
      };
    });
  return {
    groupId,
    state: group.state,
    protocolType: group.protocolType,
    generationId: group.generationId,
    protocol: group.protocolData,
    members,
    offsets,
    totalLag,
  };
}

/** Kafka's lag: the high watermark minus the committed offset, never below 0; unknown without both. */
function lagOf(committedOffset: number | null, highWatermark: number | null): number | null {
  return committedOffset === null || highWatermark === null
    ? null
    : Math.max(0, highWatermark - committedOffset);
}

/**
 * The views with the high watermark and lag of each partition this node does not host taken from
 * the partition's leader (`leader-offsets.ts`: one ListOffsets per leader for all the views at once,
 * bounded in time), so a group's lag covers every partition wherever it lives. A partition whose leader
 * does not answer keeps an unknown lag; a deleted topic is not asked. At most
 * `leaderOffsetsPartitionsMax` partitions are asked; the rest stay unknown.
 */
export async function withLeaderLag(node: BrokerNode, views: readonly GroupView[]): Promise<GroupView[]> {
  const wanted: PartitionRef[] = [];
  const asked = new Set<string>();
  for (const view of views) {
    for (const o of view.offsets) {
      const key = keyOf(o.topic, o.partition);
      if (o.highWatermark !== null || asked.has(key) || node.image.topics[o.topic] === undefined) continue;
      if (wanted.length >= leaderOffsetsPartitionsMax) break;
      asked.add(key);
      wanted.push({ topic: o.topic, partition: o.partition });
    }
  }
  if (wanted.length === 0) return [...views];
  const highWatermarks = await leaderHighWatermarks(node, wanted);
  return views.map((view) => {
    let totalLag = 0;
    const offsets = view.offsets.map((o): GroupOffsetView => {
      const highWatermark =
        o.highWatermark ?? highWatermarks.get(partitionRefKey(o.topic, o.partition)) ?? null;
      const lag = lagOf(o.committedOffset, highWatermark);
      totalLag += lag ?? 0;
      return highWatermark === o.highWatermark ? o : { ...o, highWatermark, lag };
    });
    return { ...view, offsets, totalLag };
  });
}
