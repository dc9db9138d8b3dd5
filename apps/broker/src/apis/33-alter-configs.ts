/**
 * AlterConfigs (key 33): v0-v1 (v2 is flexible; kafka-python's admin `alter_configs` sends v0-v1).
 * The older, non-incremental form: each topic's given configs replace its whole set, checked as
 * CreateTopics checks a new topic's configs (`node/topic-config-changes.ts`; INVALID_CONFIG naming the
 * key and why), and every key not given returns to the broker's value. Committed through the
 * controller as Config records. `validateOnly` changes nothing. A broker resource (a broker id, or "" for
 * the cluster-wide default) gets the given dynamic configs as its whole set (`node/broker-configs.ts`).
 * Needs ALTER_CONFIGS on the topic (on the cluster for a
 * broker), TOPIC_ or CLUSTER_AUTHORIZATION_FAILED otherwise, before anything else is checked.
 */
import { checkBrokerReplacement } from "../node/broker-configs.ts";
import { checkReplacement } from "../node/topic-config-changes.ts";
import { defineApi } from "./api.ts";
import { alterConfigResources } from "./config-resources.ts";

export const alterConfigsApi = defineApi({
  key: 33,
  name: "AlterConfigs",
  versionMin: 0,
  versionMax: 1,
  handle: async (ctx, request) => ({
    throttleTimeMs: 0,
    responses: await alterConfigResources(ctx, request.resources, request.validateOnly, {
      topic: (resource, stored) =>
        checkReplacement(resource.resourceName, stored, resource.configs, ctx.node.config),
      broker: (resource, stored) =>
        checkBrokerReplacement(resource.resourceName, stored, resource.configs, ctx.node.staticConfig),
    }),
  }),
});
