/**
 * SCRAM-SHA-256 and SCRAM-SHA-512 on the server side (RFC 5802, RFC 7677), as Kafka's
 * `ScramSaslServer` runs them: client-first, server-first (a random nonce extending the client's, the
 * user's salt and iterations), client-final (channel binding, the combined nonce, the proof),
 * server-final (the server signature).
 *
 * Owns the credential derivation, the three message parsers and the exchange's state machine. Every
 * parser is total: a malformed message is a `null`, never an exception, and every path that is not
 * the one correct exchange ends in a refusal. No channel binding (only the `n` GS2 flag, as Kafka),
 * no extensions (Kafka's `tokenauth` needs delegation tokens Eddy does not have). An unknown user
 * gets a server-first from a made-up credential, so the answer to client-first does not tell which
 * users exist; the exchange then fails at client-final like a wrong password.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import {
  type ScramMechanism,
  scramHash,
  scramHmac,
  scramKeys,
  scramSaltedPassword,
  scramXor,
} from "@eddy/client";

export type { ScramMechanism };

/** What the server keeps of a password (RFC 5802 §3): never the password itself. */
export interface ScramCredential {
  readonly salt: Uint8Array;
  readonly iterations: number;
  readonly storedKey: Uint8Array;
  readonly serverKey: Uint8Array;
}

/** Kafka's default and minimum for SCRAM-SHA-256/512 credentials. */
export const scramIterationsDefault = 4096;

/**
 * Salts and hashes a password into the credential the server keeps (Hi() and the keys as the client
 * computes them, `@eddy/client`'s scram-keys.ts), keeping StoredKey and ServerKey only.
 */
export function scramCredential(
  mechanism: ScramMechanism,
  password: string,
  iterations: number = scramIterationsDefault,
  salt: Uint8Array = randomBytes(32),
): ScramCredential {
  const { storedKey, serverKey } = scramKeysOf(
    mechanism,
    scramSaltedPassword(mechanism, password, salt, iterations),
  );
  return { salt, iterations, storedKey, serverKey };
}

/**
 * StoredKey and ServerKey from a salted password, as Kafka's ScramFormatter derives them when
 * AlterUserScramCredentials brings one (RFC 5802 §3): the salted password itself is never kept.
 */
export function scramKeysOf(
  mechanism: ScramMechanism,
  saltedPassword: Uint8Array,
): { readonly storedKey: Uint8Array; readonly serverKey: Uint8Array } {
  const { storedKey, serverKey } = scramKeys(mechanism, saltedPassword);
  return { storedKey, serverKey };
}

/** Bounds one SCRAM message; a longer one is refused before any parsing. */
export const scramMessageBytesMax = 4096;

const printableNonce = /^[\x21-\x2b\x2d-\x7e]+$/;
const base64Text = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes a SCRAM token as strict UTF-8; null when it is not. */
function utf8(bytes: Uint8Array): string | null {
  if (bytes.length === 0 || bytes.length > scramMessageBytesMax) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** Unescapes a `saslname` (RFC 5802 §5.1: `=2C` is a comma, `=3D` an equals sign, nothing else after `=`). */
export function unescapeSaslName(text: string): string | null {
  if (text.length === 0 || text.includes(",")) return null;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "=") {
      out += c;
      continue;
    }
    const code = text.slice(i + 1, i + 3);
    if (code === "2C") out += ",";
    else if (code === "3D") out += "=";
    else return null;
    i += 2;
  }
  return out;
}

export interface ClientFirst {
  /** The GS2 header as sent (`n,,` or `n,a=<authzid>,`): client-final's `c=` must be its base64. */
  readonly gs2Header: string;
  readonly username: string;
  readonly clientNonce: string;
  /** `n=...,r=...`: the part that enters the AuthMessage. */
  readonly bare: string;
}

/** Parses client-first-message; null for anything but `n,[a=authzid],n=user,r=nonce` with no extensions. */
export function parseClientFirst(bytes: Uint8Array): ClientFirst | null {
  const text = utf8(bytes);
  if (text === null) return null;
  const match = /^(n,(?:a=([^,]*))?,)(n=([^,]*),r=([^,]*))$/.exec(text);
  if (match === null) return null;
  const [, gs2Header, authzidText, bare, name, nonce] = match;
  const username = unescapeSaslName(name ?? "");
  if (username === null || !printableNonce.test(nonce ?? "")) return null;
  if (authzidText !== undefined) {
    const authzid = unescapeSaslName(authzidText);
    // Kafka: an authorization id, when given, must be the authenticated user itself.
    if (authzid === null || authzid !== username) return null;
  }
  return { gs2Header: gs2Header!, username, clientNonce: nonce!, bare: bare! };
}

export interface ClientFinal {
  readonly channelBinding: string;
  readonly nonce: string;
  readonly proof: Uint8Array;
  /** `c=...,r=...`: the part that enters the AuthMessage. */
  readonly withoutProof: string;
}

/** Parses client-final-message: exactly `c=<base64>,r=<nonce>,p=<base64>`; null otherwise. */
export function parseClientFinal(bytes: Uint8Array): ClientFinal | null {
  const text = utf8(bytes);
  if (text === null) return null;
  const match = /^(c=([^,]*),r=([^,]*)),p=([^,]*)$/.exec(text);
  if (match === null) return null;
  const [, withoutProof, channelBinding, nonce, proofText] = match;
  if (!base64Text.test(channelBinding!) || channelBinding === "") return null;
  if (!printableNonce.test(nonce!)) return null;
  if (!base64Text.test(proofText!) || proofText === "") return null;
  const proof = Buffer.from(proofText!, "base64");
  // Only the canonical text of those bytes: no unused bits set in the last character.
  if (proof.toString("base64") !== proofText) return null;
  return {
    channelBinding: channelBinding!,
    nonce: nonce!,
    proof,
    withoutProof: withoutProof!,
  };
}

/** The outcome of one step: a challenge to send, success (with the last message and the user), or a refusal. */
export type SaslStep =
  | { readonly kind: "challenge"; readonly token: Uint8Array }
  | { readonly kind: "done"; readonly token: Uint8Array; readonly principal: string }
  | { readonly kind: "refused"; readonly reason: string };

const encoder = new TextEncoder();

/**
 * One SCRAM exchange on one connection. `step` takes the client's tokens in order; anything after
 * the end (success or refusal), including a replayed message, is refused.
 */
export class ScramExchange {
  private state: "first" | "final" | "over" = "first";
  private credential: ScramCredential | null = null;
  private known = false;
  private username = "";
  private nonce = "";
  private clientNonce = "";
  private gs2Header = "";
  private authPrefix = "";

  constructor(
    private readonly mechanism: ScramMechanism,
    private readonly lookup: (username: string) => ScramCredential | undefined,
    /** A secret of this process, so an unknown user's made-up salt is stable but unguessable. */
    private readonly decoySecret: Uint8Array,
  ) {}

  step(token: Uint8Array): SaslStep {
    if (this.state === "first") return this.first(token);
    if (this.state === "final") return this.final(token);
    return { kind: "refused", reason: "SCRAM exchange already over" };
  }

  private first(token: Uint8Array): SaslStep {
    this.state = "over";
    const message = parseClientFirst(token);
    if (message === null) return { kind: "refused", reason: "malformed SCRAM client-first message" };
    const credential = this.lookup(message.username);
    this.known = credential !== undefined;
    this.credential = credential ?? scramDecoy(this.mechanism, this.decoySecret, message.username);
    this.username = message.username;
    this.gs2Header = message.gs2Header;
    this.clientNonce = message.clientNonce;
    this.nonce = message.clientNonce + randomBytes(24).toString("base64url");
    const serverFirst = `r=${this.nonce},s=${Buffer.from(this.credential.salt).toString("base64")},i=${this.credential.iterations}`;
    this.authPrefix = `${message.bare},${serverFirst},`;
    this.state = "final";
    return { kind: "challenge", token: encoder.encode(serverFirst) };
  }

  private final(token: Uint8Array): SaslStep {
    this.state = "over";
    const message = parseClientFinal(token);
    if (message === null) return { kind: "refused", reason: "malformed SCRAM client-final message" };
    if (message.channelBinding !== Buffer.from(this.gs2Header).toString("base64")) {
      return { kind: "refused", reason: "SCRAM channel binding does not match the GS2 header" };
    }
    // The combined nonce, exactly. librdkafka before 2.2 (kcat 1.7's 2.0.2) sends the client's nonce
    // once more in front of it; that one exact form is accepted too (never an arbitrary prefix, as the
    // `endsWith` check of older Kafka did). The proof covers the message as sent, so either way the
    // server's fresh nonce is bound into it.
    if (message.nonce !== this.nonce && message.nonce !== this.clientNonce + this.nonce) {
      return { kind: "refused", reason: "SCRAM nonce does not match" };
    }
    const credential = this.credential!;
    const authMessage = this.authPrefix + message.withoutProof;
    if (message.proof.length !== credential.storedKey.length) {
      return { kind: "refused", reason: "SCRAM proof has the wrong length" };
    }
    const clientSignature = scramHmac(this.mechanism, credential.storedKey, authMessage);
    const clientKey = scramXor(message.proof, clientSignature);
    const proofOk = timingSafeEqual(scramHash(this.mechanism, clientKey), credential.storedKey);
    if (!proofOk || !this.known) return { kind: "refused", reason: "invalid SCRAM credentials" };
    const serverSignature = scramHmac(this.mechanism, credential.serverKey, authMessage);
    return {
      kind: "done",
      token: encoder.encode(`v=${Buffer.from(serverSignature).toString("base64")}`),
      principal: this.username,
    };
  }
}

/** A made-up credential for a user that does not exist: stable per name, never accepted. */
function scramDecoy(mechanism: ScramMechanism, secret: Uint8Array, username: string): ScramCredential {
  const salt = scramHmac(mechanism, secret, `salt:${username}`);
  return {
    salt,
    iterations: scramIterationsDefault,
    storedKey: scramHmac(mechanism, secret, `stored:${username}`),
    serverKey: scramHmac(mechanism, secret, `server:${username}`),
  };
}
