/**
 * Per-partition producer state for idempotence: for every producer id that wrote to this partition, its
 * current epoch and the sequence ranges and offsets of its last five batches. It decides whether an
 * incoming batch is new (append it), a retry of one of those five (answer with the original offsets) or
 * out of order (reject), following the rules of Kafka's ProducerStateManager / ProducerAppendInfo.
 *
 * This module owns only the bookkeeping. It must never assign offsets (the partition replica does that)
 * and never read a clock: append times arrive as arguments. The state is plain data, sorted by producer id.
 */

import { invariant } from "../invariant.ts";
import { type ErrorCode, errorCode } from "./kafkaErrors.ts";

/** Kafka keeps the metadata of the last five batches per producer (ProducerStateEntry.NUM_BATCHES_TO_RETAIN). */
export const producerBatchesRetainedMax = 5;
/** Hard ceiling on `producerIdsMax` so no configuration can make the per-partition map unbounded. */
export const producerIdsMaxLimit = 100_000;
/** Kafka's `producer.id.expiration.ms` default: one day without an append forgets the producer. */
export const producerIdExpirationMsDefault = 86_400_000;
/** The largest sequence number; sequences wrap from here to 0 (RecordBatch: Integer.MAX_VALUE). */
export const sequenceMax = 2_147_483_647;
/** Producer epochs are int16 on the wire. */
export const producerEpochMax = 32_767;
/** `producerId` of a batch written without idempotence. */
export const noProducerId = -1;

export interface ProducerBatch {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

export interface ProducerEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Oldest first, at most `producerBatchesRetainedMax`, consecutive in sequence within one epoch. */
  readonly batches: readonly ProducerBatch[];
  /** Logical time of the last append, used for expiry and for evicting the least recently used entry. */
  readonly lastAppendMs: number;
}

export interface PartitionProducers {
  /** Sorted by `producerId`, unique, at most `producerIdsMax` entries. */
  readonly entries: readonly ProducerEntry[];
}

/** The producer fields of one record batch (the bytes stay in the shell). */
export interface BatchProducerInfo {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

export type BatchVerdict =
  | { readonly kind: "append" }
  | { readonly kind: "duplicate"; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: "reject"; readonly errorCode: ErrorCode };

export function emptyPartitionProducers(): PartitionProducers {
  return { entries: [] };
}

/** The sequence `count - 1` steps after `baseSequence`, wrapping past `sequenceMax` to 0 as Kafka does. */
export function lastSequenceOf(baseSequence: number, recordCount: number): number {
  invariant(baseSequence >= 0 && baseSequence <= sequenceMax, "baseSequence out of range");
  invariant(recordCount >= 1, "a batch holds at least one record");
  const increment = recordCount - 1;
  return baseSequence > sequenceMax - increment
    ? increment - (sequenceMax - baseSequence) - 1
    : baseSequence + increment;
}

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === sequenceMax);
}

function indexOf(state: PartitionProducers, producerId: number): number {
  let low = 0;
  let high = state.entries.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const id = state.entries[middle]!.producerId;
    if (id === producerId) return middle;
    if (id < producerId) low = middle + 1;
    else high = middle - 1;
  }
  return -(low + 1);
}

export function findProducer(state: PartitionProducers, producerId: number): ProducerEntry | undefined {
  const index = indexOf(state, producerId);
  return index >= 0 ? state.entries[index] : undefined;
}

/**
 * Classifies a batch arriving from a client at the leader. Duplicates are recognised only within the
 * current epoch and only among the retained batches; an older retry is out of order, as in Kafka.
 */
export function checkBatch(state: PartitionProducers, batch: BatchProducerInfo): BatchVerdict {
  if (batch.producerId === noProducerId) return { kind: "append" };
  invariant(batch.producerId >= 0, "producer ids are non-negative");
  if (batch.producerEpoch < 0 || batch.producerEpoch > producerEpochMax) {
    return { kind: "reject", errorCode: errorCode.INVALID_PRODUCER_EPOCH };
  }
  if (batch.baseSequence < 0 || batch.baseSequence > sequenceMax) {
    return { kind: "reject", errorCode: errorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
  }
  const entry = findProducer(state, batch.producerId);
  // Kafka accepts any sequence from a producer it has no state for (the state may have expired).
  if (entry === undefined) return { kind: "append" };
  const lastSeq = lastSequenceOf(batch.baseSequence, batch.recordCount);
  if (batch.producerEpoch === entry.producerEpoch) {
    for (const original of entry.batches) {
      if (original.firstSeq === batch.baseSequence && original.lastSeq === lastSeq)
        return { kind: "duplicate", firstOffset: original.firstOffset, lastOffset: original.lastOffset };
    }
  }
  if (batch.producerEpoch < entry.producerEpoch) {
    return { kind: "reject", errorCode: errorCode.INVALID_PRODUCER_EPOCH };
  }
  if (batch.producerEpoch > entry.producerEpoch) {
    // A bumped epoch restarts the sequence at zero.
    return batch.baseSequence === 0
      ? { kind: "append" }
      : { kind: "reject", errorCode: errorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
  }
  const newest = entry.batches[entry.batches.length - 1];
  // With no retained batch (all were truncated away) nothing is known about the sequence: accept.
  if (newest === undefined || inSequence(newest.lastSeq, batch.baseSequence)) return { kind: "append" };
  return { kind: "reject", errorCode: errorCode.OUT_OF_ORDER_SEQUENCE_NUMBER };
}

/**
 * Records an appended batch at its offsets. Used for client batches after `checkBatch` said "append" and,
 * without checking, for batches a follower copies from its leader (the leader already validated them).
 * When the map is full, the least recently used producer is evicted: its later retries are then accepted
 * as new, exactly as after Kafka's expiry, which bounds memory at the price of idempotence for that producer.
 */
export function recordBatch(
  state: PartitionProducers,
  batch: BatchProducerInfo,
  firstOffset: number,
  lastOffset: number,
  nowMs: number,
  producerIdsMax: number,
): PartitionProducers {
  if (batch.producerId === noProducerId) return state;
  invariant(producerIdsMax >= 1 && producerIdsMax <= producerIdsMaxLimit, "producerIdsMax out of range");
  invariant(firstOffset >= 0 && lastOffset >= firstOffset, "batch offsets must be a non-empty range");
  invariant(lastOffset - firstOffset + 1 === batch.recordCount, "batch offsets must match its record count");
  const record: ProducerBatch = {
    firstSeq: batch.baseSequence,
    lastSeq: lastSequenceOf(batch.baseSequence, batch.recordCount),
    firstOffset,
    lastOffset,
  };
  let entries = state.entries;
  let index = indexOf(state, batch.producerId);
  if (index < 0 && entries.length >= producerIdsMax) {
    entries = evictLeastRecentlyUsed(entries);
    index = indexOf({ entries }, batch.producerId);
  }
  const previous = index >= 0 ? entries[index] : undefined;
  const kept =
    previous !== undefined && previous.producerEpoch === batch.producerEpoch ? previous.batches : [];
  if (previous !== undefined) {
    const newest = kept[kept.length - 1];
    invariant(
      newest === undefined || newest.lastOffset < firstOffset,
      "producer batches must have rising offsets",
    );
  }
  // The newest `producerBatchesRetainedMax` of the kept batches and this one (one copy, not three).
  const batches = kept.slice(Math.max(0, kept.length + 1 - producerBatchesRetainedMax));
  batches.push(record);
  const entry: ProducerEntry = {
    producerId: batch.producerId,
    // The log is authoritative on a follower; on the leader checkBatch already refused a lower epoch.
    producerEpoch: Math.max(batch.producerEpoch, previous?.producerEpoch ?? -1),
    batches,
    lastAppendMs: Math.max(nowMs, previous?.lastAppendMs ?? 0),
  };
  const next = entries.slice();
  if (index >= 0) next[index] = entry;
  else next.splice(-(index + 1), 0, entry);
  invariant(next.length <= producerIdsMax, "producer map exceeded producerIdsMax");
  invariant(entry.batches.length <= producerBatchesRetainedMax, "too many retained batches");
  return { entries: next };
}

function evictLeastRecentlyUsed(entries: readonly ProducerEntry[]): readonly ProducerEntry[] {
  invariant(entries.length > 0, "cannot evict from an empty producer map");
  let victim = 0;
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.lastAppendMs < entries[victim]!.lastAppendMs) victim = i;
  }
  return [...entries.slice(0, victim), ...entries.slice(victim + 1)];
}

/**
 * Forgets batches at or above `offset` after the log was truncated there. A producer left with no retained
 * batch is forgotten entirely, so its next batch is accepted whatever its sequence (Kafka's lenient rule
 * for unknown producers); rebuilding older state would need the log bytes, which the core never reads.
 */
export function truncateProducers(state: PartitionProducers, offset: number): PartitionProducers {
  invariant(offset >= 0, "truncation offset must be non-negative");
  const entries: ProducerEntry[] = [];
  for (const entry of state.entries) {
    const batches = entry.batches.filter((b) => b.lastOffset < offset);
    if (batches.length === entry.batches.length) entries.push(entry);
    else if (batches.length > 0) entries.push({ ...entry, batches });
  }
  invariant(entries.length <= state.entries.length, "truncation must not add producers");
  return { entries };
}

/**
 * Forgets producers whose newest retained batch lies wholly below a new log start: their records are
 * gone, as in Kafka's ProducerStateManager.truncateHead.
 */
export function truncateProducersHead(state: PartitionProducers, logStartOffset: number): PartitionProducers {
  invariant(logStartOffset >= 0, "log start must be non-negative");
  const entries = state.entries.filter((entry) => {
    const newest = entry.batches[entry.batches.length - 1];
    return newest === undefined || newest.lastOffset >= logStartOffset;
  });
  return entries.length === state.entries.length ? state : { entries };
}

/** Drops producers whose last append is at least `expirationMs` old (Kafka's `producer.id.expiration.ms`). */
export function expireProducers(
  state: PartitionProducers,
  nowMs: number,
  expirationMs: number,
): PartitionProducers {
  invariant(expirationMs > 0, "expirationMs must be positive");
  // Checked first without allocating: on almost every call nothing has expired.
  let expired = false;
  for (const entry of state.entries) {
    if (nowMs - entry.lastAppendMs >= expirationMs) {
      expired = true;
      break;
    }
  }
  if (!expired) return state;
  return { entries: liveEntries(state.entries, nowMs, expirationMs) };
}

// Its own function: a callback inside `expireProducers` (called on every tick) would make each call
// allocate a scope for the variables it closes over.
function liveEntries(
  entries: readonly ProducerEntry[],
  nowMs: number,
  expirationMs: number,
): ProducerEntry[] {
  return entries.filter((entry) => nowMs - entry.lastAppendMs < expirationMs);
}
