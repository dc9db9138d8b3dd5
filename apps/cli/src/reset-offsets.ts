/**
 * `groups reset-offsets`: moving a consumer group's committed offsets, as
 * `kafka-consumer-groups.sh --reset-offsets` does. Owns the plan (each
 * partition's current committed offset and the new one, clamped to the log as Kafka clamps it) and
 * its commit as a simple commit (OffsetCommit, generation -1, no member). Must never commit while the
 * group has active members: their next commit would overwrite the reset, so Kafka refuses, and so
 * does this.
 */
import { ApiKey, ErrorCode, errorCodeName } from "@eddy/protocol";
import { type Admin, ApiVersion, codeText, KafkaError, unknownTopic } from "./admin.ts";
import type { ResetSpec, TopicPartitions } from "./args.ts";

export interface ResetRow {
  readonly topic: string;
  readonly partition: number;
  /** Null when the group has committed nothing there. */
  readonly currentOffset: number | null;
  readonly newOffset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export interface ResetPlan {
  readonly groupId: string;
  readonly state: string;
  readonly executed: boolean;
  readonly partitions: readonly ResetRow[];
}

/** States in which a group has no members whose commits could race the reset. */
const inactiveStates = new Set(["Empty", "Dead"]);
/** One reset touches at most this many partitions; more is a mistake worth stopping. */
const partitionsMax = 100_000;

export async function resetOffsets(
  admin: Admin,
  groupId: string,
  topics: readonly TopicPartitions[] | null,
  spec: ResetSpec,
  execute: boolean,
): Promise<ResetPlan> {
  const { connection } = await admin.coordinator(groupId);
  const described = await connection.request(ApiKey.DescribeGroups, ApiVersion.describeGroups, {
    groups: [groupId],
    includeAuthorizedOperations: false,
  });
  const group = described.groups.find((g) => g.groupId === groupId);
  if (group === undefined || group.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(
      `cannot describe group '${groupId}': ${codeText(group?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR)}`,
    );
  }
  if (execute && !inactiveStates.has(group.groupState)) {
    throw new KafkaError(
      `cannot reset the offsets of group '${groupId}': it has ${group.members.length} active member(s) ` +
        `(state ${group.groupState}); stop its consumers first (offsets are only reset for an inactive group, ` +
        `as in Kafka), 'eddy groups describe ${groupId}' shows them`,
    );
  }
  const fetched = await connection.request(ApiKey.OffsetFetch, ApiVersion.offsetFetch, {
    groupId,
    topics: null,
  });
  if (fetched.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(`cannot fetch the offsets of group '${groupId}': ${codeText(fetched.errorCode)}`);
  }
  const committed = new Map<string, number>();
  for (const t of fetched.topics) {
    for (const p of t.partitions) {
      if (p.errorCode === ErrorCode.NONE && p.committedOffset >= 0n) {
        committed.set(`${t.name}\0${p.partitionIndex}`, Number(p.committedOffset));
      }
    }
  }
  // The partitions to reset: those named, or with --all-topics every partition of every topic the group committed.
  const named: readonly TopicPartitions[] =
    topics ??
    [...new Set([...committed.keys()].map((k) => k.split("\0")[0]!))].map((topic) => ({
      topic,
      partitions: null,
    }));
  if (named.length === 0) {
    throw new KafkaError(
      `group '${groupId}' has committed no offsets, so --all-topics names nothing; name topics with --topic T`,
    );
  }
  const metadata = await admin.metadata(named.map((t) => t.topic));
  const targets: { topic: string; partition: number; leader: number }[] = [];
  for (const wanted of named) {
    const topic = metadata.topics.find((t) => t.name === wanted.topic);
    if (topic === undefined || topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
      throw unknownTopic(wanted.topic);
    if (topic.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(`cannot read topic '${wanted.topic}': ${errorCodeName(topic.errorCode)}`);
    }
    const leaders = new Map(topic.partitions.map((p) => [p.partitionIndex, p.leaderId]));
    for (const partition of wanted.partitions ?? [...leaders.keys()].sort((a, b) => a - b)) {
      const leader = leaders.get(partition);
      if (leader === undefined) {
        throw new KafkaError(
          `topic '${wanted.topic}' has no partition ${partition} (it has ${leaders.size}); 'eddy topics describe ${wanted.topic}' shows them`,
        );
      }
      targets.push({ topic: wanted.topic, partition, leader });
    }
  }
  if (targets.length > partitionsMax) {
    throw new KafkaError(`refusing to reset ${targets.length} partitions at once (at most ${partitionsMax})`);
  }
  const bounds = await admin.logOffsets(targets);
  const byTime =
    spec.to === "datetime" ? await admin.offsetsForTime(targets, spec.timestampMs) : new Map<string, null>();
  const rows: ResetRow[] = targets.map(({ topic, partition }) => {
    const key = `${topic}\0${partition}`;
    const bound = bounds.get(key);
    if (bound === undefined || bound.start === null || bound.end === null) {
      throw new KafkaError(
        `cannot read the log offsets of ${topic}-${partition}: ${bound?.error ?? "no answer"}; try again in a moment`,
      );
    }
    const start = bound.start;
    const end = bound.end;
    const current = committed.get(key) ?? null;
    const clamp = (offset: number): number => Math.min(end, Math.max(start, offset));
    let next: number;
    switch (spec.to) {
      case "earliest":
        next = start;
        break;
      case "latest":
        next = end;
        break;
      case "offset":
        next = clamp(spec.offset);
        break;
      case "datetime":
        // No record at or after the time: the end, as Kafka's tool does.
        next = byTime.get(key) ?? end;
        break;
      case "shift":
        if (current === null) {
          throw new KafkaError(
            `cannot shift ${topic}-${partition}: group '${groupId}' has no committed offset there; use --to-earliest, --to-latest or --to-offset for it`,
          );
        }
        next = clamp(current + spec.by);
        break;
    }
    return {
      topic,
      partition,
      currentOffset: current,
      newOffset: next,
      logStartOffset: start,
      logEndOffset: end,
    };
  });
  if (execute) await commit(admin, groupId, rows);
  return { groupId, state: group.groupState, executed: execute, partitions: rows };
}

/** Commits the plan as a simple commit; every partition's answer is checked. */
async function commit(admin: Admin, groupId: string, rows: readonly ResetRow[]): Promise<void> {
  const { connection } = await admin.coordinator(groupId);
  const topics = new Map<string, ResetRow[]>();
  for (const row of rows) topics.set(row.topic, [...(topics.get(row.topic) ?? []), row]);
  const response = await connection.request(ApiKey.OffsetCommit, ApiVersion.offsetCommit, {
    groupId,
    generationIdOrMemberEpoch: -1,
    memberId: "",
    groupInstanceId: null,
    topics: [...topics].map(([name, list]) => ({
      name,
      partitions: list.map((row) => ({
        partitionIndex: row.partition,
        committedOffset: BigInt(row.newOffset),
        committedLeaderEpoch: -1,
        committedMetadata: "",
      })),
    })),
  });
  for (const t of response.topics) {
    for (const p of t.partitions) {
      if (p.errorCode === ErrorCode.NONE) continue;
      const hint =
        p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || p.errorCode === ErrorCode.ILLEGAL_GENERATION
          ? "; a consumer joined the group meanwhile: stop it and run this again"
          : "";
      throw new KafkaError(
        `cannot commit the offset of ${t.name}-${p.partitionIndex} for group '${groupId}': ${errorCodeName(p.errorCode)}${hint}`,
      );
    }
  }
}
