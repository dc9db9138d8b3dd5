/**
 * IncrementalAlterConfigs (key 44): v0-v1 (v1 is flexible). Changes topic configs through the
 * controller, committed as Config records: SET and DELETE on any topic config Kafka 3.9 knows, APPEND
 * and SUBTRACT on its LIST configs (INVALID_REQUEST on the others, as Kafka answers). The result of
 * each topic's operations is checked as CreateTopics checks a new topic's configs
 * (`node/topic-config-changes.ts`): an unknown name or a bad value refuses that topic with
 * INVALID_CONFIG naming the key and why, and nothing of it changes. `validateOnly` checks everything,
 * the controller's checks included, and changes nothing. A broker resource (a broker id, or "" for
 * the cluster-wide default) changes its dynamic configs (`node/broker-configs.ts`: SET, DELETE, and
 * APPEND/SUBTRACT on log.cleanup.policy; a setting that cannot change live is INVALID_REQUEST naming
 * it). Needs ALTER_CONFIGS on the topic (on the cluster for a broker),
 * TOPIC_ or CLUSTER_AUTHORIZATION_FAILED otherwise, before anything else is checked.
 */
import { checkBrokerIncrementalChange } from "../node/broker-configs.ts";
import { checkIncrementalChange } from "../node/topic-config-changes.ts";
import { defineApi } from "./api.ts";
import { alterConfigResources } from "./config-resources.ts";

export const incrementalAlterConfigsApi = defineApi({
  key: 44,
  name: "IncrementalAlterConfigs",
  versionMin: 0,
  versionMax: 1,
  handle: async (ctx, request) => ({
    throttleTimeMs: 0,
    responses: await alterConfigResources(ctx, request.resources, request.validateOnly, {
      topic: (resource, stored) =>
        checkIncrementalChange(resource.resourceName, stored, resource.configs, ctx.node.config),
      broker: (resource, stored) =>
        checkBrokerIncrementalChange(
          resource.resourceName,
          stored,
          resource.configs,
          ctx.node.staticConfig,
          ctx.node.config,
        ),
    }),
  }),
});
