/**
 * Client-side partition assignors (range, round-robin), the ConsumerProtocol codec for the subscription
 * and assignment bytes, and the ownership-conflict check. Pure functions; the coordinator relays bytes.
 */
export { assignmentConflicts, type OwnershipConflict } from "./conflicts.ts";
export {
  type Assignment,
  ConsumerProtocolError,
  consumerProtocolVersionMax,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  type Subscription,
  tryDecodeSubscription,
  tryDecodeSubscriptionTopics,
} from "./consumer-protocol.ts";
export { assignForLeader, assignorsByName } from "./leader.ts";
export * from "./limits.ts";
export { rangeAssign, rangeAssignor } from "./range.ts";
export { roundRobinAssign, roundRobinAssignor } from "./round-robin.ts";
export type { Assignor, AssignorMember, GroupAssignment, TopicPartitions } from "./types.ts";
