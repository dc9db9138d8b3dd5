/**
 * Metadata (key 3): v0-v8. Brokers, the controller, and each topic's partitions with leader, leader
 * epoch, replicas and ISR from the committed metadata image. Unknown topics are created when
 * `auto.create.topics.enable` is on and the request allows it (always for v0-v3, which have no flag),
 * with `num.partitions` partitions, as kafka-python's producer expects. This broker's own address is
 * the one advertised for the listener the client connected on (Kafka's rule), so a client that came
 * in on an SSL listener is sent back to the SSL port; every other broker's is the one it registered
 * for that listener, and a broker with no listener of that name is left out (`broker-endpoint.ts`).
 */
import { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import { offsetsTopicName } from "../node/offsets-topic-codec.ts";
import { allowed, allowedOnCluster } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";
import { brokerEndpointFor } from "./broker-endpoint.ts";

export const metadataApi = defineApi({
  key: 3,
  name: "Metadata",
  versionMin: 0,
  versionMax: 8,
  handle: async (ctx, request) => {
    const node = ctx.node;
    const requested = request.topics?.map((t) => t.name ?? "") ?? null;
    // v0 has no way to ask for "all topics" except an empty list.
    const wantsAll = requested === null || (ctx.apiVersion === 0 && requested.length === 0);
    const autoCreate = ctx.apiVersion < 4 || request.allowAutoTopicCreation;
    const createErrors = new Map<string, number>();
    // Kafka's rules: a topic is listed only with DESCRIBE on it (when all topics are asked for, the
    // others are left out, so their existence is not disclosed; a named one answers
    // TOPIC_AUTHORIZATION_FAILED), and auto-creation needs CREATE on the cluster or on the topic.
    const describable = (name: string) => allowed(ctx, "DESCRIBE", "TOPIC", name);
    const mayCreate = (name: string) =>
      allowedOnCluster(ctx, "CREATE") || allowed(ctx, "CREATE", "TOPIC", name);
    if (!wantsAll && autoCreate && node.config.autoCreateTopicsEnable) {
      const missing = requested.filter((name) => node.image.topics[name] === undefined && describable(name));
      for (const name of missing.filter((name) => !mayCreate(name)))
        createErrors.set(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      const creatable = missing.filter((name) => !createErrors.has(name));
      if (creatable.length > 0) {
        for (const result of await node.createTopics(
          creatable.map((name) => ({
            name,
            partitions: node.config.partitionCountDefault,
            replicationFactor: node.config.replicationFactorDefault,
          })),
        )) {
          if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
            createErrors.set(result.name, result.errorCode);
          }
        }
      }
    }
    const image = node.image;
    const names = wantsAll ? Object.keys(image.topics).sort().filter(describable) : requested;
    const own = ctx.connection.listener;
    const brokers = image.brokers.flatMap((b) => {
      const address = b.fenced ? null : brokerEndpointFor(b, own, node.config.nodeId);
      return address === null ? [] : [{ nodeId: b.brokerId, ...address, rack: b.rack }];
    });
    return {
      throttleTimeMs: 0,
      brokers,
      clusterId: node.clusterId,
      controllerId: clientControllerId(node.controllerId, image.brokers, node.config.nodeId),
      topics: names.map((name) => {
        if (!describable(name)) {
          return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, isInternal: false, partitions: [] };
        }
        const topic = image.topics[name];
        if (topic === undefined) {
          const invalid = node.topicNameProblem(name) !== null;
          return {
            errorCode:
              createErrors.get(name) ??
              (invalid ? ErrorCode.INVALID_TOPIC_EXCEPTION : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
            name,
            isInternal: false,
            partitions: [],
          };
        }
        return {
          errorCode: ErrorCode.NONE,
          name,
          topicId: topic.topicId,
          // Kafka marks its group topic internal; clients leave it out of what they consume by pattern.
          isInternal: name === offsetsTopicName,
          partitions: topic.partitions.map((p) => ({
            errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
            partitionIndex: p.partition,
            leaderId: p.leader,
            leaderEpoch: p.leaderEpoch,
            replicaNodes: [...p.replicas],
            isrNodes: [...p.isr],
            offlineReplicas: p.replicas.filter((r) => !controller.isLive(image, r)),
          })),
          topicAuthorizedOperations: -2147483648,
        };
      }),
      clusterAuthorizedOperations: -2147483648,
    };
  },
});

/**
 * The controller id clients are told. Clients send admin requests to it, so it must be a broker
 * they can reach: the active controller when it is also a live broker, otherwise (a controller-only
 * quorum, as KRaft answers) this broker, which forwards what it cannot do itself.
 */
export function clientControllerId(
  activeControllerId: number,
  brokers: readonly { brokerId: number; fenced: boolean }[],
  selfId: number,
): number {
  const live = (id: number) => brokers.some((b) => b.brokerId === id && !b.fenced);
  if (live(activeControllerId)) return activeControllerId;
  if (live(selfId)) return selfId;
  return brokers.find((b) => !b.fenced)?.brokerId ?? -1;
}
