/**
 * The Kafka side of the CLI: the bootstrap connection, one connection per other broker it must reach
 * (partition leaders for ListOffsets, a group's coordinator), and one method per admin question, each
 * answering plain data or throwing a `KafkaError` whose message says what to do. Owns the request
 * versions it speaks (all within what the broker serves, apps/broker/README.md) and closing what it
 * opened. Must never retry forever nor print anything: the commands decide what a user sees.
 */

import { type ClientSecurity, KafkaConnection, KafkaError, plaintextSecurity } from "@eddy/client";
import { ApiKey, decodeAssignmentBytes, ErrorCode, errorCodeName } from "@eddy/protocol";

/** The client id on every request this tool sends. */
const clientId = "eddy-cli";

export const ApiVersion = {
  listOffsets: 5,
  metadata: 8,
  offsetFetch: 5,
  findCoordinator: 2,
  describeGroups: 4,
  listGroups: 2,
  createTopics: 4,
  deleteTopics: 3,
  offsetCommit: 7,
  deleteGroups: 1,
  produce: 8,
  fetch: 11,
  createPartitions: 1,
  describeConfigs: 3,
  apiVersions: 2,
  incrementalAlterConfigs: 0,
  joinGroup: 5,
  syncGroup: 3,
  heartbeat: 3,
  leaveGroup: 3,
  describeAcls: 1,
  createAcls: 1,
  deleteAcls: 1,
  describeUserScramCredentials: 0,
  alterUserScramCredentials: 0,
} as const;

/** The broker refused or could not answer (the client package's error, so every command throws one kind). */
export { KafkaError };

export interface BrokerInfo {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface TopicSummary {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly internal: boolean;
}

export interface PartitionInfo {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  readonly logStartOffset: number | null;
  readonly logEndOffset: number | null;
  readonly error: string | null;
}

export interface TopicDescription {
  readonly name: string;
  readonly internal: boolean;
  readonly partitions: readonly PartitionInfo[];
}

export interface GroupSummary {
  readonly groupId: string;
  readonly protocolType: string;
  readonly state: string;
}

export interface GroupMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly assignment: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

export interface GroupOffset {
  readonly topic: string;
  readonly partition: number;
  /** Null when the group has committed nothing for this assigned partition. */
  readonly committedOffset: number | null;
  readonly logEndOffset: number | null;
  /** logEndOffset - committedOffset, or null when either is unknown. */
  readonly lag: number | null;
  readonly memberId: string | null;
  readonly clientId: string | null;
  readonly clientHost: string | null;
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: string;
  readonly protocolType: string;
  readonly protocol: string;
  readonly coordinator: BrokerInfo;
  readonly members: readonly GroupMember[];
  readonly offsets: readonly GroupOffset[];
}

const latestTimestamp = -1n;
const earliestTimestamp = -2n;

export function codeText(code: number, message?: string | null): string {
  return message ? `${errorCodeName(code)}: ${message}` : errorCodeName(code);
}

export class Admin {
  private readonly connections = new Map<number, KafkaConnection>();
  private brokers = new Map<number, BrokerInfo>();

  private constructor(
    private readonly bootstrap: KafkaConnection,
    private readonly timeoutMs: number,
    private readonly security: ClientSecurity,
  ) {}

  /**
   * Connects to the first of `addresses` that answers, in order, as Kafka clients use bootstrap.servers;
   * every connection (this one and those to other brokers) is secured with `security`. A refused TLS
   * handshake or SASL authentication is not tried on the next address: the settings, not the server,
   * are wrong, and the user must see why.
   */
  static async connect(
    addresses: readonly { host: string; port: number }[],
    timeoutMs: number,
    security: ClientSecurity = plaintextSecurity,
  ): Promise<Admin> {
    let last: Error | null = null;
    for (const { host, port } of addresses) {
      try {
        const connection = await KafkaConnection.open(host, port, timeoutMs, clientId, security);
        return new Admin(connection, timeoutMs, security);
      } catch (error) {
        if (error instanceof KafkaError) throw error;
        last = error as Error;
      }
    }
    throw last ?? new KafkaError("no bootstrap server given");
  }

  /** How long a request may take, for requests that carry their own timeout. */
  get requestTimeoutMs(): number {
    return this.timeoutMs;
  }

  /** The connection every cluster-wide request goes to. */
  get bootstrapConnection(): KafkaConnection {
    return this.bootstrap;
  }

  close(): void {
    this.bootstrap.close();
    for (const connection of this.connections.values()) connection.close();
  }

  async listTopics(): Promise<TopicSummary[]> {
    const metadata = await this.metadata(null);
    return metadata.topics
      .filter((t) => t.errorCode === ErrorCode.NONE && t.name !== null)
      .map((t) => ({
        name: t.name as string,
        partitions: t.partitions.length,
        replicationFactor: Math.max(0, ...t.partitions.map((p) => p.replicaNodes.length)),
        internal: t.isInternal,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async describeTopic(name: string): Promise<TopicDescription> {
    const metadata = await this.metadata([name]);
    const topic = metadata.topics.find((t) => t.name === name);
    const code = topic?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || topic === undefined) throw unknownTopic(name);
    if (code !== ErrorCode.NONE) throw new KafkaError(`cannot describe topic '${name}': ${codeText(code)}`);
    const partitions = [...topic.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex);
    const offsets = await this.logOffsets(
      partitions.map((p) => ({ topic: name, partition: p.partitionIndex, leader: p.leaderId })),
    );
    return {
      name,
      internal: topic.isInternal,
      partitions: partitions.map((p) => {
        const found = offsets.get(`${name}\0${p.partitionIndex}`);
        return {
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
          logStartOffset: found?.start ?? null,
          logEndOffset: found?.end ?? null,
          error: p.errorCode !== ErrorCode.NONE ? errorCodeName(p.errorCode) : (found?.error ?? null),
        };
      }),
    };
  }

  async createTopic(
    name: string,
    partitions: number,
    replicationFactor: number,
    configs: readonly { name: string; value: string }[],
  ): Promise<{ partitions: number; replicationFactor: number }> {
    const response = await this.bootstrap.request(ApiKey.CreateTopics, ApiVersion.createTopics, {
      topics: [{ name, numPartitions: partitions, replicationFactor, assignments: [], configs }],
      timeoutMs: this.timeoutMs,
      validateOnly: false,
    });
    const result = response.topics.find((t) => t.name === name);
    const code = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code === ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new KafkaError(
        `topic '${name}' already exists; 'eddy topics describe ${name}' shows it`,
        ErrorCode.TOPIC_ALREADY_EXISTS,
      );
    }
    if (code !== ErrorCode.NONE) {
      throw new KafkaError(`cannot create topic '${name}': ${codeText(code, result?.errorMessage)}`);
    }
    if (partitions > 0 && replicationFactor > 0) return { partitions, replicationFactor };
    // The broker chose (its num.partitions, default.replication.factor); CreateTopics v4 does not say.
    const created = (await this.listTopics()).find((t) => t.name === name);
    return {
      partitions: partitions > 0 ? partitions : (created?.partitions ?? partitions),
      replicationFactor:
        replicationFactor > 0 ? replicationFactor : (created?.replicationFactor ?? replicationFactor),
    };
  }

  async deleteTopic(name: string): Promise<void> {
    const response = await this.bootstrap.request(ApiKey.DeleteTopics, ApiVersion.deleteTopics, {
      topicNames: [name],
      timeoutMs: this.timeoutMs,
    });
    const result = response.responses.find((t) => t.name === name);
    const code = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopic(name);
    if (code !== ErrorCode.NONE) {
      throw new KafkaError(`cannot delete topic '${name}': ${codeText(code, result?.errorMessage)}`);
    }
  }

  /** Every group known to any broker in the cluster (ListGroups goes to each, as Kafka's tool does). */
  async listGroups(): Promise<GroupSummary[]> {
    await this.metadata([]);
    const groups = new Map<string, GroupSummary>();
    for (const nodeId of this.brokers.keys()) {
      const connection = await this.connectionTo(nodeId);
      const response = await connection.request(ApiKey.ListGroups, ApiVersion.listGroups, {
        statesFilter: [],
      });
      if (response.errorCode !== ErrorCode.NONE) {
        throw new KafkaError(`cannot list groups on broker ${nodeId}: ${codeText(response.errorCode)}`);
      }
      if (response.groups.length === 0) continue;
      // ListGroups before v4 carries no state; DescribeGroups on the same broker (its coordinator) does.
      const described = await connection.request(ApiKey.DescribeGroups, ApiVersion.describeGroups, {
        groups: response.groups.map((g) => g.groupId),
        includeAuthorizedOperations: false,
      });
      const states = new Map(described.groups.map((g) => [g.groupId, g.groupState]));
      for (const g of response.groups) {
        const state = states.get(g.groupId) || g.groupState || "Unknown";
        groups.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state });
      }
    }
    return [...groups.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  /** The group's coordinator and a connection to it (FindCoordinator on the bootstrap broker). */
  async coordinator(groupId: string): Promise<{ coordinator: BrokerInfo; connection: KafkaConnection }> {
    const found = await this.bootstrap.request(ApiKey.FindCoordinator, ApiVersion.findCoordinator, {
      key: groupId,
      keyType: 0,
    });
    if (found.errorCode !== ErrorCode.NONE) {
      throw new KafkaError(
        `cannot find the coordinator of group '${groupId}': ${codeText(found.errorCode, found.errorMessage)}; try again in a moment`,
      );
    }
    const coordinator: BrokerInfo = { nodeId: found.nodeId, host: found.host, port: found.port };
    await this.metadata([]);
    this.brokers.set(coordinator.nodeId, coordinator);
    return { coordinator, connection: await this.connectionTo(coordinator.nodeId) };
  }

  async describeGroup(groupId: string): Promise<GroupDescription> {
    const { coordinator, connection } = await this.coordinator(groupId);
    const described = await connection.request(ApiKey.DescribeGroups, ApiVersion.describeGroups, {
      groups: [groupId],
      includeAuthorizedOperations: false,
    });
    const group = described.groups.find((g) => g.groupId === groupId);
    if (group === undefined || group.errorCode !== ErrorCode.NONE) {
      const code = group?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      throw new KafkaError(`cannot describe group '${groupId}': ${codeText(code)}`);
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
    if (group.groupState === "Dead" && committed.size === 0) {
      throw new KafkaError(`group '${groupId}' does not exist; 'eddy groups list' shows the groups`);
    }
    const members: GroupMember[] = group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      assignment: memberAssignment(group.protocolType, m.memberAssignment),
    }));
    // The partitions to report: every committed one and every assigned one.
    const owners = new Map<string, GroupMember>();
    const keys = new Map<string, { topic: string; partition: number }>();
    for (const key of committed.keys()) {
      const [topic, partition] = key.split("\0") as [string, string];
      keys.set(key, { topic, partition: Number(partition) });
    }
    for (const m of members) {
      for (const a of m.assignment) {
        for (const partition of a.partitions) {
          const key = `${a.topic}\0${partition}`;
          owners.set(key, m);
          keys.set(key, { topic: a.topic, partition });
        }
      }
    }
    const sorted = [...keys.values()].sort(
      (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
    );
    const ends = await this.endOffsets(sorted);
    const offsets: GroupOffset[] = sorted.map(({ topic, partition }) => {
      const key = `${topic}\0${partition}`;
      const committedOffset = committed.get(key) ?? null;
      const logEndOffset = ends.get(key) ?? null;
      const owner = owners.get(key) ?? null;
      return {
        topic,
        partition,
        committedOffset,
        logEndOffset,
        lag:
          committedOffset === null || logEndOffset === null
            ? null
            : Math.max(0, logEndOffset - committedOffset),
        memberId: owner?.memberId ?? null,
        clientId: owner?.clientId ?? null,
        clientHost: owner?.clientHost ?? null,
      };
    });
    return {
      groupId,
      state: group.groupState,
      protocolType: group.protocolType,
      protocol: group.protocolData,
      coordinator,
      members,
      offsets,
    };
  }

  /** The log end offset (high watermark) of each partition that still exists, by `topic\0partition`. */
  async endOffsets(
    partitions: readonly { topic: string; partition: number }[],
  ): Promise<Map<string, number>> {
    const ends = new Map<string, number>();
    if (partitions.length === 0) return ends;
    const topics = [...new Set(partitions.map((p) => p.topic))];
    const metadata = await this.metadata(topics);
    const leaders = new Map<string, number>();
    for (const t of metadata.topics) {
      for (const p of t.partitions) leaders.set(`${t.name}\0${p.partitionIndex}`, p.leaderId);
    }
    const known = partitions.flatMap((p) => {
      const leader = leaders.get(`${p.topic}\0${p.partition}`);
      return leader === undefined ? [] : [{ ...p, leader }];
    });
    for (const [key, value] of await this.logOffsets(known)) if (value.end !== null) ends.set(key, value.end);
    return ends;
  }

  /** Log start and end offsets by `topic\0partition`, asked of each partition's leader with ListOffsets. */
  async logOffsets(
    partitions: readonly { topic: string; partition: number; leader: number }[],
  ): Promise<Map<string, { start: number | null; end: number | null; error: string | null }>> {
    const result = new Map<string, { start: number | null; end: number | null; error: string | null }>();
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    for (const p of partitions) {
      if (p.leader < 0) {
        result.set(`${p.topic}\0${p.partition}`, { start: null, end: null, error: "LEADER_NOT_AVAILABLE" });
        continue;
      }
      const list = byLeader.get(p.leader) ?? [];
      list.push(p);
      byLeader.set(p.leader, list);
    }
    for (const [leader, list] of byLeader) {
      const connection = await this.connectionTo(leader);
      const ask = (timestamp: bigint) => {
        const topics = new Map<string, number[]>();
        for (const p of list) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
        return connection.request(ApiKey.ListOffsets, ApiVersion.listOffsets, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [...topics].map(([name, indexes]) => ({
            name,
            partitions: indexes.map((partitionIndex) => ({
              partitionIndex,
              currentLeaderEpoch: -1,
              timestamp,
            })),
          })),
        });
      };
      const [earliest, latest] = await Promise.all([ask(earliestTimestamp), ask(latestTimestamp)]);
      for (const [which, response] of [
        ["start", earliest],
        ["end", latest],
      ] as const) {
        for (const t of response.topics) {
          for (const p of t.partitions) {
            const key = `${t.name}\0${p.partitionIndex}`;
            const entry = result.get(key) ?? { start: null, end: null, error: null };
            if (p.errorCode === ErrorCode.NONE) entry[which] = Number(p.offset);
            else entry.error = errorCodeName(p.errorCode);
            result.set(key, entry);
          }
        }
      }
    }
    return result;
  }

  /**
   * The offset of the first record at or after `timestampMs` in each partition (ListOffsets by time),
   * by `topic\0partition`; null where the partition has no such record.
   */
  async offsetsForTime(
    partitions: readonly { topic: string; partition: number; leader: number }[],
    timestampMs: number,
  ): Promise<Map<string, number | null>> {
    const result = new Map<string, number | null>();
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    for (const p of partitions) byLeader.set(p.leader, [...(byLeader.get(p.leader) ?? []), p]);
    for (const [leader, list] of byLeader) {
      if (leader < 0) throw new KafkaError("a partition has no leader; try again in a moment");
      const connection = await this.connectionTo(leader);
      const topics = new Map<string, number[]>();
      for (const p of list) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
      const response = await connection.request(ApiKey.ListOffsets, ApiVersion.listOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [...topics].map(([name, indexes]) => ({
          name,
          partitions: indexes.map((partitionIndex) => ({
            partitionIndex,
            currentLeaderEpoch: -1,
            timestamp: BigInt(timestampMs),
          })),
        })),
      });
      for (const t of response.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== ErrorCode.NONE) {
            throw new KafkaError(
              `cannot look up offsets by time in ${t.name}-${p.partitionIndex}: ${errorCodeName(p.errorCode)}`,
            );
          }
          result.set(`${t.name}\0${p.partitionIndex}`, p.offset < 0n ? null : Number(p.offset));
        }
      }
    }
    return result;
  }

  async metadata(topics: readonly string[] | null) {
    const response = await this.bootstrap.request(ApiKey.Metadata, ApiVersion.metadata, {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    for (const b of response.brokers)
      this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
    return response;
  }

  async connectionTo(nodeId: number): Promise<KafkaConnection> {
    const existing = this.connections.get(nodeId);
    if (existing !== undefined) return existing;
    const broker = this.brokers.get(nodeId);
    if (broker === undefined)
      throw new KafkaError(`broker ${nodeId} is not in the cluster's metadata; try again in a moment`);
    const connection = await KafkaConnection.open(
      broker.host,
      broker.port,
      this.timeoutMs,
      clientId,
      this.security,
    );
    this.connections.set(nodeId, connection);
    return connection;
  }
}

export function unknownTopic(name: string): KafkaError {
  return new KafkaError(
    `topic '${name}' does not exist; 'eddy topics list' shows the topics`,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  );
}

/** A member's assignment as topics and partitions; empty for a protocol other than "consumer". */
function memberAssignment(
  protocolType: string,
  bytes: Uint8Array,
): { topic: string; partitions: number[] }[] {
  if (protocolType !== "consumer" || bytes.length === 0) return [];
  try {
    const { assignment } = decodeAssignmentBytes(bytes);
    return assignment.assignedPartitions
      .map((t) => ({ topic: t.topic, partitions: [...t.partitions].sort((a, b) => a - b) }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
  } catch {
    return [];
  }
}
