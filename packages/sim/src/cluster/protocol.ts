/**
 * The simulated client protocol: the requests simulated producers and consumers send to brokers and
 * the answers they get. It mirrors the Kafka APIs the simulation exercises (Produce, Fetch, Metadata,
 * InitProducerId and the classic group APIs) as plain objects, because the simulator routes messages
 * in-process and the wire codec is tested elsewhere. Error names are Kafka's.
 */

export type ErrorName =
  | "NONE"
  | "NOT_LEADER_OR_FOLLOWER"
  | "NOT_ENOUGH_REPLICAS"
  | "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
  | "REQUEST_TIMED_OUT"
  | "OFFSET_OUT_OF_RANGE"
  | "FENCED_LEADER_EPOCH"
  | "UNKNOWN_LEADER_EPOCH"
  | "OUT_OF_ORDER_SEQUENCE_NUMBER"
  | "DUPLICATE_SEQUENCE_NUMBER"
  | "INVALID_PRODUCER_EPOCH"
  | "UNKNOWN_PRODUCER_ID"
  | "COORDINATOR_NOT_AVAILABLE"
  | "NOT_COORDINATOR"
  | "ILLEGAL_GENERATION"
  | "UNKNOWN_MEMBER_ID"
  | "REBALANCE_IN_PROGRESS"
  | "KAFKA_STORAGE_ERROR"
  | "UNKNOWN_SERVER_ERROR";

export interface SimRecord {
  readonly value: number;
  readonly key: number | null;
}

export type ClientRequest =
  | { readonly api: "Metadata"; readonly corr: number }
  | { readonly api: "InitProducerId"; readonly corr: number }
  | {
      readonly api: "Produce";
      readonly corr: number;
      readonly partition: number;
      readonly acks: 0 | 1 | -1;
      readonly records: readonly SimRecord[];
      readonly producerId: number;
      readonly producerEpoch: number;
      readonly baseSequence: number;
    }
  | {
      readonly api: "Fetch";
      readonly corr: number;
      readonly partition: number;
      readonly offset: number;
      readonly leaderEpoch: number;
    }
  | {
      readonly api: "JoinGroup";
      readonly corr: number;
      readonly group: string;
      readonly memberId: string;
      readonly protocol: "range" | "roundrobin";
    }
  | {
      readonly api: "SyncGroup";
      readonly corr: number;
      readonly group: string;
      readonly memberId: string;
      readonly generation: number;
      readonly assignments: readonly { readonly memberId: string; readonly partitions: readonly number[] }[];
    }
  | {
      readonly api: "Heartbeat";
      readonly corr: number;
      readonly group: string;
      readonly memberId: string;
      readonly generation: number;
    }
  | { readonly api: "LeaveGroup"; readonly corr: number; readonly group: string; readonly memberId: string }
  | {
      readonly api: "OffsetCommit";
      readonly corr: number;
      readonly group: string;
      readonly memberId: string;
      readonly generation: number;
      readonly offsets: readonly { readonly partition: number; readonly offset: number }[];
    }
  | {
      readonly api: "OffsetFetch";
      readonly corr: number;
      readonly group: string;
      readonly partitions: readonly number[];
    };

export interface PartitionMetadata {
  readonly partition: number;
  /** Node index of the leader in the simulator's table, or -1 when there is none. */
  readonly leader: number;
  readonly leaderEpoch: number;
}

export type ClientResponse =
  | {
      readonly api: "Metadata";
      readonly corr: number;
      readonly partitions: readonly PartitionMetadata[];
      readonly coordinator: number;
    }
  | {
      readonly api: "InitProducerId";
      readonly corr: number;
      readonly error: ErrorName;
      readonly producerId: number;
      readonly producerEpoch: number;
    }
  | { readonly api: "Produce"; readonly corr: number; readonly error: ErrorName; readonly baseOffset: number }
  | {
      readonly api: "Fetch";
      readonly corr: number;
      readonly partition: number;
      readonly error: ErrorName;
      readonly highWatermark: number;
      readonly records: readonly { readonly offset: number; readonly value: number }[];
    }
  | {
      readonly api: "JoinGroup";
      readonly corr: number;
      readonly error: ErrorName;
      readonly generation: number;
      readonly memberId: string;
      readonly leader: string;
      readonly protocol: "range" | "roundrobin";
      readonly members: readonly string[];
    }
  | {
      readonly api: "SyncGroup";
      readonly corr: number;
      readonly error: ErrorName;
      readonly partitions: readonly number[];
    }
  | { readonly api: "Heartbeat"; readonly corr: number; readonly error: ErrorName }
  | { readonly api: "LeaveGroup"; readonly corr: number; readonly error: ErrorName }
  | { readonly api: "OffsetCommit"; readonly corr: number; readonly error: ErrorName }
  | {
      readonly api: "OffsetFetch";
      readonly corr: number;
      readonly error: ErrorName;
      readonly offsets: readonly { readonly partition: number; readonly offset: number }[];
    };

export interface ClientEnvelope {
  readonly client: true;
  readonly request: ClientRequest;
}

export interface ResponseEnvelope {
  readonly client: true;
  readonly response: ClientResponse;
}
