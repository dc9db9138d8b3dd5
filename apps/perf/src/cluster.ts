/**
 * What the perf tool knows of the cluster: the bootstrap connection, one connection per broker that
 * leads a partition of the topic, and the topic's partitions with their leaders. Owns asking Metadata,
 * creating a missing topic (produce only) and opening and closing connections. Must never retry
 * forever: waiting for a new topic's leaders is bounded by the caller's timeout.
 */

import { KafkaConnection, KafkaError } from "@eddy/client";
import { ApiKey, ErrorCode, errorCodeName } from "@eddy/protocol";

/**
 * Request versions the tool speaks; all within what the broker serves (apps/broker/README.md). The
 * group APIs' are @eddy/client's `GroupApiVersion`: its group member is the one that sends them.
 */
export const ApiVersion = {
  produce: 8,
  fetch: 11,
  listOffsets: 5,
  metadata: 8,
  createTopics: 4,
  findCoordinator: 2,
} as const;

/** A perf run cannot go on; a `KafkaError`, so the tool reports it as the shared client's refusals. */
export class PerfError extends KafkaError {}

export interface PartitionLeader {
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly connection: KafkaConnection;
}

export class Cluster {
  /** Connections by broker address; at most one per broker in the metadata. */
  private readonly connections = new Map<string, KafkaConnection>();
  private brokers = new Map<number, { host: string; port: number }>();

  private constructor(
    readonly bootstrap: KafkaConnection,
    private readonly timeoutMs: number,
  ) {}

  static async connect(host: string, port: number, timeoutMs: number): Promise<Cluster> {
    const bootstrap = await KafkaConnection.open(host, port, timeoutMs, "eddy-perf");
    return new Cluster(bootstrap, timeoutMs);
  }

  /**
   * The topic's partitions and their leaders' connections. With `createPartitions`, a missing topic is
   * created with that many partitions (replication factor 1); without it, a missing topic is an error.
   */
  async partitionLeaders(topic: string, createPartitions: number | null): Promise<PartitionLeader[]> {
    const deadline = performance.now() + this.timeoutMs;
    let created = false;
    // Each pass is one Metadata request; a new topic's leaders appear within a few passes.
    for (let pass = 0; performance.now() < deadline; pass++) {
      const metadata = await this.bootstrap.request(ApiKey.Metadata, ApiVersion.metadata, {
        topics: [{ name: topic }],
        allowAutoTopicCreation: false,
      });
      this.brokers = new Map(metadata.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
      const found = metadata.topics.find((t) => t.name === topic);
      const code = found?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        if (createPartitions === null) throw new PerfError(`topic ${topic} does not exist`);
        if (!created) await this.createTopic(topic, createPartitions);
        created = true;
      } else if (code !== ErrorCode.NONE && code !== ErrorCode.LEADER_NOT_AVAILABLE) {
        throw new PerfError(`metadata for ${topic}: ${errorCodeName(code)}`);
      } else if (found !== undefined && found.partitions.length > 0) {
        const ready = found.partitions.every((p) => p.errorCode === ErrorCode.NONE && p.leaderId >= 0);
        if (ready) return await this.leadersOf(found.partitions);
      }
      await Bun.sleep(Math.min(200, 10 * 2 ** pass));
    }
    throw new PerfError(`topic ${topic} has no leader for every partition after ${this.timeoutMs} ms`);
  }

  /** The connection to broker `nodeId`, opened on first use. */
  async connectionTo(nodeId: number): Promise<KafkaConnection> {
    const broker = this.brokers.get(nodeId);
    if (broker === undefined) throw new PerfError(`broker ${nodeId} is not in the metadata`);
    const address = `${broker.host}:${broker.port}`;
    const existing = this.connections.get(address);
    if (existing !== undefined) return existing;
    const connection = await KafkaConnection.open(broker.host, broker.port, this.timeoutMs, "eddy-perf");
    this.connections.set(address, connection);
    return connection;
  }

  /** Every connection this cluster opened, the bootstrap one included. */
  allConnections(): KafkaConnection[] {
    return [this.bootstrap, ...this.connections.values()];
  }

  close(): void {
    for (const connection of this.allConnections()) connection.close();
  }

  private async leadersOf(
    partitions: readonly { partitionIndex: number; leaderId: number; leaderEpoch: number }[],
  ): Promise<PartitionLeader[]> {
    const leaders: PartitionLeader[] = [];
    for (const p of [...partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)) {
      leaders.push({
        partition: p.partitionIndex,
        leaderEpoch: p.leaderEpoch,
        connection: await this.connectionTo(p.leaderId),
      });
    }
    return leaders;
  }

  private async createTopic(topic: string, partitionsCount: number): Promise<void> {
    const response = await this.bootstrap.request(ApiKey.CreateTopics, ApiVersion.createTopics, {
      topics: [{ name: topic, numPartitions: partitionsCount, replicationFactor: 1 }],
      timeoutMs: this.timeoutMs,
    });
    const result = response.topics[0];
    const code = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
    // Another producer may have created it in the meantime; that is as good.
    if (code !== ErrorCode.NONE && code !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      throw new PerfError(
        `cannot create topic ${topic}: ${errorCodeName(code)}${result?.errorMessage ? ` (${result.errorMessage})` : ""}`,
      );
    }
  }
}
