// Kafka UUIDs (topic ids, directory ids) as strings.
//
// Owns the conversion between the 16 wire bytes and Kafka's textual form: URL-safe base64 without padding,
// 22 characters, the form Kafka's tools print. Strings make UUIDs usable as Map keys and comparable with ===.
// Must never accept a string that does not map back to exactly 16 bytes.

import { EncodeError } from "./errors.ts";

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const uuidCharCount = 22;
export const uuidByteCount = 16;

/** The all-zero UUID, Kafka's "no id" value and the default of every uuid field. */
export const uuidZero = "AAAAAAAAAAAAAAAAAAAAAA";

const sextetByCharCode = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) sextetByCharCode[alphabet.charCodeAt(i)] = i;

/** Formats 16 bytes starting at `offset` as a Kafka UUID string. */
export function uuidFromBytes(bytes: Uint8Array, offset = 0): string {
  let out = "";
  let i = offset;
  // Five groups of 3 bytes give 20 characters; the last byte gives 2 more.
  for (let group = 0; group < 5; group++) {
    const b0 = bytes[i]!;
    const b1 = bytes[i + 1]!;
    const b2 = bytes[i + 2]!;
    out +=
      alphabet[b0 >> 2]! +
      alphabet[((b0 & 3) << 4) | (b1 >> 4)]! +
      alphabet[((b1 & 15) << 2) | (b2 >> 6)]! +
      alphabet[b2 & 63]!;
    i += 3;
  }
  const last = bytes[i]!;
  out += alphabet[last >> 2]! + alphabet[(last & 3) << 4]!;
  return out;
}

/** Writes the 16 bytes of a Kafka UUID string into `target` at `offset`. Throws EncodeError if malformed. */
export function uuidToBytes(
  uuid: string,
  target: Uint8Array = new Uint8Array(uuidByteCount),
  offset = 0,
): Uint8Array {
  if (uuid.length !== uuidCharCount) {
    throw new EncodeError(
      "invalid-value",
      `uuid must be ${uuidCharCount} base64url characters, got ${uuid.length}`,
    );
  }
  let o = offset;
  let c = 0;
  for (let group = 0; group < 5; group++) {
    const s0 = sextet(uuid, c);
    const s1 = sextet(uuid, c + 1);
    const s2 = sextet(uuid, c + 2);
    const s3 = sextet(uuid, c + 3);
    target[o] = (s0 << 2) | (s1 >> 4);
    target[o + 1] = ((s1 & 15) << 4) | (s2 >> 2);
    target[o + 2] = ((s2 & 3) << 6) | s3;
    o += 3;
    c += 4;
  }
  const s0 = sextet(uuid, c);
  const s1 = sextet(uuid, c + 1);
  if ((s1 & 15) !== 0) throw new EncodeError("invalid-value", "uuid has non-zero padding bits");
  target[o] = (s0 << 2) | (s1 >> 4);
  return target;
}

function sextet(uuid: string, index: number): number {
  const code = uuid.charCodeAt(index);
  const value = code < 128 ? sextetByCharCode[code]! : -1;
  if (value < 0) throw new EncodeError("invalid-value", `uuid has a non-base64url character at ${index}`);
  return value;
}
