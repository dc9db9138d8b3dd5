/**
 * What a replica rebuilds from its log when it opens, as Kafka's log loading does: the leader-epoch
 * cache (from the checkpoint, completed from the batch headers where the checkpoint is missing or
 * behind) and the idempotent producers' state (from the snapshot beside the log, Kafka's
 * `<offset>.snapshot`, then replayed from the batch headers after it, or from the segments that may
 * still hold live producers, timed by each batch's own timestamp). It writes only those snapshots; it
 * must never write a batch, and never read a clock: the caller passes `nowMs`.
 */
import { invariant, partition, producer } from "@eddy/core";
import type { StoredBatchHeader } from "@eddy/protocol";
import { type LeaderEpochEntry, PartitionLog, StorageError } from "@eddy/storage";
import { walkBatches } from "./batch-walk.ts";

/** Bytes per read while scanning batch headers at start-up. */
export const recoveryReadBytes = 1 << 20;
/** Reads one start-up scan may take; a log beyond this many megabytes of batches is cut short with an error. */
export const recoveryReadsMax = 10_000_000;

/**
 * Calls `visit` with the header of every batch from the one holding `fromOffset` to the log end, in
 * offset order. The engine recovered the log before, so a bad batch here is a bug.
 */
export function scanBatchHeaders(
  log: PartitionLog,
  fromOffset: number,
  visit: (h: StoredBatchHeader) => void,
): void {
  const info = log.info();
  let next = Math.max(fromOffset, info.logStartOffset);
  for (let reads = 0; next < info.logEndOffset; reads++) {
    invariant(reads < recoveryReadsMax, "recovery scan does not end");
    const result = log.read({ fetchOffset: next, maxBytes: recoveryReadBytes, minOneBatch: true });
    if (result.batchCount === 0) break;
    const problem = walkBatches(result.records, false, (h) => {
      visit(h);
      return true;
    });
    invariant(problem === null, () => `recovered log holds a bad batch at ${next}: ${problem}`);
    invariant(result.nextOffset > next, "recovery scan made no progress");
    next = result.nextOffset;
  }
}

/**
 * The leader-epoch cache of a recovered log: the checkpoint as read, completed and corrected from the
 * batch headers the engine's recovery scanned. Kafka assigns each recovered batch's partitionLeaderEpoch
 * to the cache while it loads segments, so a checkpoint that is missing (lost with a torn write), behind
 * (an epoch began and the process died before the replacement reached the disk) or ahead (a truncation
 * the crash did not keep) never leaves records of an epoch the cache does not know. Without that, a
 * follower would fetch with last fetched epoch -1, the leader would skip the divergence check and a
 * stale record could stay below the high watermark. Entries at or past the log end are the core's to
 * drop (`initialState`), so they are passed through unchanged when the scan changes nothing.
 *
 * Like Kafka's, the completion reads only the batches the engine's recovery scanned (those at and after
 * `recoveryStats.scannedFromOffset`: none after a clean shutdown, the unflushed tail after a crash).
 * The checkpoint is written without an fsync, but the log makes it durable, as far as it describes
 * records, before its recovery point moves or a clean close completes, so below that offset it already
 * knew their epochs. A log without a readable checkpoint entry below its end proves nothing and is read
 * whole. Each scanned batch is assigned as Kafka's `LeaderEpochFileCache.assign` does: an epoch other
 * than the latest (or the latest at a lower offset) first drops the entries at or above it or its offset.
 */
export function recoverEpochs(
  log: PartitionLog,
  checkpoint: readonly LeaderEpochEntry[],
): LeaderEpochEntry[] {
  const info = log.info();
  const entries = checkpoint.map((e) => ({ epoch: e.epoch, startOffset: e.startOffset }));
  if (info.logEndOffset <= info.logStartOffset) return entries;
  // Entries the log no longer holds records for say nothing about the headers below them.
  const out = entries.filter((e) => e.startOffset < info.logEndOffset);
  const scanFrom = out.length === 0 ? info.logStartOffset : log.recoveryStats.scannedFromOffset;
  let changed = false;
  scanBatchHeaders(log, scanFrom, (h) => {
    const epoch = h.partitionLeaderEpoch;
    if (epoch < 0) return;
    const latest = out[out.length - 1];
    if (latest !== undefined && latest.epoch === epoch && latest.startOffset <= h.baseOffset) return;
    for (let i = 0; out.length > 0 && i <= partition.epochEntriesMax; i++) {
      const tail = out[out.length - 1]!;
      if (tail.epoch < epoch && tail.startOffset < h.baseOffset) break;
      out.pop();
    }
    out.push({ epoch, startOffset: h.baseOffset });
    invariant(out.length <= partition.epochEntriesMax, "recovered epoch cache exceeds its bound");
    changed = true;
  });
  return changed ? out : entries;
}

/**
 * The leader-epoch checkpoint as stored, or empty when it cannot be read. It is replaced without an
 * fsync, so a crash may leave it empty or cut; the log is the truth it is rebuilt from then
 * (`recoverEpochs` reads the whole log when no entry survives).
 */
export function readEpochCheckpoint(log: PartitionLog, logLine: (line: string) => void): LeaderEpochEntry[] {
  try {
    return [...log.readLeaderEpochs()];
  } catch (error) {
    if (!(error instanceof StorageError) || error.reason._tag !== "Corrupt") throw error;
    logLine(`${error.message}; rebuilding the leader epochs from the whole log`);
    return [];
  }
}

/**
 * The producer-state snapshot's name, `<20-digit log end offset>.producers.snapshot`: Kafka's
 * `<offset>.snapshot` (JSON here, not Kafka's binary), renamed so as not to collide with the state
 * store's `<offset>.snapshot` documents.
 */
export function producerSnapshotName(offset: number): string {
  return `${String(offset).padStart(20, "0")}.producers.snapshot`;
}

/**
 * Writes the producer state at the log end beside the log, as Kafka does at a clean shutdown and at
 * every roll (`ProducerStateManager.takeSnapshot`), and removes the older snapshots. A start then
 * replays only the batches after the newest snapshot at or below its log end: none after a clean
 * shutdown, the active segment after a crash. The engine removes, durably, every snapshot above a
 * truncation or a cut tail, so a snapshot at or below the log end always describes the batches below
 * it. Runs as the log's `cleanCloseHook` and `rollHook`; a state that runs ahead of the log (several
 * appends in one step) describes no log end, and nothing is written then.
 */
export function writeProducerSnapshot(log: PartitionLog, producers: producer.PartitionProducers): void {
  const info = log.info();
  const offset = info.logEndOffset;
  // An empty log has no batch to replay, so a snapshot would save nothing; Kafka's takeSnapshot also
  // writes none until the state has moved past offset 0. This spares a clean stop one fsynced file
  // per empty partition (10,000 of them took 8-14 s).
  if (offset <= info.logStartOffset && producers.entries.length === 0) return;
  for (const entry of producers.entries) {
    for (const batch of entry.batches) if (batch.lastOffset >= offset) return;
  }
  const text = JSON.stringify({ version: 1, offset, entries: producers.entries });
  const name = producerSnapshotName(offset);
  log.writeSideFileNow(name, new TextEncoder().encode(text));
  for (const other of log.sideFileNames()) if (other !== name) log.removeSideFile(other);
}

/** A whole number within the exact range of a double. */
const isInt = (value: unknown): value is number => typeof value === "number" && Number.isSafeInteger(value);

/**
 * Decodes a snapshot written by `writeProducerSnapshot` at `offset`, checking every field and the
 * state's own rules (sorted unique ids, at most `producerIdsMax`, at most five batches each, offsets
 * below the snapshot's); null when anything is off, so the caller tries an older one or the log.
 */
function decodeProducerSnapshot(
  bytes: Uint8Array,
  offset: number,
  producerIdsMax: number,
): producer.PartitionProducers | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  const root = parsed as { version?: unknown; offset?: unknown; entries?: unknown };
  if (root.version !== 1 || root.offset !== offset || !Array.isArray(root.entries)) return null;
  if (root.entries.length > producerIdsMax) return null;
  const entries: producer.ProducerEntry[] = [];
  for (const raw of root.entries as unknown[]) {
    const e = raw as {
      producerId?: unknown;
      producerEpoch?: unknown;
      batches?: unknown;
      lastAppendMs?: unknown;
    };
    if (
      !isInt(e.producerId) ||
      !isInt(e.producerEpoch) ||
      !isInt(e.lastAppendMs) ||
      !Array.isArray(e.batches)
    )
      return null;
    if (e.batches.length > producer.producerBatchesRetainedMax) return null;
    if (entries.length > 0 && e.producerId <= entries[entries.length - 1]!.producerId) return null;
    const batches: producer.ProducerBatch[] = [];
    for (const b of e.batches as Array<Record<string, unknown>>) {
      const { firstSeq, lastSeq, firstOffset, lastOffset } = b;
      if (!isInt(firstSeq) || !isInt(lastSeq) || !isInt(firstOffset) || !isInt(lastOffset)) return null;
      if (firstOffset > lastOffset || lastOffset >= offset) return null;
      batches.push({ firstSeq, lastSeq, firstOffset, lastOffset });
    }
    entries.push({
      producerId: e.producerId,
      producerEpoch: e.producerEpoch,
      batches,
      lastAppendMs: e.lastAppendMs,
    });
  }
  return { entries };
}

/**
 * The newest snapshot that decodes at an offset within the log, and that offset; the others are
 * removed (older ones are superseded, damaged ones useless). Null when there is none.
 */
function newestProducerSnapshot(
  log: PartitionLog,
  producerIdsMax: number,
): { readonly state: producer.PartitionProducers; readonly offset: number } | null {
  const info = log.info();
  const names = [...log.sideFileNames()].sort().reverse();
  let found: { state: producer.PartitionProducers; offset: number } | null = null;
  for (const name of names) {
    const offset = PartitionLog.sideFileOffset(name);
    if (found === null && offset >= info.logStartOffset && offset <= info.logEndOffset) {
      const bytes = log.readSideFile(name);
      const state = bytes === null ? null : decodeProducerSnapshot(bytes, offset, producerIdsMax);
      if (state !== null) {
        found = { state, offset };
        continue;
      }
    }
    log.removeSideFile(name);
  }
  return found;
}

/**
 * Idempotent-producer state rebuilt from the batch headers, as Kafka does without a snapshot. Only
 * segments with records newer than `producerIdExpirationMs` before `nowMs` are read (older producers
 * would have expired anyway, which bounds the scan), and each batch is recorded at its own max
 * timestamp, so a producer idle since before a restart still expires on time after it. With a
 * snapshot (`writeProducerSnapshot`) only the batches after it are replayed onto it, as Kafka's.
 */
export function recoverProducers(
  log: PartitionLog,
  nowMs: number,
  producerIdExpirationMs: number,
  producerIdsMax: number,
): producer.PartitionProducers {
  // From the newest snapshot, only the batches after it are read: none after a clean shutdown.
  const snapshot = newestProducerSnapshot(log, producerIdsMax);
  let producers = snapshot?.state ?? producer.emptyPartitionProducers();
  const horizonMs = nowMs - producerIdExpirationMs;
  const first = log.segmentInfos().find((s) => s.maxTimestampMs >= horizonMs || s.active);
  if (first === undefined && snapshot === null) return producers;
  scanBatchHeaders(log, snapshot?.offset ?? first!.baseOffset, (h) => {
    // Control batches (bit 5) carry transaction markers, not producer sequences.
    if (h.producerId < 0 || (h.attributes & 0x20) !== 0 || h.recordCount === 0) return;
    producers = producer.recordBatch(
      producers,
      {
        producerId: h.producerId,
        producerEpoch: h.producerEpoch,
        baseSequence: h.baseSequence,
        recordCount: h.recordCount,
      },
      h.baseOffset,
      h.lastOffset,
      Math.max(0, h.maxTimestampMs),
      producerIdsMax,
    );
  });
  return producers;
}
