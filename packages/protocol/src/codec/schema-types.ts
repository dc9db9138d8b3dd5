// Types of the names-and-structure schema emitted beside the generated code (`src/generated/schema.ts`).
//
// Owns only the shape. The property tests derive their arbitraries from this schema, so they test the
// generated code against the specs rather than against itself. Ranges are [lo, hi], with hi = -1 for "lo+",
// and null for "none".

export type SchemaRange = readonly [number, number] | null;

export interface SchemaField {
  readonly name: string;
  /** Kafka type text: `int32`, `string`, `[]Topic`, `Topic`, ... */
  readonly type: string;
  readonly versions: SchemaRange;
  readonly nullableVersions: SchemaRange;
  readonly taggedVersions: SchemaRange;
  readonly tag: number | null;
  readonly ignorable: boolean;
  readonly default: string | null;
  readonly flexibleVersions?: SchemaRange | undefined;
}

export interface SchemaMessage {
  readonly name: string;
  readonly type: string;
  readonly apiKey: number | null;
  readonly validVersions: SchemaRange;
  readonly flexibleVersions: SchemaRange;
  readonly fields: readonly SchemaField[];
  readonly structs: Readonly<Record<string, readonly SchemaField[]>>;
}
