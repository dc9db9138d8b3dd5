/**
 * BrokerRegistration (key 62): v0-v4, served by the active controller to the brokers of its cluster
 * (on a controller listener only, as Kafka). The request's first listener is the address other nodes
 * reach the broker at; every listener is recorded with it. A cluster id other than this node's is
 * INCONSISTENT_CLUSTER_ID; a negative broker id, no listeners, a listener without an address, one
 * named twice or of an unknown security protocol is INVALID_REQUEST; a sender without CLUSTER_ACTION
 * is CLUSTER_AUTHORIZATION_FAILED; nothing changes for any of them.
 * Answered once the registration committed, with the new BrokerEpoch, or NOT_CONTROLLER.
 */
import {
  activeController,
  controllerRequestRefusal,
  serveControllerInput,
} from "../cluster/controller-serve.ts";
import { registrationBody, registrationInputOf } from "../cluster/controller-wire.ts";
import { defineApi } from "./api.ts";

export const brokerRegistrationApi = defineApi({
  key: 62,
  name: "BrokerRegistration",
  versionMin: 0,
  versionMax: 4,
  controllerOnly: true,
  handle: async (ctx, request) => {
    const denied = controllerRequestRefusal(ctx, "BrokerRegistration");
    if (denied !== null) return registrationBody(null, denied);
    const node = ctx.node;
    const input = registrationInputOf(request, node.clusterId, node.clock());
    if ("refused" in input) {
      node.log(`controller: refused the registration of broker ${request.brokerId}: ${input.why}`);
      return registrationBody(null, input.refused);
    }
    // The controller pushes images to a broker-only node at this address until its registration
    // commits and names it (from then on the image does).
    if (activeController(node) !== null)
      node.cluster?.noteReplyTo(input.brokerId, { host: input.host, port: input.port });
    const { response, error } = await serveControllerInput(node, input);
    return registrationBody(response, error);
  },
});
