/**
 * Whole v2 record batches: full decode (header, CRC, decompression, every record) and encode (records in,
 * one finished batch out, CRC set). Owns the rules that tie header and records together: the record
 * count, lastOffsetDelta, maxTimestamp. It must never trust a count or length it has not bounded by the
 * bytes present, and never return a batch whose CRC it did not compute or check.
 */

import {
  BatchAttribute,
  BatchField,
  type BatchScanOptions,
  batchHeaderBytes,
  batchLengthPrefixBytes,
  CompressionCodec,
  type CompressionName,
  checkBatchFrame,
  computeBatchCrc,
  type RecordBatchHeader,
  readBatchHeader,
  recordBatchMagic,
  recordBytesMin,
  type TimestampType,
  verifyBatchCrc,
} from "./batch-header.ts";
import {
  type CompressOptions,
  compressRecords,
  decompressedBytesMaxDefault,
  decompressRecords,
} from "./compression.ts";
import {
  checkInputRange,
  decodeRecords,
  type KafkaRecord,
  type KafkaRecordInput,
  sizeRecords,
  writeRecords,
} from "./record.ts";
import { RecordBatchError } from "./record-batch-error.ts";

/** A fully decoded batch. Keys, values and header values are views into `bytes` or its decompression. */
export interface RecordBatch {
  readonly header: RecordBatchHeader;
  readonly records: readonly KafkaRecord[];
}

/** The scan options (`partialTrailing` applies to `decodeRecordBatches` only), plus a decompression ceiling. */
export interface DecodeBatchOptions extends BatchScanOptions {
  /** Ceiling on the decompressed records section, in bytes (default 128 MiB). */
  readonly decompressedBytesMax?: number;
}

/**
 * Decodes the one batch that starts at the beginning of `batch`. Bytes after the batch are ignored; use
 * `decodeRecordBatches` for a whole records range.
 */
export function decodeRecordBatch(batch: Uint8Array, options: DecodeBatchOptions = {}): RecordBatch {
  const total = checkBatchFrame(batch, 0);
  const bytes = total === batch.length ? batch : batch.subarray(0, total);
  // The CRC is checked before the header's fields are interpreted, so corruption reports as BadCrc.
  if (options.verifyCrc ?? true) verifyBatchCrc(bytes, 0);
  const header = readBatchHeader(bytes, 0);
  const limit = options.decompressedBytesMax ?? decompressedBytesMaxDefault;
  let records: KafkaRecord[];
  if (header.compression === "none") {
    records = decodeRecords(bytes, batchHeaderBytes, bytes.length, header.recordsCount, 0);
  } else {
    const payload = decompressRecords(
      header.compression,
      bytes.subarray(batchHeaderBytes),
      limit,
      batchHeaderBytes,
    );
    if (header.recordsCount > payload.length / recordBytesMin) {
      throw new RecordBatchError(
        "BadLength",
        `${header.recordsCount} records cannot fit in ${payload.length} decompressed bytes`,
        BatchField.recordsCount,
      );
    }
    // Positions in errors for decompressed records are relative to the decompressed payload.
    records = decodeRecords(payload, 0, payload.length, header.recordsCount, 0);
  }
  return { header, records };
}

/** Decodes every batch of a `records` range (a produce request's or a fetch response's records). */
export function decodeRecordBatches(records: Uint8Array, options: DecodeBatchOptions = {}): RecordBatch[] {
  const batches: RecordBatch[] = [];
  let position = 0;
  while (position < records.length) {
    let total: number;
    try {
      total = checkBatchFrame(records, position);
    } catch (error) {
      const partial = error instanceof RecordBatchError && error.reason === "Truncated";
      if (partial && options.partialTrailing === "stop") break;
      throw error;
    }
    try {
      batches.push(decodeRecordBatch(records.subarray(position, position + total), options));
    } catch (error) {
      if (error instanceof RecordBatchError && error.position !== undefined && position > 0) {
        throw new RecordBatchError(
          error.reason,
          `${error.message} (batch at ${position})`,
          position + error.position,
        );
      }
      throw error;
    }
    position += total;
  }
  return batches;
}

/** What `encodeRecordBatch` needs. Omitted fields take the values a non-idempotent producer sends. */
export interface RecordBatchInput {
  readonly records: readonly KafkaRecordInput[];
  readonly baseOffset?: bigint;
  readonly partitionLeaderEpoch?: number;
  readonly compression?: CompressionName;
  readonly compressionLevel?: number;
  readonly timestampType?: TimestampType;
  readonly isTransactional?: boolean;
  readonly isControl?: boolean;
  readonly hasDeleteHorizon?: boolean;
  /** Timestamp the records' timestampDelta are relative to (default 0n). */
  readonly baseTimestamp?: bigint;
  /** Defaults to baseTimestamp plus the largest timestampDelta. */
  readonly maxTimestamp?: bigint;
  /** Defaults to the largest record offsetDelta (0 for an empty batch). */
  readonly lastOffsetDelta?: number;
  readonly producerId?: bigint;
  readonly producerEpoch?: number;
  readonly baseSequence?: number;
}

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;

function checkInt64(value: bigint, what: string): void {
  if (value < int64Min || value > int64Max) {
    throw new RecordBatchError("InvalidInput", `${what} ${value} is not an int64`);
  }
}

/** Builds one finished v2 batch (CRC set) from records, compressing them if asked. */
export function encodeRecordBatch(input: RecordBatchInput): Uint8Array {
  const compression = input.compression ?? "none";
  const sized = sizeRecords(input.records);
  const baseTimestamp = input.baseTimestamp ?? 0n;
  const maxTimestamp =
    input.maxTimestamp ??
    (sized.records.length === 0 ? baseTimestamp : baseTimestamp + BigInt(sized.maxTimestampDelta));
  const lastOffsetDelta = input.lastOffsetDelta ?? sized.lastOffsetDelta;
  const partitionLeaderEpoch = input.partitionLeaderEpoch ?? -1;
  const producerEpoch = input.producerEpoch ?? -1;
  const baseSequence = input.baseSequence ?? -1;
  const baseOffset = input.baseOffset ?? 0n;
  const producerId = input.producerId ?? -1n;
  checkInputRange(partitionLeaderEpoch, -0x80000000, 0x7fffffff, "partitionLeaderEpoch");
  checkInputRange(lastOffsetDelta, -0x80000000, 0x7fffffff, "lastOffsetDelta");
  checkInputRange(producerEpoch, -0x8000, 0x7fff, "producerEpoch");
  checkInputRange(baseSequence, -0x80000000, 0x7fffffff, "baseSequence");
  checkInt64(baseOffset, "baseOffset");
  checkInt64(baseTimestamp, "baseTimestamp");
  checkInt64(maxTimestamp, "maxTimestamp");
  checkInt64(producerId, "producerId");

  let attributes = CompressionCodec[compression];
  if (input.timestampType === "LogAppendTime") attributes |= BatchAttribute.timestampTypeLogAppend;
  if (input.isTransactional) attributes |= BatchAttribute.transactional;
  if (input.isControl) attributes |= BatchAttribute.control;
  if (input.hasDeleteHorizon) attributes |= BatchAttribute.deleteHorizon;

  let payload: Uint8Array | undefined;
  let payloadBytes = sized.bytes;
  if (compression !== "none") {
    const plain = new Uint8Array(sized.bytes);
    writeRecords(plain, 0, sized);
    const options: CompressOptions =
      input.compressionLevel === undefined ? {} : { level: input.compressionLevel };
    payload = compressRecords(compression, plain, options);
    payloadBytes = payload.length;
  }
  const total = batchHeaderBytes + payloadBytes;
  if (total - batchLengthPrefixBytes > 0x7fffffff) {
    throw new RecordBatchError("InvalidInput", `batch of ${total} bytes does not fit an int32 length`);
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setBigInt64(BatchField.baseOffset, baseOffset);
  view.setInt32(BatchField.batchLength, total - batchLengthPrefixBytes);
  view.setInt32(BatchField.partitionLeaderEpoch, partitionLeaderEpoch);
  view.setInt8(BatchField.magic, recordBatchMagic);
  view.setInt16(BatchField.attributes, attributes);
  view.setInt32(BatchField.lastOffsetDelta, lastOffsetDelta);
  view.setBigInt64(BatchField.baseTimestamp, baseTimestamp);
  view.setBigInt64(BatchField.maxTimestamp, maxTimestamp);
  view.setBigInt64(BatchField.producerId, producerId);
  view.setInt16(BatchField.producerEpoch, producerEpoch);
  view.setInt32(BatchField.baseSequence, baseSequence);
  view.setInt32(BatchField.recordsCount, sized.records.length);
  if (payload === undefined) {
    const end = writeRecords(out, batchHeaderBytes, sized);
    if (end !== total) throw new Error(`bug: records wrote to ${end}, batch is ${total} bytes`);
  } else {
    out.set(payload, batchHeaderBytes);
  }
  view.setUint32(BatchField.crc, computeBatchCrc(out));
  return out;
}

/** Concatenates finished batches into one `records` range, as a produce request carries them. */
export function concatBatches(batches: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const batch of batches) total += batch.length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const batch of batches) {
    out.set(batch, pos);
    pos += batch.length;
  }
  return out;
}
