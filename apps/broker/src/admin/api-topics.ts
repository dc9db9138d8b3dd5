/**
 * Topics for the admin API: the list with sizes, one topic with its partitions (leader, replicas,
 * ISR, log start, high watermark, log end, size, segments) and configs, creation and deletion. Owns
 * the JSON shapes; creation and deletion go through the node's own CreateTopics and DeleteTopics
 * paths (the controller decides, answers come once committed), so the admin API can never do what
 * a Kafka client could not.
 */
import { ErrorCode, errorCodeName } from "@eddy/protocol";
import type { BrokerNode } from "../node/broker-node.ts";
import { ApiRefusal, intWithin } from "./api-json.ts";
import { type ConfigView, describeConfigs } from "./configs-view.ts";

/** Partitions one creation may ask for: the controller's own per-topic limit. */
const partitionsPerTopicMax = 10_000;
const replicationFactorMax = 16;
/** Configs one creation may carry: the controller's own per-topic limit. */
const topicConfigsMax = 64;

export interface PartitionView {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** null when this node hosts no replica of the partition. */
  readonly logStartOffset: number | null;
  readonly highWatermark: number | null;
  readonly logEndOffset: number | null;
  readonly sizeBytes: number | null;
  readonly segmentCount: number | null;
  readonly offline: boolean;
}

export interface TopicView {
  readonly name: string;
  readonly topicId: string;
  readonly partitionCount: number;
  readonly replicationFactor: number;
  readonly underReplicatedCount: number;
  readonly sizeBytes: number;
  /** Records between each partition's log start and high watermark, summed. */
  readonly messageCount: number;
}

function partitionViews(node: BrokerNode, name: string): PartitionView[] {
  const topic = node.image.topics[name];
  if (topic === undefined) return [];
  return topic.partitions.map((p) => {
    const replica = node.partition(name, p.partition);
    const info = replica === undefined || replica.isOffline ? null : replica.log.info();
    return {
      partition: p.partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicas: p.replicas,
      isr: p.isr,
      logStartOffset: replica?.logStartOffset ?? null,
      highWatermark: replica?.highWatermark ?? null,
      logEndOffset: replica?.logEndOffset ?? null,
      sizeBytes: info?.sizeBytes ?? null,
      segmentCount: info?.segmentCount ?? null,
      offline: p.leader < 0 || replica?.isOffline === true,
    };
  });
}

function summary(node: BrokerNode, name: string): TopicView {
  const topic = node.image.topics[name]!;
  const partitions = partitionViews(node, name);
  return {
    name,
    topicId: topic.topicId,
    partitionCount: partitions.length,
    replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
    underReplicatedCount: partitions.filter((p) => p.isr.length < p.replicas.length).length,
    sizeBytes: partitions.reduce((sum, p) => sum + (p.sizeBytes ?? 0), 0),
    messageCount: partitions.reduce(
      (sum, p) => sum + Math.max(0, (p.highWatermark ?? 0) - (p.logStartOffset ?? 0)),
      0,
    ),
  };
}

export function listTopics(node: BrokerNode): { topics: TopicView[] } {
  const names = Object.keys(node.image.topics).sort();
  return { topics: names.map((name) => summary(node, name)) };
}

export function describeTopic(
  node: BrokerNode,
  name: string,
): (TopicView & { partitions: PartitionView[]; configs: ConfigView[] }) | null {
  if (node.image.topics[name] === undefined) return null;
  return {
    ...summary(node, name),
    partitions: partitionViews(node, name),
    configs: describeConfigs(node, "topic", name) ?? [],
  };
}

/** Kafka's error name and message of a refused creation, with the HTTP status that fits it. */
function refusalOf(errorCode: number, message: string | null): ApiRefusal {
  const status = errorCode === ErrorCode.TOPIC_ALREADY_EXISTS ? 409 : 400;
  const name = errorCodeName(errorCode);
  return new ApiRefusal(status, message === null || message === name ? name : `${name}: ${message}`);
}

/** `{ name, partitions?, replicationFactor?, configs?: { key: value } }`, defaults from the broker. */
export async function createTopic(node: BrokerNode, body: Record<string, unknown>): Promise<unknown> {
  const name = body.name;
  if (typeof name !== "string" || name === "") throw new ApiRefusal(400, "name is required");
  const partitions = intWithin(
    body.partitions,
    "partitions",
    { min: 1, max: partitionsPerTopicMax },
    node.config.partitionCountDefault,
  );
  const replicationFactor = intWithin(
    body.replicationFactor,
    "replicationFactor",
    { min: 1, max: replicationFactorMax },
    node.config.replicationFactorDefault,
  );
  const rawConfigs = body.configs ?? {};
  if (rawConfigs === null || typeof rawConfigs !== "object" || Array.isArray(rawConfigs)) {
    throw new ApiRefusal(400, "configs must be an object of names to values");
  }
  const entries = Object.entries(rawConfigs as Record<string, unknown>);
  if (entries.length > topicConfigsMax) throw new ApiRefusal(400, `at most ${topicConfigsMax} configs`);
  const configs = entries.map(([key, value]) => ({
    name: key,
    value: value === null ? null : String(value),
  }));
  const [result] = await node.createTopics([{ name, partitions, replicationFactor, configs }]);
  if (result === undefined) throw new Error("the controller gave no answer for the topic");
  if (result.errorCode !== ErrorCode.NONE) throw refusalOf(result.errorCode, result.errorMessage);
  return { name, topicId: result.topicId, partitions, replicationFactor };
}

export async function deleteTopic(node: BrokerNode, name: string): Promise<unknown> {
  if (node.image.topics[name] === undefined) throw new ApiRefusal(404, `no topic named ${name}`);
  const [result] = await node.deleteTopics([name]);
  if (result === undefined) throw new Error("the controller gave no answer for the topic");
  if (result.errorCode !== ErrorCode.NONE) {
    const status = result.errorCode === ErrorCode.TOPIC_DELETION_DISABLED ? 403 : 400;
    throw new ApiRefusal(status, errorCodeName(result.errorCode));
  }
  return { deleted: name };
}
