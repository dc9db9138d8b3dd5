/**
 * The schema of a controller metadata snapshot as the metadata shell persists it
 * (`__cluster_metadata-0/<end offset>-<epoch>.checkpoint`): the Raft index and term it covers and the
 * metadata image at that index (brokers, topics with their configs and partitions). Owns the shape
 * only, field for field the core's `quorum.Snapshot<controller.MetadataImage>`; the shell decodes every
 * snapshot through it and must never hand the core an image this schema did not check.
 */
import { Schema } from "effect";

/** Counters, ids, offsets and epochs: safe integers (the core never stores a fraction). */
export const StoredInt = Schema.Int;
export const StoredNonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

export const StoredBrokerRegistration = Schema.Struct({
  brokerId: StoredNonNegativeInt,
  brokerEpoch: StoredInt,
  host: Schema.String,
  port: StoredNonNegativeInt,
  rack: Schema.NullOr(Schema.String),
  fenced: Schema.Boolean,
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

export const StoredMetadataImage = Schema.Struct({
  offset: StoredNonNegativeInt,
  brokers: Schema.Array(StoredBrokerRegistration),
  topics: Schema.Record(Schema.String, StoredTopicImage),
});

export const StoredMetadataSnapshot = Schema.Struct({
  index: StoredNonNegativeInt,
  term: StoredNonNegativeInt,
  data: StoredMetadataImage,
});
