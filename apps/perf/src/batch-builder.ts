/**
 * Builds the producer's record batches straight into bytes: every record of a perf run has no key, no
 * headers and the same value, so only its offset and timestamp deltas differ, and a batch is written in
 * one pass without a record object or a size pass per record. Owns that one batch shape (v2, no
 * compression, no producer id), laid out with `@eddy/protocol`'s field positions, varints and CRC32C;
 * `test/batch-builder.test.ts` checks it gives the very bytes `encodeRecordBatch` gives. Must never
 * write past the batch it sized: the size is computed from the same deltas before any byte is written.
 */
import {
  BatchField,
  batchHeaderBytes,
  batchLengthPrefixBytes,
  computeBatchCrc,
  recordBatchMagic,
  varintSize,
  varlongSize,
  writeVarint,
  writeVarlong,
} from "@eddy/protocol";

/** Records of one timestamp delta: `count` of them, appended in offset order. */
export interface TimestampRun {
  readonly timestampDelta: number;
  count: number;
}

/**
 * One v2 batch of `runs` (records numbered from offset delta 0), each record's value being `value`:
 * written at the start of `into` when given and large enough (the result is then a view of it), else
 * into a new buffer of exactly its size.
 */
export function buildBatch(
  value: Uint8Array,
  baseTimestampMs: number,
  runs: readonly TimestampRun[],
  into?: Uint8Array,
): Uint8Array {
  const valueLengthBytes = varintSize(value.length);
  let recordsCount = 0;
  let recordsBytes = 0;
  let maxTimestampDelta = 0;
  for (const run of runs) {
    const fixedBytes = 1 + varlongSize(run.timestampDelta) + 1 + valueLengthBytes + value.length + 1;
    for (let i = 0; i < run.count; i++) {
      const bodyBytes = fixedBytes + varintSize(recordsCount + i);
      recordsBytes += varintSize(bodyBytes) + bodyBytes;
    }
    recordsCount += run.count;
    if (run.timestampDelta > maxTimestampDelta) maxTimestampDelta = run.timestampDelta;
  }
  const size = batchHeaderBytes + recordsBytes;
  const out = into !== undefined && into.length >= size ? into.subarray(0, size) : new Uint8Array(size);
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  view.setBigInt64(BatchField.baseOffset, 0n);
  view.setInt32(BatchField.batchLength, out.length - batchLengthPrefixBytes);
  view.setInt32(BatchField.partitionLeaderEpoch, -1);
  view.setInt8(BatchField.magic, recordBatchMagic);
  view.setInt16(BatchField.attributes, 0);
  view.setInt32(BatchField.lastOffsetDelta, Math.max(0, recordsCount - 1));
  view.setBigInt64(BatchField.baseTimestamp, BigInt(baseTimestampMs));
  view.setBigInt64(BatchField.maxTimestamp, BigInt(baseTimestampMs + maxTimestampDelta));
  view.setBigInt64(BatchField.producerId, -1n);
  view.setInt16(BatchField.producerEpoch, -1);
  view.setInt32(BatchField.baseSequence, -1);
  view.setInt32(BatchField.recordsCount, recordsCount);
  let pos = batchHeaderBytes;
  let offsetDelta = 0;
  for (const run of runs) {
    const fixedBytes = 1 + varlongSize(run.timestampDelta) + 1 + valueLengthBytes + value.length + 1;
    for (let i = 0; i < run.count; i++, offsetDelta++) {
      pos = writeVarint(out, pos, fixedBytes + varintSize(offsetDelta));
      out[pos++] = 0; // attributes
      pos = writeVarlong(out, pos, run.timestampDelta);
      pos = writeVarint(out, pos, offsetDelta);
      out[pos++] = 1; // key length -1 (null), zigzag encoded
      pos = writeVarint(out, pos, value.length);
      out.set(value, pos);
      pos += value.length;
      out[pos++] = 0; // no headers
    }
  }
  if (pos !== out.length) throw new Error(`bug: batch sized ${out.length} bytes, wrote ${pos}`);
  view.setUint32(BatchField.crc, computeBatchCrc(out));
  return out;
}

/** Sets a built batch's timestamps (they lie inside the CRC's range, so the CRC is computed again). */
function restamp(batch: Uint8Array, baseTimestampMs: number, maxTimestampDelta: number): void {
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  view.setBigInt64(BatchField.baseTimestamp, BigInt(baseTimestampMs));
  view.setBigInt64(BatchField.maxTimestamp, BigInt(baseTimestampMs + maxTimestampDelta));
  view.setUint32(BatchField.crc, computeBatchCrc(batch));
}

function sameRuns(a: readonly TimestampRun[], b: readonly TimestampRun[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.timestampDelta !== b[i]!.timestampDelta || a[i]!.count !== b[i]!.count) return false;
  }
  return true;
}

/**
 * Builds batches for one value, remembering the last one: an unthrottled run sends batch after batch
 * of the same shape (one run of timestamp delta 0, a full batch), whose bytes differ only in the
 * timestamps, so the next is the same bytes with new timestamps and CRC instead of a record-by-record
 * write. A batch returned by `build` is valid until the next call: the producer hands it to the
 * connection, whose request encoder copies it at once. So every batch is built in one reused buffer
 * (grown to the largest batch seen): under `--throughput` most batches differ in size, and a new
 * buffer for each was most of the tool's garbage, and with it of its collections. It keeps one buffer
 * and the last batch's runs, never more.
 */
export class BatchBuilder {
  private last: Uint8Array | null = null;
  private lastRuns: TimestampRun[] = [];
  private scratch = new Uint8Array(0);

  constructor(private readonly value: Uint8Array) {}

  build(baseTimestampMs: number, runs: readonly TimestampRun[]): Uint8Array {
    if (this.last !== null && sameRuns(runs, this.lastRuns)) {
      const batch = this.last;
      let maxTimestampDelta = 0;
      for (const run of runs)
        if (run.timestampDelta > maxTimestampDelta) maxTimestampDelta = run.timestampDelta;
      restamp(batch, baseTimestampMs, maxTimestampDelta);
      return batch;
    }
    let batch = buildBatch(this.value, baseTimestampMs, runs, this.scratch);
    if (batch.buffer !== this.scratch.buffer) {
      // Larger than any before: that buffer becomes the one reused (at least twice the last).
      this.scratch = new Uint8Array(Math.max(batch.length, 2 * this.scratch.length));
      this.scratch.set(batch);
      batch = this.scratch.subarray(0, batch.length);
    }
    this.last = batch;
    this.lastRuns = runs.map((r) => ({ timestampDelta: r.timestampDelta, count: r.count }));
    return batch;
  }
}
