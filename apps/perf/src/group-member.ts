/**
 * Membership of one consumer group for `bun run perf consume --group`: FindCoordinator, JoinGroup
 * (with the member id the broker asks for, KIP-394), SyncGroup (the leader assigns the topic's
 * partitions round robin, as Kafka's RoundRobinAssignor does for one topic), the committed offsets,
 * heartbeats, a final OffsetCommit and LeaveGroup. Owns the coordinator connection and the heartbeat
 * timer. Must never rejoin on its own: a rebalance during the run is reported and ends the membership,
 * because a perf run measures steady consumption, not rebalancing.
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
import { ApiVersion, PerfError } from "./cluster.ts";
import { KafkaConnection } from "./connection.ts";

const sessionTimeoutMs = 10_000;
const heartbeatIntervalMs = 3_000;
/** JoinGroup may answer MEMBER_ID_REQUIRED once, then a rebalance may need a few more tries. */
const joinAttemptsMax = 10;

export class GroupMember {
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  /** Set when a heartbeat learns the group is rebalancing or this member is gone. */
  lostReason: string | null = null;

  private constructor(
    private readonly coordinator: KafkaConnection,
    readonly groupId: string,
    readonly memberId: string,
    readonly generationId: number,
    readonly partitions: readonly number[],
  ) {}

  /** Joins `groupId` for `topic` with `partitionsCount` partitions and returns the member with its partitions. */
  static async join(
    bootstrap: KafkaConnection,
    groupId: string,
    topic: string,
    partitionsCount: number,
    timeoutMs: number,
  ): Promise<GroupMember> {
    const found = await bootstrap.request(ApiKey.FindCoordinator, ApiVersion.findCoordinator, {
      key: groupId,
      keyType: 0,
    });
    if (found.errorCode !== ErrorCode.NONE) {
      throw new PerfError(`no coordinator for group ${groupId}: ${errorCodeName(found.errorCode)}`);
    }
    const coordinator = await KafkaConnection.open(found.host, found.port, timeoutMs + sessionTimeoutMs);
    try {
      return await GroupMember.joinAt(coordinator, groupId, topic, partitionsCount);
    } catch (error) {
      coordinator.close();
      throw error;
    }
  }

  private static async joinAt(
    coordinator: KafkaConnection,
    groupId: string,
    topic: string,
    partitionsCount: number,
  ): Promise<GroupMember> {
    const metadata = encodeSubscriptionBytes({ topics: [topic] }, 0);
    let memberId = "";
    for (let attempt = 0; attempt < joinAttemptsMax; attempt++) {
      const joined = await coordinator.request(ApiKey.JoinGroup, ApiVersion.joinGroup, {
        groupId,
        sessionTimeoutMs,
        rebalanceTimeoutMs: sessionTimeoutMs,
        memberId,
        protocolType: "consumer",
        protocols: [{ name: "roundrobin", metadata }],
      });
      if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        memberId = joined.memberId;
        continue;
      }
      if (joined.errorCode !== ErrorCode.NONE) {
        throw new PerfError(`cannot join group ${groupId}: ${errorCodeName(joined.errorCode)}`);
      }
      memberId = joined.memberId;
      const assignments =
        joined.leader === memberId ? assignRoundRobin(joined.members, topic, partitionsCount) : [];
      const synced = await coordinator.request(ApiKey.SyncGroup, ApiVersion.syncGroup, {
        groupId,
        generationId: joined.generationId,
        memberId,
        protocolType: "consumer",
        protocolName: "roundrobin",
        assignments,
      });
      if (synced.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (synced.errorCode !== ErrorCode.NONE) {
        throw new PerfError(`cannot sync group ${groupId}: ${errorCodeName(synced.errorCode)}`);
      }
      const mine =
        synced.assignment.length === 0
          ? []
          : decodeAssignmentBytes(synced.assignment)
              .assignment.assignedPartitions.filter((a) => a.topic === topic)
              .flatMap((a) => a.partitions);
      const member = new GroupMember(coordinator, groupId, memberId, joined.generationId, mine);
      member.startHeartbeats();
      return member;
    }
    throw new PerfError(`group ${groupId} kept rebalancing for ${joinAttemptsMax} join attempts`);
  }

  /** The committed offset of each partition, or -1n where none is committed. */
  async committedOffsets(topic: string): Promise<Map<number, bigint>> {
    const response = await this.coordinator.request(ApiKey.OffsetFetch, ApiVersion.offsetFetch, {
      groupId: this.groupId,
      topics: [{ name: topic, partitionIndexes: [...this.partitions] }],
    });
    if (response.errorCode !== ErrorCode.NONE) {
      throw new PerfError(
        `cannot read offsets of group ${this.groupId}: ${errorCodeName(response.errorCode)}`,
      );
    }
    const offsets = new Map<number, bigint>();
    for (const t of response.topics) {
      for (const p of t.partitions) offsets.set(p.partitionIndex, p.committedOffset);
    }
    return offsets;
  }

  /** Commits the next offsets to read, then leaves the group; returns the first error, or null. */
  async commitAndLeave(topic: string, nextOffsets: ReadonlyMap<number, bigint>): Promise<string | null> {
    this.stopHeartbeats();
    let problem: string | null = this.lostReason;
    try {
      const committed = await this.coordinator.request(ApiKey.OffsetCommit, ApiVersion.offsetCommit, {
        groupId: this.groupId,
        generationIdOrMemberEpoch: this.generationId,
        memberId: this.memberId,
        topics: [
          {
            name: topic,
            partitions: [...nextOffsets].map(([partitionIndex, committedOffset]) => ({
              partitionIndex,
              committedOffset,
            })),
          },
        ],
      });
      for (const t of committed.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== ErrorCode.NONE)
            problem ??= `commit of partition ${p.partitionIndex}: ${errorCodeName(p.errorCode)}`;
        }
      }
      await this.coordinator.request(ApiKey.LeaveGroup, ApiVersion.leaveGroup, {
        groupId: this.groupId,
        members: [{ memberId: this.memberId }],
      });
    } catch (error) {
      problem ??= (error as Error).message;
    }
    this.coordinator.close();
    return problem;
  }

  close(): void {
    this.stopHeartbeats();
    this.coordinator.close();
  }

  private startHeartbeats(): void {
    this.heartbeatTimer = setInterval(() => {
      this.coordinator
        .request(ApiKey.Heartbeat, ApiVersion.heartbeat, {
          groupId: this.groupId,
          generationId: this.generationId,
          memberId: this.memberId,
        })
        .then(
          (response) => {
            if (response.errorCode !== ErrorCode.NONE) {
              this.lostReason ??= `group ${this.groupId} heartbeat: ${errorCodeName(response.errorCode)}`;
              this.stopHeartbeats();
            }
          },
          (error: Error) => {
            this.lostReason ??= error.message;
            this.stopHeartbeats();
          },
        );
    }, heartbeatIntervalMs);
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
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
