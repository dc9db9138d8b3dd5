/**
 * Messages between broker shells and controller shells in the simulation: broker heartbeats (which
 * carry the broker's liveness and bring back the committed metadata image), AlterPartition proposals
 * from partition leaders and their answers. Shapes follow KRaft's BrokerHeartbeat, the metadata image
 * and AlterPartition, as plain objects.
 */
import type { BrokerLiveness } from "@eddy/node";

export interface PartitionMeta {
  readonly partition: number;
  /** Broker id of the leader, or -1 when the partition has none. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
  readonly replicas: readonly number[];
}

export type ControlMessage =
  /**
   * `brokerEpoch` is -1 until the broker has registered in this incarnation. `wantShutDown` is Kafka's
   * BrokerHeartbeat WantShutDown: a broker stopping cleanly asks to be fenced, which moves its
   * leaderships and takes it out of the ISRs before it goes (a controlled shutdown).
   */
  | {
      readonly ctl: "heartbeat";
      readonly brokerId: number;
      readonly brokerEpoch: number;
      readonly wantShutDown: boolean;
    }
  | { readonly ctl: "registered"; readonly brokerEpoch: number; readonly controller: number }
  | {
      readonly ctl: "heartbeatResponse";
      /** The broker epoch the heartbeat carried: an answer to an earlier incarnation is ignored. */
      readonly brokerEpoch: number;
      readonly fenced: boolean;
      /** Node index of the answering controller, which is the active one. */
      readonly controller: number;
      readonly term: number;
      /** Metadata offset the image was taken at (the committed index it reflects). */
      readonly metadataOffset: number;
      readonly partitions: readonly PartitionMeta[];
      /** The image's broker registrations: which brokers are fenced, for the ISR eligibility rule. */
      readonly brokers: readonly BrokerLiveness[];
    }
  | {
      readonly ctl: "alterPartition";
      /** Correlates the answer, as a Kafka connection would: the broker ignores answers to older requests. */
      readonly requestId: number;
      readonly brokerId: number;
      readonly brokerEpoch: number;
      readonly partition: number;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly newIsr: readonly number[];
    }
  | {
      readonly ctl: "alterPartitionResponse";
      readonly requestId: number;
      readonly partition: number;
      readonly errorCode: number;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly isr: readonly number[];
    }
  | { readonly ctl: "notController"; readonly leader: number };

export function isControl(msg: unknown): msg is ControlMessage {
  return typeof msg === "object" && msg !== null && "ctl" in msg;
}
