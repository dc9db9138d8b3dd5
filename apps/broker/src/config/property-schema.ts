/**
 * Each configuration key's value as an effect `Schema` over its text: the key's type and range from
 * the definitions table (`definitions.ts`) become checks, so every source (flag, environment, file)
 * is decoded by the same schema and a wrong value is refused with the sentence an operator reads
 * (`must be at least 1, got 0`). Schemas are built once per key and kept. It owns that mapping only;
 * which source wins is `resolve.ts`'s, and it must never read a source itself.
 */
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import type { ConfigDefinition } from "./definitions.ts";

const longMax = 9223372036854775807n;

/** A filter whose message is the whole sentence (effect reports a filter's string as the issue). */
function rule(problem: (text: string) => string | null) {
  return Schema.makeFilter<string>((text) => problem(text) ?? undefined);
}

const integerText = rule((text) => (/^-?\d+$/.test(text) ? null : `expected an integer, got "${text}"`));

function integerRange(min: number | undefined, max: number | undefined) {
  const low = min === undefined ? null : BigInt(min);
  const high = max === undefined ? longMax : BigInt(max);
  return rule((text) => {
    const value = BigInt(text);
    if (low !== null && value < low) return `must be at least ${low}, got ${text}`;
    if (value > high) return `must be at most ${high}, got ${text}`;
    return null;
  });
}

const booleanText = rule((text) =>
  /^(true|false)$/i.test(text) ? null : `expected true or false, got "${text}"`,
);

function oneOf(values: readonly string[]) {
  return rule((text) =>
    values.includes(text) ? null : `expected one of ${values.join(", ")}, got "${text}"`,
  );
}

/** The schema of one key's (trimmed) text. */
export function propertySchema(def: ConfigDefinition): Schema.Codec<string> {
  switch (def.type) {
    case "int":
    case "long":
      // The range is checked only once the text is an integer: the first failing check aborts.
      return Schema.String.check(Schema.makeFilterGroup([integerText]), integerRange(def.min, def.max));
    case "boolean":
      return Schema.String.check(booleanText);
    case "enum":
      return Schema.String.check(oneOf(def.values ?? []));
    case "string":
    case "list":
      return Schema.String;
  }
}

const schemas = new Map<string, Schema.Codec<string>>();

/** Decodes `text` for key `def`; returns the sentence saying what is wrong, or null when it is valid. */
export function propertyProblem(def: ConfigDefinition, text: string): string | null {
  let schema = schemas.get(def.name);
  if (schema === undefined) {
    schema = propertySchema(def);
    schemas.set(def.name, schema);
  }
  const result = Schema.decodeUnknownResult(schema)(text.trim());
  if (Result.isSuccess(result)) return null;
  return result.failure.message.split("\n")[0] ?? "invalid value";
}
