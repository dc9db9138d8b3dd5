/**
 * The partition-log port: Kafka's log of record batches for one topic-partition, as a service.
 * It owns the contract both engines (memory and file) must keep and the conformance suite checks;
 * it must never hold engine state. Only the broker shell and the simulator call it: the pure core
 * decides what to write and receives what was read.
 *
 * Offsets are plain `number`s. Kafka offsets are int64, but a JavaScript number is exact up to 2^53,
 * which at a million records a second lasts 285 years; the broker converts at the wire.
 * Record batches are opaque magic-v2 byte ranges whose offsets the caller already assigned.
 */
import * as Context from "effect/Context";
import type * as Effect from "effect/Effect";
import type { LogConfig } from "./log-config.ts";
import type { StorageError } from "./storage-error.ts";

/** One partition of one topic; its folder is `<topic>-<partition>`. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** The offsets and size of a partition's log. */
export interface LogInfo {
  /** The first offset a read may ask for (raised by retention and DeleteRecords). */
  readonly logStartOffset: number;
  /** The offset the next appended record gets. */
  readonly logEndOffset: number;
  /** Every offset below this one has been fsynced (Kafka's recovery point). */
  readonly flushedOffset: number;
  /** Bytes of all `.log` files. */
  readonly sizeBytes: number;
  readonly segmentCount: number;
}

/** Where an append landed. */
export interface AppendResult {
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly logEndOffset: number;
  /** Base offset of the segment holding the first appended batch. */
  readonly segmentBaseOffset: number;
  /** Byte position of the first appended batch inside that segment's `.log`. */
  readonly position: number;
  readonly batchCount: number;
  readonly recordCount: number;
  /** The largest batch max-timestamp appended (-1 when the batches carry none). */
  readonly maxTimestampMs: number;
}

/** A fetch from the log. */
export interface ReadRequest {
  /** The first offset wanted; the batch containing it is returned whole. */
  readonly fetchOffset: number;
  /** Upper bound on returned bytes, except that `minOneBatch` lets the first batch exceed it. */
  readonly maxBytes: number;
  /** Only batches whose last offset is below this (the high watermark for consumers); default: log end. */
  readonly maxOffsetExclusive?: number | undefined;
  /** Return the first batch even when it is larger than `maxBytes` (Kafka's KIP-74); default true. */
  readonly minOneBatch?: boolean | undefined;
}

/** Whole batches read from one segment. */
export interface ReadResult {
  /** Concatenated whole batches; empty when nothing is available. Callers must not mutate it. */
  readonly records: Uint8Array;
  readonly batchCount: number;
  /** The offset after the last returned batch (the next fetch offset); `fetchOffset` when empty. */
  readonly nextOffset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

/** The first batch whose max timestamp is at or after the searched timestamp. */
export interface TimestampMatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestampMs: number;
}

/** One segment as `dump-log` and retention see it. */
export interface SegmentInfo {
  readonly baseOffset: number;
  /** The offset after the segment's last batch (the next segment's base, or the log end). */
  readonly nextOffset: number;
  readonly sizeBytes: number;
  /** Largest batch max-timestamp in the segment, -1 when none. */
  readonly maxTimestampMs: number;
  readonly indexEntryCount: number;
  readonly timeIndexEntryCount: number;
  readonly active: boolean;
}

/** One line of Kafka's `leader-epoch-checkpoint`: `epoch` began at `startOffset`. */
export interface LeaderEpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** What retention may delete. */
export interface RetentionRequest {
  /** The time retention measures segment age against (Kafka's `time.milliseconds()`). */
  readonly nowMs: number;
  /** Never delete a segment holding offsets at or above this (the high watermark); default: log end. */
  readonly offsetLimit?: number | undefined;
}

/** What retention deleted. */
export interface RetentionResult {
  readonly deletedSegmentCount: number;
  readonly deletedBytes: number;
  readonly logStartOffset: number;
}

/** The partition log service. Every method fails only with `StorageError`. */
export class LogStore extends Context.Service<
  LogStore,
  {
    /** Creates the partition's folder if missing, else recovers it; applies `config` over the engine defaults. */
    readonly openPartition: (
      tp: TopicPartition,
      config?: Partial<LogConfig>,
    ) => Effect.Effect<LogInfo, StorageError>;
    /** Deletes the partition and all its files (DeleteTopic, reassignment away). */
    readonly deletePartition: (tp: TopicPartition) => Effect.Effect<void, StorageError>;
    /** Lists the partitions stored, opened or not (what the broker finds at start). */
    readonly partitions: () => Effect.Effect<ReadonlyArray<TopicPartition>, StorageError>;
    /** Returns the log's start, end, flushed offset and size; opens a stored partition on first use. */
    readonly info: (tp: TopicPartition) => Effect.Effect<LogInfo, StorageError>;
    /**
     * Appends whole batches (base offset >= log end, increasing; else Corrupt); `nowMs` drives rolls
     * and flush policy. Keeps no reference to `batches`: the caller may reuse the buffer afterwards.
     */
    readonly append: (
      tp: TopicPartition,
      batches: Uint8Array,
      nowMs: number,
    ) => Effect.Effect<AppendResult, StorageError>;
    /** Reads whole batches from `fetchOffset` in one segment; NotFound outside [logStart, logEnd]. */
    readonly read: (tp: TopicPartition, request: ReadRequest) => Effect.Effect<ReadResult, StorageError>;
    /** Finds the first batch with max timestamp >= `timestampMs` (ListOffsets); null when none. */
    readonly offsetForTimestamp: (
      tp: TopicPartition,
      timestampMs: number,
    ) => Effect.Effect<TimestampMatch | null, StorageError>;
    /** Removes every batch whose last offset is >= `offset` (a follower dropping a divergent tail). */
    readonly truncateTo: (tp: TopicPartition, offset: number) => Effect.Effect<LogInfo, StorageError>;
    /** Deletes the whole log and starts it empty at `offset` (a follower far behind the leader's start). */
    readonly truncateFullyAndStartAt: (
      tp: TopicPartition,
      offset: number,
    ) => Effect.Effect<LogInfo, StorageError>;
    /** Raises the log start offset (DeleteRecords) and deletes segments wholly below it. */
    readonly advanceLogStart: (tp: TopicPartition, offset: number) => Effect.Effect<LogInfo, StorageError>;
    /** Deletes whole old segments by `retentionMs`, `retentionBytesMax` and the log start offset. */
    readonly applyRetention: (
      tp: TopicPartition,
      request: RetentionRequest,
    ) => Effect.Effect<RetentionResult, StorageError>;
    /** Closes the active segment and starts a new one at the log end; a no-op on an empty active segment. */
    readonly roll: (tp: TopicPartition, nowMs: number) => Effect.Effect<SegmentInfo, StorageError>;
    /** Fsyncs everything appended so far; concurrent callers share one fsync (group commit). Returns the flushed offset. */
    readonly flush: (tp: TopicPartition) => Effect.Effect<number, StorageError>;
    /** Lists the partition's segments, oldest first. */
    readonly segments: (tp: TopicPartition) => Effect.Effect<ReadonlyArray<SegmentInfo>, StorageError>;
    /** Reads the partition's leader-epoch checkpoint (empty when never written). */
    readonly readLeaderEpochs: (
      tp: TopicPartition,
    ) => Effect.Effect<ReadonlyArray<LeaderEpochEntry>, StorageError>;
    /** Replaces the leader-epoch checkpoint durably (write, fsync, rename). */
    readonly writeLeaderEpochs: (
      tp: TopicPartition,
      entries: ReadonlyArray<LeaderEpochEntry>,
    ) => Effect.Effect<void, StorageError>;
  }
>()("@eddy/storage/LogStore") {}

/** The partition that holds the controller's metadata log, as in KRaft. */
export const metadataLogPartition: TopicPartition = { topic: "__cluster_metadata", partition: 0 };

/** Kafka's folder name for a partition. */
export function partitionDirName(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** Kafka's legal topic names: 1 to 249 of `[a-zA-Z0-9._-]`, and not `.` or `..`. */
export function topicNameProblem(topic: string): string | null {
  if (topic.length === 0 || topic.length > 249)
    return `topic name length must be 1..249, got ${topic.length}`;
  if (topic === "." || topic === "..") return `topic name cannot be "${topic}"`;
  if (!/^[a-zA-Z0-9._-]+$/.test(topic)) return `topic name has characters outside [a-zA-Z0-9._-]: ${topic}`;
  return null;
}

/** Parses a folder name `<topic>-<partition>` back into a partition, or null when it is not one. */
export function partitionFromDirName(name: string): TopicPartition | null {
  const match = /^(.+)-(\d{1,10})$/.exec(name);
  if (match === null) return null;
  const topic = match[1]!;
  const partition = Number(match[2]);
  if (topicNameProblem(topic) !== null || partition > 2 ** 31 - 1) return null;
  return { topic, partition };
}
