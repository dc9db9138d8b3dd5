/**
 * One Kafka connection over a Bun TCP socket, speaking `@eddy/protocol`'s codec, shared by the perf
 * tool and the operators' CLI: requests are framed
 * and pipelined, responses are matched to requests in order (Kafka answers each connection in order),
 * and writes the socket cannot take yet wait in an outbox until it drains. Owns the socket, the frame
 * reader, the queue of unanswered requests and the request timeout. Must never hold more unanswered
 * requests than `pendingRequestsMax`, nor queue writes without a caller waiting on `drained()`: the
 * callers (producer and consumer loops) bound what they send by awaiting those.
 */
import {
  ApiKey,
  type ChunkLease,
  decodeResponse,
  encodeRequestFrame,
  FrameReader,
  frameAnswered,
  leaseFor,
  leaseOf,
  type RequestInputByKey,
  type ResponseByKey,
  releaseOwnedFrame,
  Writer,
} from "@eddy/protocol";
import { type ClientSecurity, plaintextSecurity } from "./client-security.ts";
import { authenticate } from "./sasl-authenticate.ts";
import { bunTlsOptions, hostNameMismatch, tlsRefused } from "./tls-options.ts";

/** More unanswered requests than this on one connection is a bug in a caller's bound. */
export const pendingRequestsMax = 10_000;

interface PendingRequest {
  readonly correlationId: number;
  readonly apiKey: ApiKey;
  readonly apiVersion: number;
  readonly sentMs: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The broker cannot be reached, hung up, or sent bytes this client cannot read. */
export class ConnectionError extends Error {}

export class KafkaConnection {
  private readonly frames = new FrameReader();
  /**
   * What `release` gives back for a fetch response: the lease of the read its frame is a view of, or
   * the frame itself when the reader assembled it. Weak: a response never released is left to the
   * collector, as any other.
   */
  private readonly releasable = new WeakMap<object, ChunkLease | Uint8Array>();
  /** Unanswered requests, oldest first; `pendingHead` skips answered ones without shifting the array. */
  private pending: PendingRequest[] = [];
  private pendingHead = 0;
  private readonly outbox: Uint8Array[] = [];
  private drainWaiters: (() => void)[] = [];
  private correlationId = 0;
  private failure: Error | null = null;
  private readonly writer = new Writer(64 * 1024);
  private readonly timeoutTimer: ReturnType<typeof setInterval>;

  private constructor(
    private readonly socket: Bun.Socket<undefined>,
    readonly address: string,
    private readonly timeoutMs: number,
    private readonly clientId: string,
  ) {
    // One timer per connection checks the oldest request, instead of a timer per request.
    this.timeoutTimer = setInterval(() => this.checkTimeout(), Math.min(1000, timeoutMs));
  }

  /**
   * Connects to `host:port`; a request unanswered for `timeoutMs` fails the connection. `clientId` is
   * the client id every request header carries (the broker's logs and quotas name the tool by it).
   * `security` (Kafka's client properties, `client-security.ts`) adds TLS, whose handshake must admit
   * the server before anything is written, and SASL, which must succeed before this resolves: a refusal
   * of either is an `AuthenticationError` saying which setting to check, and nothing falls back to less.
   */
  static async open(
    host: string,
    port: number,
    timeoutMs: number,
    clientId = "eddy",
    security: ClientSecurity = plaintextSecurity,
  ): Promise<KafkaConnection> {
    let connection: KafkaConnection | null = null;
    const address = `${host}:${port}`;
    const tls = security.tls;
    // Settles when the socket may carry requests: at once in plaintext, after the handshake with TLS.
    let ready: { resolve: () => void; reject: (error: Error) => void } | null = null;
    const readyPromise = new Promise<void>((resolve, reject) => {
      ready = { resolve, reject };
    });
    const settle = (error: Error | null): void => {
      const waiting = ready;
      ready = null;
      if (waiting === null) return;
      if (error === null) waiting.resolve();
      else waiting.reject(error);
    };
    let socket: Bun.Socket<undefined>;
    try {
      socket = await Bun.connect({
        hostname: host,
        port,
        ...(tls === null ? {} : { tls: bunTlsOptions(tls, host) }),
        socket: {
          open: () => {
            if (tls === null) settle(null);
          },
          handshake: (s, success, authorizationError) => {
            const refusal = success
              ? (authorizationError ?? hostNameMismatch(s, host, tls))
              : authorizationError;
            if (refusal === null && success) {
              settle(null);
              return;
            }
            settle(tlsRefused(address, refusal?.message ?? "the handshake failed", tls));
            s.terminate();
          },
          data: (_s, chunk) => connection?.onData(chunk, tls === null),
          drain: () => connection?.onDrain(),
          close: () => {
            // Closed before the handshake finished: a plaintext listener reading TLS as a frame.
            settle(
              tls === null
                ? new ConnectionError(`the broker at ${address} closed the connection`)
                : tlsRefused(address, "the broker closed the connection", tls),
            );
            connection?.fail(new ConnectionError(`the broker at ${address} closed the connection`));
          },
          error: (_s, error) => {
            // With TLS 1.3 a server refuses the client's certificate after the client's side of the
            // handshake is done, so its alert can come with the first request: still a TLS refusal.
            const failure =
              tls === null
                ? new ConnectionError(`${address}: ${error.message}`)
                : tlsRefused(address, error.message, tls);
            settle(failure);
            connection?.fail(failure);
          },
        },
      });
    } catch (error) {
      throw new ConnectionError(`cannot connect to ${address} (${(error as Error).message})`);
    }
    const handshakeTimer = setTimeout(
      () =>
        settle(new ConnectionError(`${address}: the TLS handshake did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await readyPromise;
    } catch (error) {
      socket.terminate();
      throw error;
    } finally {
      clearTimeout(handshakeTimer);
    }
    socket.setNoDelay(true);
    connection = new KafkaConnection(socket, address, timeoutMs, clientId);
    if (security.sasl !== null) {
      try {
        await authenticate(connection, security.sasl);
      } catch (error) {
        connection.close();
        throw error;
      }
    }
    return connection;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.length - this.pendingHead;
  }

  /** Sends a request and resolves with its decoded response, or rejects when the connection fails. */
  request<K extends ApiKey>(
    apiKey: K,
    apiVersion: number,
    body: RequestInputByKey[K],
    onSent?: (sentMs: number) => void,
  ): Promise<ResponseByKey[K]> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.inFlight >= pendingRequestsMax) {
      return Promise.reject(new Error(`bug: more than ${pendingRequestsMax} requests in flight`));
    }
    return new Promise((resolve, reject) => {
      const correlationId = this.send(apiKey, apiVersion, body);
      const sentMs = performance.now();
      onSent?.(sentMs);
      this.pending.push({
        correlationId,
        apiKey,
        apiVersion,
        sentMs,
        resolve: resolve as (body: unknown) => void,
        reject,
      });
    });
  }

  /** Sends a request that gets no response (Produce with acks=0). */
  sendOneWay<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestInputByKey[K]): void {
    if (this.failure !== null) throw this.failure;
    this.send(apiKey, apiVersion, body);
  }

  /** Resolves once the socket has taken every byte handed to it (at once when the outbox is empty). */
  drained(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.outbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  close(): void {
    clearInterval(this.timeoutTimer);
    if (this.failure === null) this.failure = new ConnectionError(`connection to ${this.address} closed`);
    this.socket.end();
  }

  private send<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestInputByKey[K]): number {
    this.correlationId = (this.correlationId + 1) & 0x7fffffff;
    this.writer.reset();
    const frame = encodeRequestFrame(
      this.writer,
      apiKey,
      apiVersion,
      this.correlationId,
      this.clientId,
      body,
    );
    if (this.outbox.length > 0) {
      // The writer is reused for the next request, so whatever waits in the outbox is a copy.
      this.outbox.push(frame.slice());
    } else {
      const written = this.socket.write(frame);
      if (written < frame.length) this.outbox.push(frame.slice(Math.max(0, written)));
    }
    return this.correlationId;
  }

  private onDrain(): void {
    while (this.outbox.length > 0) {
      const chunk = this.outbox[0]!;
      const written = this.socket.write(chunk);
      if (written < chunk.length) {
        this.outbox[0] = chunk.subarray(Math.max(0, written));
        return;
      }
      this.outbox.shift();
    }
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  /** `plaintext`: the read came from a TCP socket without TLS (see `release` for why it matters). */
  private onData(chunk: Uint8Array, plaintext: boolean): void {
    let frames: Uint8Array[];
    try {
      frames = this.frames.push(chunk);
    } catch (error) {
      this.fail(new ConnectionError(`${this.address} sent a bad frame: ${(error as Error).message}`));
      return;
    }
    // Plaintext reads only: that each read is a buffer of its own is checked for Bun's TCP sockets
    // (test/socket-chunks.test.ts), not for its TLS ones. A frame the reader assembled is always ours.
    const lease = plaintext ? leaseOf(chunk, frames, this.frames.isIdle) : null;
    for (const frame of frames) {
      const request = this.pending[this.pendingHead];
      if (request === undefined) {
        this.fail(new ConnectionError(`${this.address} sent a response to no request`));
        return;
      }
      this.pending[this.pendingHead] = undefined as unknown as PendingRequest;
      this.pendingHead++;
      if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
        this.pending = this.pending.slice(this.pendingHead);
        this.pendingHead = 0;
      }
      try {
        // A response's fields (a fetch's records) are views into the frame, and the frame is a view into
        // the chunk or a buffer the frame reader assembled: both are the caller's to keep, because Bun
        // hands every socket read over in a new buffer it never writes again (test/socket-chunks.test.ts
        // checks that this still holds). Copying each fetch response doubled the consumer's garbage.
        const decoded = decodeResponse(frame, request.apiKey, request.apiVersion);
        if (decoded.correlationId !== request.correlationId) {
          throw new Error(`correlation id ${decoded.correlationId}, expected ${request.correlationId}`);
        }
        this.noteReleasable(request.apiKey, frame, leaseFor(lease, frame), decoded.body);
        request.resolve(decoded.body);
      } catch (error) {
        this.fail(new ConnectionError(`${this.address} sent a bad response: ${(error as Error).message}`));
        return;
      }
    }
  }

  /**
   * The caller is done with a fetch response: nothing reads its records again. Its socket read (once
   * every response in that read is released) or the frame assembled for it is given back at once
   * (`@eddy/protocol`'s `chunk-lease.ts`), so a response promoted by a young collection does not wait
   * for a full one. Optional; a response of any other API, or one released twice, is ignored.
   */
  release(response: object): void {
    const held = this.releasable.get(response);
    if (held === undefined) return;
    this.releasable.delete(response);
    if (held instanceof Uint8Array) releaseOwnedFrame(held);
    else frameAnswered(held, true);
  }

  /**
   * Remembers how a fetch response may be released. A frame of another API that is a view of the
   * read pins the read for good: its response may keep views of it (bytes fields) for any time.
   */
  private noteReleasable(apiKey: ApiKey, frame: Uint8Array, lease: ChunkLease | null, body: unknown): void {
    if (apiKey !== ApiKey.Fetch || typeof body !== "object" || body === null) {
      if (lease !== null) lease.releasable = false;
      return;
    }
    if (lease !== null) this.releasable.set(body, lease);
    else if (frame.byteOffset === 0 && frame.byteLength === frame.buffer.byteLength)
      this.releasable.set(body, frame);
  }

  private checkTimeout(): void {
    const oldest = this.pending[this.pendingHead];
    if (oldest !== undefined && performance.now() - oldest.sentMs > this.timeoutMs) {
      this.fail(new ConnectionError(`${this.address} did not answer a request within ${this.timeoutMs} ms`));
    }
  }

  private fail(error: Error): void {
    if (this.failure !== null && this.pending.length === this.pendingHead) return;
    this.failure ??= error;
    clearInterval(this.timeoutTimer);
    for (let i = this.pendingHead; i < this.pending.length; i++) this.pending[i]!.reject(this.failure);
    this.pending = [];
    this.pendingHead = 0;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
    this.socket.end();
  }
}
