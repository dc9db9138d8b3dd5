/**
 * SASL PLAIN on the server side (RFC 4616), as Kafka's `PlainSaslServer`: one token
 * `[authzid] NUL authcid NUL passwd`, checked against the users of the listener's JAAS property.
 *
 * Owns the parser (total: malformed is `null`) and the check. Passwords are compared as SHA-256
 * digests with a constant-time comparison, and an unknown user is compared against a digest too, so
 * neither the time nor the answer tells an unknown user from a wrong password.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { SaslStep } from "./scram.ts";

export interface PlainToken {
  readonly authzid: string;
  readonly username: string;
  readonly password: string;
}

/** Bounds a PLAIN token (RFC 4616 allows 255 bytes per field). */
export const plainTokenBytesMax = 1024;

export function parsePlainToken(bytes: Uint8Array): PlainToken | null {
  if (bytes.length === 0 || bytes.length > plainTokenBytesMax) return null;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  const parts = text.split("\0");
  if (parts.length !== 3) return null;
  const [authzid, username, password] = parts as [string, string, string];
  if (username === "" || password === "") return null;
  // Kafka: an authorization id, when given, must be the authenticated user itself.
  if (authzid !== "" && authzid !== username) return null;
  return { authzid, username, password };
}

const digest = (text: string): Uint8Array => createHash("sha256").update(text, "utf8").digest();

/** The PLAIN users of one listener, kept as password digests. */
export class PlainUsers {
  private readonly digests = new Map<string, Uint8Array>();
  private readonly decoy = digest(randomBytes(32).toString("hex"));

  constructor(users: ReadonlyMap<string, string>) {
    for (const [name, password] of users) this.digests.set(name, digest(password));
  }

  authenticate(token: Uint8Array): SaslStep {
    const parsed = parsePlainToken(token);
    if (parsed === null) return { kind: "refused", reason: "malformed PLAIN token" };
    const expected = this.digests.get(parsed.username);
    const matches = timingSafeEqual(digest(parsed.password), expected ?? this.decoy);
    if (expected === undefined || !matches) return { kind: "refused", reason: "invalid PLAIN credentials" };
    return { kind: "done", token: new Uint8Array(0), principal: parsed.username };
  }
}
