/**
 * The header of a magic-v2 record batch as stored bytes are read: numbers rather than bigints, and a
 * tagged result (a whole batch, the end, a torn tail, invalid bytes) rather than an exception, because
 * the segment engine scans logs with it on every append and during recovery, where a torn tail is an
 * expected outcome, not an error. It is the same layout `batch-header.ts` reads for the wire (one
 * table of field positions, `BatchField`, and one CRC32C); it owns framing and CRC checks of stored
 * bytes and must never decode records nor copy.
 *
 * Layout: baseOffset int64 @0, batchLength int32 @8 (bytes after this field), partitionLeaderEpoch
 * int32 @12, magic int8 @16, crc uint32 @17 (CRC32C over bytes 21..end), attributes int16 @21,
 * lastOffsetDelta int32 @23, baseTimestamp int64 @27, maxTimestamp int64 @35, producerId int64 @43,
 * producerEpoch int16 @51, baseSequence int32 @53, recordCount int32 @57, records @61.
 */
import {
  BatchField,
  batchHeaderBytes,
  batchLengthPrefixBytes,
  crcCoveredFrom,
  recordBatchMagic,
} from "./batch-header.ts";
import { crc32c } from "./crc32c.ts";

/** Bytes before the length-counted part: baseOffset and batchLength (Kafka's LOG_OVERHEAD). */
const logOverheadBytes = batchLengthPrefixBytes;

/** The header fields of one stored batch. */
export interface StoredBatchHeader {
  readonly position: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** Whole batch size: 12 + batchLength. */
  readonly sizeBytes: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  readonly crc: number;
  readonly attributes: number;
  readonly baseTimestampMs: number;
  readonly maxTimestampMs: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

/** The outcome of checking the bytes at one position. */
export type StoredBatchCheck =
  | { readonly _tag: "Batch"; readonly header: StoredBatchHeader }
  | { readonly _tag: "End" }
  | { readonly _tag: "Torn"; readonly detail: string }
  | { readonly _tag: "Invalid"; readonly detail: string };

function int64(view: DataView, at: number): number {
  const high = view.getInt32(at);
  const low = view.getUint32(at + 4);
  return high * 4294967296 + low;
}

/**
 * Checks the batch starting at `position` in `bytes` (of which only `[0, end)` is valid):
 * `End` when no bytes remain, `Torn` when the length runs past `end`, `Invalid` when a field or
 * (with `checkCrc`) the CRC is wrong.
 */
export function checkBatch(
  bytes: Uint8Array,
  position: number,
  end: number,
  checkCrc: boolean,
): StoredBatchCheck {
  const remaining = end - position;
  if (remaining === 0) return { _tag: "End" };
  if (remaining < logOverheadBytes) return { _tag: "Torn", detail: `${remaining} bytes of a batch header` };
  const view = new DataView(bytes.buffer, bytes.byteOffset + position, remaining);
  const batchLength = view.getInt32(BatchField.batchLength);
  if (batchLength < batchHeaderBytes - logOverheadBytes) {
    return { _tag: "Invalid", detail: `batch length ${batchLength} is below the header size` };
  }
  const sizeBytes = logOverheadBytes + batchLength;
  if (sizeBytes > remaining) {
    if (remaining < batchHeaderBytes || view.getInt8(BatchField.magic) === recordBatchMagic) {
      return { _tag: "Torn", detail: `batch of ${sizeBytes} bytes but ${remaining} remain` };
    }
    return {
      _tag: "Invalid",
      detail: `magic ${view.getInt8(BatchField.magic)} in a batch running past the end`,
    };
  }
  const magic = view.getInt8(BatchField.magic);
  if (magic !== recordBatchMagic)
    return { _tag: "Invalid", detail: `magic ${magic}, only magic 2 is stored` };
  const baseOffset = int64(view, BatchField.baseOffset);
  const lastOffsetDelta = view.getInt32(BatchField.lastOffsetDelta);
  if (baseOffset < 0 || !Number.isSafeInteger(baseOffset) || lastOffsetDelta < 0) {
    return { _tag: "Invalid", detail: `offsets base ${baseOffset} delta ${lastOffsetDelta}` };
  }
  const crc = view.getUint32(BatchField.crc);
  if (checkCrc) {
    const actual = crc32c(bytes.subarray(position + crcCoveredFrom, position + sizeBytes));
    if (actual !== crc) {
      return { _tag: "Invalid", detail: `CRC ${hex(actual)} does not match stored ${hex(crc)}` };
    }
  }
  return { _tag: "Batch", header: headerFields(view, position, sizeBytes) };
}

/**
 * The header fields of the batch that `view` starts at (its frame already checked); `position` is
 * where the batch lies in its file or buffer.
 */
export function headerFields(view: DataView, position: number, sizeBytes: number): StoredBatchHeader {
  const baseOffset = int64(view, BatchField.baseOffset);
  return {
    position,
    baseOffset,
    lastOffset: baseOffset + view.getInt32(BatchField.lastOffsetDelta),
    sizeBytes,
    partitionLeaderEpoch: view.getInt32(BatchField.partitionLeaderEpoch),
    magic: view.getInt8(BatchField.magic),
    crc: view.getUint32(BatchField.crc),
    attributes: view.getInt16(BatchField.attributes),
    baseTimestampMs: int64(view, BatchField.baseTimestamp),
    maxTimestampMs: int64(view, BatchField.maxTimestamp),
    producerId: int64(view, BatchField.producerId),
    producerEpoch: view.getInt16(BatchField.producerEpoch),
    baseSequence: view.getInt32(BatchField.baseSequence),
    recordCount: view.getInt32(BatchField.recordsCount),
  };
}

/** Whether the stored CRC of a complete batch at `position` matches its bytes. */
export function batchCrcValid(bytes: Uint8Array, position: number, sizeBytes: number): boolean {
  const stored = new DataView(bytes.buffer, bytes.byteOffset + position, crcCoveredFrom).getUint32(
    BatchField.crc,
  );
  return crc32c(bytes.subarray(position + crcCoveredFrom, position + sizeBytes)) === stored;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, "0")}`;
}

/** Options for building test and benchmark batches. */
export interface BatchMakeOptions {
  readonly baseOffset: number;
  readonly recordCount: number;
  readonly baseTimestampMs?: number;
  readonly maxTimestampMs?: number;
  readonly partitionLeaderEpoch?: number;
  /** Opaque bytes standing in for the records section. */
  readonly body?: Uint8Array;
}

/**
 * Builds a magic-v2 batch with a valid CRC whose records section is opaque filler. Storage never
 * decodes records, so tests and benchmarks use this instead of a full encoder.
 */
export function batchMake(options: BatchMakeOptions): Uint8Array {
  const body = options.body ?? new Uint8Array(0);
  const size = batchHeaderBytes + body.length;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const setInt64 = (at: number, value: number) => view.setBigInt64(at, BigInt(value));
  const baseTimestampMs = options.baseTimestampMs ?? 0;
  setInt64(BatchField.baseOffset, options.baseOffset);
  view.setInt32(BatchField.batchLength, size - logOverheadBytes);
  view.setInt32(BatchField.partitionLeaderEpoch, options.partitionLeaderEpoch ?? 0);
  view.setInt8(BatchField.magic, recordBatchMagic);
  view.setInt16(BatchField.attributes, 0);
  view.setInt32(BatchField.lastOffsetDelta, options.recordCount - 1);
  setInt64(BatchField.baseTimestamp, baseTimestampMs);
  setInt64(BatchField.maxTimestamp, options.maxTimestampMs ?? baseTimestampMs);
  setInt64(BatchField.producerId, -1);
  view.setInt16(BatchField.producerEpoch, -1);
  view.setInt32(BatchField.baseSequence, -1);
  view.setInt32(BatchField.recordsCount, options.recordCount);
  bytes.set(body, batchHeaderBytes);
  view.setUint32(BatchField.crc, crc32c(bytes.subarray(crcCoveredFrom)));
  return bytes;
}
