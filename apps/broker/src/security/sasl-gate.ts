/**
 * The SASL gate of a SASL_PLAINTEXT listener: a `FrameHandler` in front of the request handler that
 * lets a connection through only once it has authenticated, as Kafka's `SaslServerAuthenticator`.
 *
 * Before authentication a connection may send ApiVersions, one SaslHandshake (v0-1) and then:
 * after Handshake v1, SaslAuthenticate requests (v0-2) carrying the mechanism's tokens; after
 * Handshake v0 (kafka-python), the tokens themselves as raw size-prefixed frames with raw answers.
 * Anything else closes the connection with nothing served (the server logs why), and no frame above
 * `sasl.server.max.receive.size` (Kafka's 512 KiB) is read before authentication. Every failure fails closed: an unknown or
 * disabled mechanism answers UNSUPPORTED_SASL_MECHANISM, a refused token SASL_AUTHENTICATION_FAILED
 * (on the raw path, no answer), and the connection closes. Log lines name the reason, never a token.
 *
 * Owns the per-connection state machine; the mechanisms are `plain.ts` and `scram.ts`.
 */
import { randomBytes } from "node:crypto";
import {
  ApiKey,
  DecodeError,
  decodeRequestBody,
  ErrorCode,
  encodeResponseFrame,
  Reader,
  type RequestHeader,
  readRequestHeader,
  Writer,
} from "@eddy/protocol";
import type { ListenerSasl, SaslMechanism } from "../config/sasl-settings.ts";
import {
  CloseConnection,
  type ConnectionInfo,
  type FrameHandler,
  type ResponseBytes,
} from "../net/server.ts";
import { rememberSaslPrincipal } from "./authorizer-principal.ts";
import { PlainUsers } from "./plain.ts";
import { type SaslStep, type ScramCredential, ScramExchange, scramCredential } from "./scram.ts";
import { type ImageSource, scramLookup } from "./scram-lookup.ts";

/** One mechanism's exchange on one connection. */
interface SaslExchange {
  step(token: Uint8Array): SaslStep;
}

/** The credentials of one listener, ready to check: PLAIN digests, SCRAM credentials salted at start. */
export class SaslAuthenticator {
  private readonly plain: PlainUsers | null;
  private readonly scram = new Map<SaslMechanism, Map<string, ScramCredential>>();
  private readonly decoySecret = randomBytes(32);

  constructor(
    readonly settings: ListenerSasl,
    /** The committed metadata image, whose SCRAM credentials come before the JAAS property's. */
    private readonly image: ImageSource | null = null,
  ) {
    const plainUsers = settings.users.get("PLAIN");
    this.plain = plainUsers === undefined ? null : new PlainUsers(plainUsers);
    for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const) {
      const users = settings.users.get(mechanism);
      if (users === undefined) continue;
      const credentials = new Map<string, ScramCredential>();
      for (const [name, password] of users) credentials.set(name, scramCredential(mechanism, password));
      this.scram.set(mechanism, credentials);
    }
  }

  get mechanisms(): readonly SaslMechanism[] {
    return this.settings.mechanisms;
  }

  /** A new exchange for an enabled mechanism (exact, upper-case name as Kafka compares), or null. */
  begin(mechanism: string): SaslExchange | null {
    if (!(this.settings.mechanisms as readonly string[]).includes(mechanism)) return null;
    if (mechanism === "PLAIN") {
      const plain = this.plain!;
      let used = false;
      return {
        step: (token) => {
          if (used) return { kind: "refused", reason: "PLAIN takes one token" };
          used = true;
          return plain.authenticate(token);
        },
      };
    }
    const scramMechanism = mechanism as "SCRAM-SHA-256" | "SCRAM-SHA-512";
    const lookup = scramLookup(this.image, scramMechanism, this.scram.get(scramMechanism));
    return new ScramExchange(scramMechanism, lookup, this.decoySecret);
  }
}

type Phase =
  | { readonly kind: "start" }
  /** After SaslHandshake v1: SaslAuthenticate requests carry the tokens. */
  | { readonly kind: "tokens"; readonly mechanism: string; readonly exchange: SaslExchange }
  /** After SaslHandshake v0: the next frames are raw tokens. */
  | { readonly kind: "raw"; readonly mechanism: string; readonly exchange: SaslExchange }
  | { readonly kind: "authenticated"; readonly principal: string }
  /** Authentication failed; the connection closes after `connection.failed.authentication.delay.ms`. */
  | { readonly kind: "failed" };

/** The message Kafka sends with SASL_AUTHENTICATION_FAILED, per mechanism (the same for any cause). */
function failureMessage(mechanism: string): string {
  return mechanism === "PLAIN"
    ? "Authentication failed: Invalid username or password"
    : `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`;
}

export class SaslGate implements FrameHandler {
  private readonly phases = new WeakMap<ConnectionInfo, Phase>();

  private readonly preAuthFrameLimit: { readonly bytes: number; readonly setting: string };

  constructor(
    private readonly inner: FrameHandler,
    private readonly authenticator: SaslAuthenticator,
    /** `sasl.server.max.receive.size`: the largest frame read before authentication. */
    preAuthFrameBytesMax: number,
    /** `connection.failed.authentication.delay.ms`: how long a failed authentication waits for its answer and close. */
    private readonly failureDelayMs: number,
  ) {
    this.preAuthFrameLimit = {
      bytes: preAuthFrameBytesMax,
      setting: "sasl.server.max.receive.size before SASL authentication",
    };
  }

  /** Until a connection has authenticated, its frames are bounded by `sasl.server.max.receive.size`. */
  frameLimitOf(connection: ConnectionInfo): { readonly bytes: number; readonly setting: string } | null {
    return this.phases.get(connection)?.kind === "authenticated" ? null : this.preAuthFrameLimit;
  }

  /** An authenticated connection's frames go to the inner handler, which says whether they may be reused. */
  framesReusable(frame: Uint8Array, connection: ConnectionInfo): boolean {
    return (
      this.phases.get(connection)?.kind === "authenticated" &&
      (this.inner.framesReusable?.(frame, connection) ?? false)
    );
  }

  /** Lets the connection through from now on, as `principal` (the authorizer reads it too). */
  private authenticated(connection: ConnectionInfo, principal: string): void {
    this.phases.set(connection, { kind: "authenticated", principal });
    rememberSaslPrincipal(connection, principal);
  }

  /** The principal a connection authenticated as, or null (for tests and, later, ACLs). */
  principalOf(connection: ConnectionInfo): string | null {
    const phase = this.phases.get(connection);
    return phase?.kind === "authenticated" ? phase.principal : null;
  }

  handle(
    frame: Uint8Array,
    connection: ConnectionInfo,
  ): ResponseBytes | null | Promise<ResponseBytes | null> {
    const phase = this.phases.get(connection) ?? { kind: "start" };
    if (phase.kind === "authenticated") return this.inner.handle(frame, connection);
    // Frames after a failed authentication, while its delayed close runs, are read and dropped.
    if (phase.kind === "failed") return null;
    if (phase.kind === "raw") return this.rawToken(frame, connection, phase);

    const reader = new Reader(frame);
    let header: RequestHeader;
    try {
      header = readRequestHeader(reader);
    } catch {
      throw new CloseConnection("unreadable request header before SASL authentication");
    }
    const { requestApiKey: key, requestApiVersion: version } = header;
    if (key === ApiKey.ApiVersions) return this.inner.handle(frame, connection);
    if (key === ApiKey.SaslHandshake && version >= 0 && version <= 1) {
      const mechanism = this.decode(reader, header).mechanism as string;
      if (phase.kind !== "start") {
        return this.refuse(
          header,
          { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] },
          "second SaslHandshake",
        );
      }
      const exchange = this.authenticator.begin(mechanism);
      if (exchange === null) {
        return this.failed(
          connection,
          `SASL mechanism ${printable(mechanism)} is not enabled (enabled: ${this.authenticator.mechanisms.join(", ")})`,
          answer(header, {
            errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM,
            mechanisms: [...this.authenticator.mechanisms],
          }),
        );
      }
      this.phases.set(connection, { kind: version === 0 ? "raw" : "tokens", mechanism, exchange });
      return answer(header, { errorCode: ErrorCode.NONE, mechanisms: [...this.authenticator.mechanisms] });
    }
    if (key === ApiKey.SaslAuthenticate && version >= 0 && version <= 2) {
      const token = this.decode(reader, header).authBytes as Uint8Array;
      if (phase.kind !== "tokens") {
        return this.refuse(
          header,
          { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: "SaslAuthenticate before SaslHandshake" },
          "SaslAuthenticate before SaslHandshake",
        );
      }
      const step = phase.exchange.step(token);
      if (step.kind === "refused") {
        return this.failed(
          connection,
          `${phase.mechanism} authentication failed: ${step.reason}`,
          answer(header, {
            errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED,
            errorMessage: failureMessage(phase.mechanism),
          }),
        );
      }
      if (step.kind === "done") this.authenticated(connection, step.principal);
      return answer(header, {
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        authBytes: step.token,
        sessionLifetimeMs: 0n,
      });
    }
    const what =
      key === ApiKey.SaslHandshake || key === ApiKey.SaslAuthenticate
        ? `v${version} of api key ${key}`
        : `api key ${key} v${version}`;
    throw new CloseConnection(`${what} before SASL authentication; nothing served`);
  }

  /** A token on the raw path (after Handshake v0): answered as a raw frame, a refusal closes without one. */
  private rawToken(
    frame: Uint8Array,
    connection: ConnectionInfo,
    phase: Phase & { kind: "raw" },
  ): ResponseBytes | Promise<never> {
    const step = phase.exchange.step(frame);
    if (step.kind === "refused") {
      return this.failed(
        connection,
        `${phase.mechanism} authentication failed (raw SASL tokens): ${step.reason}`,
        null,
      );
    }
    if (step.kind === "done") this.authenticated(connection, step.principal);
    const out = new Uint8Array(4 + step.token.length);
    new DataView(out.buffer).setInt32(0, step.token.length);
    out.set(step.token, 4);
    return out;
  }

  // biome-ignore lint/suspicious/noExplicitAny: the body's type follows the header's key.
  private decode(reader: Reader, header: RequestHeader): any {
    try {
      return decodeRequestBody(reader, header).body;
    } catch (error) {
      if (error instanceof DecodeError) {
        throw new CloseConnection(
          `malformed SASL request (api key ${header.requestApiKey}): ${error.detail}`,
        );
      }
      throw error;
    }
  }

  /**
   * A failed authentication, as Kafka's: the connection reads no further request, and after
   * `connection.failed.authentication.delay.ms` (which slows password guessing) it is answered (on
   * the raw path, not) and closed.
   */
  private failed(connection: ConnectionInfo, why: string, response: Uint8Array | null): Promise<never> {
    this.phases.set(connection, { kind: "failed" });
    const close = new CloseConnection(why, response);
    if (this.failureDelayMs <= 0) return Promise.reject(close);
    return new Promise((_, reject) => setTimeout(() => reject(close), this.failureDelayMs));
  }

  /** Answers, then closes at once: a request out of order in the exchange. */
  // biome-ignore lint/suspicious/noExplicitAny: the body's type follows the header's key.
  private refuse(header: RequestHeader, body: any, why: string): never {
    throw new CloseConnection(why, answer(header, body));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the body's type follows the header's key.
function answer(header: RequestHeader, body: any): Uint8Array {
  return encodeResponseFrame(
    new Writer(256),
    header.requestApiKey as ApiKey,
    header.requestApiVersion,
    header.correlationId,
    body,
  ).slice();
}

/** A client-chosen name, bounded and stripped of control characters, for a log line. */
function printable(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
}

/** Wraps a handler with the SASL gate when the listener is a SASL listener. */
export function withSasl(
  inner: FrameHandler,
  sasl: ListenerSasl | null,
  preAuthFrameBytesMax: number,
  failureDelayMs: number,
  image: ImageSource | null = null,
): FrameHandler {
  return sasl === null
    ? inner
    : new SaslGate(inner, new SaslAuthenticator(sasl, image), preAuthFrameBytesMax, failureDelayMs);
}
