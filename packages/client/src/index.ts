/**
 * @eddy/client: the Kafka client pieces the repository's own tools share (apps/cli and apps/perf):
 * one pipelined connection over the wire codec and one consumer-group member. It speaks only
 * `@eddy/protocol` and knows nothing of the broker's insides; it must never print or exit: the tools
 * decide what a user sees.
 */
export { ConnectionError, KafkaConnection, pendingRequestsMax } from "./connection.ts";
export { GroupApiVersion, GroupMember, type GroupMemberOptions } from "./group-member.ts";
export { KafkaError } from "./kafka-error.ts";
