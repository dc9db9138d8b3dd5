/**
 * CreateTopics (key 19): v0-v4. Creates topics through the controller with the placement rule of
 * the core (partition i's first replica on broker i mod n). -1 partitions or replication factor take
 * the broker defaults; `validateOnly` checks without creating. Topic configs are checked as Kafka
 * checks them (`node/topic-configs.ts`): an unknown name, a null or invalid value refuses that topic
 * with INVALID_CONFIG and a message naming the config. Explicit replica assignments are not
 * supported yet and are refused per topic, not silently ignored.
 */
import { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import { controllerErrorCode } from "../node/broker-node.ts";
import { allowed, allowedOnCluster } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const createTopicsApi = defineApi({
  key: 19,
  name: "CreateTopics",
  versionMin: 0,
  versionMax: 4,
  handle: async (ctx, request) => {
    const node = ctx.node;
    const refused = new Map<string, { errorCode: number; errorMessage: string }>();
    const seen = new Set<string>();
    const wanted = [];
    for (const t of request.topics) {
      if (seen.has(t.name)) {
        refused.set(t.name, { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "topic named twice" });
        continue;
      }
      seen.add(t.name);
      // Kafka's rule: CREATE on the cluster, or on the topic itself.
      if (!allowedOnCluster(ctx, "CREATE") && !allowed(ctx, "CREATE", "TOPIC", t.name)) {
        refused.set(t.name, {
          errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          errorMessage: "Authorization failed.",
        });
        continue;
      }
      if (t.assignments.length > 0) {
        refused.set(t.name, {
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: "explicit replica assignments are not supported",
        });
        continue;
      }
      wanted.push({
        name: t.name,
        partitions: t.numPartitions === -1 ? node.config.partitionCountDefault : t.numPartitions,
        replicationFactor:
          t.replicationFactor === -1 ? node.config.replicationFactorDefault : t.replicationFactor,
        configs: t.configs,
      });
    }
    const results = new Map<string, { errorCode: number; errorMessage: string | null }>();
    if (request.validateOnly) {
      // The same checks as a real creation (names, configs, then what the controller would refuse),
      // and nothing proposed.
      const image = node.image;
      const liveBrokers = controller.liveBrokerIds(image);
      for (const t of wanted) {
        const checked = node.checkCreation(t);
        if ("problem" in checked) {
          results.set(t.name, checked.problem);
          continue;
        }
        const placement = controller.placeReplicas(liveBrokers, t.partitions, t.replicationFactor);
        const errorCode =
          image.topics[t.name] !== undefined
            ? ErrorCode.TOPIC_ALREADY_EXISTS
            : placement.ok
              ? ErrorCode.NONE
              : controllerErrorCode(placement.error);
        results.set(t.name, { errorCode, errorMessage: null });
      }
    } else if (wanted.length > 0) {
      for (const r of await node.createTopics(wanted)) results.set(r.name, r);
    }
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => {
        const r = refused.get(t.name) ?? results.get(t.name);
        return {
          name: t.name,
          errorCode: r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR,
          errorMessage: r?.errorMessage ?? null,
        };
      }),
    };
  },
});
