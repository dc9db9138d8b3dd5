/**
 * Shapes shared by the client-side assignors and the ConsumerProtocol codec. Plain data only.
 */

/** A topic and some of its partitions, as in ConsumerProtocolAssignment and ownedPartitions. */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** One group member as an assignor sees it: its id and the topics it subscribes to. */
export interface AssignorMember {
  readonly memberId: string;
  /** Static members are ordered by instance id, as Kafka's assignors do, so restarts keep assignments. */
  readonly groupInstanceId?: string | null;
  readonly topics: readonly string[];
}

/** memberId -> the partitions it owns, every member present (possibly idle), topics sorted. */
export type GroupAssignment = Map<string, TopicPartitions[]>;

/** A client-side partition assignor, named as it is announced in JoinGroup's protocol list. */
export interface Assignor {
  readonly name: string;
  readonly assign: (
    members: readonly AssignorMember[],
    partitionsPerTopic: ReadonlyMap<string, number>,
  ) => GroupAssignment;
}
