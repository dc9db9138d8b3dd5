/**
 * The fixed 61-byte header of a v2 record batch: its layout, reading it without touching the records,
 * checking length and CRC, walking the batches of a `records` byte range, and rewriting the fields that
 * sit outside the CRC (base offset, partition leader epoch) in place. A produce path assigns offsets this
 * way without re-encoding. This module must never decompress, decode a record, or copy a batch.
 */

import { crc32c } from "./crc32c.ts";
import { RecordBatchError } from "./record-batch-error.ts";

/** Byte positions of the header fields, from the start of the batch. */
export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordsCount: 57,
  records: 61,
} as const;

/** Size of the v2 batch header, up to the first record. */
export const batchHeaderBytes = 61;
/** baseOffset and batchLength precede what batchLength counts (Kafka's LOG_OVERHEAD). */
export const batchLengthPrefixBytes = 12;
/** The smallest legal batchLength: a header with no records. */
export const batchLengthMin = batchHeaderBytes - batchLengthPrefixBytes;
/** The only record format this package reads or writes. */
export const recordBatchMagic = 2;
/** The CRC covers from the attributes to the end of the batch. */
export const crcCoveredFrom = BatchField.attributes;
/**
 * The smallest encoded record: length, attributes, timestampDelta, offsetDelta, keyLength,
 * valueLength and header count, one byte each. Used to bound a record count by the bytes present.
 */
export const recordBytesMin = 7;

/** Compression codecs by their id in attribute bits 0-2. */
export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof CompressionCodec;
export type CompressionId = (typeof CompressionCodec)[CompressionName];
const compressionNames: readonly CompressionName[] = ["none", "gzip", "snappy", "lz4", "zstd"];

/** Bits of the attributes field. */
export const BatchAttribute = {
  compressionMask: 0x07,
  timestampTypeLogAppend: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
} as const;

export type TimestampType = "CreateTime" | "LogAppendTime";

/** The decoded header of one batch. int64 fields are bigints so that no value is ever rounded. */
export interface RecordBatchHeader {
  readonly baseOffset: bigint;
  /** Bytes after the batchLength field; the whole batch is `batchLength + 12` bytes. */
  readonly batchLength: number;
  readonly partitionLeaderEpoch: number;
  readonly magic: number;
  /** Stored CRC32C, unsigned. */
  readonly crc: number;
  readonly attributes: number;
  readonly compression: CompressionName;
  readonly timestampType: TimestampType;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  /** When set, baseTimestamp holds the delete horizon of a compacted batch. */
  readonly hasDeleteHorizon: boolean;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: bigint;
  readonly maxTimestamp: bigint;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordsCount: number;
}

/** One batch found in a records range: its header and a view (no copy) of its bytes. */
export interface RecordBatchSlice {
  readonly header: RecordBatchHeader;
  /** The whole batch, header included, as a subarray of the input. */
  readonly bytes: Uint8Array;
  /** Position of the batch inside the input range. */
  readonly position: number;
}

export interface BatchScanOptions {
  /** Check each batch's CRC32C (default true). */
  readonly verifyCrc?: boolean;
  /**
   * What to do with an incomplete last batch: "error" (default; a produce request must be whole) or
   * "stop" (a fetch response may end in a partial batch, which readers skip).
   */
  readonly partialTrailing?: "error" | "stop";
}

/**
 * The last array viewed and its view. A produce request's batch is read, checked and rewritten through
 * five calls here, and a DataView per call was five short-lived objects per request, at tens of
 * thousands of requests a second (each a young-generation allocation the collector must sweep). A
 * Uint8Array's range never changes, so the view of the same array is the same view. Holds one array.
 */
let lastViewed: Uint8Array | null = null;
let lastView: DataView | null = null;

function viewOf(bytes: Uint8Array): DataView {
  if (bytes === lastViewed) return lastView!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  lastViewed = bytes;
  lastView = view;
  return view;
}

function compressionOf(attributes: number, position: number): CompressionName {
  const name = compressionNames[attributes & BatchAttribute.compressionMask];
  if (name === undefined) {
    throw new RecordBatchError(
      "Compression",
      `unknown compression codec id ${attributes & BatchAttribute.compressionMask}`,
      position + BatchField.attributes,
    );
  }
  return name;
}

/**
 * Checks that a batch starts at `position` of `bytes` and returns its total size. Refuses legacy and
 * unknown magic before trusting any other field, because magic 0/1 message sets share the first 17
 * bytes' layout but not the rest.
 */
export function checkBatchFrame(bytes: Uint8Array, position: number): number {
  return frameAt(viewOf(bytes), position);
}

/** checkBatchFrame over a view of the whole input (created once per walk, not once per batch). */
function frameAt(view: DataView, position: number): number {
  const available = view.byteLength - position;
  if (available < batchLengthPrefixBytes) {
    throw new RecordBatchError(
      "Truncated",
      `${available} bytes cannot hold a batch's offset and length`,
      position,
    );
  }
  const batchLength = view.getInt32(position + BatchField.batchLength);
  if (available > BatchField.magic) {
    const magic = view.getInt8(position + BatchField.magic);
    if (magic !== recordBatchMagic) {
      const what = magic === 0 || magic === 1 ? `legacy message set (magic ${magic})` : `magic ${magic}`;
      throw new RecordBatchError("UnsupportedMagic", `${what} is not supported; only v2 batches`, position);
    }
  }
  if (batchLength < batchLengthMin) {
    throw new RecordBatchError(
      "BadLength",
      `batchLength ${batchLength} is below the v2 minimum ${batchLengthMin}`,
      position + BatchField.batchLength,
    );
  }
  const total = batchLength + batchLengthPrefixBytes;
  if (total > available) {
    throw new RecordBatchError(
      "Truncated",
      `batch declares ${total} bytes but ${available} remain`,
      position + BatchField.batchLength,
    );
  }
  return total;
}

/**
 * Checks the header fields that bound later work: a known compression codec, and a record count that is
 * not negative and (uncompressed) fits the bytes present at one byte per record field at least. Returns
 * the codec.
 */
function checkBatchSemantics(view: DataView, position: number, total: number): CompressionName {
  const attributes = view.getInt16(position + BatchField.attributes);
  const compression = compressionOf(attributes, position);
  const recordsCount = view.getInt32(position + BatchField.recordsCount);
  if (recordsCount < 0) {
    throw new RecordBatchError(
      "BadRecord",
      `negative records count ${recordsCount}`,
      position + BatchField.recordsCount,
    );
  }
  const recordsBytes = total - batchHeaderBytes;
  if (compression === "none" && recordsCount > recordsBytes / recordBytesMin) {
    throw new RecordBatchError(
      "BadLength",
      `${recordsCount} records cannot fit in ${recordsBytes} bytes`,
      position + BatchField.recordsCount,
    );
  }
  return compression;
}

/**
 * Reads the header of the batch at `position` (default 0). Checks magic and that the declared length
 * fits; does not check the CRC (see `verifyBatchCrc`).
 */
export function readBatchHeader(bytes: Uint8Array, position = 0): RecordBatchHeader {
  const view = viewOf(bytes);
  return headerAt(view, position, frameAt(view, position));
}

/** readBatchHeader for a batch whose frame (`total` bytes at `position`) was already checked. */
function headerAt(view: DataView, position: number, total: number): RecordBatchHeader {
  const compression = checkBatchSemantics(view, position, total);
  const attributes = view.getInt16(position + BatchField.attributes);
  return {
    baseOffset: view.getBigInt64(position + BatchField.baseOffset),
    batchLength: total - batchLengthPrefixBytes,
    partitionLeaderEpoch: view.getInt32(position + BatchField.partitionLeaderEpoch),
    magic: recordBatchMagic,
    crc: view.getUint32(position + BatchField.crc),
    attributes,
    compression,
    timestampType:
      (attributes & BatchAttribute.timestampTypeLogAppend) !== 0 ? "LogAppendTime" : "CreateTime",
    isTransactional: (attributes & BatchAttribute.transactional) !== 0,
    isControl: (attributes & BatchAttribute.control) !== 0,
    hasDeleteHorizon: (attributes & BatchAttribute.deleteHorizon) !== 0,
    lastOffsetDelta: view.getInt32(position + BatchField.lastOffsetDelta),
    baseTimestamp: view.getBigInt64(position + BatchField.baseTimestamp),
    maxTimestamp: view.getBigInt64(position + BatchField.maxTimestamp),
    producerId: view.getBigInt64(position + BatchField.producerId),
    producerEpoch: view.getInt16(position + BatchField.producerEpoch),
    baseSequence: view.getInt32(position + BatchField.baseSequence),
    recordsCount: view.getInt32(position + BatchField.recordsCount),
  };
}

/** Computes the CRC32C that the batch occupying all of `batch` should carry. */
export function computeBatchCrc(batch: Uint8Array): number {
  return crc32c(batch.subarray(crcCoveredFrom));
}

/** Throws BadCrc unless the stored CRC of `batch` (exactly one whole batch) matches its bytes. */
export function verifyBatchCrc(batch: Uint8Array, position = 0): void {
  crcAt(batch, viewOf(batch), 0, batch.length, position);
}

/** Checks the CRC of the `total`-byte batch at `at` of `bytes`; errors report `reportAt` as its position. */
function crcAt(bytes: Uint8Array, view: DataView, at: number, total: number, reportAt: number): void {
  const stored = view.getUint32(at + BatchField.crc);
  const actual = crc32c(bytes.subarray(at + crcCoveredFrom, at + total));
  if (stored !== actual) {
    throw new RecordBatchError(
      "BadCrc",
      `stored CRC32C ${stored.toString(16)} but bytes give ${actual.toString(16)}`,
      reportAt + BatchField.crc,
    );
  }
}

/**
 * Walks the batches of a `records` byte range, yielding each header with a zero-copy slice. Validates
 * magic, lengths and (unless disabled) CRCs as it goes, so a caller that reaches the end has seen only
 * well-formed batches. The loop is bounded by the input: every step consumes at least 61 bytes.
 */
export function* iterateBatches(
  records: Uint8Array,
  options: BatchScanOptions = {},
): Generator<RecordBatchSlice> {
  const verifyCrc = options.verifyCrc ?? true;
  const stopOnPartial = options.partialTrailing === "stop";
  const view = viewOf(records);
  let position = 0;
  while (position < records.length) {
    let total: number;
    try {
      total = frameAt(view, position);
    } catch (error) {
      if (stopOnPartial && error instanceof RecordBatchError && error.reason === "Truncated") return;
      throw error;
    }
    // The CRC is checked before the header's fields are interpreted, so corruption reports as BadCrc.
    if (verifyCrc) crcAt(records, view, position, total, position);
    const header = headerAt(view, position, total);
    yield { header, bytes: records.subarray(position, position + total), position };
    position += total;
  }
}

/** Validates every batch of `records` and returns their headers; a convenience over iterateBatches. */
export function readBatchHeaders(records: Uint8Array, options: BatchScanOptions = {}): RecordBatchHeader[] {
  const headers: RecordBatchHeader[] = [];
  for (const slice of iterateBatches(records, options)) headers.push(slice.header);
  return headers;
}

/**
 * Sets the base offset of the batch starting at `position` of `bytes`, in place. The base offset lies
 * outside the CRC, so the batch stays valid and its records are untouched.
 */
export function rewriteBaseOffset(bytes: Uint8Array, baseOffset: bigint, position = 0): void {
  checkBatchFrame(bytes, position);
  viewOf(bytes).setBigInt64(position + BatchField.baseOffset, baseOffset);
}

/** Sets the partition leader epoch of the batch at `position`, in place; it too lies outside the CRC. */
export function rewritePartitionLeaderEpoch(bytes: Uint8Array, epoch: number, position = 0): void {
  checkBatchFrame(bytes, position);
  viewOf(bytes).setInt32(position + BatchField.partitionLeaderEpoch, epoch);
}

/** What `assignOffsets` did to a records range. */
export interface OffsetAssignment {
  /** Offset the next appended batch should start at. */
  readonly nextOffset: bigint;
  readonly batchCount: number;
  readonly recordCount: number;
  /** Largest maxTimestamp seen, or -1n if there were no batches. */
  readonly maxTimestamp: bigint;
}

/**
 * Validates every batch of a produce request's `records` (magic, length, CRC) and gives them
 * consecutive offsets from `firstOffset`, rewriting base offsets (and the leader epoch, if given) in
 * place. Each batch takes lastOffsetDelta + 1 offsets. Validation of all batches happens before any
 * byte changes, so a refused request leaves the input as it was.
 */
export function assignOffsets(
  records: Uint8Array,
  firstOffset: bigint,
  partitionLeaderEpoch?: number,
): OffsetAssignment {
  const view = viewOf(records);
  // Pass 1 validates every batch and sums what the rewrite needs, without building header objects:
  // this path runs once per produced batch, and small batches make per-batch cost dominate.
  let offsetsTaken = 0;
  let recordCount = 0;
  let batchCount = 0;
  let maxTimestamp = -1n;
  let position = 0;
  while (position < records.length) {
    const total = frameAt(view, position);
    crcAt(records, view, position, total, position);
    checkBatchSemantics(view, position, total);
    const lastOffsetDelta = view.getInt32(position + BatchField.lastOffsetDelta);
    if (lastOffsetDelta < 0) {
      throw new RecordBatchError(
        "BadRecord",
        `negative lastOffsetDelta ${lastOffsetDelta}`,
        position + BatchField.lastOffsetDelta,
      );
    }
    offsetsTaken += lastOffsetDelta + 1;
    recordCount += view.getInt32(position + BatchField.recordsCount);
    const batchMaxTimestamp = view.getBigInt64(position + BatchField.maxTimestamp);
    if (batchMaxTimestamp > maxTimestamp) maxTimestamp = batchMaxTimestamp;
    batchCount += 1;
    position += total;
  }
  // Pass 2 rewrites; nothing can fail any more, so the input is changed all or not at all.
  let nextOffset = firstOffset;
  position = 0;
  while (position < records.length) {
    view.setBigInt64(position + BatchField.baseOffset, nextOffset);
    if (partitionLeaderEpoch !== undefined) {
      view.setInt32(position + BatchField.partitionLeaderEpoch, partitionLeaderEpoch);
    }
    nextOffset += BigInt(view.getInt32(position + BatchField.lastOffsetDelta) + 1);
    position += view.getInt32(position + BatchField.batchLength) + batchLengthPrefixBytes;
  }
  if (nextOffset - firstOffset !== BigInt(offsetsTaken)) {
    throw new Error(`bug: assigned ${nextOffset - firstOffset} offsets, validated ${offsetsTaken}`);
  }
  return { nextOffset, batchCount, recordCount, maxTimestamp };
}

/**
 * Stamps a batch with LogAppendTime: sets the timestamp-type bit and maxTimestamp, then recomputes the
 * CRC, since both lie inside it. Records stay untouched (their deltas are ignored under LogAppendTime).
 * The old CRC is checked first so that a corrupt batch is never blessed with a fresh checksum.
 */
export function stampLogAppendTime(batch: Uint8Array, timestampMs: bigint): void {
  const total = checkBatchFrame(batch, 0);
  if (total !== batch.length) {
    throw new RecordBatchError(
      "BadLength",
      `expected exactly one batch of ${total} bytes, got ${batch.length}`,
      0,
    );
  }
  verifyBatchCrc(batch);
  const view = viewOf(batch);
  const attributes = view.getInt16(BatchField.attributes);
  view.setInt16(BatchField.attributes, attributes | BatchAttribute.timestampTypeLogAppend);
  view.setBigInt64(BatchField.maxTimestamp, timestampMs);
  view.setUint32(BatchField.crc, computeBatchCrc(batch));
}

/** Kafka's "no sequence" value, sent by producers that are not idempotent. */
export const noSequence = -1;
const int32Max = 0x7fffffff;

/**
 * Adds `increment` to a producer sequence number, wrapping past int32 max to 0 as Kafka does (sequences
 * are per partition and cycle). `noSequence` stays `noSequence`.
 */
export function incrementSequence(sequence: number, increment: number): number {
  if (sequence === noSequence) return noSequence;
  if (sequence > int32Max - increment) return increment - (int32Max - sequence) - 1;
  return sequence + increment;
}

/** Sequence number of the last record of a batch: baseSequence + lastOffsetDelta, wrapping. */
export function lastSequenceOf(header: Pick<RecordBatchHeader, "baseSequence" | "lastOffsetDelta">): number {
  return incrementSequence(header.baseSequence, header.lastOffsetDelta);
}
