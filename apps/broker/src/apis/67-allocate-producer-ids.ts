/**
 * AllocateProducerIds (key 67): v0, served by the active controller (on a controller listener only, as
 * Kafka). Hands the broker the next block of producer ids (ProducerIdStart, ProducerIdLen), answered
 * once its ProducerIds record committed, so no block is handed out twice across a failover.
 * STALE_BROKER_EPOCH and BROKER_ID_NOT_REGISTERED as Kafka; ids exhausted is UNKNOWN_SERVER_ERROR; a
 * sender without CLUSTER_ACTION is CLUSTER_AUTHORIZATION_FAILED.
 */
import { controllerRequestRefusal, serveControllerInput } from "../cluster/controller-serve.ts";
import { allocationBody, allocationInputOf } from "../cluster/controller-wire.ts";
import { defineApi } from "./api.ts";

export const allocateProducerIdsApi = defineApi({
  key: 67,
  name: "AllocateProducerIds",
  versionMin: 0,
  versionMax: 0,
  controllerOnly: true,
  handle: async (ctx, request) => {
    const denied = controllerRequestRefusal(ctx, "AllocateProducerIds");
    if (denied !== null) return allocationBody(null, denied);
    const input = allocationInputOf(request);
    if ("refused" in input) {
      ctx.node.log(`controller: refused AllocateProducerIds of broker ${request.brokerId}: ${input.why}`);
      return allocationBody(null, input.refused);
    }
    const { response, error } = await serveControllerInput(ctx.node, input);
    return allocationBody(response, error);
  },
});
