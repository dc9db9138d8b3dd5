/**
 * The client side of SASL, as a node runs it when it opens a connection to another node's SASL
 * inter-broker listener (Kafka's `SaslClientAuthenticator` with `sasl.mechanism.inter.broker.protocol`):
 * PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802, RFC 7677; computed with Node's crypto).
 *
 * Owns the tokens only: the first one the client sends, each next one from the server's answer, and
 * the check of the server's last word (a SCRAM server must prove it knows the credential). It never
 * touches a socket and never puts a password or a key in an error. Every unexpected server token is a
 * `SaslClientError`, so the caller refuses the connection rather than going on unauthenticated.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import type { SaslMechanism } from "../config/sasl-settings.ts";

export class SaslClientError extends Error {
  override readonly name = "SaslClientError";
}

/** What the exchange does after a server token: send `token` next, or stop (authenticated). */
export type SaslClientStep =
  | { readonly kind: "send"; readonly token: Uint8Array }
  | { readonly kind: "done" };

export interface SaslClientExchange {
  readonly mechanism: SaslMechanism;
  /** The first token the client sends. */
  first(): Uint8Array;
  /** The step after the server's answer to the last token. */
  next(serverToken: Uint8Array): SaslClientStep;
}

/** SCRAM refuses iteration counts past this: a server asking more is not one to spend a second on. */
const scramIterationsMax = 1_000_000;
/** Bounds a server token: a longer one is refused unparsed. */
const serverTokenBytesMax = 4096;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function saslClientExchange(
  mechanism: SaslMechanism,
  username: string,
  password: string,
  nonce: string = randomBytes(24).toString("base64"),
): SaslClientExchange {
  if (username === "" || password === "")
    throw new SaslClientError("a SASL client needs a username and a password");
  return mechanism === "PLAIN"
    ? plainExchange(username, password)
    : scramExchange(mechanism, username, password, nonce);
}

function plainExchange(username: string, password: string): SaslClientExchange {
  return {
    mechanism: "PLAIN",
    first: () => encoder.encode(`\u0000${username}\u0000${password}`),
    // A PLAIN server answers an empty token on success; a failure is an error code, not a token.
    next: () => ({ kind: "done" }),
  };
}

/** RFC 5802 §5.1: `=` and `,` in a user name are escaped. */
function escapeSaslName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

function scramExchange(
  mechanism: "SCRAM-SHA-256" | "SCRAM-SHA-512",
  username: string,
  password: string,
  clientNonce: string,
): SaslClientExchange {
  const hashName = mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
  const hashBytes = mechanism === "SCRAM-SHA-256" ? 32 : 64;
  const hmac = (key: Uint8Array, data: string | Uint8Array) =>
    createHmac(hashName, key).update(data).digest();
  const clientFirstBare = `n=${escapeSaslName(username)},r=${clientNonce}`;
  let stage: "first" | "final" | "done" = "first";
  let expectedServerSignature: Uint8Array | null = null;

  const onServerFirst = (text: string): SaslClientStep => {
    const fields = attributes(text);
    const combinedNonce = fields.get("r");
    const saltText = fields.get("s");
    const iterations = Number(fields.get("i"));
    if (fields.has("e")) throw new SaslClientError(`the server refused: ${fields.get("e")}`);
    if (combinedNonce === undefined || saltText === undefined || !fields.has("i"))
      throw new SaslClientError("the server's first message lacks its nonce, salt or iterations");
    if (!combinedNonce.startsWith(clientNonce) || combinedNonce.length <= clientNonce.length)
      throw new SaslClientError("the server's nonce does not extend the client's");
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > scramIterationsMax)
      throw new SaslClientError(`the server asks for ${fields.get("i")} iterations`);
    const salt = Buffer.from(saltText, "base64");
    if (salt.length === 0) throw new SaslClientError("the server's salt is empty");
    const salted = pbkdf2Sync(password, salt, iterations, hashBytes, hashName);
    const clientKey = hmac(salted, "Client Key");
    const storedKey = createHash(hashName).update(clientKey).digest();
    // "biws" is base64 of "n,,": no channel binding, as Kafka's clients.
    const clientFinalBare = `c=biws,r=${combinedNonce}`;
    const authMessage = `${clientFirstBare},${text},${clientFinalBare}`;
    const clientSignature = hmac(storedKey, authMessage);
    const proof = clientKey.map((byte, i) => byte ^ clientSignature[i]!);
    expectedServerSignature = hmac(hmac(salted, "Server Key"), authMessage);
    stage = "final";
    return {
      kind: "send",
      token: encoder.encode(`${clientFinalBare},p=${Buffer.from(proof).toString("base64")}`),
    };
  };

  const onServerFinal = (text: string): SaslClientStep => {
    const fields = attributes(text);
    if (fields.has("e")) throw new SaslClientError(`the server refused: ${fields.get("e")}`);
    const verifier = Buffer.from(fields.get("v") ?? "", "base64");
    const expected = expectedServerSignature!;
    if (verifier.length !== expected.length || !timingSafeEqual(verifier, expected))
      throw new SaslClientError(
        "the server's signature does not match: it does not hold this user's credential",
      );
    stage = "done";
    return { kind: "done" };
  };

  return {
    mechanism,
    first: () => encoder.encode(`n,,${clientFirstBare}`),
    next: (serverToken) => {
      if (serverToken.length > serverTokenBytesMax)
        throw new SaslClientError(`a server token of ${serverToken.length} bytes`);
      let text: string;
      try {
        text = decoder.decode(serverToken);
      } catch {
        throw new SaslClientError("the server's token is not UTF-8");
      }
      if (stage === "first") return onServerFirst(text);
      if (stage === "final") return onServerFinal(text);
      throw new SaslClientError("the server sent a token after the exchange ended");
    },
  };
}

/** The `k=value` attributes of a SCRAM message, by key; a malformed one is refused. */
function attributes(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of text.split(",")) {
    const match = /^([a-zA-Z])=(.*)$/s.exec(part);
    if (match === null) throw new SaslClientError("the server's SCRAM message is malformed");
    if (!fields.has(match[1]!)) fields.set(match[1]!, match[2]!);
  }
  return fields;
}
