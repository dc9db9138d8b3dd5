/**
 * The schema of a controller metadata snapshot as the metadata shell persists it
 * (`__cluster_metadata-0/<end offset>-<epoch>.checkpoint`): the Raft index and term it covers and the
 * metadata image at that index (brokers, topics with their configs and partitions, the producer-id
 * cursor once there is one). Owns the shape only, field for field the core's
 * `quorum.Snapshot<controller.MetadataImage>`; the shell decodes every snapshot through it and must
 * never hand the core an image this schema did not check.
 */
import { controller } from "@eddy/core";
import * as Schema from "effect/Schema";

/** Counters, ids, offsets and epochs: safe integers (the core never stores a fraction). */
export const StoredInt = Schema.Int;
export const StoredNonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

/** One advertised listener of a broker (the core's `controller.BrokerListener`). */
export const StoredBrokerListener = Schema.Struct({
  name: Schema.String,
  host: Schema.String,
  port: StoredNonNegativeInt,
  securityProtocol: Schema.Literals(controller.securityProtocols),
});

/**
 * A broker's listeners, absent for a broker that registered none, so snapshots and records written
 * before brokers registered their listeners decode unchanged.
 */
export const StoredBrokerListeners = Schema.optionalKey(Schema.Array(StoredBrokerListener));

export const StoredBrokerRegistration = Schema.Struct({
  brokerId: StoredNonNegativeInt,
  brokerEpoch: StoredInt,
  host: Schema.String,
  port: StoredNonNegativeInt,
  rack: Schema.NullOr(Schema.String),
  fenced: Schema.Boolean,
  listeners: StoredBrokerListeners,
});

export const StoredPartitionState = Schema.Struct({
  partition: StoredNonNegativeInt,
  replicas: Schema.Array(StoredNonNegativeInt),
  isr: Schema.Array(StoredNonNegativeInt),
  leader: StoredInt,
  leaderEpoch: StoredInt,
  partitionEpoch: StoredInt,
});

/** A topic's configs: Kafka config names to their values, both strings. */
export const StoredTopicConfigs = Schema.Record(Schema.String, Schema.String);

export const StoredTopicImage = Schema.Struct({
  name: Schema.String,
  topicId: Schema.String,
  configs: StoredTopicConfigs,
  partitions: Schema.Array(StoredPartitionState),
});

/** One ACL (the core's `controller.AclBinding`): Kafka's AccessControlEntryRecord without its id. */
export const StoredAclBinding = Schema.Struct({
  resourceType: Schema.Literals(controller.aclResourceTypes),
  resourceName: Schema.String,
  patternType: Schema.Literals(controller.aclPatternTypes),
  principal: Schema.String,
  host: Schema.String,
  operation: Schema.Literals(controller.aclOperations),
  permission: Schema.Literals(controller.aclPermissions),
});

/**
 * One SCRAM credential (the core's `controller.ScramCredentialEntry`): Kafka's
 * UserScramCredentialRecord, byte fields in hex. Salt, iterations, StoredKey and ServerKey only.
 */
export const StoredScramCredential = Schema.Struct({
  name: Schema.String,
  mechanism: Schema.Literals(controller.scramMechanismNames),
  salt: Schema.String,
  storedKey: Schema.String,
  serverKey: Schema.String,
  iterations: StoredNonNegativeInt,
});

export const StoredMetadataImage = Schema.Struct({
  offset: StoredNonNegativeInt,
  brokers: Schema.Array(StoredBrokerRegistration),
  topics: Schema.Record(Schema.String, StoredTopicImage),
  /**
   * The first producer id no block included yet. Absent until the controller handed out a block, so
   * snapshots written before producer ids came from the controller decode unchanged.
   */
  nextProducerId: Schema.optionalKey(StoredNonNegativeInt),
  /** The ACLs, absent while there are none, so snapshots written before ACLs existed decode unchanged. */
  acls: Schema.optionalKey(Schema.Array(StoredAclBinding)),
  /** The SCRAM credentials, absent while there are none (snapshots from before them decode unchanged). */
  scramCredentials: Schema.optionalKey(Schema.Array(StoredScramCredential)),
  /** Dynamic broker configs by resource (a broker id, or "" for the default), absent while there are none. */
  brokerConfigs: Schema.optionalKey(Schema.Record(Schema.String, StoredTopicConfigs)),
});

export const StoredMetadataSnapshot = Schema.Struct({
  index: StoredNonNegativeInt,
  term: StoredNonNegativeInt,
  data: StoredMetadataImage,
});
