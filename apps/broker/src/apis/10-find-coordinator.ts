/**
 * FindCoordinator (key 10): v0-v2. A single node coordinates every group (and would every
 * transactional id), so the answer is this node's advertised address from the committed metadata.
 * Until the node's registration has committed the answer is COORDINATOR_NOT_AVAILABLE, which
 * clients retry. v1 adds the key type and an error message.
 */
import { ErrorCode } from "@eddy/protocol";
import { defineApi } from "./api.ts";

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
    const self = ctx.node.image.brokers.find((b) => b.brokerId === ctx.node.config.nodeId && !b.fenced);
    if (self === undefined) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        errorMessage: "this node has not registered yet",
        nodeId: -1,
        host: "",
        port: -1,
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      nodeId: self.brokerId,
      host: self.host,
      port: self.port,
    };
  },
});
