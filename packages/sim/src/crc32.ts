/**
 * CRC-32 (IEEE 802.3, the zlib polynomial) of a string's UTF-8 bytes, in plain TypeScript, equal to
 * `Bun.hash.crc32(text)`: the trace interns its strings with it, so trace hashes are the same under
 * Bun, Deno and Node. Owns only this checksum; it must never call a runtime's own hasher and never
 * change its output, since known trace hashes depend on it. Strings are walked code unit by code unit
 * and encoded on the fly, so a lookup never allocates.
 */

const table = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  table[n] = c >>> 0;
}

function step(crc: number, byte: number): number {
  return table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
}

/**
 * The unsigned CRC-32 of `text` encoded as UTF-8. A lone surrogate is encoded as U+FFFD, as
 * `TextEncoder` (and Bun) do.
 */
export function crc32Text(text: string): number {
  let crc = 0xffffffff;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      crc = step(crc, code);
      continue;
    }
    if (code < 0x800) {
      crc = step(crc, 0xc0 | (code >> 6));
      crc = step(crc, 0x80 | (code & 0x3f));
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      const next = i + 1 < length ? text.charCodeAt(i + 1) : 0;
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
        crc = step(crc, 0xf0 | (code >> 18));
        crc = step(crc, 0x80 | ((code >> 12) & 0x3f));
        crc = step(crc, 0x80 | ((code >> 6) & 0x3f));
        crc = step(crc, 0x80 | (code & 0x3f));
        continue;
      }
      code = 0xfffd;
    }
    crc = step(crc, 0xe0 | (code >> 12));
    crc = step(crc, 0x80 | ((code >> 6) & 0x3f));
    crc = step(crc, 0x80 | (code & 0x3f));
  }
  return (crc ^ 0xffffffff) >>> 0;
}
