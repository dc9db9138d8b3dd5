/**
 * A plain-data picture of the Kafka cluster model at one moment, for teaching views (the studio):
 * servers with liveness and roles, each partition's replicas with their log end, high watermark,
 * leader epoch and ISR, the consumers' assignments. It only reads the nodes' state; it must never
 * change it, draw randomness or touch the trace, so asking for it leaves a run's hash unchanged.
 */

export interface BrokerView {
  readonly name: string;
  readonly id: number;
  readonly up: boolean;
  /** Whether this broker hosts the group coordinator. */
  readonly coordinator: boolean;
}

export interface ControllerView {
  readonly name: string;
  readonly up: boolean;
  /** The Raft role ("leader", "follower", "candidate"...), or "down"/"booting". */
  readonly role: string;
  readonly term: number;
  readonly commitIndex: number;
  /** The controller acting on the metadata (the Raft leader once its term's entry committed). */
  readonly active: boolean;
}

export interface ReplicaView {
  readonly broker: string;
  readonly up: boolean;
  readonly role: string;
  readonly leaderEpoch: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** The ISR as this replica last heard it from the controller. */
  readonly isr: readonly number[];
}

export interface PartitionView {
  readonly partition: number;
  /** The leader and ISR in the newest metadata a live controller has applied; -1 and [] before the topic. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  /** The broker ids placement gave the partition, preferred leader first; [] before the topic. */
  readonly assignment: readonly number[];
  readonly replicas: readonly ReplicaView[];
}

export interface ConsumerView {
  readonly name: string;
  /** The group it is a member of. */
  readonly group: string;
  readonly stable: boolean;
  readonly assigned: readonly number[];
  /** The member's group phase ("out", "joining", "syncing", "stable", "left", "removed"). */
  readonly phase: string;
  /** The generation the member last joined, or -1. */
  readonly generation: number;
  /** Each assigned partition's position (the next offset it will read), in `assigned`'s order. */
  readonly positions: readonly number[];
  /** Positions moved to the log start because retention deleted the records there (runs with retention). */
  readonly offsetResets: number;
}

export interface ProducerView {
  readonly name: string;
  /** 0, 1 or -1 (all). */
  readonly acks: number;
  readonly idempotent: boolean;
  /** Keyed producers pick the partition as key mod partitions; the others pick one at random. */
  readonly keyed: boolean;
  /**
   * How it picks partitions now: "model" (the above) until a learner sets one, then "explicit N",
   * "key hash (murmur2)" or "round robin".
   */
  readonly partitioner: string;
  /** The partition of the send in flight, or -1. */
  readonly inflightPartition: number;
  /** Records a learner queued on it and not yet sent. */
  readonly learnerQueued: number;
}

export interface GroupView {
  readonly id: string;
  /** The coordinator's state of the group ("Empty", "PreparingRebalance", "Stable"...), or "missing". */
  readonly state: string;
  readonly generation: number;
  readonly members: number;
  /** The committed offset of each partition (-1 when none), by partition. */
  readonly committed: readonly number[];
}

export interface ClusterView {
  readonly brokers: readonly BrokerView[];
  readonly controllers: readonly ControllerView[];
  readonly partitions: readonly PartitionView[];
  /** The group's members now (spares a learner has not added, and removed members, left out). */
  readonly consumers: readonly ConsumerView[];
  readonly producers: readonly ProducerView[];
  /** The workload's group. */
  readonly group: GroupView;
  /** Every group with members now, the workload's first (a teaching run may add a second). */
  readonly groups: readonly GroupView[];
}
