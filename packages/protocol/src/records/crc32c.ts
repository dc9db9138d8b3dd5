/**
 * CRC32C (Castagnoli), the checksum of v2 record batches, computed by a native SIMD library
 * (@node-rs/crc32) rather than by hand. Owns nothing else; must never allocate per call.
 */

import { crc32c as nativeCrc32c } from "@node-rs/crc32";

/** CRC32C of `bytes` as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  return nativeCrc32c(bytes) >>> 0;
}
