/**
 * The per-resource walk AlterConfigs (33) and IncrementalAlterConfigs (44) share: Kafka's
 * ALTER_CONFIGS check first (on the cluster for a broker, on the topic for a topic), then the
 * resource type, the topic's existence or the broker resource's name (a broker id, or "" for the
 * cluster-wide default), and the API's own check of the change; the changes that pass go to the
 * controller (one request for the topics, one for the brokers), and every resource is answered in
 * request order once this node's image shows what committed.
 *
 * Owns only that walk and the answers' shape. What a change means (replace the set, or apply
 * operations) is the caller's `checks`; it must never ask the controller for a resource it refused,
 * nor answer a resource twice.
 */
import { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import { controllerErrorCode } from "../node/broker-node.ts";
import {
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
  checks: {
    readonly topic: (resource: R, stored: Readonly<Record<string, string>>) => TopicConfigChangeChecked;
    readonly broker: (resource: R, stored: Readonly<Record<string, string>>) => TopicConfigChangeChecked;
  },
): Promise<ConfigResourceAnswer[]> {
  const node = ctx.node;
  const refused = new Map<number, ResourceAnswer>();
  const changes = [];
  const brokerChanges = [];
  for (const [i, resource] of resources.entries()) {
    if (resource.resourceType === configResourceType.broker) {
      if (!allowedOnCluster(ctx, "ALTER_CONFIGS")) {
        refused.set(i, clusterDenied);
        continue;
      }
      if (!controller.isBrokerConfigResource(resource.resourceName)) {
        refused.set(i, {
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `a broker resource is a broker id, or empty for the cluster-wide default, not '${resource.resourceName}'`,
        });
        continue;
      }
      const checked = checks.broker(resource, node.image.brokerConfigs?.[resource.resourceName] ?? {});
      if (checked._tag === "Invalid") refused.set(i, checked);
      else brokerChanges.push(checked.change);
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
    const checked = checks.topic(resource, topic.configs);
    if (checked._tag === "Invalid") refused.set(i, checked);
    else changes.push(checked.change);
  }
  const answers = await requestTopicConfigChanges(node.metadata, changes, validateOnly, controllerErrorCode);
  const brokerAnswers = await requestBrokerConfigChanges(node.metadata, brokerChanges, validateOnly);
  return resources.map((resource, i) => {
    const byName = resource.resourceType === configResourceType.broker ? brokerAnswers : answers;
    const answer = refused.get(i) ??
      byName.get(resource.resourceName) ?? {
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

/** How long an answer waits for this node's image to show a committed broker config change. */
const brokerChangeVisibleWaitMsMax = 3_000;
const brokerChangeVisiblePollMs = 10;

/** Whether `image` holds the change: every set key at its value and every removed key gone. */
function brokerChangeVisible(image: controller.MetadataImage, change: controller.TopicConfigChange): boolean {
  const configs = image.brokerConfigs?.[change.name] ?? {};
  return (
    Object.entries(change.set).every(([k, v]) => configs[k] === v) &&
    change.delete.every((k) => !Object.hasOwn(configs, k))
  );
}

/**
 * Asks the controller for the checked broker resource changes (one request) and answers each once its
 * records committed and this node's image shows them (bounded), with the controller's refusal else.
 */
async function requestBrokerConfigChanges(
  metadata: {
    request(input: controller.Input): Promise<controller.Response | null>;
    readonly image: controller.MetadataImage;
  },
  changes: readonly controller.TopicConfigChange[],
  validateOnly: boolean,
): Promise<Map<string, ResourceAnswer>> {
  const answers = new Map<string, ResourceAnswer>();
  if (changes.length === 0) return answers;
  const response = await metadata.request({ type: "alterBrokerConfigs", resources: changes, validateOnly });
  if (response?.type !== "alterBrokerConfigs") {
    for (const c of changes)
      answers.set(c.name, { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: "no controller answered" });
    return answers;
  }
  for (const r of response.resources) {
    answers.set(r.name, {
      errorCode: controllerErrorCode(r.error),
      errorMessage: r.error === "NONE" ? null : (r.message ?? r.error),
    });
  }
  if (!validateOnly) {
    const applied = changes.filter((c) => answers.get(c.name)?.errorCode === ErrorCode.NONE);
    const deadlineMs = performance.now() + brokerChangeVisibleWaitMsMax;
    while (performance.now() < deadlineMs && !applied.every((c) => brokerChangeVisible(metadata.image, c)))
      await new Promise((resolve) => setTimeout(resolve, brokerChangeVisiblePollMs));
  }
  return answers;
}
