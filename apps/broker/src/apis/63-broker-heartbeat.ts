/**
 * BrokerHeartbeat (key 63): v0-v1, served by the active controller (on a controller listener only, as
 * Kafka). Keeps the broker's session alive on the controller's clock; WantFence or WantShutDown fences
 * it (a controlled shutdown moves its leaderships first). Answers IsFenced, IsCaughtUp (the broker has
 * applied what the controller had committed when the heartbeat arrived) and ShouldShutDown (it asked
 * to shut down and is fenced); STALE_BROKER_EPOCH and BROKER_ID_NOT_REGISTERED make it register again;
 * NOT_CONTROLLER sends it to the active controller. A negative broker id or an epoch below -1 is
 * INVALID_REQUEST, a sender without CLUSTER_ACTION CLUSTER_AUTHORIZATION_FAILED; neither changes anything.
 */
import { ErrorCode } from "@eddy/protocol";
import {
  controllerRequestRefusal,
  pushImageAfterHeartbeat,
  serveControllerInput,
} from "../cluster/controller-serve.ts";
import { heartbeatBody, heartbeatInputOf } from "../cluster/controller-wire.ts";
import { defineApi } from "./api.ts";

export const brokerHeartbeatApi = defineApi({
  key: 63,
  name: "BrokerHeartbeat",
  versionMin: 0,
  versionMax: 1,
  controllerOnly: true,
  handle: async (ctx, request) => {
    const denied = controllerRequestRefusal(ctx, "BrokerHeartbeat");
    if (denied !== null) return heartbeatBody(request, null, denied, 0);
    const node = ctx.node;
    const input = heartbeatInputOf(request, node.clock());
    if ("refused" in input) {
      node.log(`controller: refused a heartbeat of broker ${request.brokerId}: ${input.why}`);
      return heartbeatBody(request, null, input.refused, 0);
    }
    const committedOffset = node.metadata.image.offset;
    const { response, error } = await serveControllerInput(node, input);
    if (error === ErrorCode.NONE) pushImageAfterHeartbeat(node, input.brokerId);
    return heartbeatBody(request, response, error, committedOffset);
  },
});
