/**
 * A broker node: the metadata shell (controller quorum), the partition replicas it hosts, the group
 * coordinator and the producer-id allocator, over one storage engine. It is what every API handler
 * talks to. A single node is a cluster of one and its own controller; cluster mode adds peers and a
 * transport, not a different node.
 *
 * Owns: the life cycle of partition replicas (the shared node's) as committed metadata changes, the node's clock ticks,
 * retention runs, and the mapping of controller answers to Kafka error codes. Must never act on
 * metadata that has not committed.
 */
import { controller } from "@eddy/core";
import {
  controlledShutdownMsMax,
  type HwCheckpoint,
  type LogDir,
  monotonicClock,
  PartitionReplica,
  type ReplicaEnv,
  type ReplicaOptions,
} from "@eddy/node";
import { ErrorCode } from "@eddy/protocol";
import {
  type LogConfig,
  topicNameProblem as storageTopicNameProblem,
  type TopicPartition,
} from "@eddy/storage";
import { ClusterLink } from "../cluster/cluster-link.ts";
import { ControllerClient, senderContextOf } from "../cluster/controller-client.ts";
import { controllerForwarder, serveForwardedRequest } from "../cluster/controller-forwarding.ts";
import { RemoteMetadata } from "../cluster/remote-metadata.ts";
import { type ReplicaFetching, replicaFetching } from "../cluster/replica-fetching.ts";
import type { BrokerConfig } from "../config/broker-config.ts";
import { interBrokerSecurity } from "../config/inter-broker-settings.ts";
import { brokerConfigsChanged, effectiveBrokerConfig, type LiveBrokerConfig } from "./broker-configs.ts";
import type { BrokerMetadata } from "./broker-metadata.ts";
import { GroupShell, groupCoreOptions } from "./group-shell.ts";
import { ensureMetaProperties, newClusterId } from "./meta-properties.ts";
import { MetadataShell, metadataTickMs } from "./metadata-shell.ts";
import { offsetsTopicName } from "./offsets-topic-codec.ts";
import { ProducerIdShell } from "./producer-id-shell.ts";
import { brokerReplicaEnv, openLogDir, type ReplicaPeers } from "./replica-runtime.ts";
import { type GroupService, ReplicatedGroups } from "./replicated-groups.ts";
import { brokerLogConfig, openStorage, type Storage } from "./storage.ts";
import { topicConfigsChanged } from "./topic-config-changes.ts";
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

/** How often high watermarks reach `replication-offset-checkpoint` (Kafka's replica.high.watermark.checkpoint.interval.ms default). */
const hwCheckpointIntervalMs = 5_000;
/** Bytes of batches one fetch response to a follower carries (Kafka's replica.fetch.max.bytes default). */
const replicaFetchBytesMax = 1024 * 1024;
/** A follower's fetch unanswered this long is sent again (the leader parks one for at most 500 ms). */
const replicaFetchTimeoutMs = 3_000;
/** A follower waits this long after a failed fetch before the next. */
const replicaFetchBackoffMs = 200;
/** The longest a cluster node's start waits for its own metadata to list its registration. */
const selfInImageWaitMsMax = 10_000;

/** A topic's replica settings, worked out once when its first replica here opens. */
type TopicReplicaSettings = Pick<ReplicaOptions, "core" | "messageBytesMax"> & {
  readonly logConfig: Partial<LogConfig>;
};

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class BrokerNode {
  private readonly partitions = new Map<string, PartitionReplica>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastRetentionMs = 0;
  private lastHeartbeatMs = 0;
  private lastHwCheckpointMs = 0;
  private closed = false;
  /** Set by a controlled shutdown: the node no longer heartbeats (that would unfence it again). */
  private shuttingDown = false;
  private readonly replicaEnv: ReplicaEnv;
  /**
   * This run's incarnation, which must grow with every restart: a leader ignores fetches from an
   * older incarnation of a follower, and a follower answers to its own. In a cluster it is the broker
   * epoch the controller gave this run's registration (Kafka's broker epoch grows the same way); a
   * cluster of one has no followers and keeps 0.
   */
  private incarnation = 0;

  /** The settings in force: `staticConfig` under the committed dynamic broker configs (`broker-configs.ts`). */
  get config(): LiveBrokerConfig {
    return this.liveConfig;
  }
  private liveConfig: LiveBrokerConfig;

  private constructor(
    /** The settings read at start (properties, flags, environment). */
    readonly staticConfig: BrokerConfig,
    readonly clusterId: string,
    readonly storage: Storage,
    /** A voter's own controller (`MetadataShell`), or a broker-only node's pushed images (`RemoteMetadata`). */
    readonly metadata: BrokerMetadata,
    /** A single node's group shell, or (in a cluster) the coordinators of the offsets partitions led here. */
    readonly groups: GroupService,
    readonly producerIds: ProducerIdShell,
    private readonly logs: LogDir,
    private readonly hw: HwCheckpoint,
    /** The wall clock, made monotonic: one set back slows the node's timers down instead of breaking them. */
    readonly clock: () => number,
    readonly log: (line: string) => void,
    /** The link to the other nodes of the cluster; null for a cluster of one. */
    readonly cluster: ClusterLink | null,
  ) {
    this.liveConfig = staticConfig;
    this.replication =
      cluster === null
        ? null
        : replicaFetching(cluster, {
            image: () => this.metadata.image,
            partition: (topic, index) => this.partitions.get(partitionKey(topic, index)),
            nowMs: this.clock,
            log,
          });
    this.replicaEnv = brokerReplicaEnv(this.clock, hw, log, cluster === null ? null : this.replicaPeers());
  }

  /** Replication over Kafka's Fetch (`cluster/replica-fetching.ts`); null for a cluster of one. */
  readonly replication: ReplicaFetching | null;

  /** Replication messages go to the other brokers as Fetch, AlterPartition to the active controller. */
  private replicaPeers(): ReplicaPeers {
    const from = this.config.nodeId;
    return {
      sendPeer: (replica, to, message, records) => this.replication?.send(replica, to, message, records),
      sendAlterPartition: (replica, requestId, m) => {
        void this.metadata
          .request({
            type: "alterPartition",
            brokerId: from,
            brokerEpoch: this.metadata.brokerEpochValue,
            topic: m.topic,
            partition: m.partition,
            leaderEpoch: m.leaderEpoch,
            partitionEpoch: m.partitionEpoch,
            isr: m.newIsr,
          })
          .then((answer) => {
            if (answer?.type !== "alterPartition") return;
            replica.onAlterPartitionResponse(requestId, {
              errorCode: controllerErrorCode(answer.error),
              leaderEpoch: answer.partition?.leaderEpoch ?? -1,
              partitionEpoch: answer.partition?.partitionEpoch ?? -1,
              isr: answer.partition?.isr ?? [],
            });
          });
      },
    };
  }

  /** A frame of Eddy's internal api (the quorum, replication, forwarded controller requests). */
  onInternalFrame(frame: Uint8Array): void {
    if (this.cluster === null) {
      this.log(
        "cluster: refused an internal message: this node is a cluster of one (no controller.quorum.voters)",
      );
      return;
    }
    this.cluster.onFrame(frame);
  }

  private attachCluster(cluster: ClusterLink): void {
    const metadata = this.metadata;
    cluster.attach({
      quorum: (m) => {
        if (metadata instanceof MetadataShell) metadata.onQuorumMessage(m.message);
      },
      controllerRequest: (m) => {
        if (!(metadata instanceof MetadataShell)) {
          cluster.answer(m.from, m.requestId, {
            response: null,
            committed: false,
            leaderId: metadata.leaderId ?? -1,
          });
          return;
        }
        serveForwardedRequest(metadata, cluster, m, this.log);
      },
      metadataImage: (m) => {
        if (metadata instanceof RemoteMetadata) metadata.receiveImage(m.image, m.from);
      },
    });
    metadata.setForwarder(
      controllerForwarder(
        metadata,
        cluster,
        () => this.closed,
        (leader) => {
          if (metadata instanceof RemoteMetadata) metadata.noteLeader(leader);
        },
        // Registration, heartbeats, AlterPartition and producer-id blocks go as Kafka's requests.
        new ControllerClient(cluster, () => senderContextOf(this), this.log),
      ),
    );
    // Every node reaches the broker-only nodes at their registered address; the active controller
    // pushes each committed image to them.
    metadata.onImage((image) => {
      cluster.setBrokerPeers(image.brokers);
      if (!metadata.isActive) return;
      for (const b of image.brokers)
        if (!cluster.voterIds.includes(b.brokerId)) this.pushImage(cluster, b.brokerId, image);
    });
  }

  private pushImage(cluster: ClusterLink, to: number, image: controller.MetadataImage): void {
    cluster.send(to, { kind: "metadataImage", from: this.config.nodeId, image });
  }

  static async open(config: BrokerConfig, log: (line: string) => void): Promise<BrokerNode> {
    // First, before anything is written: a data directory of another node or cluster is refused here.
    const clusterId =
      config.storageEngine === "fs"
        ? ensureMetaProperties({
            dataDir: config.dataDir,
            nodeId: config.nodeId,
            clusterIdExpected: config.clusterIdExpected,
            clusterMember: config.quorumVoters.length > 0,
          })
        : (config.clusterIdExpected ?? newClusterId());
    const storage = await openStorage(config, log);
    const { logs, hw } = openLogDir(config, brokerLogConfig(config), log);
    const clock = monotonicClock(Date.now);
    const voters = config.quorumVoters;
    // Peers' inter-broker listeners are reached with this node's TLS and SASL (`inter-broker-settings.ts`).
    const security = interBrokerSecurity(config.interBroker);
    const cluster =
      voters.length > 0 ? new ClusterLink(config.nodeId, voters, log, undefined, security) : null;
    // A broker-only node of a cluster holds no controller: it acts on the images the active
    // controller pushes. Voters run the quorum.
    const isVoter = voters.some((v) => v.nodeId === config.nodeId);
    const metadata: BrokerMetadata =
      cluster !== null && !isVoter
        ? new RemoteMetadata(config.nodeId, log)
        : await MetadataShell.open(storage, {
            ...(cluster === null
              ? {}
              : {
                  voters: voters.map((v) => v.nodeId),
                  send: (message) =>
                    cluster.send(message.to, { kind: "quorum", from: config.nodeId, message }),
                }),
            sessionTimeoutMs: config.brokerSessionTimeoutMs,
            clock,
            nodeId: config.nodeId,
            // Each start draws a fresh seed: a restarted controller replaying the same random stream would
            // draw the topic ids it already handed out. Determinism belongs to the simulator, not the broker.
            seed: crypto.getRandomValues(new Uint32Array(1))[0]!,
            uncleanLeaderElectionEnable: config.uncleanLeaderElectionEnable,
            log,
          });
    if (cluster !== null)
      log(
        `cluster: node ${config.nodeId} is ${config.processRoles.join(" and ")}${isVoter ? ", a voter of the controller quorum" : ""}`,
      );
    // A cluster keeps groups in the replicated __consumer_offsets topic; the host is the node itself,
    // whose replicas hold those partitions (bound just below, once the node exists).
    let node: BrokerNode | null = null;
    const groups: GroupService =
      cluster === null
        ? await GroupShell.open(storage, config, log, clock)
        : new ReplicatedGroups(
            {
              nodeId: config.nodeId,
              clock,
              log,
              partition: (topic, index) => node?.partition(topic, index),
            },
            groupCoreOptions(config),
            config.offsetsTopicPartitions,
          );
    // In a cluster every producer-id block comes from the active controller (AllocateProducerIds).
    const producerIdCluster = cluster === null ? null : { brokerId: config.nodeId, controller: metadata };
    const producerIds = await ProducerIdShell.open(storage, clock, log, producerIdCluster);
    node = new BrokerNode(
      config,
      clusterId,
      storage,
      metadata,
      groups,
      producerIds,
      logs,
      hw,
      clock,
      log,
      cluster,
    );
    if (cluster === null) await node.followImages();
    // A cluster's node opens its replicas once registered (`start`): their incarnation is the broker
    // epoch the registration gets.
    else node.attachCluster(cluster);
    // OffsetCommit refuses topics the metadata does not hold, so offsets of such a topic are what a
    // crash left of a deletion whose purge had not finished.
    const image = metadata.image;
    await node.deleteOffsetsOfDeletedTopics((topic) => image.topics[topic] === undefined);
    return node;
  }

  /**
   * Registers with the controller at the advertised address (the inter-broker listener's), with every
   * advertised broker listener when given, and starts the clock.
   */
  async start(
    advertisedHost: string,
    advertisedPort: number,
    listeners?: readonly controller.BrokerListener[],
  ): Promise<void> {
    // The quorum ticks from here on: in a cluster the controller may be elected only now.
    this.timer = setInterval(() => void this.tick(), metadataTickMs);
    // A controller-only node serves the quorum and the controller; it hosts no partitions.
    if (!this.config.processRoles.includes("broker")) return;
    if (!(this.metadata instanceof MetadataShell))
      this.cluster?.setReplyAddress(advertisedHost, advertisedPort);
    const register = () =>
      this.metadata.registerSelf(advertisedHost, advertisedPort, this.clock, () => this.closed, listeners);
    this.metadata.reregister = () => void register();
    await register();
    this.lastHeartbeatMs = this.clock();
    if (this.cluster !== null) {
      this.incarnation = this.metadata.brokerEpochValue;
      await this.followImages();
      await this.untilImageListsSelf();
    }
  }

  /**
   * In a cluster the registration is answered by the active controller, and this node's own image
   * may lag it by a heartbeat. Clients told this node is ready would then get metadata that does not
   * list it (kafkajs refuses a controller it cannot find there), so the start waits, bounded, until
   * the image holds this registration, unfenced.
   */
  private async untilImageListsSelf(): Promise<void> {
    const deadlineMs = performance.now() + selfInImageWaitMsMax;
    const listed = () =>
      this.image.brokers.some(
        (b) =>
          b.brokerId === this.config.nodeId && !b.fenced && b.brokerEpoch === this.metadata.brokerEpochValue,
      );
    while (!listed() && !this.closed && performance.now() < deadlineMs)
      await new Promise((r) => setTimeout(r, 20));
    if (!listed())
      this.log(`cluster: this node's metadata does not list its registration yet; serving anyway`);
  }

  /** Opens, leads or follows this node's partitions as committed images arrive, starting with the current one. */
  private async followImages(): Promise<void> {
    this.metadata.onImage((image, previous) => this.applyImage(image, previous));
    await this.applyImage(this.metadata.image, controller.emptyImage);
  }

  /** The active controller as this node knows it (the quorum's leader), -1 while there is none. */
  get controllerId(): number {
    return this.metadata.leaderId ?? -1;
  }

  get image(): controller.MetadataImage {
    return this.metadata.image;
  }

  topicNameProblem(name: string): string | null {
    return storageTopicNameProblem(name);
  }

  partition(topic: string, index: number): PartitionReplica | undefined {
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
    // Dynamic broker configs (the topics' defaults among them) change every topic without its own value.
    const brokerDefaultsChanged = brokerConfigsChanged(previous, image, this.staticConfig.nodeId);
    if (brokerDefaultsChanged) this.liveConfig = effectiveBrokerConfig(this.staticConfig, image);
    const deletedTopics = new Set<string>();
    for (const [name, old] of Object.entries(previous.topics)) {
      const now = image.topics[name];
      if (now !== undefined && now.topicId === old.topicId) continue;
      deletedTopics.add(name);
      for (const p of old.partitions) {
        const key = partitionKey(name, p.partition);
        const replica = this.partitions.get(key);
        if (replica === undefined) continue;
        this.partitions.delete(key);
        replica.close(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        this.logs.delete({ topic: name, partition: p.partition });
        this.hw.forget(name, p.partition);
        this.log(`deleted partition ${name}-${p.partition}`);
      }
    }
    // Kafka's coordinator forgets a deleted topic's offsets, so a topic recreated under the same name
    // starts with none. This runs before any replica of a recreated topic opens below.
    if (deletedTopics.size > 0) await this.deleteOffsetsOfDeletedTopics((topic) => deletedTopics.has(topic));
    for (const topic of Object.values(image.topics)) {
      // Worked out once per topic, when its first replica here opens (it logs the configs it ignores).
      let settings: TopicReplicaSettings | undefined;
      // Changed configs (AlterConfigs) reach the open logs and replicas now: reopening an open log only
      // swaps its settings, and the replica takes min.insync.replicas, max.message.bytes and flush.messages=1.
      const retune = brokerDefaultsChanged || topicConfigsChanged(previous.topics[topic.name], topic);
      for (const p of topic.partitions) {
        if (!p.replicas.includes(this.config.nodeId)) continue;
        const key = partitionKey(topic.name, p.partition);
        let replica = this.partitions.get(key);
        if (replica !== undefined && retune) {
          settings ??= this.topicSettings(topic.configs);
          this.logs.open({ topic: topic.name, partition: p.partition }, settings.logConfig, this.clock());
          replica.retune({
            minInsyncReplicas: settings.core?.minInsyncReplicas ?? this.config.minInsyncReplicas,
            messageBytesMax: settings.messageBytesMax,
            durableAppends: settings.logConfig.flushIntervalMessages === 1,
          });
        }
        if (replica === undefined) {
          const tp: TopicPartition = { topic: topic.name, partition: p.partition };
          settings ??= this.topicSettings(topic.configs);
          try {
            replica = this.openReplica(tp, settings);
          } catch (error) {
            // A corrupt or unreadable partition stays offline; the rest of the broker keeps serving.
            this.log(
              `partition ${topic.name}-${p.partition} cannot be opened and stays offline: ${(error as Error).message}`,
            );
            continue;
          }
          this.partitions.set(key, replica);
        }
        // Which replicas may not join the ISR (KIP-841), then the leadership, in the replica's own order.
        replica.applyPartitionImage(p, image.brokers);
      }
    }
    if (this.groups instanceof ReplicatedGroups) this.groups.applyImage(image);
  }

  /**
   * The coordinator of a group: this node in a cluster of one; in a cluster, the leader of the
   * group's `__consumer_offsets` partition (created, as Kafka does, when a group is first looked
   * up). Null while there is none yet (the client retries on COORDINATOR_NOT_AVAILABLE).
   */
  coordinatorOf(groupId: string): controller.BrokerRegistration | null {
    const image = this.image;
    if (!(this.groups instanceof ReplicatedGroups)) {
      return image.brokers.find((b) => b.brokerId === this.config.nodeId && !b.fenced) ?? null;
    }
    const topic = image.topics[offsetsTopicName];
    if (topic === undefined) {
      this.createOffsetsTopic();
      return null;
    }
    const leader = topic.partitions[this.groups.partitionOf(groupId)]?.leader ?? -1;
    return image.brokers.find((b) => b.brokerId === leader && !b.fenced) ?? null;
  }

  private offsetsTopicCreating = false;

  /** Creates `__consumer_offsets` with Kafka's settings, its replication factor capped by the live brokers. */
  private createOffsetsTopic(): void {
    if (this.offsetsTopicCreating) return;
    this.offsetsTopicCreating = true;
    const live = this.image.brokers.filter((b) => !b.fenced).length;
    const replicationFactor = Math.max(1, Math.min(this.config.offsetsTopicReplicationFactor, live));
    void this.metadata
      .request({
        type: "createTopics",
        topics: [
          {
            name: offsetsTopicName,
            partitions: this.config.offsetsTopicPartitions,
            replicationFactor,
            // Kafka compacts this topic; Eddy has no compaction yet, so nothing may expire by time
            // either: a group's records stay until they are superseded and the topic is compacted.
            configs: { "retention.ms": "-1" },
          },
        ],
      })
      .then((answer) => {
        const error = answer?.type === "createTopics" ? answer.topics[0]?.error : "no answer";
        if (error !== "NONE" && error !== "TOPIC_ALREADY_EXISTS")
          this.log(`groups: creating ${offsetsTopicName} failed: ${error}; the next lookup tries again`);
        else
          this.log(
            `groups: ${offsetsTopicName} created with ${this.config.offsetsTopicPartitions} partitions, replication factor ${replicationFactor}`,
          );
      })
      .finally(() => {
        this.offsetsTopicCreating = false;
      });
  }

  /** A topic's replica settings: its own (retention.ms, segment.bytes, ...) over the broker's. */
  private topicSettings(stored: Readonly<Record<string, string>>): TopicReplicaSettings {
    const configs = effectiveTopicConfigs(stored, this.config, this.log);
    return {
      core: {
        minInsyncReplicas: Number(configs["min.insync.replicas"] ?? this.config.minInsyncReplicas),
        replicaLagTimeMaxMs: this.config.replicaLagMsMax,
        producerIdExpirationMs: this.config.producerIdExpirationMs,
        // A follower's fetch is a one-way message that a peer going away drops: ask again soon
        // rather than after Kafka's 30 s request timeout, so a failover is not held up by it.
        replicaFetchTimeoutMs: replicaFetchTimeoutMs,
        replicaFetchBackoffMs: replicaFetchBackoffMs,
      },
      messageBytesMax: topicMessageBytesMax(configs, this.config),
      logConfig: topicLogConfig(configs, this.config),
    };
  }

  /**
   * Opens a partition's log (recovering it) and the shared node's replica over it. With
   * `flush.messages=1` appends are acknowledged only once fsynced (group committed); otherwise, as in
   * Kafka, once in the page cache.
   */
  private openReplica(tp: TopicPartition, settings: TopicReplicaSettings): PartitionReplica {
    const nowMs = this.clock();
    const log = this.logs.open(tp, settings.logConfig, nowMs);
    return PartitionReplica.open(
      log,
      {
        topic: tp.topic,
        partition: tp.partition,
        brokerId: this.config.nodeId,
        incarnation: this.incarnation,
        core: settings.core,
        messageBytesMax: settings.messageBytesMax,
        replicaFetchBytesMax,
        durableAppends: log.config.flushIntervalMessages === 1,
        checkpointedHighWatermark: this.hw.stored(tp.topic, tp.partition),
      },
      this.replicaEnv,
    );
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    const nowMs = this.clock();
    try {
      this.metadata.tick();
      if (!this.shuttingDown && nowMs - this.lastHeartbeatMs >= this.config.brokerHeartbeatIntervalMs) {
        this.lastHeartbeatMs = nowMs;
        await this.metadata.heartbeat(nowMs);
      }
      // Replicas and the group coordinator wake at the times their core asks for; the node only
      // checkpoints and applies retention.
      if (nowMs - this.lastHwCheckpointMs >= hwCheckpointIntervalMs) {
        this.lastHwCheckpointMs = nowMs;
        this.hw
          .writeInBackground()
          .catch((error: unknown) =>
            this.log(`writing the high-watermark checkpoint failed: ${(error as Error).message}`),
          );
      }
      if (nowMs - this.lastRetentionMs >= this.config.retentionCheckIntervalMs) {
        this.lastRetentionMs = nowMs;
        for (const replica of this.partitions.values()) {
          const deleted = replica.applyRetention();
          if (deleted > 0)
            this.log(`retention deleted ${deleted} segment(s) of ${replica.topic}-${replica.partitionIndex}`);
        }
      }
    } catch (error) {
      this.log(`tick failed: ${(error as Error).stack ?? String(error)}`);
    }
  }

  /**
   * Kafka's controlled shutdown, before a clean stop of a cluster's node: the broker asks the
   * controller to fence it (a heartbeat that wants to be fenced), which moves its leaderships to
   * other ISR members and takes it out of the ISRs first, so clients see NOT_LEADER_OR_FOLLOWER and
   * move on at once instead of waiting for its session to time out. Bounded: a controller that does
   * not answer leaves the session timeout to do it.
   */
  async controlledShutdown(): Promise<void> {
    if (this.cluster === null || this.closed || this.metadata.brokerEpochValue < 0) return;
    this.shuttingDown = true;
    const startedMs = this.clock();
    const answer = await Promise.race([
      this.metadata.request({
        type: "brokerHeartbeat",
        nowMs: this.clock(),
        brokerId: this.config.nodeId,
        brokerEpoch: this.metadata.brokerEpochValue,
        wantFence: true,
      }),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), controlledShutdownMsMax)),
    ]);
    const led = [...this.partitions.values()].filter((r) => r.coreState.role === "leader").length;
    this.log(
      answer?.type === "brokerHeartbeat" && answer.error === "NONE"
        ? `controlled shutdown: fenced in ${this.clock() - startedMs} ms; ${led} partition(s) still led here`
        : `controlled shutdown: the controller did not answer (${answer?.type === "brokerHeartbeat" ? answer.error : "no answer"}); its session timeout will move the leaderships`,
    );
  }

  /** Stops the clock and flushes every partition. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.replication?.close();
    this.cluster?.close();
    for (const replica of this.partitions.values()) replica.close();
    // A clean shutdown flushes every log, then trims its active indexes, as Kafka's does, and writes
    // the clean-shutdown marker last when all closed cleanly (the next start then scans no segment).
    await this.logs.closeAll();
    await this.hw.settled();
    try {
      this.hw.write();
    } catch (error) {
      this.log(`writing the high-watermark checkpoint failed: ${(error as Error).message}`);
    }
    await this.storage.close?.().catch((error) => this.log(`closing storage failed: ${error}`));
  }
}
