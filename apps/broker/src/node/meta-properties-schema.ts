/**
 * The fields of Kafka's `meta.properties` as Eddy writes them (`version=1`, `node.id`, `cluster.id`;
 * Kafka 3.7+ also writes `directory.id`, which is accepted and not used). Owns the shape of the
 * file's values only: `meta-properties.ts` reads the text and decodes its properties through this
 * schema, and must never start a node on a file whose fields do not decode.
 */
import * as Schema from "effect/Schema";
import * as SchemaTransformation from "effect/SchemaTransformation";

/** A node id as properties text: decimal digits only, so `1e3` or ` 1` are refused, not read as numbers. */
const NodeIdText = Schema.String.check(
  Schema.isPattern(/^\d{1,10}$/, { expected: "a node id in decimal digits" }),
).pipe(Schema.decodeTo(Schema.Int, SchemaTransformation.numberFromString));

export const MetaProperties = Schema.Struct({
  version: Schema.Literal("1"),
  "node.id": NodeIdText,
  "cluster.id": Schema.NonEmptyString,
  "directory.id": Schema.optionalKey(Schema.String),
});
export type MetaProperties = typeof MetaProperties.Type;
