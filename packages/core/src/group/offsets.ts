/**
 * Committed offsets of groups: OffsetCommit (API key 8) with Kafka's generation checks, OffsetFetch
 * (API key 9), and the expiry of old offsets (`offsets.retention.minutes`) with the removal of Empty groups
 * that have nothing left.
 *
 * It must never accept a commit from a stale generation or an unknown member of a managed group: that is
 * what keeps a zombie consumer from moving a partition's position after it lost the partition.
 */
import { invariant } from "../invariant.ts";
import { tryDecodeSubscriptionTopics } from "./assignors/consumer-protocol.ts";
import { type Context, respond } from "./context.ts";
import { ErrorCode, type ErrorCodeValue } from "./errors.ts";
import { scheduleSession, validateMember } from "./rebalance.ts";
import { nameCharsMax, newGroup } from "./state.ts";
import type {
  CommittedOffset,
  Group,
  OffsetCommitInput,
  OffsetFetchInput,
  OffsetFetchResponse,
} from "./types.ts";

/** The first OffsetCommit version that answers GROUP_ID_NOT_FOUND for a missing group (KIP-848 era). */
export const groupIdNotFoundCommitVersionMin = 9;

/** Kafka's ClassicGroup.validateOffsetCommit, in its order. */
function validateCommit(group: Group, input: OffsetCommitInput): ErrorCodeValue {
  if (input.generationId < 0 && group.state === "Empty") return ErrorCode.NONE;
  if (input.generationId >= 0 || input.memberId !== "" || input.groupInstanceId !== null) {
    const validation = validateMember(group, input.memberId, input.groupInstanceId);
    if (validation !== ErrorCode.NONE) return validation;
    if (input.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (group.state !== "Empty") {
    return ErrorCode.UNKNOWN_MEMBER_ID;
  }
  // The member has its new generation from JoinGroup but no assignment yet: let it retry after SyncGroup.
  if (group.state === "CompletingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
}

export function setOffset(group: Group, topic: string, partition: number, committed: CommittedOffset): void {
  let partitions = group.offsets.get(topic);
  if (partitions === undefined) {
    partitions = new Map();
    group.offsets.set(topic, partitions);
  }
  if (!partitions.has(partition)) group.offsetCount += 1;
  partitions.set(partition, committed);
  invariant(group.offsetCount > 0, "setOffset: count must be positive after a set");
}

export function deleteOffset(group: Group, topic: string, partition: number): boolean {
  const partitions = group.offsets.get(topic);
  if (partitions === undefined || !partitions.delete(partition)) return false;
  group.offsetCount -= 1;
  if (partitions.size === 0) group.offsets.delete(topic);
  invariant(group.offsetCount >= 0, "deleteOffset: negative count");
  return true;
}

/** Finds (or, for a simple commit, creates) the group and checks the request against it. */
function commitTarget(
  ctx: Context,
  input: OffsetCommitInput,
): { group: Group; created: boolean } | ErrorCodeValue {
  const options = ctx.state.options;
  if (input.offsets.length > options.requestEntriesMax) return ErrorCode.INVALID_REQUEST;
  if (input.groupId.length === 0 || input.groupId.length > nameCharsMax) return ErrorCode.INVALID_GROUP_ID;
  const existing = ctx.state.groups.get(input.groupId);
  if (existing !== undefined) {
    const validation = validateCommit(existing, input);
    return validation === ErrorCode.NONE ? { group: existing, created: false } : validation;
  }
  if (input.generationId >= 0) {
    return input.apiVersion >= groupIdNotFoundCommitVersionMin
      ? ErrorCode.GROUP_ID_NOT_FOUND
      : ErrorCode.ILLEGAL_GENERATION;
  }
  if (ctx.state.groups.size >= options.groupsMax) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  // A simple (or admin) group that only stores offsets.
  const group = newGroup(input.groupId, ctx.nowMs, null);
  ctx.state.groups.set(group.groupId, group);
  invariant(
    validateCommit(group, input) === ErrorCode.NONE,
    "commitTarget: a new group must take a simple commit",
  );
  return { group, created: true };
}

export function offsetCommit(ctx: Context, input: OffsetCommitInput): void {
  const options = ctx.state.options;
  const target = commitTarget(ctx, input);
  if (typeof target === "number") {
    respond(ctx, {
      kind: "offsetCommit",
      requestId: input.requestId,
      partitions: input.offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: target })),
    });
    return;
  }
  const { group, created } = target;
  const member = group.members.get(input.memberId);
  if (member !== undefined && input.generationId === group.generationId) scheduleSession(ctx, member);

  const results: { topic: string; partition: number; errorCode: ErrorCodeValue }[] = [];
  for (const entry of input.offsets) {
    let errorCode: ErrorCodeValue = ErrorCode.NONE;
    if (
      entry.topic.length === 0 ||
      entry.topic.length > nameCharsMax ||
      !Number.isSafeInteger(entry.partition) ||
      entry.partition < 0
    ) {
      errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    } else if (!Number.isSafeInteger(entry.offset) || !Number.isSafeInteger(entry.leaderEpoch)) {
      errorCode = ErrorCode.INVALID_REQUEST;
    } else if ((entry.metadata ?? "").length > options.offsetMetadataBytesMax) {
      errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
    } else if (
      group.offsetCount >= options.offsetsPerGroupMax &&
      !group.offsets.get(entry.topic)?.has(entry.partition)
    ) {
      errorCode = ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    } else {
      const committed: CommittedOffset = {
        offset: entry.offset,
        leaderEpoch: entry.leaderEpoch,
        metadata: entry.metadata ?? "",
        commitTimestampMs: ctx.nowMs,
      };
      setOffset(group, entry.topic, entry.partition, committed);
      ctx.persist.push({
        kind: "offsetCommit",
        groupId: group.groupId,
        topic: entry.topic,
        partition: entry.partition,
        ...committed,
        generationId: input.generationId,
      });
    }
    results.push({ topic: entry.topic, partition: entry.partition, errorCode });
  }
  invariant(results.length === input.offsets.length, "offsetCommit: one result per partition");
  respond(ctx, { kind: "offsetCommit", requestId: input.requestId, partitions: results });
  if (created && group.offsetCount === 0) ctx.state.groups.delete(group.groupId);
}

export function offsetFetch(ctx: Context, input: OffsetFetchInput): void {
  const group = ctx.state.groups.get(input.groupId);
  const partitions: OffsetFetchResponse["partitions"][number][] = [];
  if (input.partitions !== null && input.partitions.length > ctx.state.options.requestEntriesMax) {
    respond(ctx, {
      kind: "offsetFetch",
      requestId: input.requestId,
      errorCode: ErrorCode.INVALID_REQUEST,
      partitions,
    });
    return;
  }
  if (input.partitions === null) {
    if (group !== undefined) {
      for (const [topic, byPartition] of group.offsets) {
        for (const [partition, committed] of byPartition) {
          partitions.push({
            topic,
            partition,
            committedOffset: committed.offset,
            committedLeaderEpoch: committed.leaderEpoch,
            metadata: committed.metadata,
            errorCode: ErrorCode.NONE,
          });
        }
      }
      invariant(partitions.length === group.offsetCount, "offsetFetch: every offset listed");
    }
  } else {
    for (const { topic, partition } of input.partitions) {
      const committed = group?.offsets.get(topic)?.get(partition);
      partitions.push({
        topic,
        partition,
        committedOffset: committed?.offset ?? -1,
        committedLeaderEpoch: committed?.leaderEpoch ?? -1,
        metadata: committed?.metadata ?? "",
        errorCode: ErrorCode.NONE,
      });
    }
  }
  respond(ctx, { kind: "offsetFetch", requestId: input.requestId, errorCode: ErrorCode.NONE, partitions });
}

/** The topics a Stable consumer group subscribes to, or null when they cannot be known. */
function subscribedTopics(group: Group): Set<string> | null {
  if (group.protocolType !== "consumer" || group.state !== "Stable" || group.protocolName === null)
    return null;
  const topics = new Set<string>();
  for (const member of group.members.values()) {
    const metadata = member.protocols.find((p) => p.name === group.protocolName)?.metadata;
    // Only the v0 prefix (version, topics) is read, as Kafka does, so any later version parses.
    const subscribed = metadata === undefined ? null : tryDecodeSubscriptionTopics(metadata);
    if (subscribed === null) return null;
    for (const topic of subscribed) topics.add(topic);
  }
  return topics;
}

/**
 * Kafka's offset expiration: in an Empty group every offset expires once the group has been empty for
 * the retention time; a simple group's offsets expire by their commit time; a Stable consumer group loses
 * only offsets of topics it no longer subscribes to. An Empty group left with no offsets is deleted.
 */
export function expireOffsets(ctx: Context, group: Group): void {
  const retentionMs = ctx.state.options.offsetsRetentionMs;
  let baseOf: ((committed: CommittedOffset, topic: string) => number | null) | null = null;
  if (group.protocolType === null) {
    baseOf = (committed) => committed.commitTimestampMs;
  } else if (group.state === "Empty") {
    baseOf = () => group.stateSinceMs;
  } else {
    const topics = subscribedTopics(group);
    if (topics !== null)
      baseOf = (committed, topic) => (topics.has(topic) ? null : committed.commitTimestampMs);
  }
  if (baseOf !== null) {
    const expired: [string, number][] = [];
    for (const [topic, byPartition] of group.offsets) {
      for (const [partition, committed] of byPartition) {
        const baseMs = baseOf(committed, topic);
        if (baseMs !== null && ctx.nowMs - baseMs >= retentionMs) expired.push([topic, partition]);
      }
    }
    for (const [topic, partition] of expired) {
      invariant(deleteOffset(group, topic, partition), "expireOffsets: offset vanished");
      ctx.persist.push({ kind: "offsetTombstone", groupId: group.groupId, topic, partition });
    }
  }
  if (group.state === "Empty" && group.offsetCount === 0 && group.pendingMembers.size === 0) {
    ctx.state.groups.delete(group.groupId);
    ctx.persist.push({ kind: "groupTombstone", groupId: group.groupId });
  }
}
