/**
 * The simulated client protocol: the requests simulated producers and consumers send to brokers and
 * the answers they get. It mirrors the Kafka APIs the simulation exercises (Produce, Fetch, Metadata,
 * InitProducerId and the classic group APIs) as plain objects, because the simulator routes messages
 * in-process and the wire codec is tested elsewhere. Error names are Kafka's.
 */

/** A Kafka error name ("NONE", "NOT_LEADER_OR_FOLLOWER", ...), as the core's `errorName` spells it. */
export type ErrorName = string;

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
      /** The partition's log start, on an error answer in runs with retention only. */
      readonly logStartOffset?: number;
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
