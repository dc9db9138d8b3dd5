/**
 * InitProducerId (key 22): v0-v1, for idempotent producers: a fresh producer id and epoch 0, never
 * handed out twice (ids are reserved durably in blocks). Transactional ids are refused until
 * transactions are implemented, rather than half-served.
 */
import { ErrorCode } from "@eddy/protocol";
import { allowedOnAny, allowedOnCluster } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const initProducerIdApi = defineApi({
  key: 22,
  name: "InitProducerId",
  versionMin: 0,
  versionMax: 1,
  handle: async (ctx, request) => {
    if (request.transactionalId !== null) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      };
    }
    // Kafka's rule for an idempotent producer: IDEMPOTENT_WRITE on the cluster, or WRITE on some topic.
    if (!allowedOnCluster(ctx, "IDEMPOTENT_WRITE") && !allowedOnAny(ctx, "WRITE", "TOPIC")) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        producerId: -1n,
        producerEpoch: -1,
      };
    }
    const answer = await ctx.node.producerIds.initProducerId(
      null,
      request.transactionTimeoutMs,
      Number(request.producerId),
      request.producerEpoch,
    );
    return {
      throttleTimeMs: 0,
      errorCode: answer.errorCode,
      producerId: BigInt(answer.producerId),
      producerEpoch: answer.producerEpoch,
    };
  },
});
