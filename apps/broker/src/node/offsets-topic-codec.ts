/**
 * The group coordinator's records in a cluster's `__consumer_offsets` partitions: each step's records
 * are one record batch, one Kafka record per persist record, keyed as Kafka keys them (the group, or
 * the group, topic and partition of an offset: what a compacted topic keeps the latest of) with the
 * record as JSON (member bytes in base64), decoded with `offsets-topic-record-schema.ts`.
 *
 * Owns the layout only. Must never decide what to write (the shared node's coordinator does) nor
 * replay a value its schema did not check: a malformed record fails the load with an error naming
 * the partition and offset.
 */
import type { group } from "@eddy/core";
import { decodeRecordBatches, encodeRecordBatch } from "@eddy/protocol";
import { decodeStoredJson } from "@eddy/storage";
import { fromStored, toStored } from "./group-store.ts";
import { StoredOffsetsTopicRecord } from "./offsets-topic-record-schema.ts";

/** The internal topic of group metadata and committed offsets in a cluster (Kafka's name). */
export const offsetsTopicName = "__consumer_offsets";

const encoder = new TextEncoder();

/** Kafka's partition of a group: abs(Java's String.hashCode of its id) mod the partition count. */
export function offsetsPartitionOf(groupId: string, partitionCount: number): number {
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(hash, 31) + groupId.charCodeAt(i)) | 0;
  // Kafka's Utils.abs masks the sign bit (Integer.MIN_VALUE stays non-negative too).
  return (hash & 0x7fff_ffff) % partitionCount;
}

function keyOf(record: group.PersistRecord): string {
  switch (record.kind) {
    case "offsetCommit":
    case "offsetTombstone":
      return `offset\u0000${record.groupId}\u0000${record.topic}\u0000${record.partition}`;
    default:
      return `group\u0000${record.groupId}`;
  }
}

/** One step's records as one batch (offsets are the log's to assign). */
export function encodeGroupRecords(records: readonly group.PersistRecord[], timestampMs: number): Uint8Array {
  return encodeRecordBatch({
    baseTimestamp: BigInt(timestampMs),
    records: records.map((record) => ({
      key: encoder.encode(keyOf(record)),
      value: encoder.encode(JSON.stringify(record.kind === "groupMetadata" ? toStored(record) : record)),
    })),
  });
}

/** Every record of a read of the partition, decoded and checked, in log order. */
export function decodeGroupRecords(bytes: Uint8Array, source: string): group.PersistRecord[] {
  const records: group.PersistRecord[] = [];
  for (const batch of decodeRecordBatches(bytes)) {
    for (const [i, record] of batch.records.entries()) {
      const where = `${source} at offset ${Number(batch.header.baseOffset) + i}`;
      if (record.value === null) throw new Error(`${where}: the record has no value`);
      const stored = decodeStoredJson(StoredOffsetsTopicRecord, where, record.value);
      records.push(stored.kind === "groupMetadata" ? fromStored(stored) : stored);
    }
  }
  return records;
}
