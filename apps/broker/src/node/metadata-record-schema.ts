/**
 * The schema of one metadata log record as the metadata shell appends it to `__cluster_metadata-0`:
 * the Raft term of the entry and its payload, the controller's metadata records (null for the empty
 * entry a new leader appends). Owns the shape only, field for field the core's
 * `controller.MetadataRecord`; the shell decodes every record it reads back through it and must
 * never replay a record this schema did not check.
 */
import { controller } from "@eddy/core";
import * as Schema from "effect/Schema";
import {
  StoredAclBinding,
  StoredBrokerListeners,
  StoredInt,
  StoredNonNegativeInt,
  StoredPartitionState,
  StoredScramCredential,
  StoredTopicConfigs,
} from "./metadata-image-schema.ts";

const brokerEpochFields = { brokerId: StoredNonNegativeInt, brokerEpoch: StoredInt };

export const StoredMetadataRecord = Schema.Union([
  Schema.Struct({
    type: Schema.Literal("RegisterBroker"),
    ...brokerEpochFields,
    host: Schema.String,
    port: StoredNonNegativeInt,
    rack: Schema.NullOr(Schema.String),
    listeners: StoredBrokerListeners,
  }),
  Schema.Struct({ type: Schema.Literal("FenceBroker"), ...brokerEpochFields }),
  Schema.Struct({ type: Schema.Literal("UnfenceBroker"), ...brokerEpochFields }),
  Schema.Struct({
    type: Schema.Literal("CreateTopic"),
    name: Schema.String,
    topicId: Schema.String,
    configs: StoredTopicConfigs,
    partitions: Schema.Array(StoredPartitionState),
  }),
  Schema.Struct({ type: Schema.Literal("DeleteTopic"), name: Schema.String, topicId: Schema.String }),
  Schema.Struct({
    type: Schema.Literal("CreatePartitions"),
    name: Schema.String,
    topicId: Schema.String,
    partitions: Schema.Array(StoredPartitionState),
  }),
  Schema.Struct({
    type: Schema.Literal("PartitionChange"),
    topic: Schema.String,
    topicId: Schema.String,
    partition: StoredNonNegativeInt,
    leader: StoredInt,
    leaderEpoch: StoredInt,
    isr: Schema.Array(StoredNonNegativeInt),
    partitionEpoch: StoredInt,
    unclean: Schema.Boolean,
  }),
  // Kafka's ProducerIdsRecord: a block of producer ids went to a broker; the cursor only grows.
  Schema.Struct({
    type: Schema.Literal("ProducerIds"),
    ...brokerEpochFields,
    nextProducerId: StoredNonNegativeInt,
  }),
  // Kafka's AccessControlEntryRecord and RemoveAccessControlEntryRecord (an ACL is named by its fields).
  Schema.Struct({ type: Schema.Literal("AccessControlEntry"), acl: StoredAclBinding }),
  Schema.Struct({ type: Schema.Literal("RemoveAccessControlEntry"), acl: StoredAclBinding }),
  // Kafka's ConfigRecord for a topic: one key set to a value, or removed (null).
  Schema.Struct({
    type: Schema.Literal("Config"),
    resourceType: Schema.Literals(["topic", "broker"]),
    resourceName: Schema.String,
    name: Schema.String,
    value: Schema.NullOr(Schema.String),
  }),
  // Kafka's UserScramCredentialRecord and RemoveUserScramCredentialRecord.
  Schema.Struct({ type: Schema.Literal("UserScramCredential"), credential: StoredScramCredential }),
  Schema.Struct({
    type: Schema.Literal("RemoveUserScramCredential"),
    name: Schema.String,
    mechanism: Schema.Literals(controller.scramMechanismNames),
  }),
]).annotate({
  expected:
    "a metadata record with a type of RegisterBroker, FenceBroker, UnfenceBroker, CreateTopic, DeleteTopic, CreatePartitions, PartitionChange, ProducerIds, AccessControlEntry, RemoveAccessControlEntry, Config, UserScramCredential or RemoveUserScramCredential",
});

/** One log entry's value: `{ term, payload }`. */
export const StoredMetadataLogEntry = Schema.Struct({
  term: StoredNonNegativeInt,
  payload: Schema.NullOr(Schema.Array(StoredMetadataRecord)),
});
