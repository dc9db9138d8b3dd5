/**
 * The few Kafka error codes the partition and producer state machines answer with, by their Kafka names.
 * The numbers are Kafka's wire codes (org.apache.kafka.common.protocol.Errors); the protocol package owns
 * the full table, and this local map exists so the pure core does not wait on it. It must never grow
 * behaviour: names and numbers only.
 */

export const errorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  INVALID_REQUEST: 42,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TRANSACTION_TIMEOUT: 50,
  OPERATION_NOT_ATTEMPTED: 55,
  UNKNOWN_PRODUCER_ID: 59,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  STALE_BROKER_EPOCH: 77,
  OFFSET_NOT_AVAILABLE: 78,
  PRODUCER_FENCED: 90,
  INVALID_UPDATE_VERSION: 95,
  INELIGIBLE_REPLICA: 107,
} as const;

export type ErrorName = keyof typeof errorCode;
export type ErrorCode = (typeof errorCode)[ErrorName];

const namesByCode: ReadonlyMap<number, ErrorName> = new Map(
  (Object.keys(errorCode) as ErrorName[]).map((name) => [errorCode[name], name]),
);

/** The Kafka name of a code from this table; transcripts print names so a reader need not know numbers. */
export function errorName(code: number): string {
  return namesByCode.get(code) ?? `ERROR_${code}`;
}
