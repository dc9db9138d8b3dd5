/**
 * The client side of SASL: PLAIN (RFC 4616) and SCRAM-SHA-256/512 (RFC 5802, RFC 7677), with the
 * arithmetic in `scram-keys.ts`. The tools' connections run it, and so does the broker when it opens a
 * connection to another node's SASL inter-broker listener (Kafka's `SaslClientAuthenticator` with
 * `sasl.mechanism.inter.broker.protocol`): this is the one copy.
 *
 * Owns the tokens only: the first one the client sends, each next one from the server's answer, and
 * the check of the server's final signature, which proves the server holds this user's credential. It
 * never touches a socket and never puts a password or a key in an error. Any unexpected server token
 * is a `SaslClientError`, so the caller drops the connection rather than going on unauthenticated
 * (fail closed).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { scramHmac, scramKeys, scramSaltedPassword, scramXor } from "./scram-keys.ts";

export type SaslMechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";
export const saslMechanisms: readonly SaslMechanism[] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

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

/** A server asking more PBKDF2 iterations than this is refused: it would stall the tool for minutes. */
export const scramIterationsMax = 1_000_000;
/** A longer server token is refused unparsed. */
const serverTokenBytesMax = 4096;
/** A server message with more attributes than this is refused (SCRAM's have three or four). */
const attributesMax = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** A new exchange for one connection; `nonce` is for tests (RFC 7677's example), random otherwise. */
export function saslClientExchange(
  mechanism: SaslMechanism,
  username: string,
  password: string,
  nonce: string = randomBytes(24).toString("base64"),
): SaslClientExchange {
  if (username === "" || password === "") {
    throw new SaslClientError("a SASL client needs a username and a password (sasl.jaas.config)");
  }
  if (mechanism === "PLAIN") return plainExchange(username, password);
  if (nonce === "" || nonce.includes(","))
    throw new SaslClientError("a SCRAM nonce is printable, without ','");
  return scramExchange(mechanism, username, password, nonce);
}

function plainExchange(username: string, password: string): SaslClientExchange {
  return {
    mechanism: "PLAIN",
    first: () => encoder.encode(`\u0000${username}\u0000${password}`),
    // A PLAIN server answers an empty token on success; a refusal is an error code, not a token.
    next: (serverToken) => {
      if (serverToken.length !== 0) throw new SaslClientError("a PLAIN server answered a token");
      return { kind: "done" };
    },
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
  const clientFirstBare = `n=${escapeSaslName(username)},r=${clientNonce}`;
  let stage: "first" | "final" | "done" = "first";
  let serverSignatureExpected: Buffer | null = null;

  const onServerFirst = (text: string): SaslClientStep => {
    const fields = attributes(text);
    if (fields.has("e")) throw new SaslClientError(`the server refused: ${fields.get("e")}`);
    const combinedNonce = fields.get("r");
    const saltText = fields.get("s");
    const iterationsText = fields.get("i");
    if (combinedNonce === undefined || saltText === undefined || iterationsText === undefined) {
      throw new SaslClientError("the server's first SCRAM message lacks its nonce, salt or iterations");
    }
    if (!combinedNonce.startsWith(clientNonce) || combinedNonce.length <= clientNonce.length) {
      throw new SaslClientError("the server's nonce does not extend the client's");
    }
    const iterations = /^[1-9][0-9]{0,9}$/.test(iterationsText) ? Number(iterationsText) : 0;
    if (iterations < 1 || iterations > scramIterationsMax) {
      throw new SaslClientError(
        `the server asks for ${iterationsText} SCRAM iterations (1..${scramIterationsMax})`,
      );
    }
    const salt = Buffer.from(saltText, "base64");
    if (salt.length === 0) throw new SaslClientError("the server's SCRAM salt is empty");
    const keys = scramKeys(mechanism, scramSaltedPassword(mechanism, password, salt, iterations));
    // "biws" is base64 of "n,,": no channel binding, as Kafka's clients.
    const clientFinalBare = `c=biws,r=${combinedNonce}`;
    const authMessage = `${clientFirstBare},${text},${clientFinalBare}`;
    const proof = scramXor(keys.clientKey, scramHmac(mechanism, keys.storedKey, authMessage));
    serverSignatureExpected = scramHmac(mechanism, keys.serverKey, authMessage);
    stage = "final";
    return { kind: "send", token: encoder.encode(`${clientFinalBare},p=${proof.toString("base64")}`) };
  };

  const onServerFinal = (text: string): SaslClientStep => {
    const fields = attributes(text);
    if (fields.has("e")) throw new SaslClientError(`the server refused: ${fields.get("e")}`);
    const verifier = Buffer.from(fields.get("v") ?? "", "base64");
    const expected = serverSignatureExpected;
    if (expected === null) throw new SaslClientError("bug: the server's final message before its first");
    if (verifier.length !== expected.length || !timingSafeEqual(verifier, expected)) {
      throw new SaslClientError(
        "the server's SCRAM signature is wrong: it does not hold this user's credential (is it the broker you meant?)",
      );
    }
    stage = "done";
    return { kind: "done" };
  };

  return {
    mechanism,
    first: () => encoder.encode(`n,,${clientFirstBare}`),
    next: (serverToken) => {
      if (serverToken.length > serverTokenBytesMax) {
        throw new SaslClientError(
          `a server token of ${serverToken.length} bytes (at most ${serverTokenBytesMax})`,
        );
      }
      let text: string;
      try {
        text = decoder.decode(serverToken);
      } catch {
        throw new SaslClientError("the server's SCRAM message is not UTF-8");
      }
      if (stage === "first") return onServerFirst(text);
      if (stage === "final") return onServerFinal(text);
      throw new SaslClientError("the server sent a token after the exchange ended");
    },
  };
}

/** The `k=value` attributes of a SCRAM message, first of each key kept; a malformed one is refused. */
function attributes(text: string): Map<string, string> {
  const parts = text.split(",");
  if (parts.length > attributesMax)
    throw new SaslClientError("the server's SCRAM message has too many attributes");
  const fields = new Map<string, string>();
  for (const part of parts) {
    const match = /^([a-zA-Z])=(.*)$/s.exec(part);
    if (match === null) throw new SaslClientError("the server's SCRAM message is malformed");
    if (!fields.has(match[1]!)) fields.set(match[1]!, match[2]!);
  }
  return fields;
}
