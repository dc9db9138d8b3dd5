// Parser for Kafka's JSON message specs.
//
// Owns reading `*.json` message descriptors (which carry `//` comments) into a small typed model: version
// ranges, field kinds, defaults and tags. Used by the generator and by nothing at runtime. It keeps names and
// structure only: the prose in "about" is dropped. Must never guess: anything it does not understand fails
// generation with the file and field named.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Inclusive version range; `hi` is Infinity for "N+", and lo > hi means "none". */
export interface VersionRange {
  readonly lo: number;
  readonly hi: number;
}

export const noVersions: VersionRange = { lo: 1, hi: 0 };

const primitiveTypeNames = [
  "int8",
  "int16",
  "int32",
  "int64",
  "uint16",
  "uint32",
  "float64",
  "bool",
  "string",
  "bytes",
  "records",
  "uuid",
] as const;

export type PrimitiveType = (typeof primitiveTypeNames)[number];

const primitiveTypes: ReadonlySet<string> = new Set<PrimitiveType>(primitiveTypeNames);

export type FieldType =
  | { readonly kind: "primitive"; readonly name: PrimitiveType }
  | { readonly kind: "struct"; readonly name: string }
  | { readonly kind: "array"; readonly element: FieldType };

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly versions: VersionRange;
  readonly nullableVersions: VersionRange;
  readonly taggedVersions: VersionRange;
  readonly tag: number | null;
  readonly ignorable: boolean;
  /** Raw "default" from the spec, or null when absent. */
  readonly defaultRaw: string | null;
  /** Field-level override of the message's flexible versions (only RequestHeader.ClientId uses it). */
  readonly flexibleVersions: VersionRange | null;
}

export interface StructSpec {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

export interface MessageSpec {
  readonly file: string;
  readonly name: string;
  readonly type: "request" | "response" | "header" | "data" | "metadata";
  readonly apiKey: number | null;
  readonly validVersions: VersionRange;
  readonly flexibleVersions: VersionRange;
  readonly deprecatedVersions: VersionRange;
  readonly listeners: readonly string[];
  readonly latestVersionUnstable: boolean;
  /** The message's own top-level fields. */
  readonly fields: readonly FieldSpec[];
  /** Every named struct of the message (inline and common), by name. */
  readonly structs: ReadonlyMap<string, StructSpec>;
}

/** Removes `//` comments outside string literals, keeping line structure for error positions. */
export function stripComments(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === "\\") {
        out += text[i + 1] ?? "";
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
      continue;
    }
    out += c;
  }
  return out;
}

export function parseRange(raw: unknown, where: string): VersionRange {
  if (raw === undefined || raw === null) return noVersions;
  const s = String(raw).trim();
  if (s === "none") return noVersions;
  let m = /^(\d+)\+$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number.POSITIVE_INFINITY };
  m = /^(\d+)-(\d+)$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(s);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`${where}: cannot parse version range ${JSON.stringify(raw)}`);
}

export function isEmpty(r: VersionRange): boolean {
  return r.lo > r.hi;
}

export function intersect(a: VersionRange, b: VersionRange): VersionRange {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  return lo > hi ? noVersions : { lo, hi };
}

function parseType(raw: string, where: string): FieldType {
  if (raw.startsWith("[]")) return { kind: "array", element: parseType(raw.slice(2), where) };
  if (primitiveTypes.has(raw)) return { kind: "primitive", name: raw as PrimitiveType };
  if (/^[A-Z][A-Za-z0-9]*$/.test(raw)) return { kind: "struct", name: raw };
  throw new Error(`${where}: unknown type ${raw}`);
}

/** The struct a field type names, if any (directly or as array element). */
export function structNameOf(t: FieldType): string | null {
  if (t.kind === "struct") return t.name;
  if (t.kind === "array") return structNameOf(t.element);
  return null;
}

interface RawField {
  name?: unknown;
  type?: unknown;
  versions?: unknown;
  nullableVersions?: unknown;
  taggedVersions?: unknown;
  tag?: unknown;
  ignorable?: unknown;
  default?: unknown;
  flexibleVersions?: unknown;
  fields?: RawField[];
}

function parseFields(
  raw: readonly RawField[],
  where: string,
  structs: Map<string, StructSpec>,
  pending: { name: string; where: string }[],
): FieldSpec[] {
  return raw.map((f) => {
    const name = String(f.name);
    const at = `${where}.${name}`;
    const type = parseType(String(f.type), at);
    const structName = structNameOf(type);
    if (f.fields !== undefined) {
      if (structName === null) throw new Error(`${at}: fields given for non-struct type`);
      const fields = parseFields(f.fields, at, structs, pending);
      const existing = structs.get(structName);
      if (existing !== undefined && JSON.stringify(existing.fields) !== JSON.stringify(fields)) {
        throw new Error(`${at}: struct ${structName} defined twice with different fields`);
      }
      structs.set(structName, { name: structName, fields });
    } else if (structName !== null) {
      pending.push({ name: structName, where: at });
    }
    const tag = f.tag === undefined ? null : Number(f.tag);
    if (tag !== null && !Number.isInteger(tag)) throw new Error(`${at}: bad tag ${String(f.tag)}`);
    const taggedVersions = parseRange(f.taggedVersions, at);
    if ((tag === null) !== isEmpty(taggedVersions))
      throw new Error(`${at}: tag and taggedVersions must go together`);
    return {
      name,
      type,
      versions: parseRange(f.versions, at),
      nullableVersions: parseRange(f.nullableVersions, at),
      taggedVersions,
      tag,
      ignorable: f.ignorable === true,
      defaultRaw: f.default === undefined ? null : String(f.default),
      flexibleVersions: f.flexibleVersions === undefined ? null : parseRange(f.flexibleVersions, at),
    };
  });
}

export function parseMessage(file: string, text: string): MessageSpec {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(stripComments(text)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: invalid JSON after stripping comments: ${String(e)}`);
  }
  const name = String(json.name);
  const type = String(json.type) as MessageSpec["type"];
  if (!["request", "response", "header", "data", "metadata"].includes(type)) {
    throw new Error(`${file}: unknown message type ${type}`);
  }
  const structs = new Map<string, StructSpec>();
  const pending: { name: string; where: string }[] = [];
  for (const c of (json.commonStructs as { name: string; fields: RawField[] }[] | undefined) ?? []) {
    structs.set(c.name, {
      name: c.name,
      fields: parseFields(c.fields, `${name}.${c.name}`, structs, pending),
    });
  }
  const fields = parseFields((json.fields as RawField[] | undefined) ?? [], name, structs, pending);
  for (const p of pending) {
    if (!structs.has(p.name)) throw new Error(`${p.where}: struct ${p.name} is never defined`);
  }
  return {
    file,
    name,
    type,
    apiKey: json.apiKey === undefined ? null : Number(json.apiKey),
    validVersions: parseRange(json.validVersions, name),
    flexibleVersions: parseRange(json.flexibleVersions, name),
    deprecatedVersions: parseRange(json.deprecatedVersions, name),
    listeners: ((json.listeners as string[] | undefined) ?? []).map(String),
    latestVersionUnstable: json.latestVersionUnstable === true,
    fields,
    structs,
  };
}

/** Parses every `*.json` in `dir`, sorted by file name for a stable output. */
export function parseSpecDir(dir: string): MessageSpec[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => parseMessage(n, readFileSync(join(dir, n), "utf8")));
}
