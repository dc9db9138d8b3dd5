/**
 * The durable-state port: small state that must survive a crash but is not a partition log.
 * It owns the contract for committed group offsets, group metadata (in shards), the quorum state
 * (the controller's vote and epoch), metadata snapshots, a node's producer-id block cursor and
 * partitions' producer-state snapshots; each method says which of them it stores. The controller's metadata log itself is
 * a partition log (`__cluster_metadata-0`, see `metadataLogPartition`), as in KRaft.
 *
 * Every write is durable when its Effect succeeds (write, fsync, rename), and atomic: a crash
 * leaves either the old value or the new one. Payloads the core encodes stay opaque bytes here.
 */
import * as Context from "effect/Context";
import type * as Effect from "effect/Effect";
import type { TopicPartition } from "./log-store.ts";
import type { StorageError } from "./storage-error.ts";

/** One committed consumer-group offset (OffsetCommit). */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** The leader epoch the consumer saw, -1 when unknown. */
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

/** A controller metadata snapshot covering the log up to `endOffset` (exclusive) at `epoch`. */
export interface MetadataSnapshot {
  readonly endOffset: number;
  readonly epoch: number;
  readonly bytes: Uint8Array;
}

/** A partition's producer-state snapshot (idempotence and transactions) taken at `offset`. */
export interface ProducerStateSnapshot {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** A small document replaced whole, with the version (or cursor) it was written at. */
export interface VersionedDocument {
  readonly version: number;
  readonly bytes: Uint8Array;
}

/** Shards the group metadata is kept in (a change rewrites one shard); shard ids are 0..this-1. */
export const groupMetadataShardsMax = 1024;

/** The durable-state service. Every method fails only with `StorageError`. */
export class StateStore extends Context.Service<
  StateStore,
  {
    /** Merges `offsets` into the group's committed offsets, durably. */
    readonly commitGroupOffsets: (
      groupId: string,
      offsets: ReadonlyArray<CommittedOffset>,
    ) => Effect.Effect<void, StorageError>;
    /** Returns the group's committed offsets (empty for an unknown group). */
    readonly groupOffsets: (groupId: string) => Effect.Effect<ReadonlyArray<CommittedOffset>, StorageError>;
    /** Deletes the given partitions' offsets, or the whole group when `partitions` is omitted. */
    readonly deleteGroupOffsets: (
      groupId: string,
      partitions?: ReadonlyArray<TopicPartition>,
    ) => Effect.Effect<void, StorageError>;
    /** Lists the groups that have committed offsets. */
    readonly groups: () => Effect.Effect<ReadonlyArray<string>, StorageError>;
    /** Replaces the controller's quorum state (epoch, vote, leader) as encoded by the core. */
    readonly saveQuorumState: (bytes: Uint8Array) => Effect.Effect<void, StorageError>;
    /** Returns the saved quorum state, or null when none was saved. */
    readonly loadQuorumState: () => Effect.Effect<Uint8Array | null, StorageError>;
    /** Stores a metadata snapshot (`<endOffset>-<epoch>.checkpoint`). */
    readonly saveMetadataSnapshot: (snapshot: MetadataSnapshot) => Effect.Effect<void, StorageError>;
    /** Returns the snapshot with the largest end offset, or null. */
    readonly latestMetadataSnapshot: () => Effect.Effect<MetadataSnapshot | null, StorageError>;
    /** Deletes snapshots whose end offset is below `endOffset`. */
    readonly deleteMetadataSnapshotsBefore: (endOffset: number) => Effect.Effect<void, StorageError>;
    /** Replaces one shard of the group metadata (members, generations, assignments) with `document`. */
    readonly saveGroupMetadataShard: (
      shard: number,
      document: VersionedDocument,
    ) => Effect.Effect<void, StorageError>;
    /** Returns one shard of the group metadata at its latest version, or null when none was saved. */
    readonly loadGroupMetadataShard: (shard: number) => Effect.Effect<VersionedDocument | null, StorageError>;
    /**
     * Replaces the node's producer-id block cursor: ids below `version` may have been handed out, so
     * a restart never hands them out again.
     */
    readonly saveProducerIdCursor: (cursor: VersionedDocument) => Effect.Effect<void, StorageError>;
    /** Returns the producer-id block cursor, or null when none was saved. */
    readonly loadProducerIdCursor: () => Effect.Effect<VersionedDocument | null, StorageError>;
    /** Replaces the partition's producer-state snapshot. */
    readonly saveProducerState: (
      tp: TopicPartition,
      snapshot: ProducerStateSnapshot,
    ) => Effect.Effect<void, StorageError>;
    /** Returns the partition's producer-state snapshot, or null. */
    readonly loadProducerState: (
      tp: TopicPartition,
    ) => Effect.Effect<ProducerStateSnapshot | null, StorageError>;
  }
>()("@eddy/storage/StateStore") {}
