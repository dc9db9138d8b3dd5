/**
 * FindCoordinator (key 10): v0-v2. A single node coordinates every group (and would every
 * transactional id); in a cluster a group's coordinator is the leader of its `__consumer_offsets`
 * partition (`BrokerNode.coordinatorOf`). The answer is that broker's registered address for the
 * listener the request arrived on, from the committed metadata (`broker-endpoint.ts`); while there is
 * none, or the coordinator has no listener of that name, the answer is COORDINATOR_NOT_AVAILABLE,
 * which clients retry. v1 adds the key type and an error message.
 */
import { ErrorCode } from "@eddy/protocol";
import { allowed } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";
import { brokerEndpointFor } from "./broker-endpoint.ts";

const keyTypeGroup = 0;
const keyTypeTransaction = 1;

export const findCoordinatorApi = defineApi({
  key: 10,
  name: "FindCoordinator",
  versionMin: 0,
  versionMax: 2,
  handle: (ctx, request) => {
    const keyType = ctx.apiVersion >= 1 ? request.keyType : keyTypeGroup;
    if (keyType !== keyTypeGroup && keyType !== keyTypeTransaction) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `unknown key type ${keyType}`,
        nodeId: -1,
        host: "",
        port: -1,
      };
    }
    // Kafka's rule: DESCRIBE on the group (or transactional id) the key names.
    const resourceType = keyType === keyTypeGroup ? "GROUP" : "TRANSACTIONAL_ID";
    if (!allowed(ctx, "DESCRIBE", resourceType, request.key)) {
      return {
        throttleTimeMs: 0,
        errorCode:
          keyType === keyTypeGroup
            ? ErrorCode.GROUP_AUTHORIZATION_FAILED
            : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        errorMessage: null,
        nodeId: -1,
        host: "",
        port: -1,
      };
    }
    const coordinator = ctx.node.coordinatorOf(request.key);
    const address =
      coordinator === null
        ? null
        : brokerEndpointFor(coordinator, ctx.connection.listener, ctx.node.config.nodeId);
    if (coordinator === null || address === null) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        errorMessage:
          "no coordinator yet (this node has not registered, or the group's partition has no leader)",
        nodeId: -1,
        host: "",
        port: -1,
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      nodeId: coordinator.brokerId,
      host: address.host,
      port: address.port,
    };
  },
});
