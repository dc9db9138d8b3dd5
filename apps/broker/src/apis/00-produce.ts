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

/** One partition's answer, filled in when its replica answers. */
interface PartitionAnswer {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  errorMessage: string | null;
}

export const produceApi = defineApi({
  key: 0,
  name: "Produce",
  versionMin: 3,
  versionMax: 8,
  // Synchronous when every partition answers at once (acks 0 and 1, refusals), which is most produce
  // traffic: a Promise per topic and per partition was most of the objects a small request made, at
  // tens of thousands of requests a second. With acks=-1 a partition may answer later (when the ISR
  // has the batch), and the response then waits for the last of them.
  handle: (ctx, request) => {
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
    let waiting: Promise<void>[] | null = null;
    const responses = request.topicData.map((topic) => ({
      name: topic.name,
      partitionResponses: topic.partitionData.map((p): PartitionAnswer => {
        const answer: PartitionAnswer = {
          index: p.index,
          errorCode: ErrorCode.NONE,
          baseOffset: -1n,
          logAppendTimeMs: -1n,
          logStartOffset: -1n,
          errorMessage: null,
        };
        const settle = (outcome: Omit<ProduceOutcome, "duplicate"> & { duplicate?: boolean }): void => {
          meterProduce(ctx.node, topic.name, p.records, outcome);
          answer.errorCode = outcome.errorCode;
          answer.baseOffset = BigInt(outcome.baseOffset);
          answer.logStartOffset = BigInt(outcome.logStartOffset);
          answer.errorMessage = outcome.errorMessage;
        };
        const replica = ctx.node.partition(topic.name, p.index);
        const refusal = transactionDenied
          ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED
          : denied.has(topic.name)
            ? ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : valid
              ? replica === undefined
                ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
                : null
              : ErrorCode.INVALID_REQUIRED_ACKS;
        if (refusal !== null || replica === undefined) {
          settle({
            errorCode: refusal ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            baseOffset: -1,
            logStartOffset: -1,
            errorMessage: null,
          });
          return answer;
        }
        // The replica answers exactly once, during this call or later.
        let answered = false;
        let wake: (() => void) | null = null;
        replica.produce(p.records, acks, request.timeoutMs, (outcome) => {
          settle(outcome);
          answered = true;
          wake?.();
        });
        if (!answered) {
          waiting ??= [];
          waiting.push(
            new Promise<void>((resolve) => {
              wake = resolve;
            }),
          );
        }
        return answer;
      }),
    }));
    const result = acks === 0 ? null : { responses, throttleTimeMs: 0 };
    return waiting === null ? result : Promise.all(waiting).then(() => result);
  },
});
