/**
 * CRC32C (Castagnoli), the checksum of v2 record batches, computed by a native SIMD library
 * (@node-rs/crc32) where the runtime loads Node-API addons (Bun, Node, Deno), and by the pure-JS
 * @aws-crypto/crc32c only where it cannot (a browser). Both give the same checksum; which one runs is
 * exported as `crc32cImplementation` so tests can require the native path under Bun. Owns nothing
 * else; must never hand-roll the checksum, and never allocate per call on the native path.
 */

import { crc32c as portableCrc32c } from "@aws-crypto/crc32c";
import { nodePackage } from "../runtime-modules.ts";

interface NativeCrc32 {
  crc32c(input: Uint8Array, initialState?: number): number;
}

const native = nodePackage<NativeCrc32>("@node-rs/crc32", import.meta.url);

/** Which library computes `crc32c` in this runtime. */
export const crc32cImplementation: "native" | "portable" = native === undefined ? "portable" : "native";

const nativeCrc32c = native?.crc32c;

/** CRC32C of `bytes` as an unsigned 32-bit integer. */
export const crc32c: (bytes: Uint8Array) => number =
  nativeCrc32c !== undefined ? (bytes) => nativeCrc32c(bytes) >>> 0 : (bytes) => portableCrc32c(bytes) >>> 0;
