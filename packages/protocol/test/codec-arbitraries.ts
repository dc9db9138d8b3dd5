/**
 * fast-check arbitraries for every message at every version, derived from the names-and-structure schema of
 * the specs (`src/generated/schema.ts`), not from the generated code. A value is built for one version: fields
 * present in that version get random values (null only where that version allows it), fields absent from it
 * get the value a decoder must fill in (the spec default), so `decode(encode(v))` must deep-equal `v`.
 * The default rules are re-derived here on purpose, as a second reading of the spec format.
 */

import fc from "fast-check";
import type { Reader } from "../src/codec/reader.ts";
import type { SchemaField, SchemaMessage, SchemaRange } from "../src/codec/schema-types.ts";
import { uuidFromBytes, uuidZero } from "../src/codec/uuid.ts";
import type { Writer } from "../src/codec/writer.ts";
import * as generated from "../src/generated/index.ts";
import { messageSchemas } from "../src/generated/schema.ts";

export { messageSchemas };

interface Range {
  lo: number;
  hi: number;
}

const none: Range = { lo: 1, hi: 0 };

function range(r: SchemaRange | undefined): Range {
  if (r === null || r === undefined) return none;
  return { lo: r[0], hi: r[1] === -1 ? Number.POSITIVE_INFINITY : r[1] };
}

const has = (r: Range, v: number) => v >= r.lo && v <= r.hi;
const empty = (r: Range) => r.lo > r.hi;
const meet = (a: Range, b: Range): Range => {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  return lo > hi ? none : { lo, hi };
};

export function propertyName(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
}

/** Encoder and decoder of a message, looked up by the exported names. */
export function codecOf(name: string): {
  encode: (w: Writer, v: unknown, version: number) => void;
  decode: (r: Reader, version: number) => unknown;
} {
  const g = generated as unknown as Record<string, unknown>;
  const encode = g[`encode${name}`];
  const decode = g[`decode${name}`];
  if (typeof encode !== "function" || typeof decode !== "function") throw new Error(`no codec for ${name}`);
  return {
    encode: encode as (w: Writer, v: unknown, version: number) => void,
    decode: decode as (r: Reader, version: number) => unknown,
  };
}

export function versionsOf(m: SchemaMessage): number[] {
  const r = range(m.validVersions);
  const out: number[] = [];
  for (let v = r.lo; v <= r.hi; v++) out.push(v);
  return out;
}

/** Builds arbitraries and defaults for one message. */
export class MessageArbitraries {
  readonly message: SchemaMessage;
  private readonly flexible: Range;
  // Versions in which each struct can occur: the hull of the versions of the fields that use it.
  private readonly structCtx = new Map<string, Range>();

  constructor(message: SchemaMessage) {
    this.message = message;
    this.flexible = range(message.flexibleVersions);
    this.collect(message.fields, range(message.validVersions));
  }

  private collect(fields: readonly SchemaField[], ctx: Range): void {
    for (const f of fields) {
      const s = structName(f.type);
      if (s === null) continue;
      const fctx = meet(ctx, range(f.versions));
      if (empty(fctx)) continue;
      const old = this.structCtx.get(s);
      const next =
        old === undefined ? fctx : { lo: Math.min(old.lo, fctx.lo), hi: Math.max(old.hi, fctx.hi) };
      if (old !== undefined && old.lo === next.lo && old.hi === next.hi) continue;
      this.structCtx.set(s, next);
      this.collect(this.structFields(s), next);
    }
  }

  private structFields(name: string): readonly SchemaField[] {
    const fields = this.message.structs[name];
    if (fields === undefined) throw new Error(`${this.message.name}: no struct ${name}`);
    return fields;
  }

  private fieldsIn(fields: readonly SchemaField[], ctx: Range): SchemaField[] {
    return fields.filter((f) => !empty(meet(ctx, range(f.versions))));
  }

  private nullableAnywhere(f: SchemaField, ctx: Range): boolean {
    return !empty(meet(meet(ctx, range(f.versions)), range(f.nullableVersions)));
  }

  /** The value a decoder fills in for a field absent from the version being decoded. */
  defaultOf(f: SchemaField, ctx: Range): unknown {
    const raw = f.default;
    if (raw === "null") return null;
    const t = f.type;
    if (t.startsWith("[]")) return [];
    switch (t) {
      case "int8":
      case "int16":
      case "int32":
      case "uint16":
      case "uint32":
      case "float64":
        return raw === null ? 0 : raw.startsWith("0x") ? Number.parseInt(raw, 16) : Number(raw);
      case "int64":
        return raw === null ? 0n : BigInt(raw);
      case "bool":
        return raw === "true";
      case "string":
        return raw ?? "";
      case "uuid":
        return uuidZero;
      case "bytes":
        return new Uint8Array(0);
      case "records":
        return this.nullableAnywhere(f, ctx) ? null : new Uint8Array(0);
      default:
        return this.defaultStruct(t);
    }
  }

  private defaultStruct(name: string): Record<string, unknown> {
    const ctx = this.structCtx.get(name)!;
    const out: Record<string, unknown> = {};
    for (const f of this.fieldsIn(this.structFields(name), ctx))
      out[propertyName(f.name)] = this.defaultOf(f, ctx);
    return out;
  }

  private primitive(type: string): fc.Arbitrary<unknown> {
    switch (type) {
      case "int8":
        return fc.integer({ min: -128, max: 127 });
      case "int16":
        return fc.integer({ min: -32768, max: 32767 });
      case "int32":
        return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
      case "uint16":
        return fc.integer({ min: 0, max: 65535 });
      case "uint32":
        return fc.integer({ min: 0, max: 2 ** 32 - 1 });
      case "int64":
        return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
      case "float64":
        return fc.double();
      case "bool":
        return fc.boolean();
      case "string":
        // Mostly short, sometimes past 127 bytes so that compact lengths take a two-byte uvarint.
        return fc.oneof(
          { weight: 9, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) },
          { weight: 1, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 128, maxLength: 200 }) },
        );
      case "uuid":
        return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => uuidFromBytes(b));
      case "bytes":
      case "records":
        return fc.oneof(
          { weight: 9, arbitrary: fc.uint8Array({ maxLength: 24 }) },
          { weight: 1, arbitrary: fc.uint8Array({ minLength: 128, maxLength: 300 }) },
        );
    }
    throw new Error(`unknown primitive ${type}`);
  }

  private typeArb(type: string, version: number): fc.Arbitrary<unknown> {
    if (type.startsWith("[]")) return fc.array(this.typeArb(type.slice(2), version), { maxLength: 3 });
    if (structName(type) !== null) return this.structArb(type, version);
    return this.primitive(type);
  }

  private fieldArb(f: SchemaField, ctx: Range, version: number): fc.Arbitrary<unknown> {
    if (!has(range(f.versions), version)) return fc.constant(this.defaultOf(f, ctx));
    const value = this.typeArb(f.type, version);
    if (has(range(f.nullableVersions), version)) return fc.option(value, { nil: null, freq: 4 });
    return value;
  }

  private fieldsArb(
    fields: readonly SchemaField[],
    ctx: Range,
    version: number,
  ): fc.Arbitrary<Record<string, unknown>> {
    const shape: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of this.fieldsIn(fields, ctx)) shape[propertyName(f.name)] = this.fieldArb(f, ctx, version);
    const base = fc.record(shape);
    if (!has(this.flexible, version)) return base;
    // Unknown tagged fields use tags above every known tag of the struct, so the decoder keeps them as unknown.
    const known = fields.map((f) => f.tag ?? -1);
    const firstFree = Math.max(-1, ...known) + 1;
    const unknown = fc.option(
      fc
        .uniqueArray(fc.integer({ min: firstFree, max: firstFree + 200 }), { maxLength: 2, minLength: 1 })
        .chain((tags) =>
          fc.tuple(
            ...tags
              .sort((a, b) => a - b)
              .map((tag) => fc.uint8Array({ maxLength: 6 }).map((data) => ({ tag, data }))),
          ),
        ),
      { nil: undefined, freq: 5 },
    );
    return fc.tuple(base, unknown).map(([b, u]) => (u === undefined ? b : { ...b, _unknownTaggedFields: u }));
  }

  private structArb(name: string, version: number): fc.Arbitrary<Record<string, unknown>> {
    return this.fieldsArb(this.structFields(name), this.structCtx.get(name)!, version);
  }

  /** Random values of the message at `version`, normalised as a decoder returns them. */
  messageArb(version: number): fc.Arbitrary<Record<string, unknown>> {
    return this.fieldsArb(this.message.fields, range(this.message.validVersions), version);
  }

  /** Top-level fields absent from `version`, with a value that differs from their default. */
  absentFields(version: number): { field: SchemaField; value: unknown }[] {
    const out: { field: SchemaField; value: unknown }[] = [];
    for (const f of this.message.fields) {
      if (has(range(f.versions), version)) continue;
      const value = nonDefault(f.type, this.defaultOf(f, range(this.message.validVersions)));
      if (value !== undefined) out.push({ field: f, value });
    }
    return out;
  }
}

function structName(type: string): string | null {
  const t = type.startsWith("[]") ? type.slice(2) : type;
  return /^[A-Z]/.test(t) ? t : null;
}

// A value of `type` that is not `def`; undefined for struct types, where "non-default" needs a nested field.
function nonDefault(type: string, def: unknown): unknown {
  if (type.startsWith("[]")) return type === "[]string" ? ["x"] : type.startsWith("[]int") ? [1] : undefined;
  switch (type) {
    case "int8":
    case "int16":
    case "int32":
    case "uint16":
    case "uint32":
    case "float64":
      return def === 1 ? 2 : 1;
    case "int64":
      return def === 1n ? 2n : 1n;
    case "bool":
      return !def;
    case "string":
      return def === "x" ? "y" : "x";
    case "uuid":
      return "AQAAAAAAAAAAAAAAAAAAAA";
    case "bytes":
    case "records":
      return new Uint8Array([1]);
  }
  return undefined;
}
