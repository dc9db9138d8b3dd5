/**
 * Where the state store keeps the controller's quorum state and metadata snapshots, the group
 * metadata shards, the producer-id block cursor and the producer-state snapshots inside a data
 * directory, under Kafka's file names where Kafka has them (the shards and the cursor reuse the
 * snapshot file name, in folders of their own). The engine writes and reads at these paths, and callers that
 * decode a payload name the file in their errors with the same functions, so an error always points
 * at the file that is wrong. Owns the names only; it must never touch a file.
 */
import { metadataLogPartition, partitionDirName, type TopicPartition } from "../port/log-store.ts";

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** The folder of the controller's metadata log, its snapshots and its quorum state. */
export function metadataDirPath(dataDir: string): string {
  return `${dataDir}/${partitionDirName(metadataLogPartition)}`;
}

/** The controller's quorum state (vote, term, commit index). */
export function quorumStatePath(dataDir: string): string {
  return `${metadataDirPath(dataDir)}/quorum-state`;
}

/** Kafka's snapshot name: `<20-digit end offset>-<10-digit epoch>.checkpoint`. */
export function metadataSnapshotFileName(endOffset: number, epoch: number): string {
  return `${pad(endOffset, 20)}-${pad(epoch, 10)}.checkpoint`;
}

export function metadataSnapshotPath(dataDir: string, endOffset: number, epoch: number): string {
  return `${metadataDirPath(dataDir)}/${metadataSnapshotFileName(endOffset, epoch)}`;
}

/** Kafka's producer-state snapshot name: `<20-digit offset>.snapshot`. */
export function producerStateFileName(offset: number): string {
  return `${pad(offset, 20)}.snapshot`;
}

export function producerStatePath(dataDir: string, tp: TopicPartition, offset: number): string {
  return `${dataDir}/${partitionDirName(tp)}/${producerStateFileName(offset)}`;
}

/** Where the group metadata shards live: one folder per shard, `__group_metadata-<shard>`. */
export const groupMetadataTopic = "__group_metadata";
/** Where the producer-id block cursor lives: `__producer_ids-0`. */
export const producerIdCursorPartition: TopicPartition = { topic: "__producer_ids", partition: 0 };

/** One group metadata shard at `version`: `__group_metadata-<shard>/<20-digit version>.snapshot`. */
export function groupMetadataShardPath(dataDir: string, shard: number, version: number): string {
  return producerStatePath(dataDir, { topic: groupMetadataTopic, partition: shard }, version);
}

/** The producer-id block cursor at `cursor`: `__producer_ids-0/<20-digit cursor>.snapshot`. */
export function producerIdCursorPath(dataDir: string, cursor: number): string {
  return producerStatePath(dataDir, producerIdCursorPartition, cursor);
}
