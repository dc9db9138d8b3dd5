/**
 * IncrementalAlterConfigs (key 44): v0-v1 (v1 is flexible). Changes topic configs through the
 * controller, committed as Config records: SET and DELETE on any topic config Kafka 3.9 knows, APPEND
 * and SUBTRACT on its LIST configs (INVALID_REQUEST on the others, as Kafka answers). The result of
 * each topic's operations is checked as CreateTopics checks a new topic's configs
 * (`node/topic-config-changes.ts`): an unknown name or a bad value refuses that topic with
 * INVALID_CONFIG naming the key and why, and nothing of it changes. `validateOnly` checks everything,
 * the controller's checks included, and changes nothing. Broker resources are refused: this broker
 * reads its settings at start only. Needs ALTER_CONFIGS on the topic (on the cluster for a broker),
 * TOPIC_ or CLUSTER_AUTHORIZATION_FAILED otherwise, before anything else is checked.
 */
import { ErrorCode } from "@eddy/protocol";
import { controllerErrorCode } from "../node/broker-node.ts";
import {
  brokerConfigsStatic,
  checkIncrementalChange,
  configResourceType,
  type ResourceAnswer,
  requestTopicConfigChanges,
} from "../node/topic-config-changes.ts";
import { allowed, allowedOnCluster } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const incrementalAlterConfigsApi = defineApi({
  key: 44,
  name: "IncrementalAlterConfigs",
  versionMin: 0,
  versionMax: 1,
  handle: async (ctx, request) => {
    const node = ctx.node;
    const refused = new Map<number, ResourceAnswer>();
    const changes = [];
    for (const [i, resource] of request.resources.entries()) {
      if (resource.resourceType === configResourceType.broker) {
        // Kafka's rule: ALTER_CONFIGS on the cluster for a broker, on the topic for a topic, checked first.
        refused.set(
          i,
          allowedOnCluster(ctx, "ALTER_CONFIGS")
            ? brokerConfigsStatic
            : {
                errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
                errorMessage: "Cluster authorization failed.",
              },
        );
        continue;
      }
      if (resource.resourceType !== configResourceType.topic) {
        refused.set(i, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "unsupported resource type" });
        continue;
      }
      if (!allowed(ctx, "ALTER_CONFIGS", "TOPIC", resource.resourceName)) {
        refused.set(i, {
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: "Topic authorization failed.",
        });
        continue;
      }
      const topic = node.image.topics[resource.resourceName];
      if (topic === undefined) {
        refused.set(i, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "unknown topic" });
        continue;
      }
      const checked = checkIncrementalChange(
        resource.resourceName,
        topic.configs,
        resource.configs,
        node.config,
      );
      if (checked._tag === "Invalid") refused.set(i, checked);
      else changes.push(checked.change);
    }
    const answers = await requestTopicConfigChanges(
      node.metadata,
      changes,
      request.validateOnly,
      controllerErrorCode,
    );
    return {
      throttleTimeMs: 0,
      responses: request.resources.map((resource, i) => {
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
      }),
    };
  },
});
