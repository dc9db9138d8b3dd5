/**
 * The start-up check of a data directory: reads back every stored value the node's shells will read
 * as they open (the controller's quorum state, snapshot and log records, group metadata and committed
 * offsets, the producer-id cursor) and decodes each with its schema, before any shell opens. The
 * shells write as they open (the controller votes for itself and appends an entry), so without this a
 * file found corrupt by a later shell would be refused only after earlier ones had written.
 *
 * Owns the order of the check only; the reading and decoding belong to each shell's own reader. It
 * must never write, repair or skip a value: the first that does not decode fails the whole check with
 * the error naming its file and field.
 */
import { readGroupRecords } from "./group-store.ts";
import { readMetadataDurable } from "./metadata-shell.ts";
import { readProducerIdCursor } from "./producer-id-shell.ts";
import type { Storage } from "./storage.ts";

export async function checkStoredState(storage: Storage): Promise<void> {
  await readMetadataDurable(storage);
  await readGroupRecords(storage);
  await readProducerIdCursor(storage);
}
