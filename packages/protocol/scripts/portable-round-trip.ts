/**
 * `bun scripts/portable-round-trip.ts` or, from the repository root,
 * `node_modules/.bin/deno run --allow-env --allow-sys --allow-ffi packages/protocol/scripts/portable-round-trip.ts`:
 * a protocol round trip that runs unchanged under Bun and Deno. It encodes and decodes every message
 * schema (requests, responses and headers of every api key) at every version, flexible and not, with
 * values drawn by fast-check from fixed seeds; record batches in every codec (CRC32C included); and the
 * golden batches a real client (kcat) wrote. Every value must decode to itself and re-encode to the same
 * bytes. It prints one JSON line with counts and SHA-256 hashes of the bytes, which must be equal under
 * every runtime (scripts/deno-portability.test.ts compares Bun's and Deno's).
 *
 * Compressed payloads are not hashed: gzip and zstd come from each runtime's own zlib build, and two
 * builds may pick different (equally valid) encodings; Bun 1.4.5 and Deno 2.9.6 do write different zstd
 * bytes for the same records. Their round trip is checked, and the hash takes the decoded records, so a
 * codec that decodes differently still changes the hash. No codec is skipped under Deno: snappy, lz4 and
 * CRC32C are native addons (napi-rs), which Deno loads through Node-API given --allow-ffi.
 *
 * Owns only this check; it must never use a runtime's own API (only what Bun, Deno and Node share) and
 * never draw unseeded randomness, or the two runtimes would hash different inputs.
 */
import { createHash, type Hash } from "node:crypto";
import fc from "fast-check";
import {
  type CompressionName,
  crc32c,
  decodeRecordBatch,
  encodeRecordBatch,
  type KafkaRecord,
  Reader,
  type RecordBatch,
  verifyBatchCrc,
  Writer,
} from "../src/index.ts";
import { codecOf, MessageArbitraries, messageSchemas, versionsOf } from "../test/codec-arbitraries.ts";
import { batchInputArb, codecs, expectedRecord } from "../test/records-arbitraries.ts";
import golden from "../test/records-golden/kcat-batches.json" with { type: "json" };

/** Values drawn per message version; every version of every schema gets this many. */
const valuesPerVersion = 3;
/** Batches drawn per codec. */
const batchesPerCodec = 40;
/** The first fast-check seed; schema i draws from `seedBase + i`, codec j from `seedBase + 10_000 + j`. */
const seedBase = 20_260;

function fail(what: string): never {
  throw new Error(`round trip: ${what}`);
}

function runtimeName(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (g.Deno !== undefined) return `deno ${g.Deno.version.deno}`;
  if (g.Bun !== undefined) return `bun ${g.Bun.version}`;
  return `node ${process.versions.node}`;
}

/**
 * Structural equality as \`bun:test\`'s \`toEqual\` sees it (which is not available under Deno): a property
 * whose value is undefined counts as absent, since decoders fill \`_unknownTaggedFields\` that way. Byte
 * arrays compare by content. Recursion follows the value's own nesting, which the schemas bound.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) if (!sameValue(ra[key], rb[key])) return false;
  return true;
}

/** Feeds a labelled byte string into a hash, length first, so adjacent entries cannot run together. */
function feed(hash: Hash, label: string, bytes: Uint8Array): void {
  hash.update(`${label}:${bytes.length}:`);
  hash.update(bytes);
}

/** Encodes and decodes every schema at every version; returns the counts and the hash of all encodings. */
function messages(): {
  schemas: number;
  versions: number;
  flexibleVersions: number;
  values: number;
  hash: string;
} {
  const hash = createHash("sha256");
  let versions = 0;
  let flexibleVersions = 0;
  let values = 0;
  for (const [i, m] of messageSchemas.entries()) {
    const arbs = new MessageArbitraries(m);
    const { encode, decode } = codecOf(m.name);
    const flexible = m.flexibleVersions;
    for (const version of versionsOf(m)) {
      versions++;
      if (flexible !== null && version >= flexible[0] && (flexible[1] === -1 || version <= flexible[1])) {
        flexibleVersions++;
      }
      const drawn = fc.sample(arbs.messageArb(version), { seed: seedBase + i, numRuns: valuesPerVersion });
      for (const value of drawn) {
        const w = new Writer(64);
        encode(w, value, version);
        const bytes = w.finish().slice();
        const r = new Reader(bytes);
        const got = decode(r, version);
        if (r.remaining !== 0) fail(`${m.name} v${version}: ${r.remaining} bytes left after decode`);
        if (!sameValue(got, value)) fail(`${m.name} v${version}: decoded value differs`);
        const again = new Writer(64);
        encode(again, got, version);
        if (!sameValue(again.finish(), bytes)) fail(`${m.name} v${version}: re-encoding differs`);
        feed(hash, `${m.name}/${version}`, bytes);
        values++;
      }
    }
  }
  return { schemas: messageSchemas.length, versions, flexibleVersions, values, hash: hash.digest("hex") };
}

/** The records of a batch as bytes: the payload of an uncompressed batch with the same records. */
function recordsBytes(batch: RecordBatch): Uint8Array {
  return encodeRecordBatch({ records: batch.records.map(recordInput) });
}

function recordInput(r: KafkaRecord) {
  return {
    attributes: r.attributes,
    timestampDelta: r.timestampDelta,
    offsetDelta: r.offsetDelta,
    key: r.key,
    value: r.value,
    headers: r.headers,
  };
}

/** Record batches in every codec: encode, verify the CRC, decode, compare. */
function batches(): { codecs: readonly CompressionName[]; batches: number; hash: string } {
  const hash = createHash("sha256");
  let count = 0;
  for (const [j, codec] of codecs.entries()) {
    const inputs = fc.sample(batchInputArb(fc.constant(codec)), {
      seed: seedBase + 10_000 + j,
      numRuns: batchesPerCodec,
    });
    for (const input of inputs) {
      const bytes = encodeRecordBatch(input);
      verifyBatchCrc(bytes);
      const batch = decodeRecordBatch(bytes);
      if (batch.header.compression !== codec) fail(`${codec}: header says ${batch.header.compression}`);
      const want = input.records.map((r, i) => expectedRecord(r, i));
      const got = batch.records.map((r) => ({ ...r, headers: r.headers.map((h) => ({ ...h })) }));
      if (!sameValue(got, want)) fail(`${codec}: decoded records differ from the input`);
      // Uncompressed batches are hashed whole; compressed ones by their records (see the header).
      feed(hash, codec, codec === "none" ? bytes : recordsBytes(batch));
      count++;
    }
  }
  return { codecs, batches: count, hash: hash.digest("hex") };
}

/** The batches kcat (librdkafka) wrote, one per codec: they must decode, CRC intact, under any runtime. */
function goldenBatches(): { codecs: string[]; hash: string } {
  const hash = createHash("sha256");
  const names: string[] = [];
  for (const [codec, hex] of Object.entries(golden as Record<string, string>)) {
    const bytes = Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
    verifyBatchCrc(bytes);
    const batch = decodeRecordBatch(bytes);
    if (batch.header.compression !== codec) fail(`golden ${codec}: header says ${batch.header.compression}`);
    if (batch.records.length !== 4) fail(`golden ${codec}: ${batch.records.length} records, not 4`);
    feed(hash, codec, recordsBytes(batch));
    names.push(codec);
  }
  return { codecs: names, hash: hash.digest("hex") };
}

// The standard CRC32C check value: a wrong native binding or fallback fails here before anything else.
const crcCheck = crc32c(new TextEncoder().encode("123456789"));
if (crcCheck !== 0xe3069283) fail(`crc32c("123456789") is ${crcCheck.toString(16)}, not e3069283`);

const startMs = performance.now();
const m = messages();
const b = batches();
const g = goldenBatches();
console.log(
  JSON.stringify({
    runtime: runtimeName(),
    messages: m,
    batches: b,
    golden: g,
    hash: createHash("sha256").update(`${m.hash}${b.hash}${g.hash}`).digest("hex"),
    wallMs: Math.round(performance.now() - startMs),
  }),
);
