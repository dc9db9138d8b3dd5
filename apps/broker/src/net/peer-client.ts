/**
 * The outbound connection from this node to one peer, speaking Kafka's framing: each request is a
 * size-prefixed frame with a request header (api key, version, correlation id, client id) encoded by
 * `@eddy/protocol`, and each response is matched to its request by correlation id. One connection per
 * peer, opened on demand.
 *
 * Owns: the connection's life (connect with a timeout, reconnect with exponential backoff up to a
 * bound), correlation, the per-request timeout, the bounded set of pending requests, and the fault
 * hook (`peer-faults.ts`). With `security` (the inter-broker listener's settings) a connection is
 * opened with TLS, presenting this node's certificate and checking the peer's against the trust
 * store, and/or authenticated with SASL (SaslHandshake, then SaslAuthenticate with the tokens of
 * `@eddy/client`'s sasl-client.ts, the tools' own SASL client) before a single request or message
 * is written: a refused handshake or authentication fails the attempt like a refused connection (logged with why, retried after the
 * backoff), and the client never falls back to anything less. It must never block or delay a caller: a full queue, a peer known to be
 * down (inside its backoff), a closed client or a cut link answer at once with a `PeerRequestError`,
 * and one peer's trouble never touches another peer's client. It knows nothing of what the requests
 * mean (replication, the quorum): callers choose api, version and body, and retry as they see fit.
 */
import { SaslClientError, type SaslClientExchange, saslClientExchange } from "@eddy/client";
import {
  ApiKey,
  DecodeError,
  decodeResponse,
  encodeRequestFrame,
  FrameError,
  FrameReader,
  type RequestInputByKey,
  type ResponseByKey,
  Writer,
} from "@eddy/protocol";
import type { Socket } from "bun";
import type { InterBrokerSasl, InterBrokerTls } from "../config/inter-broker-settings.ts";
import type { PeerFaults } from "./peer-faults.ts";

export interface PeerAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

export interface PeerClientOptions {
  /** The request header's client id, so the peer's logs name this node. */
  readonly clientId: string;
  /** How long a request may wait for its response, queueing for the connection included (Kafka's request.timeout.ms). */
  readonly requestTimeoutMs: number;
  /** How long a connection may take to open (Kafka's socket.connection.setup.timeout.ms). */
  readonly connectTimeoutMs: number;
  /** Backoff after the first failed connection (Kafka's reconnect.backoff.ms); it doubles per failure. */
  readonly reconnectBackoffMs: number;
  /** The most the backoff grows to (Kafka's reconnect.backoff.max.ms). */
  readonly reconnectBackoffMsMax: number;
  /** Requests sent or waiting for the connection and not yet answered; one more is refused at once. */
  readonly queuedRequestsMax: number;
  /** Largest request frame written; a bigger one is refused, not sent. */
  readonly requestBytesMax: number;
  /** Largest response frame read; a bigger one breaks the stream and closes the connection. */
  readonly responseBytesMax: number;
  readonly faults?: PeerFaults;
  readonly log?: (line: string) => void;
  /** TLS and SASL to open each connection with (see the module header); none: plaintext. */
  readonly security?: PeerSecurity;
}

/** What a connection to a peer's listener presents: that listener's TLS and SASL, each optional. */
export interface PeerSecurity {
  /** The listener's name, for log lines. */
  readonly listenerName: string;
  readonly tls: InterBrokerTls | null;
  readonly sasl: InterBrokerSasl | null;
}

/** The SaslHandshake and SaslAuthenticate versions a node speaks to its peers (both served by Eddy and Kafka). */
const saslHandshakeVersion = 1;
const saslAuthenticateVersion = 2;
/** SaslAuthenticate round trips a mechanism may take; SCRAM takes two, PLAIN one. */
const saslRoundTripsMax = 4;

/** Kafka's client defaults, with a queue bound of Kafka's `queued.max.requests`. */
export const peerClientDefaults: Omit<PeerClientOptions, "clientId"> = {
  requestTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  reconnectBackoffMs: 50,
  reconnectBackoffMsMax: 1_000,
  queuedRequestsMax: 500,
  requestBytesMax: 100 * 1024 * 1024,
  responseBytesMax: 100 * 1024 * 1024,
};

/**
 * Why a request got no response: `QueueFull` (too many pending), `PeerDown` (the connection failed
 * and the backoff has not run out, or the link is cut), `Timeout`, `Disconnected` (the connection
 * closed with the request in flight: it may or may not have been applied), `BadRequest` (it could not
 * be encoded or is too large), `BadResponse` (the response did not decode), `Closed` (this client).
 */
export type PeerRequestErrorReason =
  | "QueueFull"
  | "PeerDown"
  | "Timeout"
  | "Disconnected"
  | "BadRequest"
  | "BadResponse"
  | "Closed";

export class PeerRequestError extends Error {
  override readonly name = "PeerRequestError";
  constructor(
    readonly reason: PeerRequestErrorReason,
    readonly peer: PeerAddress,
    detail: string,
  ) {
    super(`${reason}: node ${peer.nodeId} at ${peer.host}:${peer.port}: ${detail}`);
  }
}

export type PeerConnectionState = "idle" | "connecting" | "connected" | "backoff" | "closed";

interface Pending {
  readonly correlationId: number;
  readonly apiKey: ApiKey;
  readonly apiVersion: number;
  readonly frame: Uint8Array;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: PeerRequestError) => void;
  timer: ReturnType<typeof setTimeout> | null;
  /** Written to the socket (or handed to the fault hook); until then it waits for the connection. */
  sent: boolean;
}

/** Correlation ids count up and wrap before the int32 limit; pending ids are far fewer than 2^31. */
const correlationIdMax = 0x7fff_ffff;
/** The longest a request may wait: a day, far past any timeout Kafka uses, and within setTimeout's range. */
const requestTimeoutMsMax = 86_400_000;
/** Bytes of unwritten request frames held while the socket is full; beyond this the connection is too slow to keep. */
const outboundBytesMax = 64 * 1024 * 1024;
/** A peer that stays unreachable is reported at most this often. */
const failureLogIntervalMs = 10_000;
/** One-way frames held while a connection opens; more are dropped (their senders resend). */
const postsQueuedMax = 1_024;

/** The api key of a size-prefixed request frame. */
function frameApiKey(frame: Uint8Array): number {
  return frame.length >= 6 ? (((frame[4]! << 8) | frame[5]!) << 16) >> 16 : -1;
}

export class PeerClient {
  private stateValue: PeerConnectionState = "idle";
  private socket: Socket<undefined> | null = null;
  /** Counts connection attempts, so a late callback of an abandoned attempt is recognised and ignored. */
  private attempt = 0;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private failuresInRow = 0;
  private failureLoggedMs = 0;
  private retryAtMs = 0;
  private lastFailure = "";
  private nextCorrelationId = 0;
  /** Every unanswered request by correlation id, in the order they were made (Map keeps insertion order). */
  private readonly pending = new Map<number, Pending>();
  private reader: FrameReader | null = null;
  private outbound: Uint8Array[] = [];
  private outboundBytes = 0;
  /** One-way frames waiting for the connection to open (bounded by `postsQueuedMax`). */
  private posts: Uint8Array[] = [];
  /** Responses that arrived for requests no longer pending (timed out); counted for tests and logs. */
  lateResponses = 0;
  /** The backoff chosen at the last failure, in ms (0 before any). */
  private reconnectDelayMsValue = 0;

  constructor(
    readonly peer: PeerAddress,
    private readonly options: PeerClientOptions,
  ) {
    for (const [name, value] of Object.entries(options)) {
      if (typeof value === "number" && (!Number.isInteger(value) || value < 1)) {
        throw new RangeError(`PeerClient option ${name} must be a positive integer, got ${value}`);
      }
    }
    if (options.reconnectBackoffMsMax < options.reconnectBackoffMs) {
      throw new RangeError("PeerClient option reconnectBackoffMsMax must be at least reconnectBackoffMs");
    }
    options.faults?.attach(() => this.onCut());
  }

  /** What this client's connections present (undefined: plaintext). */
  get security(): PeerSecurity | undefined {
    return this.options.security;
  }

  get state(): PeerConnectionState {
    return this.stateValue;
  }

  /** The backoff chosen at the last failure, in ms: it doubles per failure in a row, up to the bound. */
  get reconnectDelayMs(): number {
    return this.reconnectDelayMsValue;
  }

  /** Requests sent or waiting for the connection, not yet answered. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Sends one request and resolves with the decoded response body, or rejects with a
   * `PeerRequestError`. Never waits for room: a full queue or a peer inside its backoff rejects now.
   */
  request<K extends ApiKey>(
    apiKey: K,
    apiVersion: number,
    body: RequestInputByKey[K],
    timeoutMs: number = this.options.requestTimeoutMs,
  ): Promise<ResponseByKey[K]> {
    const refuse = (reason: PeerRequestErrorReason, detail: string): Promise<ResponseByKey[K]> =>
      Promise.reject(new PeerRequestError(reason, this.peer, detail));
    if (this.stateValue === "closed") return refuse("Closed", "the client is closed");
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > requestTimeoutMsMax) {
      return refuse(
        "BadRequest",
        `timeoutMs must be an integer in 1..${requestTimeoutMsMax}, got ${timeoutMs}`,
      );
    }
    if (this.pending.size >= this.options.queuedRequestsMax) {
      return refuse("QueueFull", `${this.pending.size} requests pending (queuedRequestsMax)`);
    }
    if (this.options.faults?.isCut === true) return refuse("PeerDown", "the link is cut (fault hook)");
    if (this.stateValue === "backoff" && performance.now() < this.retryAtMs) {
      const leftMs = Math.ceil(this.retryAtMs - performance.now());
      return refuse("PeerDown", `${this.lastFailure}; next connection attempt in ${leftMs} ms`);
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId >= correlationIdMax ? 0 : correlationId + 1;
    let frame: Uint8Array;
    try {
      frame = encodeRequestFrame(
        new Writer(),
        apiKey,
        apiVersion,
        correlationId,
        this.options.clientId,
        body,
      );
    } catch (error) {
      return refuse("BadRequest", `cannot encode api ${apiKey} v${apiVersion}: ${(error as Error).message}`);
    }
    if (frame.length - 4 > this.options.requestBytesMax) {
      return refuse("BadRequest", `request of ${frame.length - 4} bytes exceeds requestBytesMax`);
    }
    return new Promise<ResponseByKey[K]>((resolve, reject) => {
      const entry: Pending = {
        correlationId,
        apiKey,
        apiVersion,
        frame,
        resolve: resolve as (body: unknown) => void,
        reject,
        timer: null,
        sent: false,
      };
      entry.timer = setTimeout(() => {
        entry.timer = null;
        // The connection stays: Kafka answers in order on a connection, so a late response is
        // recognised by its correlation id and dropped, and the requests behind it are not lost.
        this.settle(entry, new PeerRequestError("Timeout", this.peer, `no response in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(correlationId, entry);
      if (this.stateValue === "connected") this.send(entry);
      else if (this.stateValue !== "connecting") this.connect();
    });
  }

  /**
   * Sends one frame (size prefix included) that gets no response: Eddy's internal one-way messages
   * (the quorum, replication, controller answers). Returns false when it is dropped instead: the link
   * is cut, the peer is inside its backoff, the client is closed, or too many frames already wait for
   * the connection. Senders of such messages already tolerate loss (they resend on their own timers),
   * so a drop is never waited for.
   */
  post(frame: Uint8Array): boolean {
    if (this.stateValue === "closed") return false;
    const faults = this.options.faults;
    if (faults?.isCut === true) return false;
    if (faults?.dropWhen?.({ apiKey: frameApiKey(frame), correlationId: -1 }) === true) return true;
    if (this.stateValue === "connected") {
      if (faults !== undefined && faults.delayMs > 0) {
        const socket = this.socket;
        setTimeout(() => {
          if (socket === this.socket) this.write(frame);
        }, faults.delayMs);
      } else this.write(frame);
      return true;
    }
    if (this.stateValue === "backoff" && performance.now() < this.retryAtMs) return false;
    if (this.posts.length >= postsQueuedMax) return false;
    this.posts.push(frame);
    if (this.stateValue !== "connecting") this.connect();
    return true;
  }

  /** Fails every pending request with `Closed` and closes the connection; the client stays closed. */
  close(): void {
    if (this.stateValue === "closed") return;
    this.stateValue = "closed";
    this.dropConnection();
    this.failAll(() => true, "Closed", "the client was closed");
  }

  private connect(): void {
    const attempt = ++this.attempt;
    this.stateValue = "connecting";
    if (this.options.faults?.isCut === true) {
      queueMicrotask(() => this.connectFailed(attempt, "the link is cut (fault hook)"));
      return;
    }
    this.connectTimer = setTimeout(
      () => this.connectFailed(attempt, `connection not open after ${this.options.connectTimeoutMs} ms`),
      this.options.connectTimeoutMs,
    );
    const self = this;
    const tls = this.options.security?.tls ?? null;
    Bun.connect<undefined>({
      hostname: this.peer.host,
      port: this.peer.port,
      ...(tls === null
        ? {}
        : {
            tls: {
              cert: tls.certificateChainPem,
              key: tls.privateKeyPem,
              ...(tls.privateKeyPassword === null ? {} : { passphrase: tls.privateKeyPassword }),
              ca: tls.trustedCertificatesPem,
              rejectUnauthorized: true,
            },
          }),
      socket: {
        open(socket) {
          if (attempt !== self.attempt || self.stateValue !== "connecting") {
            socket.terminate();
            return;
          }
          // With TLS nothing is written before the handshake has checked the peer's certificate.
          if (tls === null) self.opened(socket, attempt);
        },
        handshake(socket, success, authorizationError) {
          if (attempt !== self.attempt || self.stateValue !== "connecting") return;
          if (!success || authorizationError !== null) {
            socket.terminate();
            self.connectFailed(
              attempt,
              `TLS handshake with the ${self.options.security?.listenerName} listener failed: ${authorizationError?.message ?? "refused"}`,
            );
            return;
          }
          self.opened(socket, attempt);
        },
        data(socket, chunk) {
          if (socket === self.socket) self.onData(chunk);
          else if (socket === self.authSocket) self.onAuthData(attempt, chunk);
        },
        drain(socket) {
          if (socket === self.socket) self.flush();
        },
        close(socket) {
          if (socket === self.socket) self.connectionLost("the peer closed the connection");
          else if (socket === self.authSocket)
            self.authFailed(attempt, "the peer closed the connection during SASL authentication");
        },
        error(socket, error) {
          if (socket === self.socket) self.connectionLost(error.message);
          else if (socket === self.authSocket) self.authFailed(attempt, error.message);
        },
        connectError(_socket, error) {
          self.connectFailed(attempt, error.message);
        },
      },
    }).catch((error: unknown) => this.connectFailed(attempt, (error as Error)?.message ?? String(error)));
  }

  /** The socket being authenticated (SASL), and its exchange; null otherwise. */
  private authSocket: Socket<undefined> | null = null;
  private authReader: FrameReader | null = null;
  private auth: {
    exchange: SaslClientExchange;
    stage: "handshake" | "authenticate";
    roundTrips: number;
  } | null = null;

  /** The connection is open (and TLS admitted the peer): authenticate it when SASL asks, then use it. */
  private opened(socket: Socket<undefined>, attempt: number): void {
    const sasl = this.options.security?.sasl ?? null;
    if (sasl === null) {
      this.connected(socket);
      return;
    }
    socket.setNoDelay(true);
    this.authSocket = socket;
    this.authReader = new FrameReader({ frameBytesMax: 1024 * 1024 });
    try {
      this.auth = {
        exchange: saslClientExchange(sasl.mechanism, sasl.username, sasl.password),
        stage: "handshake",
        roundTrips: 0,
      };
    } catch (error) {
      this.authFailed(attempt, (error as Error).message);
      return;
    }
    this.writeAuth(ApiKey.SaslHandshake, saslHandshakeVersion, { mechanism: sasl.mechanism });
  }

  private writeAuth<K extends ApiKey>(apiKey: K, version: number, body: RequestInputByKey[K]): void {
    const frame = encodeRequestFrame(new Writer(), apiKey, version, 0, this.options.clientId, body);
    this.authSocket?.write(frame);
  }

  /** A response during SASL authentication: the handshake's, then each SaslAuthenticate's. */
  private onAuthData(attempt: number, chunk: Uint8Array): void {
    const auth = this.auth;
    const sasl = this.options.security?.sasl;
    if (auth === null || sasl === undefined || sasl === null) return;
    const as = `as ${sasl.username} with ${sasl.mechanism} on the ${this.options.security?.listenerName} listener`;
    let frames: Uint8Array[];
    try {
      frames = this.authReader!.push(chunk);
    } catch (error) {
      this.authFailed(attempt, `SASL authentication ${as}: unreadable answer: ${(error as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.auth !== auth) return;
      try {
        if (auth.stage === "handshake") {
          const r = decodeResponse(frame, ApiKey.SaslHandshake, saslHandshakeVersion).body;
          if (r.errorCode !== 0) {
            this.authFailed(
              attempt,
              `SASL authentication ${as} refused: the peer's listener enables ${r.mechanisms.join(", ") || "no mechanism"} (error ${r.errorCode})`,
            );
            return;
          }
          auth.stage = "authenticate";
          this.writeAuth(ApiKey.SaslAuthenticate, saslAuthenticateVersion, {
            authBytes: auth.exchange.first(),
          });
          continue;
        }
        const r = decodeResponse(frame, ApiKey.SaslAuthenticate, saslAuthenticateVersion).body;
        if (r.errorCode !== 0) {
          this.authFailed(
            attempt,
            `SASL authentication ${as} failed: ${r.errorMessage ?? `error ${r.errorCode}`} (check the username and password of sasl.jaas.config)`,
          );
          return;
        }
        const step = auth.exchange.next(r.authBytes);
        if (step.kind === "send" && ++auth.roundTrips < saslRoundTripsMax) {
          this.writeAuth(ApiKey.SaslAuthenticate, saslAuthenticateVersion, { authBytes: step.token });
          continue;
        }
        if (step.kind === "send") {
          this.authFailed(attempt, `SASL authentication ${as}: more than ${saslRoundTripsMax} round trips`);
          return;
        }
        const socket = this.authSocket!;
        this.authSocket = null;
        this.authReader = null;
        this.auth = null;
        this.options.log?.(
          `peer ${this.peer.nodeId} (${this.peer.host}:${this.peer.port}): authenticated ${as}${this.options.security?.tls ? " over TLS" : ""}`,
        );
        this.connected(socket);
        return;
      } catch (error) {
        const why =
          error instanceof SaslClientError || error instanceof DecodeError ? error.message : String(error);
        this.authFailed(attempt, `SASL authentication ${as}: ${why}`);
        return;
      }
    }
  }

  /** Authentication (or TLS) refused this attempt: the connection closes and the attempt fails. */
  private authFailed(attempt: number, why: string): void {
    const socket = this.authSocket;
    this.authSocket = null;
    this.authReader = null;
    this.auth = null;
    socket?.terminate();
    this.connectFailed(attempt, why);
  }

  private connected(socket: Socket<undefined>): void {
    this.clearConnectTimer();
    this.socket = socket;
    socket.setNoDelay(true);
    this.reader = new FrameReader({ frameBytesMax: this.options.responseBytesMax });
    this.stateValue = "connected";
    this.failuresInRow = 0;
    for (const entry of this.pending.values()) if (!entry.sent) this.send(entry);
    const posts = this.posts;
    this.posts = [];
    for (const frame of posts) this.write(frame);
  }

  private connectFailed(attempt: number, why: string): void {
    if (attempt !== this.attempt || this.stateValue !== "connecting") return;
    this.clearConnectTimer();
    // A connection that opens after we gave up on it is closed by `open` (the attempt moved on).
    this.attempt++;
    this.enterBackoff(`cannot connect: ${why}`);
    // Requests waiting for this connection were never sent: the peer is down, say so now.
    this.failAll((entry) => !entry.sent, "PeerDown", this.lastFailure);
    this.posts = [];
  }

  /** An established connection ended: requests in flight may or may not have been applied. */
  private connectionLost(why: string): void {
    if (this.stateValue !== "connected") return;
    this.dropConnection();
    this.failuresInRow = 0;
    this.enterBackoff(`connection lost: ${why}`);
    this.failAll(() => true, "Disconnected", this.lastFailure);
  }

  private onCut(): void {
    if (this.stateValue === "connected") this.connectionLost("the link was cut (fault hook)");
    else if (this.stateValue === "connecting")
      this.connectFailed(this.attempt, "the link was cut (fault hook)");
  }

  /** Waits `reconnectBackoffMs * 2^failures`, at most `reconnectBackoffMsMax`, give or take 20% (as Kafka). */
  private enterBackoff(why: string): void {
    this.failuresInRow = Math.min(this.failuresInRow + 1, 31);
    const base = Math.min(
      this.options.reconnectBackoffMsMax,
      this.options.reconnectBackoffMs * 2 ** (this.failuresInRow - 1),
    );
    // Jitter keeps the nodes of a cluster that lost a peer together from reconnecting in lockstep.
    const backoffMs = Math.min(this.options.reconnectBackoffMsMax, base * (0.8 + 0.4 * Math.random()));
    this.retryAtMs = performance.now() + backoffMs;
    this.reconnectDelayMsValue = backoffMs;
    this.lastFailure = why;
    this.stateValue = "backoff";
    // A peer that stays down would log every attempt: say it on the first failure in a row and then
    // once per `failureLogIntervalMs`, with how many attempts failed since.
    const nowMs = performance.now();
    if (this.failuresInRow === 1 || nowMs - this.failureLoggedMs >= failureLogIntervalMs) {
      this.failureLoggedMs = nowMs;
      this.options.log?.(
        `peer ${this.peer.nodeId} (${this.peer.host}:${this.peer.port}): ${why}; ${this.failuresInRow} failure(s) in a row; retry after ${Math.round(backoffMs)} ms`,
      );
    }
  }

  private send(entry: Pending): void {
    entry.sent = true;
    const faults = this.options.faults;
    if (faults?.dropWhen?.({ apiKey: entry.apiKey, correlationId: entry.correlationId }) === true) return;
    if (faults !== undefined && faults.delayMs > 0) {
      const socket = this.socket;
      setTimeout(() => {
        if (socket === this.socket && this.pending.has(entry.correlationId)) this.write(entry.frame);
      }, faults.delayMs);
      return;
    }
    this.write(entry.frame);
  }

  private write(frame: Uint8Array): void {
    this.outbound.push(frame);
    this.outboundBytes += frame.length;
    if (this.outboundBytes > outboundBytesMax) {
      this.connectionLost(`more than ${outboundBytesMax} bytes of requests unwritten`);
      return;
    }
    this.flush();
  }

  private flush(): void {
    const socket = this.socket;
    if (socket === null) return;
    while (this.outbound.length > 0) {
      const head = this.outbound[0]!;
      const written = socket.write(head);
      if (written < 0) return;
      this.outboundBytes -= written;
      if (written < head.length) {
        // The socket is full: the rest goes when it drains.
        this.outbound[0] = head.subarray(written);
        return;
      }
      this.outbound.shift();
    }
  }

  private onData(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.reader!.push(chunk);
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      this.connectionLost(`unreadable response stream: ${error.message}`);
      return;
    }
    for (const frame of frames) {
      if (frame.length < 4) {
        this.connectionLost(`response frame of ${frame.length} bytes has no correlation id`);
        return;
      }
      // Every response header version starts with the correlation id.
      const correlationId = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getInt32(0);
      const entry = this.pending.get(correlationId);
      if (entry === undefined) {
        this.lateResponses++;
        continue;
      }
      let body: unknown;
      try {
        body = decodeResponse(frame, entry.apiKey, entry.apiVersion).body;
      } catch (error) {
        const detail = error instanceof DecodeError ? error.message : String(error);
        this.settle(entry, new PeerRequestError("BadResponse", this.peer, detail));
        continue;
      }
      this.settle(entry, null, body);
    }
  }

  /** Removes a request and answers it: with `error`, or with `body` when `error` is null. */
  private settle(entry: Pending, error: PeerRequestError | null, body?: unknown): void {
    if (this.pending.get(entry.correlationId) !== entry) return;
    this.pending.delete(entry.correlationId);
    if (entry.timer !== null) clearTimeout(entry.timer);
    entry.timer = null;
    if (error !== null) entry.reject(error);
    else entry.resolve(body);
  }

  private failAll(which: (entry: Pending) => boolean, reason: PeerRequestErrorReason, detail: string): void {
    for (const entry of [...this.pending.values()]) {
      if (which(entry)) this.settle(entry, new PeerRequestError(reason, this.peer, detail));
    }
  }

  private dropConnection(): void {
    this.clearConnectTimer();
    this.attempt++;
    const socket = this.socket;
    this.socket = null;
    this.reader = null;
    this.authSocket?.terminate();
    this.authSocket = null;
    this.authReader = null;
    this.auth = null;
    this.outbound = [];
    this.outboundBytes = 0;
    this.posts = [];
    socket?.terminate();
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }
}
