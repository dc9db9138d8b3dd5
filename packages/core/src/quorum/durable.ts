/**
 * The persistence rules of a Ready as one pure function over an in-memory picture of durable storage,
 * for shells whose storage is a value (the simulator, tests) and as the reference for shells whose
 * storage is real files. It owns only those rules; it must never do I/O.
 */
import { invariant } from "../invariant.ts";
import type { DurableState, Ready } from "./types.ts";

/**
 * What storage holds after persisting `ready` (step 1 of the Ready order): the hard state replaces
 * the stored one; a snapshot replaces the log up to its index, and the stored entries after it
 * survive only if the stored entry at its index has the snapshot's term (otherwise the whole stored
 * log is stale and goes); new entries overwrite stored ones from their first index on.
 */
export function persistReady<P, S>(durable: DurableState<P, S>, ready: Ready<P, S>): DurableState<P, S> {
  let { hardState, snapshot, entries } = durable;
  if (ready.hardState !== null) {
    invariant(ready.hardState.term >= hardState.term, "durable: term would go back");
    hardState = ready.hardState;
  }
  if (ready.snapshot !== null) {
    const snap = ready.snapshot;
    invariant(snap.index > snapshot.index, "durable: snapshot older than the stored one");
    const at = entries.find((e) => e.index === snap.index);
    entries = at !== undefined && at.term === snap.term ? entries.filter((e) => e.index > snap.index) : [];
    snapshot = snap;
  }
  if (ready.entries.length > 0) {
    const first = ready.entries[0]!.index;
    const kept = entries.filter((e) => e.index < first);
    const lastKept = kept.length === 0 ? snapshot.index : kept[kept.length - 1]!.index;
    invariant(first === lastKept + 1, () => `durable: entries from ${first} leave a gap after ${lastKept}`);
    entries = [...kept, ...ready.entries];
  }
  return { hardState, snapshot, entries };
}
