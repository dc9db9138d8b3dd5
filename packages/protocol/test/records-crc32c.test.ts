/**
 * The CRC32C runtime switch: Bun (like Node and Deno) runs the native @node-rs/crc32, and the
 * pure-JS @aws-crypto/crc32c a browser would run gives the same checksum on every input tried.
 */
import { expect, test } from "bun:test";
import { crc32c as portableCrc32c } from "@aws-crypto/crc32c";
import fc from "fast-check";
import { crc32c, crc32cImplementation } from "../src/index.ts";

test("Bun keeps the native CRC32C", () => {
  expect(crc32cImplementation).toBe("native");
});

test("the portable CRC32C equals the native one", () => {
  // RFC 3720's check value for the nine ASCII digits.
  expect(crc32c(new TextEncoder().encode("123456789"))).toBe(0xe3069283);
  expect(portableCrc32c(new TextEncoder().encode("123456789")) >>> 0).toBe(0xe3069283);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => crc32c(bytes) === portableCrc32c(bytes) >>> 0),
    { seed: 1, numRuns: 300 },
  );
});
