/**
 * AlterConfigs (key 33): v0-v1 (v2 is flexible; kafka-python's admin `alter_configs` sends v0-v1).
 * The older, non-incremental form: each topic's given configs replace its whole set, checked as
 * CreateTopics checks a new topic's configs (`node/topic-config-changes.ts`; INVALID_CONFIG naming the
 * key and why), and every key not given returns to the broker's value. Committed through the
 * controller as Config records. `validateOnly` changes nothing. Broker resources are refused: this
 * broker reads its settings at start only. Needs ALTER_CONFIGS on the topic (on the cluster for a
 * broker), TOPIC_ or CLUSTER_AUTHORIZATION_FAILED otherwise, before anything else is checked.
 */
import { ErrorCode } from "@eddy/protocol";
import { controllerErrorCode } from "../node/broker-node.ts";
import {
  brokerConfigsStatic,
  checkReplacement,
  configResourceType,
  type ResourceAnswer,
  requestTopicConfigChanges,
} from "../node/topic-config-changes.ts";
import { allowed, allowedOnCluster } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const alterConfigsApi = defineApi({
  key: 33,
  name: "AlterConfigs",
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
      const checked = checkReplacement(resource.resourceName, topic.configs, resource.configs, node.config);
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
