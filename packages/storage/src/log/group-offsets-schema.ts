/**
 * The schema of one group's committed-offsets file (`eddy-state/groups/g-<hex>.json`): the group id
 * and its offsets, as the state store writes them. Owns the shape only; the engine decodes every
 * such file through it and must never read a field this schema did not check.
 */
import * as Schema from "effect/Schema";

/** One committed offset, field for field `CommittedOffset` of the port. */
export const StoredCommittedOffset = Schema.Struct({
  topic: Schema.String,
  partition: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  offset: Schema.Int,
  leaderEpoch: Schema.Int,
  metadata: Schema.String,
  commitTimestampMs: Schema.Int,
});

/** A whole group file. */
export const StoredGroupOffsets = Schema.Struct({
  groupId: Schema.String,
  offsets: Schema.Array(StoredCommittedOffset),
});
