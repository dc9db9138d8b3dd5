/**
 * The per-resource walk AlterConfigs (33) and IncrementalAlterConfigs (44) share: Kafka's
 * ALTER_CONFIGS check first (on the cluster for a broker, on the topic for a topic), then the
 * resource type, the topic's existence and the API's own check of the change; the changes that pass
 * go to the controller in one request, and every resource is answered in request order.
 *
 * Owns only that walk and the answers' shape. What a change means (replace the set, or apply
 * operations) is the caller's `checkTopic`; it must never ask the controller for a resource it
 * refused, nor answer a resource twice.
 */
import { ErrorCode } from "@eddy/protocol";
import { controllerErrorCode } from "../node/broker-node.ts";
import {
  brokerConfigsStatic,
  configResourceType,
  type ResourceAnswer,
  requestTopicConfigChanges,
  type TopicConfigChangeChecked,
} from "../node/topic-config-changes.ts";
import { allowed, allowedOnCluster } from "../security/authorizer-checks.ts";
import type { RequestContext } from "./api.ts";

/** What both APIs' requests name of each resource. */
export interface ConfigResource {
  readonly resourceType: number;
  readonly resourceName: string;
}

/** One resource's answer, as both APIs' responses carry it. */
export interface ConfigResourceAnswer extends ResourceAnswer {
  readonly resourceType: number;
  readonly resourceName: string;
}

const clusterDenied: ResourceAnswer = {
  errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  errorMessage: "Cluster authorization failed.",
};
const topicDenied: ResourceAnswer = {
  errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  errorMessage: "Topic authorization failed.",
};

/**
 * Checks each resource, asks the controller for every topic change that passed (one request), and
 * answers every resource in request order. `checkTopic` sees the topic's stored configs.
 */
export async function alterConfigResources<R extends ConfigResource>(
  ctx: RequestContext,
  resources: readonly R[],
  validateOnly: boolean,
  checkTopic: (resource: R, stored: Readonly<Record<string, string>>) => TopicConfigChangeChecked,
): Promise<ConfigResourceAnswer[]> {
  const node = ctx.node;
  const refused = new Map<number, ResourceAnswer>();
  const changes = [];
  for (const [i, resource] of resources.entries()) {
    if (resource.resourceType === configResourceType.broker) {
      refused.set(i, allowedOnCluster(ctx, "ALTER_CONFIGS") ? brokerConfigsStatic : clusterDenied);
      continue;
    }
    if (resource.resourceType !== configResourceType.topic) {
      refused.set(i, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "unsupported resource type" });
      continue;
    }
    if (!allowed(ctx, "ALTER_CONFIGS", "TOPIC", resource.resourceName)) {
      refused.set(i, topicDenied);
      continue;
    }
    const topic = node.image.topics[resource.resourceName];
    if (topic === undefined) {
      refused.set(i, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "unknown topic" });
      continue;
    }
    const checked = checkTopic(resource, topic.configs);
    if (checked._tag === "Invalid") refused.set(i, checked);
    else changes.push(checked.change);
  }
  const answers = await requestTopicConfigChanges(node.metadata, changes, validateOnly, controllerErrorCode);
  return resources.map((resource, i) => {
    const answer = refused.get(i) ??
      answers.get(resource.resourceName) ?? {
        errorCode: ErrorCode.UNKNOWN_SERVER_ERROR,
        errorMessage: "no answer for this resource",
      };
    return {
      errorCode: answer.errorCode,
      errorMessage: answer.errorMessage,
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
    };
  });
}
