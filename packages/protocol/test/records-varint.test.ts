/**
 * Zigzag varints and varlongs as v2 records use them: known answers from the protobuf encoding rules
 * Kafka follows, round trips over the whole int32 range and the exact varlong range, and refusal of
 * over-long or out-of-range encodings instead of a rounded value.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  ByteCursor,
  varintSize,
  varlongSize,
  varlongValueMax,
  varlongValueMin,
  writeVarint,
  writeVarlong,
} from "../src/index.ts";
import { reasonOf } from "./records-arbitraries.ts";

function encodeVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintSize(value));
  expect(writeVarint(out, 0, value)).toBe(out.length);
  return out;
}

function encodeVarlong(value: number): Uint8Array {
  const out = new Uint8Array(varlongSize(value));
  expect(writeVarlong(out, 0, value)).toBe(out.length);
  return out;
}

describe("varints", () => {
  test("zigzag known answers", () => {
    expect([...encodeVarint(0)]).toEqual([0]);
    expect([...encodeVarint(-1)]).toEqual([1]);
    expect([...encodeVarint(1)]).toEqual([2]);
    expect([...encodeVarint(-2)]).toEqual([3]);
    expect([...encodeVarint(63)]).toEqual([0x7e]);
    expect([...encodeVarint(64)]).toEqual([0x80, 0x01]);
    expect([...encodeVarint(150)]).toEqual([0xac, 0x02]);
    expect([...encodeVarint(2147483647)]).toEqual([0xfe, 0xff, 0xff, 0xff, 0x0f]);
    expect([...encodeVarint(-2147483648)]).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  test("int32 round trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (value) => {
        const bytes = encodeVarint(value);
        const cursor = new ByteCursor(bytes, 0, bytes.length);
        expect(cursor.varint("v")).toBe(value);
        expect(cursor.pos).toBe(bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  test("varlong round trip over the exact range, including its ends", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: varlongValueMin, max: varlongValueMax }),
          fc.constantFrom(varlongValueMin, varlongValueMax, 0, -1, 2 ** 31, -(2 ** 31) - 1),
        ),
        (value) => {
          const bytes = encodeVarlong(value);
          const cursor = new ByteCursor(bytes, 0, bytes.length);
          expect(cursor.varlong("v")).toBe(value);
          expect(cursor.pos).toBe(bytes.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("varlongs whose value needs more than 53 bits are refused, not rounded", () => {
    // Raw value 2^55 (0x40 in the eighth 7-bit group): beyond what a double holds exactly.
    const big = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]);
    expect(reasonOf(() => new ByteCursor(big, 0, big.length).varlong("v"))).toBe("BadRecord");
  });

  test("over-long and truncated encodings are typed errors", () => {
    const long = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(reasonOf(() => new ByteCursor(long, 0, long.length).varint("v"))).toBe("BadRecord");
    const eleven = new Uint8Array(11).fill(0x80);
    expect(reasonOf(() => new ByteCursor(eleven, 0, eleven.length).varlong("v"))).toBe("BadRecord");
    const cut = new Uint8Array([0x80, 0x80]);
    expect(reasonOf(() => new ByteCursor(cut, 0, cut.length).varint("v"))).toBe("Truncated");
    expect(reasonOf(() => new ByteCursor(cut, 0, cut.length).varlong("v"))).toBe("Truncated");
  });
});
