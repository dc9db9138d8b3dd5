/**
 * Walking the whole record batches of a byte range with protocol's stored-batch check: the replica
 * reads a follower's fetched batches and slices what to append with it, recovery scans the recovered
 * log with it, and the simulator's checkers decode replicas' logs with it. It owns the walk and its
 * bound only; it must never decode records nor copy bytes.
 */
import { checkBatch, type StoredBatchHeader } from "@eddy/protocol";

/** Batches in one walk; a range this long is far beyond any read or fetch response (at least 61 bytes each). */
export const batchesPerWalkMax = 1 << 20;

const empty: Uint8Array = new Uint8Array(0);

/**
 * Walks the whole batches of `records` until `visit` returns false; returns what is wrong with the
 * bytes, or null when every batch walked is whole (and, with `checkCrc`, intact). Callers that read
 * bytes the engine already checked treat a problem as a bug; a fetch response from a peer is refused.
 */
export function walkBatches(
  records: Uint8Array,
  checkCrc: boolean,
  visit: (header: StoredBatchHeader) => boolean,
): string | null {
  let position = 0;
  for (let n = 0; position < records.length; n++) {
    if (n >= batchesPerWalkMax) return "too many batches";
    const check = checkBatch(records, position, records.length, checkCrc);
    if (check._tag !== "Batch") return `bad batch at byte ${position}: ${check._tag}`;
    if (!visit(check.header)) return null;
    position += check.header.sizeBytes;
  }
  return null;
}

/** The byte range of `records` holding the batches that start in [from, to] (already CRC checked). */
export function sliceBatches(records: Uint8Array, from: number, to: number): Uint8Array {
  let start = -1;
  let end = -1;
  walkBatches(records, false, (h) => {
    if (h.baseOffset > to) return false;
    if (h.baseOffset < from) return true;
    if (start < 0) start = h.position;
    end = h.position + h.sizeBytes;
    return true;
  });
  return start < 0 ? empty : records.subarray(start, end);
}
