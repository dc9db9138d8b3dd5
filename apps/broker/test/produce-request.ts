/**
 * The Produce request the broker's wire tests send when all they need is one record on partition 0:
 * one batch stamped now (a batch stamped 1970 would fall to time retention while the test runs).
 *
 * It is test scaffolding: it must never be imported by production code.
 */
import { type ApiKey, encodeRecordBatch, type RequestInputByKey } from "@eddy/protocol";

const encoder = new TextEncoder();

/** Produce (v3 and later) of one record with `value` to partition 0 of `topic`, with `acks`. */
export function oneRecordProduce(
  topic: string,
  acks: number,
  value: string,
): RequestInputByKey[typeof ApiKey.Produce] {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 5_000,
    topicData: [
      {
        name: topic,
        partitionData: [
          {
            index: 0,
            records: encodeRecordBatch({
              baseTimestamp: BigInt(Date.now()),
              records: [{ value: encoder.encode(value) }],
            }),
          },
        ],
      },
    ],
  };
}
