/**
 * The data of the metadata controller: the metadata image (what every broker sees at a committed
 * offset of the metadata log), the records that change it, the controller's requests and its Ready.
 * Plain immutable data only; this module must never hold behaviour beyond constants.
 */
import type { PrngState } from "../prng.ts";
import type { AclBinding, AclError, AclFilter, AclRecord } from "./acls.ts";
import type {
  ScramCredentialEntry,
  ScramDeletion,
  ScramRecord,
  ScramResult,
  ScramUpsertion,
} from "./scram-credentials.ts";
import type { AlterTopicConfigsResult, ConfigRecord, TopicConfigChange } from "./topic-configs.ts";

export type BrokerId = number;

/** Partition leader value meaning "no leader": the partition is offline. */
export const noLeader = -1;

/** Limits: the image never grows past these; requests that would are refused. */
export const brokersMax = 1024;
export const topicsMax = 10_000;
export const partitionsPerTopicMax = 10_000;
export const partitionsMax = 100_000;
export const replicationFactorMax = 16;
export const topicNameBytesMax = 249;
export const topicConfigsMax = 64;
/** The most records one controller step proposes as a single atomic batch. */
export const recordsPerBatchMax = partitionsMax + 2;
/** The most topics or partitions one request may name. */
export const requestItemsMax = 10_000;
/** Producer ids in one AllocateProducerIds block (Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const producerIdBlockSize = 1000;
/**
 * The end (exclusive) no producer-id block may pass. Kafka's ids are int64; here they are numbers, so
 * the controller stops at the largest safe integer rather than hand out an id it cannot represent.
 */
export const producerIdEndMax = Number.MAX_SAFE_INTEGER;

/** Kafka's security protocols, by the names listeners use (`listener.security.protocol.map`). */
export const securityProtocols = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] as const;
export type SecurityProtocol = (typeof securityProtocols)[number];

/** The most listeners one broker may register; Kafka sets no limit, 16 is far above any real use. */
export const brokerListenersMax = 16;

/**
 * One advertised listener of a broker (Kafka's BrokerRegistrationRecord EndPoints entry): clients
 * that arrive on the listener called `name` are told this host and port for the broker.
 */
export interface BrokerListener {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: SecurityProtocol;
}

export interface BrokerRegistration {
  readonly brokerId: BrokerId;
  /** Grows on every registration so requests from an earlier incarnation are recognised as stale. */
  readonly brokerEpoch: number;
  /** The address other nodes reach the broker at (its inter-broker listener when it names listeners). */
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /**
   * Every advertised listener, names unique. Absent for a broker that registered without them
   * (images and records from before listeners were registered, and the simulator's): such a broker is
   * known by `host` and `port` alone, on whatever listener a client asks.
   */
  readonly listeners?: readonly BrokerListener[];
  /** A fenced broker leads nothing and never joins an ISR. */
  readonly fenced: boolean;
}

export interface PartitionState {
  readonly partition: number;
  /** The assigned replicas in preference order; replicas[0] is the preferred leader. */
  readonly replicas: readonly BrokerId[];
  /** In-sync replicas; never empty (the last member stays even when fenced, so it can lead again cleanly). */
  readonly isr: readonly BrokerId[];
  readonly leader: BrokerId;
  /** Grows on every leader change. */
  readonly leaderEpoch: number;
  /** Grows on every change of any kind (leader or ISR). */
  readonly partitionEpoch: number;
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: string;
  readonly configs: Readonly<Record<string, string>>;
  readonly partitions: readonly PartitionState[];
}

/** What every broker sees once it has applied the metadata log up to `offset`. */
export interface MetadataImage {
  /** The metadata log offset (Raft index) of the last applied batch; 0 for the empty image. */
  readonly offset: number;
  /** Sorted by brokerId. */
  readonly brokers: readonly BrokerRegistration[];
  readonly topics: Readonly<Record<string, TopicImage>>;
  /**
   * The first producer id no block has included yet (Kafka's ProducerIdsImage). Absent until the first
   * AllocateProducerIds commits, which reads it as 0: images written before producer ids came from the
   * controller, and the simulator's, which never asks, stay exactly as they were.
   */
  readonly nextProducerId?: number;
  /**
   * The ACLs (`acls.ts`), in the order they were created. Absent while there are none, so images
   * written before ACLs existed, and the simulator's, which never creates one, stay exactly as they were.
   */
  readonly acls?: readonly AclBinding[];
  /**
   * The SCRAM credentials (`scram-credentials.ts`), in the order they were first created. Absent while
   * there are none, for the same reason as `acls`.
   */
  readonly scramCredentials?: readonly ScramCredentialEntry[];
  /**
   * Dynamic broker configs (`broker-configs.ts`) by resource: a broker id, or "" for the cluster-wide
   * default, each with its keys. Absent while there are none, for the same reason as `acls`.
   */
  readonly brokerConfigs?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export type MetadataRecord =
  | {
      readonly type: "RegisterBroker";
      readonly brokerId: BrokerId;
      readonly brokerEpoch: number;
      readonly host: string;
      readonly port: number;
      readonly rack: string | null;
      /** Absent when the broker registered none (see `BrokerRegistration.listeners`). */
      readonly listeners?: readonly BrokerListener[];
    }
  | { readonly type: "FenceBroker"; readonly brokerId: BrokerId; readonly brokerEpoch: number }
  | { readonly type: "UnfenceBroker"; readonly brokerId: BrokerId; readonly brokerEpoch: number }
  | {
      readonly type: "CreateTopic";
      readonly name: string;
      readonly topicId: string;
      readonly configs: Readonly<Record<string, string>>;
      readonly partitions: readonly PartitionState[];
    }
  | { readonly type: "DeleteTopic"; readonly name: string; readonly topicId: string }
  | {
      readonly type: "CreatePartitions";
      readonly name: string;
      readonly topicId: string;
      readonly partitions: readonly PartitionState[];
    }
  | {
      readonly type: "PartitionChange";
      readonly topic: string;
      readonly topicId: string;
      readonly partition: number;
      readonly leader: BrokerId;
      readonly leaderEpoch: number;
      readonly isr: readonly BrokerId[];
      readonly partitionEpoch: number;
      /** The new leader was not in the ISR (unclean election, explicitly allowed); data may be lost. */
      readonly unclean: boolean;
    }
  /**
   * A block of producer ids went to a broker (Kafka's ProducerIdsRecord): every id below
   * `nextProducerId` has been handed out, so no later block may include one.
   */
  | {
      readonly type: "ProducerIds";
      readonly brokerId: BrokerId;
      readonly brokerEpoch: number;
      readonly nextProducerId: number;
    }
  /** Kafka's AccessControlEntryRecord and RemoveAccessControlEntryRecord (`acls.ts`). */
  | AclRecord
  /** Kafka's UserScramCredentialRecord and RemoveUserScramCredentialRecord (`scram-credentials.ts`). */
  | ScramRecord
  /** Kafka's ConfigRecord for a topic: one key set, or removed when `value` is null (`topic-configs.ts`). */
  | ConfigRecord;

export interface ControllerConfig {
  /** A broker that has not heartbeated for this long is fenced (Kafka's broker.session.timeout.ms). */
  readonly sessionTimeoutMs: number;
  /** Cluster default for electing a non-ISR replica when no ISR member is alive; per-topic config overrides. */
  readonly uncleanLeaderElectionEnable: boolean;
  /** Partitions of a topic created with partitions -1 (Kafka's num.partitions). */
  readonly defaultPartitions: number;
  /** Replicas of a topic created with replicationFactor -1 (Kafka's default.replication.factor). */
  readonly defaultReplicationFactor: number;
}

export const defaultControllerConfig: ControllerConfig = {
  sessionTimeoutMs: 9000,
  uncleanLeaderElectionEnable: false,
  defaultPartitions: 1,
  defaultReplicationFactor: 1,
};

/** The topic config that overrides `uncleanLeaderElectionEnable` for one topic. */
export const uncleanLeaderElectionConfig = "unclean.leader.election.enable";

/** Kafka error names the controller answers with; the broker shell maps them to wire codes. */
export type ControllerError =
  | "NONE"
  | "NOT_CONTROLLER"
  | "INVALID_REQUEST"
  | "INVALID_TOPIC_EXCEPTION"
  | "TOPIC_ALREADY_EXISTS"
  | "INVALID_PARTITIONS"
  | "INVALID_REPLICATION_FACTOR"
  | "INVALID_CONFIG"
  | "UNKNOWN_TOPIC_OR_PARTITION"
  | "POLICY_VIOLATION"
  | "BROKER_ID_NOT_REGISTERED"
  | "STALE_BROKER_EPOCH"
  | "NOT_LEADER_OR_FOLLOWER"
  | "FENCED_LEADER_EPOCH"
  | "INVALID_UPDATE_VERSION"
  | "INELIGIBLE_REPLICA"
  | "ELECTION_NOT_NEEDED"
  | "PREFERRED_LEADER_NOT_AVAILABLE"
  | "ELIGIBLE_LEADERS_NOT_AVAILABLE"
  /** Kafka's answer when the producer ids are exhausted. */
  | "UNKNOWN_SERVER_ERROR";

export interface ControllerState {
  readonly config: ControllerConfig;
  /** The image at the last committed offset: what brokers may act on (invariant 18). */
  readonly image: MetadataImage;
  /** The image plus this controller's proposed but not yet committed batches; requests are decided on it. */
  readonly latest: MetadataImage;
  /** True while this node is the quorum leader and has applied every earlier committed batch. */
  readonly active: boolean;
  /** Batches proposed while active, oldest first, awaiting commit. */
  readonly pending: readonly (readonly MetadataRecord[])[];
  /** Last heartbeat time per broker id, kept only while active (heartbeats are never logged). */
  readonly sessions: Readonly<Record<number, number>>;
  /** The latest time seen in any input; an earlier `nowMs` in a later input is read as this one. */
  readonly nowMs: number;
  /** Draws topic ids. */
  readonly prng: PrngState;
}

/** The most batches an active controller may have in flight before it refuses new requests. */
export const pendingBatchesMax = 1024;

export interface CreatableTopic {
  readonly name: string;
  /** -1 asks for the cluster default, as CreateTopics v4+ allows (KIP-464). */
  readonly partitions: number;
  /** -1 asks for the cluster default. */
  readonly replicationFactor: number;
  readonly configs?: Readonly<Record<string, string>>;
  /** A topic id chosen by the caller (lower-case UUID text); drawn from the PRNG when absent. */
  readonly topicId?: string;
}

export interface AlterPartitionRequest {
  readonly brokerId: BrokerId;
  readonly brokerEpoch: number;
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly BrokerId[];
}

export type ElectionType = "preferred" | "unclean";

export type Input =
  /** A committed batch of the metadata log at `offset` (its Raft index); applied by every node. */
  | { readonly type: "committed"; readonly offset: number; readonly records: readonly MetadataRecord[] }
  /** The quorum installed a snapshot: replace both images with it. */
  | { readonly type: "restore"; readonly image: MetadataImage }
  /** This node leads the quorum and has applied everything committed before its term. */
  | { readonly type: "activate"; readonly nowMs: number }
  /** This node lost the quorum's leadership (or a proposal was refused). */
  | { readonly type: "deactivate" }
  /** Logical time: fences brokers whose sessions expired. */
  | { readonly type: "tick"; readonly nowMs: number }
  | {
      readonly type: "registerBroker";
      readonly nowMs: number;
      readonly brokerId: BrokerId;
      readonly host: string;
      readonly port: number;
      readonly rack: string | null;
      /**
       * The broker's advertised listeners (Kafka's BrokerRegistrationRequest Listeners); optional, at
       * most `brokerListenersMax`, names unique. Absent registers `host` and `port` alone.
       */
      readonly listeners?: readonly BrokerListener[];
    }
  | {
      readonly type: "brokerHeartbeat";
      readonly nowMs: number;
      readonly brokerId: BrokerId;
      readonly brokerEpoch: number;
      /** The broker asks to be fenced (controlled shutdown) or stay fenced (not caught up yet). */
      readonly wantFence: boolean;
    }
  | { readonly type: "createTopics"; readonly topics: readonly CreatableTopic[] }
  | { readonly type: "deleteTopics"; readonly names: readonly string[] }
  | { readonly type: "createPartitions"; readonly topics: readonly { name: string; count: number }[] }
  | ({ readonly type: "alterPartition" } & AlterPartitionRequest)
  | {
      readonly type: "electLeaders";
      readonly electionType: ElectionType;
      readonly partitions: readonly { topic: string; partition: number }[];
    }
  /** A broker asks for a block of producer ids (Kafka's AllocateProducerIds), carrying its broker epoch. */
  | { readonly type: "allocateProducerIds"; readonly brokerId: BrokerId; readonly brokerEpoch: number }
  /** CreateAcls: each binding is created unless it exists (`acls.ts`). */
  | { readonly type: "createAcls"; readonly acls: readonly AclBinding[] }
  /** DeleteAcls: every ACL a filter matches is removed (`acls.ts`). */
  | { readonly type: "deleteAcls"; readonly filters: readonly AclFilter[] }
  /** AlterUserScramCredentials: credentials removed and set, the keys derived by the broker (`scram-credentials.ts`). */
  | {
      readonly type: "alterUserScramCredentials";
      readonly deletions: readonly ScramDeletion[];
      readonly upsertions: readonly ScramUpsertion[];
    }
  /**
   * IncrementalAlterConfigs and AlterConfigs for topics: per topic, keys to set and keys to remove
   * (`topic-configs.ts`); `validateOnly` answers as a real change would and records nothing.
   */
  | {
      readonly type: "alterTopicConfigs";
      readonly topics: readonly TopicConfigChange[];
      readonly validateOnly: boolean;
    }
  /**
   * IncrementalAlterConfigs and AlterConfigs for brokers: per resource (a broker id, or "" for the
   * default), keys to set and keys to remove (`broker-configs.ts`), checked by the broker first.
   */
  | {
      readonly type: "alterBrokerConfigs";
      readonly resources: readonly TopicConfigChange[];
      readonly validateOnly: boolean;
    };

export type Response =
  | { readonly type: "registerBroker"; readonly error: ControllerError; readonly brokerEpoch: number }
  | { readonly type: "brokerHeartbeat"; readonly error: ControllerError; readonly isFenced: boolean }
  | {
      readonly type: "createTopics";
      readonly topics: readonly { name: string; error: ControllerError; topicId: string | null }[];
    }
  | { readonly type: "deleteTopics"; readonly topics: readonly { name: string; error: ControllerError }[] }
  | {
      readonly type: "createPartitions";
      readonly topics: readonly { name: string; error: ControllerError }[];
    }
  | {
      readonly type: "alterPartition";
      readonly error: ControllerError;
      readonly partition: PartitionState | null;
    }
  | {
      readonly type: "electLeaders";
      readonly partitions: readonly { topic: string; partition: number; error: ControllerError }[];
    }
  /** The block `[firstProducerId, firstProducerId + size)`; -1 and 0 with an error. */
  | {
      readonly type: "allocateProducerIds";
      readonly error: ControllerError;
      readonly firstProducerId: number;
      readonly size: number;
    }
  | { readonly type: "createAcls"; readonly results: readonly { readonly error: AclError }[] }
  /** Per filter, the ACLs it matched (and removed) before the request. */
  | {
      readonly type: "deleteAcls";
      readonly results: readonly { readonly error: AclError; readonly acls: readonly AclBinding[] }[];
    }
  | { readonly type: "alterTopicConfigs"; readonly topics: readonly AlterTopicConfigsResult[] }
  /** One result per resource, in request order; `name` is the resource's ("" for the default). */
  | { readonly type: "alterBrokerConfigs"; readonly resources: readonly AlterTopicConfigsResult[] }
  /** One result per user named, in the order each first appears. */
  | { readonly type: "alterUserScramCredentials"; readonly results: readonly ScramResult[] };

/**
 * What one controller step asks of the shell, in this order:
 * 1. If `records` is non-empty, propose them to the quorum as ONE entry (the batch is atomic). If the
 *    quorum refuses (not leader, log full), feed `deactivate` and answer NOT_CONTROLLER instead.
 * 2. Send `response` only once that entry has committed (at once when `records` is empty), so a
 *    client never hears of a change that a failover could take back.
 */
export interface Ready {
  readonly records: readonly MetadataRecord[];
  readonly response: Response | null;
}

export interface StepResult {
  readonly state: ControllerState;
  readonly ready: Ready;
}
