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
  readonly replicas: readonly ReplicaView[];
}

export interface ConsumerView {
  readonly name: string;
  readonly stable: boolean;
  readonly assigned: readonly number[];
}

export interface ClusterView {
  readonly brokers: readonly BrokerView[];
  readonly controllers: readonly ControllerView[];
  readonly partitions: readonly PartitionView[];
  readonly consumers: readonly ConsumerView[];
}
