/**
 * The schema of the controller quorum's hard state as the metadata shell persists it
 * (`__cluster_metadata-0/quorum-state`): the current term, the vote cast in it and the commit index.
 * Owns the shape only, field for field the core's `quorum.HardState`; the shell decodes the file
 * through it and must never open the quorum on a hard state this schema did not check (a wrong term
 * or vote could let this node vote twice in one term).
 */
import * as Schema from "effect/Schema";
import { StoredNonNegativeInt } from "./metadata-image-schema.ts";

export const StoredQuorumState = Schema.Struct({
  term: StoredNonNegativeInt,
  votedFor: Schema.NullOr(StoredNonNegativeInt),
  commitIndex: StoredNonNegativeInt,
});
