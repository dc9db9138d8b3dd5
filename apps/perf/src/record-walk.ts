/**
 * Reads what the consumer measures from one record batch without building a record object per record:
 * each record's offset delta, timestamp delta and key plus value bytes, walked with the protocol's
 * varint cursor. Owns turning a batch into runs of records that share a timestamp, so the histogram is
 * touched once per run rather than once per record. Must never read past the batch: every length comes
 * through the cursor's bounds checks, and a compressed batch is decompressed by the protocol package.
 */
import { ByteCursor, batchHeaderBytes, decodeRecordBatch, type RecordBatchHeader } from "@eddy/protocol";

/** A run of consecutive records with one timestamp, from the first offset delta the caller wants. */
export interface RecordRun {
  timestampDelta: number;
  count: number;
  bytes: number;
  lastOffsetDelta: number;
}

/**
 * Calls `onRun` for each run of consecutive records at offset delta `firstOffsetDelta` or later, at
 * most `recordsMax` records in all; returns how many records it reported.
 */
export function walkRecords(
  batch: Uint8Array,
  header: RecordBatchHeader,
  firstOffsetDelta: number,
  recordsMax: number,
  onRun: (run: RecordRun) => void,
): number {
  const run: RecordRun = { timestampDelta: 0, count: 0, bytes: 0, lastOffsetDelta: -1 };
  let reported = 0;
  const flush = (): void => {
    if (run.count > 0) onRun(run);
    run.count = 0;
    run.bytes = 0;
  };
  if (header.compression !== "none") {
    // Compressed batches are rare in a perf run; the protocol's full decoder handles every codec.
    for (const record of decodeRecordBatch(batch, { verifyCrc: false }).records) {
      if (record.offsetDelta < firstOffsetDelta) continue;
      if (reported >= recordsMax) break;
      if (run.count > 0 && record.timestampDelta !== run.timestampDelta) flush();
      run.timestampDelta = record.timestampDelta;
      run.count++;
      run.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
      run.lastOffsetDelta = record.offsetDelta;
      reported++;
    }
    flush();
    return reported;
  }
  const cursor = new ByteCursor(batch, batchHeaderBytes, batch.length);
  // The header's count bounds the loop; the cursor's bounds checks stop a batch that lies about it.
  for (let i = 0; i < header.recordsCount && reported < recordsMax; i++) {
    const length = cursor.varint("record length");
    const end = cursor.pos + length;
    cursor.pos += 1; // attributes
    const timestampDelta = cursor.varlong("timestamp delta");
    const offsetDelta = cursor.varint("offset delta");
    const keyBytes = cursor.varint("key length");
    if (keyBytes > 0) cursor.pos += keyBytes;
    const valueBytes = cursor.varint("value length");
    if (end > batch.length || end < cursor.pos) {
      throw new RangeError(`record ${i} of a batch runs past its end`);
    }
    cursor.pos = end;
    if (offsetDelta < firstOffsetDelta) continue;
    if (run.count > 0 && timestampDelta !== run.timestampDelta) flush();
    run.timestampDelta = timestampDelta;
    run.count++;
    run.bytes += Math.max(0, keyBytes) + Math.max(0, valueBytes);
    run.lastOffsetDelta = offsetDelta;
    reported++;
  }
  flush();
  return reported;
}
