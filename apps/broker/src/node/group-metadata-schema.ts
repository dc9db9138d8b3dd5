/**
 * The schema of one shard of group metadata as the group shell persists it (the state store's
 * group-metadata shard, `__group_metadata-<shard>/`): a format version and, per group, its
 * generation, protocol, leader and members with their subscriptions and assignments in base64.
 * Owns the shape only, field for field the core's `groupMetadata` persist record; the shell decodes
 * every shard through it and must never replay a group this schema did not check.
 */
import * as Schema from "effect/Schema";

/** The shard format the shell writes; a shard of another version is refused, never guessed at. */
export const groupMetadataFormatVersion = 1;

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

/** Standard base64 with padding, as `Buffer.toString("base64")` writes it (decoding it never skips a character). */
const Base64 = Schema.String.check(
  Schema.isPattern(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, {
    expected: "base64 bytes",
  }),
);

export const StoredGroupMember = Schema.Struct({
  memberId: Schema.String,
  groupInstanceId: Schema.NullOr(Schema.String),
  clientId: Schema.String,
  clientHost: Schema.String,
  sessionTimeoutMs: NonNegativeInt,
  rebalanceTimeoutMs: NonNegativeInt,
  subscription: Base64,
  assignment: Base64,
});

export const StoredGroup = Schema.Struct({
  kind: Schema.Literal("groupMetadata"),
  groupId: Schema.String,
  generationId: Schema.Int,
  protocolType: Schema.NullOr(Schema.String),
  protocolName: Schema.NullOr(Schema.String),
  leaderId: Schema.NullOr(Schema.String),
  stateTimestampMs: Schema.Int,
  members: Schema.Array(StoredGroupMember),
});
export type StoredGroup = typeof StoredGroup.Type;

export const StoredGroupShard = Schema.Struct({
  version: Schema.Literal(groupMetadataFormatVersion),
  groups: Schema.Array(StoredGroup),
});
export type StoredGroupShard = typeof StoredGroupShard.Type;
