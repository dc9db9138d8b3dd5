/**
 * The schema of the producer-id reservation cursor as the producer-id shell persists it (the state
 * store's producer-id cursor, whose file name carries the same number as its version): the first
 * producer id not yet reserved. Owns the shape only; the shell
 * decodes the file through it and must never hand out ids from a cursor this schema did not check,
 * since a cursor read too low would give a producer id twice.
 */
import * as Schema from "effect/Schema";

/** The format the shell writes; another version is refused, never guessed at. */
export const producerIdBlockFormatVersion = 1;

export const StoredProducerIdBlock = Schema.Struct({
  version: Schema.Literal(producerIdBlockFormatVersion),
  /** Every id below this has been reserved (and perhaps handed out) before. */
  nextProducerId: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
});
export type StoredProducerIdBlock = typeof StoredProducerIdBlock.Type;
