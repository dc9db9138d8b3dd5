/**
 * The schema of one record of a cluster's `__consumer_offsets` partition, field for field the core's
 * group persist records (group metadata as `group-metadata-schema.ts` stores it). The coordinator
 * replays nothing this schema did not check.
 */
import * as Schema from "effect/Schema";
import { StoredGroup } from "./group-metadata-schema.ts";

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

const OffsetCommit = Schema.Struct({
  kind: Schema.Literal("offsetCommit"),
  groupId: Schema.String,
  topic: Schema.String,
  partition: NonNegativeInt,
  offset: Schema.Int,
  leaderEpoch: Schema.Int,
  metadata: Schema.String,
  commitTimestampMs: Schema.Int,
  generationId: Schema.Int,
});

const OffsetTombstone = Schema.Struct({
  kind: Schema.Literal("offsetTombstone"),
  groupId: Schema.String,
  topic: Schema.String,
  partition: NonNegativeInt,
});

const GroupTombstone = Schema.Struct({ kind: Schema.Literal("groupTombstone"), groupId: Schema.String });

export const StoredOffsetsTopicRecord = Schema.Union([
  OffsetCommit,
  OffsetTombstone,
  StoredGroup,
  GroupTombstone,
]);
export type StoredOffsetsTopicRecord = typeof StoredOffsetsTopicRecord.Type;
