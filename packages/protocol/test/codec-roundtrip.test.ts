// Property round-trip of every message at every version: values come from arbitraries derived from the
// spec schema (test/codec-arbitraries.ts); encode then decode must give the same value back and consume
// every byte; re-encoding the decoded value must give the same bytes, also through a zero-copy writer.
// Also checks the version-gating rule: a non-default value in a field the version lacks is an EncodeError
// unless the field is ignorable.

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { EncodeError, Reader, Writer } from "../src/index.ts";
import {
  codecOf,
  MessageArbitraries,
  messageSchemas,
  propertyName,
  versionsOf,
} from "./codec-arbitraries.ts";

const runsPerVersion = Number(process.env.CODEC_ROUNDTRIP_RUNS ?? 40);

describe("round-trip of every message at every version", () => {
  for (const m of messageSchemas) {
    test(`${m.name}`, () => {
      const arbs = new MessageArbitraries(m);
      const { encode, decode } = codecOf(m.name);
      for (const version of versionsOf(m)) {
        fc.assert(
          fc.property(arbs.messageArb(version), (value) => {
            const w = new Writer(64);
            encode(w, value, version);
            const bytes = w.finish().slice();
            const r = new Reader(bytes);
            const got = decode(r, version);
            expect(r.remaining).toBe(0);
            expect(got).toEqual(value);
            const w2 = new Writer(64);
            encode(w2, got, version);
            expect(w2.finish()).toEqual(bytes);
            // A zero-copy writer that references every byte field gives the same bytes, in parts.
            const w3 = new Writer(16, { zeroCopyBytesMin: 1 });
            encode(w3, value, version);
            expect(w3.length).toBe(bytes.length);
            expect(concat(w3.finishParts())).toEqual(bytes);
          }),
          { numRuns: runsPerVersion },
        );
      }
    });
  }
});

describe("fields absent from a version", () => {
  test("a non-default value is an EncodeError unless the field is ignorable", () => {
    let checked = 0;
    for (const m of messageSchemas) {
      const arbs = new MessageArbitraries(m);
      const { encode } = codecOf(m.name);
      for (const version of versionsOf(m)) {
        for (const { field, value } of arbs.absentFields(version)) {
          const run = () => encode(new Writer(), { [propertyName(field.name)]: value }, version);
          if (field.ignorable) {
            expect(run).not.toThrow();
          } else {
            let caught: unknown;
            try {
              run();
            } catch (e) {
              caught = e;
            }
            expect(caught).toBeInstanceOf(EncodeError);
            expect((caught as EncodeError).reason).toBe("field-not-in-version");
            expect((caught as EncodeError).path).toBe(propertyName(field.name));
            expect((caught as EncodeError).apiName).toBe(m.name);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
  });

  test("null where a version does not allow it is an EncodeError", () => {
    // Metadata topics: nullable from v1; v0 must refuse null.
    expect(() => generatedEncode("MetadataRequest", { topics: null }, 0)).toThrow(EncodeError);
    expect(() => generatedEncode("MetadataRequest", { topics: null }, 1)).not.toThrow();
  });
});

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function generatedEncode(name: string, value: unknown, version: number): Uint8Array {
  const w = new Writer();
  codecOf(name).encode(w, value, version);
  return w.finish();
}
