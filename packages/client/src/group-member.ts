/**
 * Membership of one consumer group for one topic, shared by `eddy consume --group` and `bun run perf
 * consume --group`: JoinGroup (with the member id the broker asks for, KIP-394), SyncGroup (the
 * leader deals the topic's partitions round robin, as Kafka's RoundRobinAssignor does for one
 * topic), the committed offsets, heartbeats, commits and LeaveGroup. It never rejoins on its own: a
 * heartbeat that learns of a rebalance sets `rebalancing`, and the caller decides (the CLI commits
 * and calls `rejoin`; perf, which measures steady consumption, reports it and stops). Owns the
 * heartbeat timer, not the coordinator connection (the caller opened it and closes it). Must never
 * commit for a generation it is not part of: a commit refused for a stale generation is reported,
 * and the caller rejoins.
 */
import {
  ApiKey,
  decodeAssignmentBytes,
  decodeSubscriptionBytes,
  ErrorCode,
  encodeAssignmentBytes,
  encodeSubscriptionBytes,
  errorCodeName,
} from "@eddy/protocol";
import type { KafkaConnection } from "./connection.ts";
import { KafkaError } from "./kafka-error.ts";

/** The group API versions the member speaks (all within what Eddy and Kafka 3.x serve). */
export const GroupApiVersion = {
  joinGroup: 5,
  syncGroup: 3,
  heartbeat: 3,
  leaveGroup: 3,
  offsetFetch: 5,
  offsetCommit: 7,
} as const;

export interface GroupMemberOptions {
  /** How long the coordinator waits for a heartbeat before it drops the member (Kafka's session.timeout.ms). */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** JoinGroup may answer MEMBER_ID_REQUIRED once, then a rebalance may need a few more tries. */
  readonly joinAttemptsMax?: number;
}

const defaults: Required<GroupMemberOptions> = {
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  joinAttemptsMax: 20,
};
/** A bound on join attempts whatever a caller asks: each is a round trip to the coordinator. */
const joinAttemptsLimit = 1_000;
const protocolName = "roundrobin";
const ApiVersion = GroupApiVersion;

export class GroupMember {
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private memberId = "";
  private generationId = -1;
  /** The partitions of the topic this member was given in the current generation. */
  partitions: readonly number[] = [];
  /** Set when a heartbeat learns the group is rebalancing; the caller commits and rejoins. */
  rebalancing = false;
  /** Set when the membership is lost for good (the coordinator went away). */
  lostReason: string | null = null;

  private readonly options: Required<GroupMemberOptions>;

  private constructor(
    private readonly coordinator: KafkaConnection,
    readonly groupId: string,
    private readonly topic: string,
    private readonly partitionsCount: number,
    options: GroupMemberOptions,
  ) {
    this.options = { ...defaults, ...options };
    if (!(this.options.joinAttemptsMax >= 1 && this.options.joinAttemptsMax <= joinAttemptsLimit))
      throw new RangeError(`joinAttemptsMax must be 1..${joinAttemptsLimit}`);
  }

  /** Joins `groupId` for `topic` (of `partitionsCount` partitions) through its coordinator's connection. */
  static async join(
    coordinator: KafkaConnection,
    groupId: string,
    topic: string,
    partitionsCount: number,
    options: GroupMemberOptions = {},
  ): Promise<GroupMember> {
    const member = new GroupMember(coordinator, groupId, topic, partitionsCount, options);
    await member.rejoin();
    return member;
  }

  /** Joins (again), syncs and starts heartbeats; afterwards `partitions` is this generation's. */
  async rejoin(): Promise<void> {
    this.stopHeartbeats();
    this.rebalancing = false;
    const metadata = encodeSubscriptionBytes({ topics: [this.topic] }, 0);
    for (let attempt = 0; attempt < this.options.joinAttemptsMax; attempt++) {
      const joined = await this.coordinator.request(ApiKey.JoinGroup, ApiVersion.joinGroup, {
        groupId: this.groupId,
        sessionTimeoutMs: this.options.sessionTimeoutMs,
        rebalanceTimeoutMs: this.options.sessionTimeoutMs,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocols: [{ name: protocolName, metadata }],
      });
      if (
        joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED ||
        joined.errorCode === ErrorCode.UNKNOWN_MEMBER_ID
      ) {
        this.memberId = joined.errorCode === ErrorCode.UNKNOWN_MEMBER_ID ? "" : joined.memberId;
        continue;
      }
      if (joined.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(`cannot join group '${this.groupId}': ${errorCodeName(joined.errorCode)}`);
      }
      this.memberId = joined.memberId;
      const assignments =
        joined.leader === this.memberId
          ? assignRoundRobin(joined.members, this.topic, this.partitionsCount)
          : [];
      const synced = await this.coordinator.request(ApiKey.SyncGroup, ApiVersion.syncGroup, {
        groupId: this.groupId,
        generationId: joined.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocolName,
        assignments,
      });
      if (synced.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (synced.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(`cannot sync group '${this.groupId}': ${errorCodeName(synced.errorCode)}`);
      }
      this.generationId = joined.generationId;
      this.partitions =
        synced.assignment.length === 0
          ? []
          : decodeAssignmentBytes(synced.assignment)
              .assignment.assignedPartitions.filter((a) => a.topic === this.topic)
              .flatMap((a) => a.partitions)
              .sort((a, b) => a - b);
      this.startHeartbeats();
      return;
    }
    throw new KafkaError(
      `group '${this.groupId}' kept rebalancing for ${this.options.joinAttemptsMax} join attempts; try again`,
    );
  }

  /** The committed offset of each of this member's partitions; absent where none is committed. */
  async committedOffsets(): Promise<Map<number, number>> {
    const response = await this.coordinator.request(ApiKey.OffsetFetch, ApiVersion.offsetFetch, {
      groupId: this.groupId,
      topics: [{ name: this.topic, partitionIndexes: [...this.partitions] }],
    });
    if (response.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(
        `cannot read the offsets of group '${this.groupId}': ${errorCodeName(response.errorCode)}`,
      );
    }
    const offsets = new Map<number, number>();
    for (const t of response.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.NONE && p.committedOffset >= 0n)
          offsets.set(p.partitionIndex, Number(p.committedOffset));
      }
    }
    return offsets;
  }

  /**
   * Commits the next offset to read of each partition. Returns false when the generation moved on
   * (the group is rebalancing): the caller rejoins, and the new owner starts from what was committed before.
   */
  async commit(positions: ReadonlyMap<number, number>): Promise<boolean> {
    if (positions.size === 0) return true;
    const response = await this.coordinator.request(ApiKey.OffsetCommit, ApiVersion.offsetCommit, {
      groupId: this.groupId,
      generationIdOrMemberEpoch: this.generationId,
      memberId: this.memberId,
      groupInstanceId: null,
      topics: [
        {
          name: this.topic,
          partitions: [...positions].map(([partitionIndex, offset]) => ({
            partitionIndex,
            committedOffset: BigInt(offset),
            committedLeaderEpoch: -1,
            committedMetadata: "",
          })),
        },
      ],
    });
    for (const t of response.topics) {
      for (const p of t.partitions) {
        if (p.errorCode === ErrorCode.NONE) continue;
        if (
          p.errorCode === ErrorCode.REBALANCE_IN_PROGRESS ||
          p.errorCode === ErrorCode.ILLEGAL_GENERATION ||
          p.errorCode === ErrorCode.UNKNOWN_MEMBER_ID
        ) {
          this.rebalancing = true;
          return false;
        }
        throw new KafkaError(
          `cannot commit ${t.name}-${p.partitionIndex} for group '${this.groupId}': ${errorCodeName(p.errorCode)}`,
        );
      }
    }
    return true;
  }

  /** Leaves the group so that the others rebalance at once rather than after the session timeout. */
  async leave(): Promise<void> {
    this.stopHeartbeats();
    if (this.memberId === "") return;
    await this.coordinator.request(ApiKey.LeaveGroup, ApiVersion.leaveGroup, {
      groupId: this.groupId,
      members: [{ memberId: this.memberId, groupInstanceId: null }],
    });
  }

  stopHeartbeats(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private startHeartbeats(): void {
    this.heartbeatTimer = setInterval(() => {
      this.coordinator
        .request(ApiKey.Heartbeat, ApiVersion.heartbeat, {
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
          groupInstanceId: null,
        })
        .then(
          (response) => {
            if (response.errorCode === ErrorCode.NONE) return;
            if (
              response.errorCode === ErrorCode.REBALANCE_IN_PROGRESS ||
              response.errorCode === ErrorCode.ILLEGAL_GENERATION ||
              response.errorCode === ErrorCode.UNKNOWN_MEMBER_ID
            ) {
              this.rebalancing = true;
            } else {
              this.lostReason ??= `group '${this.groupId}' heartbeat: ${errorCodeName(response.errorCode)}`;
            }
            this.stopHeartbeats();
          },
          (error: Error) => {
            this.lostReason ??= error.message;
            this.stopHeartbeats();
          },
        );
    }, this.options.heartbeatIntervalMs);
  }
}

/** The leader's assignment: the topic's partitions dealt round robin to members subscribed to it. */
function assignRoundRobin(
  members: readonly { memberId: string; metadata: Uint8Array }[],
  topic: string,
  partitionsCount: number,
): { memberId: string; assignment: Uint8Array }[] {
  const subscribed = members
    .filter((m) => decodeSubscriptionBytes(m.metadata).subscription.topics.includes(topic))
    .map((m) => m.memberId)
    .sort();
  const owned = new Map<string, number[]>(subscribed.map((id) => [id, []]));
  for (let p = 0; p < partitionsCount && subscribed.length > 0; p++) {
    owned.get(subscribed[p % subscribed.length]!)!.push(p);
  }
  return members.map((m) => ({
    memberId: m.memberId,
    assignment: encodeAssignmentBytes(
      { assignedPartitions: [{ topic, partitions: owned.get(m.memberId) ?? [] }] },
      0,
    ),
  }));
}
