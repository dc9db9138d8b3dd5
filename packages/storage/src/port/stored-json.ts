/**
 * Reading back JSON that Eddy itself wrote (committed offsets, metadata snapshots and log records,
 * group metadata, producer-id blocks, the fields of meta.properties): bytes are parsed and decoded
 * with an effect `Schema`, and anything that does not decode fails with a `StorageError` of reason
 * `Corrupt` whose subject names the file (or key) and whose detail names the field, what it should
 * hold and what it held, e.g. `field topics.orders.partitions[0].leader: expected number, got "x"`.
 *
 * Owns the wording of those errors only. It must never default, repair or drop a field: a stored
 * value that does not decode is refused whole, and this module writes nothing, so what is stored is
 * left exactly as it was for an operator (or a newer Eddy) to look at.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import * as SchemaIssue from "effect/SchemaIssue";
import { storageError } from "./storage-error.ts";

/** Field problems listed in one error; a file wrong everywhere names its first few. */
const problemsListedMax = 3;
/** Characters of a wrong value quoted in an error; longer values are cut. */
const quotedValueCharsMax = 60;

/**
 * Unknown keys are refused rather than stripped: a field this version does not know might matter,
 * and decoding must never lose what is stored.
 */
const parseOptions = { errors: "all", onExcessProperty: "error" } as const;

const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1();
/** Effect's message for a key the schema does not have, reworded so an operator sees why it matters. */
const excessKeyMessage = "Expected no excess property";

/**
 * `data.topics.orders.partitions[0].leader`, or `(the whole value)` for an empty path. Keys that are
 * not plain names are quoted (`configs["retention.ms"]`), except that a first key may hold dots, so
 * a properties file's fields read as themselves (`node.id`).
 */
export function fieldPathText(path: ReadonlyArray<PropertyKey>): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (typeof key === "string" && text === "" && /^[A-Za-z_$][\w$.-]*$/.test(key)) text = key;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$-]*$/.test(key)) text += `.${key}`;
    else text += `[${JSON.stringify(String(key))}]`;
  }
  return text === "" ? "(the whole value)" : text;
}

/** The value at `path` inside `input`; `found` is false when the path leaves the input (a missing key). */
function valueAt(
  input: unknown,
  path: ReadonlyArray<PropertyKey>,
): { readonly found: boolean; readonly value: unknown } {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) {
      return { found: false, value: undefined };
    }
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value };
}

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= quotedValueCharsMax ? text : `${text.slice(0, quotedValueCharsMax)}...`;
}

/** One sentence per problem: `field <path>: <expected>, got <value>`. */
function describeProblems(input: unknown, issue: SchemaIssue.Issue): string {
  const problems = formatIssue(issue).issues;
  const sentences = problems.slice(0, problemsListedMax).map((problem) => {
    const path = problem.path ?? [];
    const at = valueAt(input, path as ReadonlyArray<PropertyKey>);
    const expected =
      problem.message === excessKeyMessage
        ? "not a field this version of Eddy knows (refused, not dropped)"
        : problem.message.charAt(0).toLowerCase() + problem.message.slice(1);
    const got = at.found ? `, got ${quote(at.value)}` : "";
    return `field ${fieldPathText(path as ReadonlyArray<PropertyKey>)}: ${expected}${got}`;
  });
  const more = problems.length - sentences.length;
  return more > 0 ? `${sentences.join("; ")} (and ${more} more)` : sentences.join("; ");
}

/**
 * Decodes an already parsed value read from `source` (a file path or a key); throws a `Corrupt`
 * `StorageError` naming `source` and the wrong field when it does not decode.
 */
export function decodeStoredValue<S extends Schema.ConstraintDecoder<unknown>>(
  schema: S,
  source: string,
  input: unknown,
): S["Type"] {
  const result = Schema.decodeUnknownResult(schema, parseOptions)(input);
  if (Result.isSuccess(result)) return result.success;
  throw storageError("Corrupt", source, describeProblems(input, result.failure.issue));
}

/** Parses `bytes` as UTF-8 JSON; throws a `Corrupt` `StorageError` naming `source` when they are not. */
export function parseStoredJson(source: string, bytes: Uint8Array): unknown {
  if (bytes.length === 0) throw storageError("Corrupt", source, "the file is empty, expected JSON");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw storageError("Corrupt", source, "not UTF-8 text, expected JSON");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw storageError(
      "Corrupt",
      source,
      `not valid JSON (truncated or overwritten?): ${(error as Error).message}`,
    );
  }
}

/** Parses and decodes JSON bytes read from `source`; see `parseStoredJson` and `decodeStoredValue`. */
export function decodeStoredJson<S extends Schema.ConstraintDecoder<unknown>>(
  schema: S,
  source: string,
  bytes: Uint8Array,
): S["Type"] {
  return decodeStoredValue(schema, source, parseStoredJson(source, bytes));
}
