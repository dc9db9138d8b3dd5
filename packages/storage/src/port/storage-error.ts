/**
 * The one error every storage operation can fail with. It owns the vocabulary of storage failures
 * (`NotFound`, `Corrupt`, `NoSpace`, `Io`) so callers can `catchTag("StorageError")` broadly or
 * `catchReason("StorageError", "NoSpace", ...)` precisely. It must never carry engine objects
 * (file handles, buffers): errors cross into the simulator's traces and must stay plain data.
 *
 * The broker maps every reason to KAFKA_STORAGE_ERROR in produce and fetch responses, except
 * `NotFound` on a read below the log start or above the log end, which is OFFSET_OUT_OF_RANGE.
 */
import * as Schema from "effect/Schema";

/** A partition, state key or offset that does not exist (an offset outside [logStart, logEnd]). */
export class NotFound extends Schema.TaggedClass<NotFound>()("NotFound", {
  subject: Schema.String,
  detail: Schema.String,
}) {}

/** Stored bytes fail validation (length, CRC, index order); the partition is taken offline. */
export class Corrupt extends Schema.TaggedClass<Corrupt>()("Corrupt", {
  subject: Schema.String,
  detail: Schema.String,
}) {}

/** The disk is full; nothing already stored was changed by the failed write. */
export class NoSpace extends Schema.TaggedClass<NoSpace>()("NoSpace", {
  subject: Schema.String,
  detail: Schema.String,
}) {}

/** Any other operating-system failure (EIO, EBADF, permissions, an injected fault). */
export class Io extends Schema.TaggedClass<Io>()("Io", {
  subject: Schema.String,
  detail: Schema.String,
}) {}

/** The reasons a storage operation fails, as a schema so traces can encode and decode them. */
export const StorageErrorReason = Schema.Union([NotFound, Corrupt, NoSpace, Io]);
export type StorageErrorReason = NotFound | Corrupt | NoSpace | Io;

/** The single tagged error of the storage port. */
export class StorageError extends Schema.TaggedError<StorageError>()("StorageError", {
  reason: StorageErrorReason,
}) {
  override get message(): string {
    return `${this.reason._tag}: ${this.reason.subject}: ${this.reason.detail}`;
  }
}

/** Builds a `StorageError` from a reason tag, the thing it concerns and a sentence saying what happened. */
export function storageError(tag: StorageErrorReason["_tag"], subject: string, detail: string): StorageError {
  const fields = { subject, detail };
  switch (tag) {
    case "NotFound":
      return new StorageError({ reason: new NotFound(fields) });
    case "Corrupt":
      return new StorageError({ reason: new Corrupt(fields) });
    case "NoSpace":
      return new StorageError({ reason: new NoSpace(fields) });
    case "Io":
      return new StorageError({ reason: new Io(fields) });
  }
}
