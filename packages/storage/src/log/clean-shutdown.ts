/**
 * Kafka's clean-shutdown marker: `.kafka_cleanshutdown` in a log directory, written last when every
 * log in it closed cleanly (flushed, active indexes written and fsynced) and taken away at the next
 * start before anything is written, so its presence means exactly "nothing in this directory was
 * written since a clean close". Recovery then trusts index files instead of scanning segments. It
 * owns the file's name, content and the order of the two steps; it must never open a partition log
 * (the log directory that owns the logs decides when they are all closed).
 */
import type { Files } from "./files.ts";

/** Kafka's file name (`LogLoader.CleanShutdownFileName`). */
export const cleanShutdownFileName = ".kafka_cleanshutdown";

/**
 * Kafka 3.5+ writes the broker epoch as JSON (`CleanShutdownFileHandler`); a single node has no
 * registration epoch to record, so -1, which Kafka reads as "unknown".
 */
const markerBytes = new TextEncoder().encode('{"version":0,"broker_epoch":-1}');

/**
 * Whether the previous stop of `dataDir` was clean, taking the marker away durably before the caller
 * writes anything: a crash after this start must not find it.
 */
export function takeCleanShutdownMarker(files: Files, dataDir: string): boolean {
  const path = `${dataDir}/${cleanShutdownFileName}`;
  if (!files.exists(path)) return false;
  files.remove(path);
  files.syncDirNow(dataDir);
  return true;
}

/** Writes the marker durably; call only after every log in `dataDir` closed cleanly. */
export function writeCleanShutdownMarker(files: Files, dataDir: string): void {
  files.writeAtomicNow(`${dataDir}/${cleanShutdownFileName}`, markerBytes);
}
