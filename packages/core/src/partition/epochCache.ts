/**
 * The leader-epoch cache (Kafka's LeaderEpochFileCache): for each leader epoch that wrote to this log, the
 * first offset it wrote. It answers OffsetForLeaderEpoch and drives the truncation of a divergent tail
 * (KIP-101, KIP-279, KIP-320). Pure functions over a sorted array; it never touches storage: changes are
 * written by the replica as `epochCheckpoint` ops.
 */

import { invariant } from "../invariant.ts";
import type { EpochEndOffset, EpochEntry } from "./types.ts";

/** Bound on cached epochs. One entry per leader change that wrote data; the oldest are dropped first. */
export const epochEntriesMax = 1_000;

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const undefinedEpoch = -1;
export const undefinedEpochOffset = -1;

export function latestEpoch(entries: readonly EpochEntry[]): number {
  return entries[entries.length - 1]?.epoch ?? undefinedEpoch;
}

/**
 * Records that `epoch` starts writing at `startOffset`. A repeated epoch is ignored; entries of lower
 * epochs at or above `startOffset` cannot exist, because the log was truncated before a new epoch wrote.
 */
export function assignEpoch(
  entries: readonly EpochEntry[],
  epoch: number,
  startOffset: number,
): readonly EpochEntry[] {
  invariant(epoch >= 0 && startOffset >= 0, "epoch and start offset must be non-negative");
  const last = entries[entries.length - 1];
  if (last !== undefined && last.epoch >= epoch) {
    invariant(last.epoch === epoch, () => `epoch ${epoch} assigned after newer epoch ${last.epoch}`);
    return entries;
  }
  invariant(
    last === undefined || last.startOffset <= startOffset,
    () => `epoch ${epoch} starts at ${startOffset} before epoch ${last?.epoch} at ${last?.startOffset}`,
  );
  // An epoch that wrote nothing is replaced by the next one starting at the same offset.
  const kept = last !== undefined && last.startOffset === startOffset ? entries.slice(0, -1) : entries;
  const next = [...kept, { epoch, startOffset }];
  return next.length > epochEntriesMax ? next.slice(next.length - epochEntriesMax) : next;
}

/**
 * Drops what lies before a new log start: entries wholly below it go, and the entry covering it now
 * starts there (Kafka's truncateFromStart), so OffsetForLeaderEpoch never points below the log start.
 */
export function truncateEpochsFromStart(
  entries: readonly EpochEntry[],
  offset: number,
): readonly EpochEntry[] {
  invariant(offset >= 0, "log start must be non-negative");
  let firstKept = 0;
  while (firstKept < entries.length - 1 && entries[firstKept + 1]!.startOffset <= offset) firstKept++;
  const covering = entries[firstKept];
  if (covering === undefined || covering.startOffset >= offset) return entries;
  const next = [{ epoch: covering.epoch, startOffset: offset }, ...entries.slice(firstKept + 1)];
  invariant(next.length <= entries.length, "truncating from the start must not add entries");
  return next;
}

/** Removes every entry whose start is at or above `offset`, after the log was truncated there. */
export function truncateEpochsFromEnd(entries: readonly EpochEntry[], offset: number): readonly EpochEntry[] {
  invariant(offset >= 0, "truncation offset must be non-negative");
  let keep = entries.length;
  while (keep > 0 && entries[keep - 1]!.startOffset >= offset) keep--;
  return keep === entries.length ? entries : entries.slice(0, keep);
}

/**
 * OffsetForLeaderEpoch: the largest cached epoch <= `requestedEpoch` and the offset where it ended (the
 * start of the next cached epoch, or `logEndOffset` for the latest epoch). Follows Kafka's
 * LeaderEpochFileCache.endOffsetFor: undefined for an undefined or empty request and for an epoch newer
 * than the latest; an epoch older than every cached one answers itself with the first cached start.
 */
export function endOffsetForEpoch(
  entries: readonly EpochEntry[],
  requestedEpoch: number,
  logEndOffset: number,
): EpochEndOffset {
  const undefinedAnswer = { epoch: undefinedEpoch, endOffset: undefinedEpochOffset };
  const latest = entries[entries.length - 1];
  if (latest === undefined || requestedEpoch === undefinedEpoch) return undefinedAnswer;
  if (requestedEpoch === latest.epoch) return { epoch: latest.epoch, endOffset: logEndOffset };
  if (requestedEpoch > latest.epoch) return undefinedAnswer;
  // The first entry with a larger epoch exists because requestedEpoch < latest.epoch.
  let higher = entries.length - 1;
  while (higher > 0 && entries[higher - 1]!.epoch > requestedEpoch) higher--;
  const higherEntry = entries[higher]!;
  const floorEntry = entries[higher - 1];
  invariant(higherEntry.epoch > requestedEpoch, "epoch search must land above the requested epoch");
  invariant(
    floorEntry === undefined || floorEntry.epoch <= requestedEpoch,
    "floor entry must not exceed the request",
  );
  return { epoch: floorEntry?.epoch ?? requestedEpoch, endOffset: higherEntry.startOffset };
}

/** Asserts the cache's shape: strictly rising epochs, non-decreasing starts, all within the log. */
export function checkEpochs(entries: readonly EpochEntry[], logEndOffset: number): void {
  invariant(entries.length <= epochEntriesMax, "epoch cache exceeds epochEntriesMax");
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    // The message is built only on failure (a lazy message would allocate a closure per entry).
    if (!(entry.startOffset <= logEndOffset))
      invariant(false, `epoch ${entry.epoch} starts beyond the log end`);
    const previous = entries[i - 1];
    if (previous !== undefined) {
      invariant(previous.epoch < entry.epoch, "epochs must rise");
      invariant(previous.startOffset <= entry.startOffset, "epoch start offsets must not decrease");
    }
  }
}
