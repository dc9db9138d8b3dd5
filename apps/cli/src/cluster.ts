/**
 * `eddy cluster` and `eddy topics alter`: the cluster as Metadata describes it (brokers, the active
 * controller, the cluster id), and growing a topic's partition count with CreatePartitions. Owns the
 * shape of those answers. Must never shrink a topic or move replicas: Kafka cannot remove partitions,
 * and explicit assignments are not offered.
 */
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { type Admin, ApiVersion, codeText, KafkaError, unknownTopic } from "./admin.ts";

export interface ClusterDescription {
  readonly clusterId: string | null;
  /** -1 when the broker knows no controller. */
  readonly controllerId: number;
  readonly brokers: readonly { nodeId: number; host: string; port: number; rack: string | null }[];
}

export async function describeCluster(admin: Admin): Promise<ClusterDescription> {
  const metadata = await admin.metadata([]);
  return {
    clusterId: metadata.clusterId,
    controllerId: metadata.controllerId,
    brokers: metadata.brokers
      .map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }))
      .sort((a, b) => a.nodeId - b.nodeId),
  };
}

/** Grows `topic` to `partitions` partitions; returns the count before. */
export async function alterPartitions(admin: Admin, topic: string, partitions: number): Promise<number> {
  const before = (await admin.listTopics()).find((t) => t.name === topic);
  if (before === undefined) throw unknownTopic(topic);
  if (partitions <= before.partitions) {
    throw new KafkaError(
      `topic '${topic}' has ${before.partitions} partition(s); --partitions must be more (Kafka cannot remove partitions)`,
    );
  }
  const response = await admin.bootstrapConnection.request(
    ApiKey.CreatePartitions,
    ApiVersion.createPartitions,
    {
      topics: [{ name: topic, count: partitions, assignments: null }],
      timeoutMs: admin.requestTimeoutMs,
      validateOnly: false,
    },
  );
  const result = response.results.find((r) => r.name === topic);
  const code = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopic(topic);
  if (code !== ErrorCode.NONE) {
    throw new KafkaError(`cannot alter topic '${topic}': ${codeText(code, result?.errorMessage)}`);
  }
  return before.partitions;
}
