/**
 * AlterPartition (key 56): v0-v3, served by the active controller (on a controller listener only, as
 * Kafka): a partition leader's ISR change. Topics by name before v2 and by id from v2 (an unknown one
 * UNKNOWN_TOPIC_OR_PARTITION or UNKNOWN_TOPIC_ID); ISR members with their broker epochs from v3 (one
 * whose epoch is neither -1 nor its registration's is INELIGIBLE_REPLICA). Each partition goes to the
 * controller as one input; its answer carries LeaderId, LeaderEpoch, Isr and PartitionEpoch after the
 * change, or FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, NOT_LEADER_OR_FOLLOWER, INELIGIBLE_REPLICA.
 * NOT_CONTROLLER (also a refusal outside the leader lease), STALE_BROKER_EPOCH and (without
 * CLUSTER_ACTION) CLUSTER_AUTHORIZATION_FAILED answer the whole request, as Kafka does.
 */
import { ErrorCode } from "@eddy/protocol";
import {
  activeController,
  controllerRequestRefusal,
  serveControllerInput,
} from "../cluster/controller-serve.ts";
import {
  type AlterPartitionResult,
  alterPartitionBody,
  alterPartitionItemsOf,
} from "../cluster/controller-wire.ts";
import { defineApi } from "./api.ts";

export const alterPartitionApi = defineApi({
  key: 56,
  name: "AlterPartition",
  versionMin: 0,
  versionMax: 3,
  controllerOnly: true,
  handle: async (ctx, request) => {
    const denied = controllerRequestRefusal(ctx, "AlterPartition");
    if (denied !== null) return { throttleTimeMs: 0, errorCode: denied, topics: [] };
    const node = ctx.node;
    const version = ctx.apiVersion;
    const metadata = activeController(node);
    // Only the active controller's image may say which topic an id names.
    if (metadata === null) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, topics: [] };
    const items = alterPartitionItemsOf(request, version, metadata.image);
    if ("refused" in items) {
      node.log(`controller: refused AlterPartition of broker ${request.brokerId}: ${items.why}`);
      return { throttleTimeMs: 0, errorCode: items.refused, topics: [] };
    }
    const results = await Promise.all(
      items.map(async (item): Promise<AlterPartitionResult> => {
        if (item.input === null)
          return { topicKey: item.topicKey, partition: item.partition, error: item.error, state: null };
        const { response, error } = await serveControllerInput(node, item.input);
        const state = response?.type === "alterPartition" ? response.partition : null;
        return { topicKey: item.topicKey, partition: item.partition, error, state };
      }),
    );
    return alterPartitionBody(results, version);
  },
});
