/**
 * One record inside a v2 batch: length-prefixed, with varint deltas, nullable key and value, and
 * headers. Owns encoding and decoding a run of records over an uncompressed byte range. It must never
 * allocate by a length it has not checked against the bytes that remain, and never copy keys or values
 * on decode (they are views into the records bytes).
 */

import { RecordBatchError } from "./record-batch-error.ts";
import {
  ByteCursor,
  varintSize,
  varlongSize,
  varlongValueMax,
  varlongValueMin,
  writeVarint,
  writeVarlong,
} from "./varint.ts";

/** A record header: Kafka gives it a UTF-8 string key and a nullable byte value. */
export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array | null;
}

/** A decoded record. Offsets and timestamps are deltas from the batch's base values. */
export interface KafkaRecord {
  /** Unused by Kafka today; kept so that decode then encode gives back the same bytes. */
  readonly attributes: number;
  readonly timestampDelta: number;
  readonly offsetDelta: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
}

/** What the encoder needs for one record; omitted deltas default to 0 and to the record's index. */
export interface KafkaRecordInput {
  readonly attributes?: number;
  readonly timestampDelta?: number;
  readonly offsetDelta?: number;
  readonly key?: Uint8Array | null;
  readonly value?: Uint8Array | null;
  readonly headers?: readonly RecordHeader[];
}

/** Kafka's record body length is an int32 varint; we keep one record below this bound. */
export const recordBytesMax = 0x7fffffff;

const utf8Decoder = new TextDecoder("utf-8");
const utf8Encoder = new TextEncoder();
const emptyHeaders: readonly RecordHeader[] = Object.freeze([]);

function readNullableBytes(cursor: ByteCursor, what: string): Uint8Array | null {
  const length = cursor.varint(`${what} length`);
  if (length === -1) return null;
  if (length < 0) {
    throw new RecordBatchError(
      "BadRecord",
      `${what} length ${length} is negative`,
      cursor.pos - cursor.origin,
    );
  }
  return cursor.slice(length, what);
}

function readRecord(cursor: ByteCursor): KafkaRecord {
  const recordStart = cursor.pos;
  const length = cursor.varint("record length");
  if (length < 0) {
    throw new RecordBatchError(
      "BadRecord",
      `record length ${length} is negative`,
      recordStart - cursor.origin,
    );
  }
  if (length > cursor.remaining()) throw cursor.truncated("record");
  const bodyStart = cursor.pos;
  const body = new ByteCursor(cursor.bytes, bodyStart, bodyStart + length, cursor.origin);
  const attributes = body.int8("record attributes");
  const timestampDelta = body.varlong("timestampDelta");
  const offsetDelta = body.varint("offsetDelta");
  const key = readNullableBytes(body, "key");
  const value = readNullableBytes(body, "value");
  const headerCount = body.varint("header count");
  if (headerCount < 0) {
    throw new RecordBatchError(
      "BadRecord",
      `header count ${headerCount} is negative`,
      body.pos - body.origin,
    );
  }
  // Each header needs at least two bytes (key length and value length): bound the count by the bytes.
  if (headerCount > body.remaining() / 2) {
    throw new RecordBatchError(
      "BadRecord",
      `${headerCount} headers cannot fit in ${body.remaining()} bytes`,
      body.pos - body.origin,
    );
  }
  let headers = emptyHeaders;
  if (headerCount > 0) {
    const list: RecordHeader[] = [];
    for (let i = 0; i < headerCount; i += 1) {
      const keyLength = body.varint("header key length");
      if (keyLength < 0) {
        throw new RecordBatchError(
          "BadRecord",
          `header key length ${keyLength} is negative`,
          body.pos - body.origin,
        );
      }
      const headerKey = utf8Decoder.decode(body.slice(keyLength, "header key"));
      list.push({ key: headerKey, value: readNullableBytes(body, "header value") });
    }
    headers = list;
  }
  if (body.pos !== body.end) {
    throw new RecordBatchError(
      "BadRecord",
      `record declares ${length} bytes but its fields use ${body.pos - bodyStart}`,
      recordStart - cursor.origin,
    );
  }
  cursor.pos = body.end;
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

/**
 * Decodes exactly `count` records filling `bytes[start, end)`. `origin` is subtracted from positions in
 * errors. The count was bounded by the caller; here each record must consume at least one byte.
 */
export function decodeRecords(
  bytes: Uint8Array,
  start: number,
  end: number,
  count: number,
  origin = 0,
): KafkaRecord[] {
  const cursor = new ByteCursor(bytes, start, end, origin);
  const records: KafkaRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    if (cursor.remaining() === 0) {
      throw new RecordBatchError(
        "BadRecord",
        `batch declares ${count} records but holds ${i}`,
        cursor.pos - origin,
      );
    }
    records.push(readRecord(cursor));
  }
  if (cursor.pos !== end) {
    throw new RecordBatchError(
      "BadLength",
      `${end - cursor.pos} bytes left over after ${count} records`,
      cursor.pos - origin,
    );
  }
  return records;
}

function invalid(message: string): RecordBatchError {
  return new RecordBatchError("InvalidInput", message);
}

/** Throws InvalidInput unless `value` is an integer in [min, max]; the encoders' one range check. */
export function checkInputRange(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${what} ${value} is outside [${min}, ${max}]`);
  }
}

/** Header keys encoded once per record, so the size pass and the write pass agree. */
interface SizedRecord {
  readonly input: KafkaRecordInput;
  readonly offsetDelta: number;
  readonly timestampDelta: number;
  readonly headerKeys: readonly Uint8Array[];
  readonly bodyBytes: number;
}

function nullableSize(value: Uint8Array | null | undefined): number {
  return value == null ? 1 : varintSize(value.length) + value.length;
}

function sizeRecord(input: KafkaRecordInput, index: number): SizedRecord {
  const offsetDelta = input.offsetDelta ?? index;
  const timestampDelta = input.timestampDelta ?? 0;
  checkInputRange(offsetDelta, -0x80000000, 0x7fffffff, "offsetDelta");
  checkInputRange(timestampDelta, varlongValueMin, varlongValueMax, "timestampDelta");
  const attributes = input.attributes ?? 0;
  checkInputRange(attributes, -128, 127, "record attributes");
  const headers = input.headers ?? emptyHeaders;
  const headerKeys: Uint8Array[] = [];
  let bodyBytes =
    1 +
    varlongSize(timestampDelta) +
    varintSize(offsetDelta) +
    nullableSize(input.key) +
    nullableSize(input.value) +
    varintSize(headers.length);
  for (const header of headers) {
    const keyBytes = utf8Encoder.encode(header.key);
    headerKeys.push(keyBytes);
    bodyBytes += varintSize(keyBytes.length) + keyBytes.length + nullableSize(header.value);
  }
  if (bodyBytes > recordBytesMax) throw invalid(`record of ${bodyBytes} bytes exceeds ${recordBytesMax}`);
  return { input, offsetDelta, timestampDelta, headerKeys, bodyBytes };
}

function writeNullable(bytes: Uint8Array, pos: number, value: Uint8Array | null | undefined): number {
  if (value == null) return writeVarint(bytes, pos, -1);
  pos = writeVarint(bytes, pos, value.length);
  bytes.set(value, pos);
  return pos + value.length;
}

/** Records measured and ready to write; `bytes` is their exact encoded size. */
export interface SizedRecords {
  readonly records: readonly SizedRecord[];
  readonly bytes: number;
  readonly lastOffsetDelta: number;
  readonly maxTimestampDelta: number;
}

/** Measures `inputs` and checks every field is representable, before anything is written. */
export function sizeRecords(inputs: readonly KafkaRecordInput[]): SizedRecords {
  const records: SizedRecord[] = [];
  let bytes = 0;
  let lastOffsetDelta = 0;
  let maxTimestampDelta = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < inputs.length; i += 1) {
    const sized = sizeRecord(inputs[i]!, i);
    records.push(sized);
    bytes += varintSize(sized.bodyBytes) + sized.bodyBytes;
    if (sized.offsetDelta > lastOffsetDelta) lastOffsetDelta = sized.offsetDelta;
    if (sized.timestampDelta > maxTimestampDelta) maxTimestampDelta = sized.timestampDelta;
  }
  return { records, bytes, lastOffsetDelta, maxTimestampDelta };
}

/** Writes measured records at `pos` of `bytes` (which has room for `sized.bytes`); returns the end. */
export function writeRecords(bytes: Uint8Array, pos: number, sized: SizedRecords): number {
  for (const record of sized.records) {
    const input = record.input;
    pos = writeVarint(bytes, pos, record.bodyBytes);
    const bodyStart = pos;
    bytes[pos] = (input.attributes ?? 0) & 0xff;
    pos = writeVarlong(bytes, pos + 1, record.timestampDelta);
    pos = writeVarint(bytes, pos, record.offsetDelta);
    pos = writeNullable(bytes, pos, input.key);
    pos = writeNullable(bytes, pos, input.value);
    const headers = input.headers ?? emptyHeaders;
    pos = writeVarint(bytes, pos, headers.length);
    for (let i = 0; i < headers.length; i += 1) {
      const keyBytes = record.headerKeys[i]!;
      pos = writeVarint(bytes, pos, keyBytes.length);
      bytes.set(keyBytes, pos);
      pos = writeNullable(bytes, pos + keyBytes.length, headers[i]!.value);
    }
    if (pos - bodyStart !== record.bodyBytes) {
      throw new Error(`bug: record wrote ${pos - bodyStart} bytes, measured ${record.bodyBytes}`);
    }
  }
  return pos;
}
