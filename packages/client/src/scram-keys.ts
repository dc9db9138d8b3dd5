/**
 * The SCRAM computations both sides of an exchange make (RFC 5802 §3, RFC 7677): Hi() (PBKDF2 with the
 * mechanism's HMAC), HMAC, H, the keys of a salted password and the XOR that makes and opens a proof.
 * The client (`sasl-client.ts`) and the broker's SCRAM server (apps/broker/src/security/scram.ts) both
 * compute them here, so the two cannot drift apart on a byte.
 *
 * Owns the arithmetic only, over Node's crypto: it parses no message, decides no outcome and never
 * keeps or prints a password or a key. A caller bringing a bad iteration count or two halves of a
 * proof of different lengths is a bug, refused with an error rather than a proof over half a key.
 */
import { createHash, createHmac, pbkdf2Sync } from "node:crypto";

export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";

/** The hash a mechanism names, as Node's crypto spells it. */
export function scramHashName(mechanism: ScramMechanism): "sha256" | "sha512" {
  return mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
}

/** The length of the mechanism's hash, and so of every key, signature and proof it makes. */
export function scramHashBytes(mechanism: ScramMechanism): number {
  return mechanism === "SCRAM-SHA-256" ? 32 : 64;
}

/** HMAC(key, data) with the mechanism's hash. */
export function scramHmac(mechanism: ScramMechanism, key: Uint8Array, data: Uint8Array | string): Buffer {
  return createHmac(scramHashName(mechanism), key).update(data).digest();
}

/** H(data) with the mechanism's hash. */
export function scramHash(mechanism: ScramMechanism, data: Uint8Array): Buffer {
  return createHash(scramHashName(mechanism)).update(data).digest();
}

/**
 * Hi(password, salt, iterations): the salted password. The password's UTF-8 bytes as they are, without
 * SASLprep: Kafka's `ScramFormatter` and its clients (librdkafka, kafka-python) do not normalise either.
 */
export function scramSaltedPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Buffer {
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`SCRAM iterations must be a positive whole number, not ${iterations}`);
  }
  return pbkdf2Sync(password, salt, iterations, scramHashBytes(mechanism), scramHashName(mechanism));
}

/** The keys of a salted password (RFC 5802 §3): ClientKey, StoredKey = H(ClientKey) and ServerKey. */
export interface ScramKeys {
  readonly clientKey: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/**
 * The keys of `saltedPassword`, of any length: AlterUserScramCredentials brings a salted password from
 * the wire and Kafka's ScramFormatter takes it as it comes (HMAC takes a key of any length).
 */
export function scramKeys(mechanism: ScramMechanism, saltedPassword: Uint8Array): ScramKeys {
  const clientKey = scramHmac(mechanism, saltedPassword, "Client Key");
  return {
    clientKey,
    storedKey: scramHash(mechanism, clientKey),
    serverKey: scramHmac(mechanism, saltedPassword, "Server Key"),
  };
}

/**
 * a XOR b, byte by byte: ClientProof = ClientKey XOR ClientSignature on the client, and ClientKey =
 * ClientProof XOR ClientSignature on the server. Both sides must be the same length.
 */
export function scramXor(a: Uint8Array, b: Uint8Array): Buffer {
  if (a.length !== b.length) throw new RangeError(`SCRAM XOR of ${a.length} and ${b.length} bytes`);
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
