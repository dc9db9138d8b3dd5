/**
 * Produce (key 0): v3-v8 (magic v2 batches only; v0-v2 would carry legacy message sets). Each
 * partition's batch is validated (CRC, length, one batch) and handed to its replica, which assigns
 * offsets by rewriting the batch header in place, appends it and answers per `acks`. With acks=0
 * the client expects no response at all, so none is sent.
 */
import type { ProduceOutcome } from "@eddy/node";
import { ErrorCode } from "@eddy/protocol";
import { meterProduce } from "../admin/broker-metrics.ts";
import { allowed, deniedNames } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

export const produceApi = defineApi({
  key: 0,
  name: "Produce",
  versionMin: 3,
  versionMax: 8,
  handle: async (ctx, request) => {
    const { acks } = request;
    const valid = acks === 0 || acks === 1 || acks === -1;
    // Kafka's rules: WRITE on each topic, and WRITE on the transactional id when there is one.
    const transactionDenied =
      request.transactionalId !== null && !allowed(ctx, "WRITE", "TRANSACTIONAL_ID", request.transactionalId);
    const denied = deniedNames(
      ctx,
      "WRITE",
      "TOPIC",
      request.topicData.map((t) => t.name),
    );
    const responses = await Promise.all(
      request.topicData.map(async (topic) => ({
        name: topic.name,
        partitionResponses: await Promise.all(
          topic.partitionData.map(async (p) => {
            const replica = ctx.node.partition(topic.name, p.index);
            const refusal = transactionDenied
              ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
              : denied.has(topic.name)
                ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
                : valid
                  ? null
                  : ErrorCode.INVALID_REQUIRED_ACKS;
            const outcome =
              refusal !== null
                ? { errorCode: refusal, baseOffset: -1, logStartOffset: -1, errorMessage: null }
                : replica === undefined
                  ? {
                      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
                      baseOffset: -1,
                      logStartOffset: -1,
                      errorMessage: null,
                    }
                  : await new Promise<ProduceOutcome>((resolve) =>
                      replica.produce(p.records, acks, request.timeoutMs, resolve),
                    );
            meterProduce(ctx.node, topic.name, p.records, outcome);
            return {
              index: p.index,
              errorCode: outcome.errorCode,
              baseOffset: BigInt(outcome.baseOffset),
              logAppendTimeMs: -1n,
              logStartOffset: BigInt(outcome.logStartOffset),
              errorMessage: outcome.errorMessage,
            };
          }),
        ),
      })),
    );
    if (acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
});
