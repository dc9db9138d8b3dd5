/**
 * A broker node: the metadata shell (controller quorum), the partition replicas it hosts, the group
 * coordinator and the producer-id allocator, over one storage engine. It is what every API handler
 * talks to. A single node is a cluster of one and its own controller; cluster mode adds peers and a
 * transport, not a different node.
 *
 * Owns: the life cycle of partition shells as committed metadata changes, the node's clock ticks,
 * retention runs, and the mapping of controller answers to Kafka error codes. Must never act on
 * metadata that has not committed.
 */
import { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import { topicNameProblem as storageTopicNameProblem, type TopicPartition } from "@eddy/storage-memory";
import type { BrokerConfig } from "../config/broker-config.ts";
import { GroupShell } from "./group-shell.ts";
import { ensureMetaProperties, newClusterId } from "./meta-properties.ts";
import { MetadataShell, metadataTickMs } from "./metadata-shell.ts";
import { PartitionShell, type PartitionShellOptions } from "./partition-shell.ts";
import { ProducerIdShell } from "./producer-id-shell.ts";
import { openStorage, type Storage } from "./storage.ts";
import {
  checkTopicConfigs,
  effectiveTopicConfigs,
  topicLogConfig,
  topicMessageBytesMax,
} from "./topic-configs.ts";

export interface TopicCreation {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Topic-level configs as the client sent them (a null value is refused, as Kafka does). */
  readonly configs?: readonly { readonly name: string; readonly value: string | null }[];
}

/** Why a topic cannot be created as asked, in Kafka's terms. */
export interface CreationProblem {
  readonly errorCode: number;
  readonly errorMessage: string;
}

export interface TopicResult {
  readonly name: string;
  readonly errorCode: number;
  readonly errorMessage: string | null;
  readonly topicId: string | null;
}

/** Kafka's wire code for each controller error name (the names are Kafka's). */
export function controllerErrorCode(error: controller.ControllerError): number {
  return (ErrorCode as Record<string, number>)[error] ?? ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** How often the node heartbeats its controller (Kafka's broker.heartbeat.interval.ms default). */
const heartbeatIntervalMs = 2_000;

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class BrokerNode {
  readonly controllerId: number;
  private readonly partitions = new Map<string, PartitionShell>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastRetentionMs = 0;
  private lastHeartbeatMs = 0;
  private closed = false;

  private constructor(
    readonly config: BrokerConfig,
    readonly clusterId: string,
    readonly storage: Storage,
    readonly metadata: MetadataShell,
    readonly groups: GroupShell,
    readonly producerIds: ProducerIdShell,
    readonly log: (line: string) => void,
  ) {
    this.controllerId = config.nodeId;
  }

  static async open(config: BrokerConfig, log: (line: string) => void): Promise<BrokerNode> {
    const clusterId =
      config.storageEngine === "fs" ? ensureMetaProperties(config.dataDir, config.nodeId) : newClusterId();
    const storage = await openStorage(config, log);
    const metadata = await MetadataShell.open(storage, {
      nodeId: config.nodeId,
      // Each start draws a fresh seed: a restarted controller replaying the same random stream would
      // draw the topic ids it already handed out. Determinism belongs to the simulator, not the broker.
      seed: crypto.getRandomValues(new Uint32Array(1))[0]!,
      uncleanLeaderElectionEnable: config.uncleanLeaderElectionEnable,
      log,
    });
    const groups = await GroupShell.open(storage, config, log);
    const producerIds = await ProducerIdShell.open(storage);
    const node = new BrokerNode(config, clusterId, storage, metadata, groups, producerIds, log);
    metadata.onImage((image, previous) => node.applyImage(image, previous));
    await node.applyImage(metadata.image, controller.emptyImage);
    // OffsetCommit refuses topics the metadata does not hold, so offsets of such a topic are what a
    // crash left of a deletion whose purge had not finished.
    const image = metadata.image;
    await node.deleteOffsetsOfDeletedTopics((topic) => image.topics[topic] === undefined);
    return node;
  }

  /** Registers with the controller at the advertised address and starts the clock. */
  async start(advertisedHost: string, advertisedPort: number): Promise<void> {
    await this.metadata.registerSelf(advertisedHost, advertisedPort, Date.now());
    this.lastHeartbeatMs = Date.now();
    this.timer = setInterval(() => void this.tick(), metadataTickMs);
  }

  get image(): controller.MetadataImage {
    return this.metadata.image;
  }

  topicNameProblem(name: string): string | null {
    return storageTopicNameProblem(name);
  }

  partition(topic: string, index: number): PartitionShell | undefined {
    return this.partitions.get(partitionKey(topic, index));
  }

  /**
   * What this node refuses before the controller sees a topic: a bad or internal name, or configs
   * Kafka would refuse (INVALID_CONFIG, naming the config and why). Otherwise the configs as stored.
   */
  checkCreation(t: TopicCreation): { problem: CreationProblem } | { configs: Record<string, string> } {
    const nameProblem =
      this.topicNameProblem(t.name) ??
      (t.name.startsWith("__") ? "names starting with __ are internal" : null);
    if (nameProblem !== null) {
      return { problem: { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: nameProblem } };
    }
    const checked = checkTopicConfigs(t.configs ?? [], this.config);
    if (checked._tag === "Invalid") {
      return { problem: { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: checked.problem } };
    }
    return { configs: { ...checked.configs } };
  }

  /** CreateTopics through the controller; answers once the topics' records have committed. */
  async createTopics(topics: readonly TopicCreation[]): Promise<TopicResult[]> {
    const results: TopicResult[] = [];
    const valid: controller.CreatableTopic[] = [];
    for (const t of topics) {
      const checked = this.checkCreation(t);
      if ("problem" in checked) results.push({ name: t.name, ...checked.problem, topicId: null });
      else valid.push({ ...t, configs: checked.configs });
    }
    if (valid.length > 0) {
      const response = await this.metadata.request({ type: "createTopics", topics: valid });
      if (response?.type !== "createTopics") throw new Error("controller gave no createTopics answer");
      for (const t of response.topics) {
        results.push({
          name: t.name,
          errorCode: controllerErrorCode(t.error),
          errorMessage: t.error === "NONE" ? null : t.error,
          topicId: t.topicId,
        });
      }
    }
    return results;
  }

  async deleteTopics(names: readonly string[]): Promise<{ name: string; errorCode: number }[]> {
    if (!this.config.deleteTopicEnable) {
      return names.map((name) => ({ name, errorCode: ErrorCode.TOPIC_DELETION_DISABLED }));
    }
    const response = await this.metadata.request({ type: "deleteTopics", names });
    if (response?.type !== "deleteTopics") throw new Error("controller gave no deleteTopics answer");
    return response.topics.map((t) => ({ name: t.name, errorCode: controllerErrorCode(t.error) }));
  }

  async createPartitions(
    topics: readonly { name: string; count: number }[],
  ): Promise<{ name: string; errorCode: number; errorMessage: string | null }[]> {
    const response = await this.metadata.request({ type: "createPartitions", topics });
    if (response?.type !== "createPartitions") throw new Error("controller gave no createPartitions answer");
    return response.topics.map((t) => ({
      name: t.name,
      errorCode: controllerErrorCode(t.error),
      errorMessage: t.error === "NONE" ? null : t.error,
    }));
  }

  /**
   * Purges the committed offsets of deleted topics from every group. A failure is logged, not thrown:
   * the metadata change has committed, and the next start purges what is left.
   */
  private async deleteOffsetsOfDeletedTopics(gone: (topic: string) => boolean): Promise<void> {
    try {
      const deleted = await this.groups.deleteTopicOffsets(gone);
      if (deleted > 0) this.log(`groups: deleted ${deleted} committed offset(s) of deleted topics`);
    } catch (error) {
      this.log(`groups: offsets of deleted topics not purged yet: ${(error as Error).message}`);
    }
  }

  /**
   * Called after offsets were committed: a topic deleted while the commit was in flight (the handler
   * checked the metadata before the purge, the coordinator stored the offsets after it) loses them
   * again here, so they do not wait for the next start.
   */
  async deleteOffsetsIfTopicsDeleted(topics: Iterable<string>): Promise<void> {
    const gone = new Set<string>();
    for (const topic of topics) if (this.image.topics[topic] === undefined) gone.add(topic);
    if (gone.size > 0) await this.deleteOffsetsOfDeletedTopics((topic) => gone.has(topic));
  }

  /** Opens, leads or drops partition replicas to match a newly committed image. */
  private async applyImage(
    image: controller.MetadataImage,
    previous: controller.MetadataImage,
  ): Promise<void> {
    const deletedTopics = new Set<string>();
    for (const [name, old] of Object.entries(previous.topics)) {
      const now = image.topics[name];
      if (now !== undefined && now.topicId === old.topicId) continue;
      deletedTopics.add(name);
      for (const p of old.partitions) {
        const key = partitionKey(name, p.partition);
        const shell = this.partitions.get(key);
        if (shell === undefined) continue;
        this.partitions.delete(key);
        shell.wakeFetchers();
        await this.storage.run(this.storage.logs.deletePartition({ topic: name, partition: p.partition }));
        this.log(`deleted partition ${name}-${p.partition}`);
      }
    }
    // Kafka's coordinator forgets a deleted topic's offsets, so a topic recreated under the same name
    // starts with none. This runs before any replica of a recreated topic opens below.
    if (deletedTopics.size > 0) await this.deleteOffsetsOfDeletedTopics((topic) => deletedTopics.has(topic));
    for (const topic of Object.values(image.topics)) {
      // Worked out once per topic, when its first replica here opens (it logs the configs it ignores).
      let options: PartitionShellOptions | undefined;
      for (const p of topic.partitions) {
        if (!p.replicas.includes(this.config.nodeId)) continue;
        const key = partitionKey(topic.name, p.partition);
        let shell = this.partitions.get(key);
        if (shell === undefined) {
          const tp: TopicPartition = { topic: topic.name, partition: p.partition };
          options ??= this.partitionOptions(topic.configs);
          try {
            shell = await PartitionShell.open(tp, this.storage, options);
          } catch (error) {
            // A corrupt or unreadable partition stays offline; the rest of the broker keeps serving.
            this.log(
              `partition ${topic.name}-${p.partition} cannot be opened and stays offline: ${(error as Error).message}`,
            );
            continue;
          }
          this.partitions.set(key, shell);
        }
        await shell.applyLeadership(p);
      }
    }
  }

  /** A topic's partition settings: its own (retention.ms, segment.bytes, ...) over the broker's. */
  private partitionOptions(stored: Readonly<Record<string, string>>): PartitionShellOptions {
    const configs = effectiveTopicConfigs(stored, this.config, this.log);
    return {
      nodeId: this.config.nodeId,
      minInsyncReplicas: Number(configs["min.insync.replicas"] ?? this.config.minInsyncReplicas),
      replicaLagMsMax: this.config.replicaLagMsMax,
      messageBytesMax: topicMessageBytesMax(configs, this.config),
      producerIdExpirationMs: this.config.producerIdExpirationMs,
      logConfig: topicLogConfig(configs, this.config),
      log: this.log,
    };
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    const nowMs = Date.now();
    try {
      await this.metadata.tick(nowMs);
      if (nowMs - this.lastHeartbeatMs >= heartbeatIntervalMs) {
        this.lastHeartbeatMs = nowMs;
        await this.metadata.heartbeat(nowMs);
      }
      for (const shell of this.partitions.values()) await shell.tick(nowMs);
      await this.groups.tick(nowMs);
      if (nowMs - this.lastRetentionMs >= this.config.retentionCheckIntervalMs) {
        this.lastRetentionMs = nowMs;
        for (const shell of this.partitions.values()) {
          const deleted = await shell.applyRetention(nowMs);
          if (deleted > 0)
            this.log(`retention deleted ${deleted} segment(s) of ${shell.tp.topic}-${shell.tp.partition}`);
        }
      }
    } catch (error) {
      this.log(`tick failed: ${(error as Error).stack ?? String(error)}`);
    }
  }

  /** Stops the clock and flushes every partition. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const shell of this.partitions.values()) {
      shell.wakeFetchers();
      await shell
        .flush()
        .catch((error) => this.log(`flush of ${shell.tp.topic}-${shell.tp.partition} failed: ${error}`));
    }
    await this.storage.close?.().catch((error) => this.log(`closing storage failed: ${error}`));
  }
}
