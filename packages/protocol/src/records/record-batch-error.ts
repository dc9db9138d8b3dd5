/**
 * The one error type for bad record-batch bytes. Every decoder in this folder throws only this (or a
 * bug), so callers can map it to Kafka's CORRUPT_MESSAGE / UNSUPPORTED_FOR_MESSAGE_FORMAT without
 * guessing. It must never carry the offending bytes: a corrupt batch can be large.
 */

import { ErrorCode } from "../error-codes.ts";

/** Why a batch was refused. Each reason names one kind of fault in the bytes, never a bug of ours. */
export type RecordBatchErrorReason =
  /** Fewer bytes than the header or the declared batch length needs. */
  | "Truncated"
  /** The stored CRC32C does not match the bytes from attributes to the end of the batch. */
  | "BadCrc"
  /** Magic is not 2; legacy message sets (magic 0 and 1) land here too, never misread as v2. */
  | "UnsupportedMagic"
  /** batchLength is negative, smaller than a v2 header, or records do not fill the batch exactly. */
  | "BadLength"
  /** The compression codec id is unknown, or the compressed payload does not decompress. */
  | "Compression"
  /** Decompressed data would exceed the caller's limit (a decompression bomb or a huge batch). */
  | "TooLarge"
  /** A record inside the batch is malformed: bad varint, negative length, count mismatch. */
  | "BadRecord"
  /** A control batch whose records are not well-formed control records. */
  | "BadControlRecord"
  /** The caller asked to encode something Kafka cannot represent (bad delta, oversize field). */
  | "InvalidInput";

/** Thrown for any bad record-batch input; `reason` says which check failed, `position` where. */
export class RecordBatchError extends Error {
  override readonly name = "RecordBatchError";
  readonly _tag = "RecordBatchError" as const;
  readonly reason: RecordBatchErrorReason;
  /**
   * Byte position of the fault, relative to the start of the buffer handed to the decoder, if known.
   * Faults inside a compressed batch's records are reported relative to the decompressed records.
   */
  readonly position: number | undefined;

  constructor(reason: RecordBatchErrorReason, message: string, position?: number) {
    super(`${reason}: ${message}`);
    this.reason = reason;
    this.position = position;
  }
}

/** True when `error` is a RecordBatchError, optionally of one reason; narrows for `catch` blocks. */
export function isRecordBatchError(
  error: unknown,
  reason?: RecordBatchErrorReason,
): error is RecordBatchError {
  return error instanceof RecordBatchError && (reason === undefined || error.reason === reason);
}

/**
 * The Kafka error code a broker should answer with when a produce request's records fail with `error`:
 * corruption of any kind is CORRUPT_MESSAGE (retriable, as in Kafka), legacy or unknown magic is
 * UNSUPPORTED_FOR_MESSAGE_FORMAT, a batch too large to decompress is MESSAGE_TOO_LARGE, and malformed
 * records or markers are INVALID_RECORD.
 */
export function recordBatchErrorCode(error: RecordBatchError): number {
  switch (error.reason) {
    case "Truncated":
    case "BadCrc":
    case "BadLength":
    case "Compression":
      return ErrorCode.CORRUPT_MESSAGE;
    case "UnsupportedMagic":
      return ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT;
    case "TooLarge":
      return ErrorCode.MESSAGE_TOO_LARGE;
    case "BadRecord":
    case "BadControlRecord":
      return ErrorCode.INVALID_RECORD;
    case "InvalidInput":
      return ErrorCode.INVALID_REQUEST;
  }
}
