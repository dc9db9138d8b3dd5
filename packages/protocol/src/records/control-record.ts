/**
 * Control records: the commit and abort markers that end a transaction. A control batch (attribute bit
 * 5) holds one such record whose key is (version int16, type int16) and whose value is
 * (version int16, coordinatorEpoch int32). Owns their encoding and decoding; it must never accept a
 * marker it cannot fully read, since consumers decide visibility of a transaction's records from it.
 */

import type { KafkaRecord, KafkaRecordInput } from "./record.ts";
import type { RecordBatch, RecordBatchInput } from "./record-batch.ts";
import { RecordBatchError } from "./record-batch-error.ts";

/** Control record types by their id in the key. */
export const ControlRecordType = { abort: 0, commit: 1 } as const;
export type ControlRecordTypeName = keyof typeof ControlRecordType;

/** The only control-key and end-transaction-marker version Kafka defines. */
export const controlRecordVersion = 0;
const controlKeyBytes = 4;
const endTxnMarkerValueBytes = 6;

/** A decoded transaction marker. */
export interface EndTransactionMarker {
  readonly type: ControlRecordTypeName;
  readonly coordinatorEpoch: number;
}

function bad(message: string): RecordBatchError {
  return new RecordBatchError("BadControlRecord", message);
}

/** Reads the commit/abort marker from one control record. */
export function decodeControlRecord(record: KafkaRecord): EndTransactionMarker {
  const key = record.key;
  if (key === null || key.length < controlKeyBytes)
    throw bad("control record key is missing or shorter than 4 bytes");
  const keyView = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const keyVersion = keyView.getInt16(0);
  if (keyVersion < 0) throw bad(`control key version ${keyVersion} is negative`);
  const typeId = keyView.getInt16(2);
  const type =
    typeId === ControlRecordType.abort ? "abort" : typeId === ControlRecordType.commit ? "commit" : undefined;
  if (type === undefined) throw bad(`unknown control record type ${typeId}`);
  const value = record.value;
  if (value === null || value.length < endTxnMarkerValueBytes) {
    throw bad("end transaction marker value is missing or shorter than 6 bytes");
  }
  const valueView = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const valueVersion = valueView.getInt16(0);
  if (valueVersion < 0) throw bad(`end transaction marker version ${valueVersion} is negative`);
  return { type, coordinatorEpoch: valueView.getInt32(2) };
}

/** Reads the marker of a decoded control batch; refuses batches that are not control or not one record. */
export function decodeControlBatch(batch: RecordBatch): EndTransactionMarker {
  if (!batch.header.isControl) throw bad("batch is not a control batch");
  const record = batch.records[0];
  if (record === undefined || batch.records.length !== 1) {
    throw bad(`control batch holds ${batch.records.length} records, expected 1`);
  }
  return decodeControlRecord(record);
}

/** The record of a commit or abort marker. */
export function controlRecordInput(marker: EndTransactionMarker): KafkaRecordInput {
  const key = new Uint8Array(controlKeyBytes);
  const keyView = new DataView(key.buffer);
  keyView.setInt16(0, controlRecordVersion);
  keyView.setInt16(2, ControlRecordType[marker.type]);
  const value = new Uint8Array(endTxnMarkerValueBytes);
  const valueView = new DataView(value.buffer);
  valueView.setInt16(0, controlRecordVersion);
  valueView.setInt32(2, marker.coordinatorEpoch);
  return { key, value, offsetDelta: 0, timestampDelta: 0 };
}

/** What a transaction coordinator writes to end a transaction on one partition. */
export interface ControlBatchInput {
  readonly marker: EndTransactionMarker;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly timestampMs: bigint;
  readonly baseOffset?: bigint;
  readonly partitionLeaderEpoch?: number;
}

/** Batch input for a transaction marker: transactional, control, one record, no sequence. */
export function controlBatchInput(input: ControlBatchInput): RecordBatchInput {
  return {
    records: [controlRecordInput(input.marker)],
    baseOffset: input.baseOffset ?? 0n,
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    isTransactional: true,
    isControl: true,
    baseTimestamp: input.timestampMs,
    maxTimestamp: input.timestampMs,
    producerId: input.producerId,
    producerEpoch: input.producerEpoch,
    baseSequence: -1,
  };
}
