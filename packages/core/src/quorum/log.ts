/**
 * Read-only questions about a Raft log held as a snapshot plus an in-memory tail. The tail is the
 * only place entries live in memory; this module owns the index arithmetic between the two and must
 * never change either.
 */
import { invariant } from "../invariant.ts";
import type { Entry, Snapshot } from "./types.ts";

export interface LogView<P, S> {
  readonly snapshot: Snapshot<S>;
  readonly entries: readonly Entry<P>[];
}

export function lastIndex<P, S>(log: LogView<P, S>): number {
  return log.snapshot.index + log.entries.length;
}

export function lastTerm<P, S>(log: LogView<P, S>): number {
  const last = log.entries[log.entries.length - 1];
  return last === undefined ? log.snapshot.term : last.term;
}

/** The term of the entry at `index`, or null when it is compacted away or beyond the end. */
export function termAt<P, S>(log: LogView<P, S>, index: number): number | null {
  if (index === log.snapshot.index) return log.snapshot.term;
  if (index < log.snapshot.index || index > lastIndex(log)) return null;
  const entry = log.entries[index - log.snapshot.index - 1];
  // Built only on failure: a lazy message would allocate a closure on every lookup.
  if (!(entry !== undefined && entry.index === index)) invariant(false, `log: entry ${index} misplaced`);
  return entry.term;
}

/** Entries in [fromIndex, toIndex], which must lie inside the in-memory tail. */
export function slice<P, S>(log: LogView<P, S>, fromIndex: number, toIndex: number): Entry<P>[] {
  invariant(fromIndex > log.snapshot.index, "log: slice starts inside the snapshot");
  invariant(toIndex <= lastIndex(log), "log: slice ends beyond the log");
  if (toIndex < fromIndex) return [];
  const out = log.entries.slice(fromIndex - log.snapshot.index - 1, toIndex - log.snapshot.index);
  invariant(out.length === toIndex - fromIndex + 1, "log: slice length");
  return out;
}

/** Raft §5.4.1: is a log ending at (index, term) at least as up to date as ours? */
export function isUpToDate<P, S>(log: LogView<P, S>, index: number, term: number): boolean {
  const ourTerm = lastTerm(log);
  return term > ourTerm || (term === ourTerm && index >= lastIndex(log));
}

/** Checks the tail is contiguous, above the snapshot, and has non-decreasing terms. */
export function assertWellFormed<P, S>(log: LogView<P, S>, entriesMax: number): void {
  // Messages are built only on failure: a lazy message would allocate a closure per entry.
  if (!(log.entries.length <= entriesMax))
    invariant(false, `log: ${log.entries.length} entries exceed ${entriesMax}`);
  let prevTerm = log.snapshot.term;
  let expected = log.snapshot.index + 1;
  for (const entry of log.entries) {
    if (entry.index !== expected) invariant(false, `log: expected index ${expected}, found ${entry.index}`);
    if (!(entry.term >= prevTerm)) invariant(false, `log: term decreases at ${entry.index}`);
    prevTerm = entry.term;
    expected++;
  }
}
