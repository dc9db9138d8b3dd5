/**
 * One Kafka connection over a Bun TCP socket, speaking `@eddy/protocol`'s codec, in the way of
 * apps/perf's connection (framed requests, responses matched in order, bytes the socket cannot take
 * yet written when it drains, one timer for timeouts) cut down to what an admin tool needs: a few
 * requests at a time. Owns the socket, the frame reader and the queue of unanswered requests. Must never
 * leave a caller waiting forever: a silent broker fails every request after `timeoutMs`.
 */
import {
  type ApiKey,
  decodeResponse,
  encodeRequestFrame,
  FrameReader,
  type RequestInputByKey,
  type ResponseByKey,
  Writer,
} from "@eddy/protocol";

const clientId = "eddy-cli";

interface PendingRequest {
  readonly correlationId: number;
  readonly apiKey: ApiKey;
  readonly apiVersion: number;
  readonly sentMs: number;
  readonly resolve: (body: unknown) => void;
  readonly reject: (error: Error) => void;
}

/** The broker cannot be reached, hung up, or sent bytes this tool cannot read. */
export class ConnectionError extends Error {}

export class KafkaConnection {
  private readonly frames = new FrameReader();
  private pending: PendingRequest[] = [];
  private readonly outbox: Uint8Array[] = [];
  private correlationId = 0;
  private failure: Error | null = null;
  private readonly timeoutTimer: ReturnType<typeof setInterval>;

  private constructor(
    private readonly socket: Bun.Socket<undefined>,
    readonly address: string,
    private readonly timeoutMs: number,
  ) {
    this.timeoutTimer = setInterval(() => this.checkTimeout(), Math.min(250, timeoutMs));
  }

  static async open(host: string, port: number, timeoutMs: number): Promise<KafkaConnection> {
    let connection: KafkaConnection | null = null;
    const address = `${host}:${port}`;
    let socket: Bun.Socket<undefined>;
    try {
      socket = await Bun.connect({
        hostname: host,
        port,
        socket: {
          data: (_s, chunk) => connection?.onData(chunk),
          drain: () => connection?.onDrain(),
          close: () =>
            connection?.fail(new ConnectionError(`the broker at ${address} closed the connection`)),
          error: (_s, error) => connection?.fail(new ConnectionError(`${address}: ${error.message}`)),
        },
      });
    } catch (error) {
      throw new ConnectionError(`cannot connect to ${address} (${(error as Error).message})`);
    }
    socket.setNoDelay(true);
    connection = new KafkaConnection(socket, address, timeoutMs);
    return connection;
  }

  /** Sends a request and resolves with its decoded response, or rejects when the connection fails. */
  request<K extends ApiKey>(
    apiKey: K,
    apiVersion: number,
    body: RequestInputByKey[K],
  ): Promise<ResponseByKey[K]> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.correlationId = (this.correlationId + 1) & 0x7fffffff;
      const writer = new Writer(1024);
      const frame = encodeRequestFrame(writer, apiKey, apiVersion, this.correlationId, clientId, body);
      this.pending.push({
        correlationId: this.correlationId,
        apiKey,
        apiVersion,
        sentMs: performance.now(),
        resolve: resolve as (body: unknown) => void,
        reject,
      });
      this.write(frame);
    });
  }

  /** Writes a frame after whatever waits in the outbox. */
  private write(frame: Uint8Array): void {
    if (this.outbox.length > 0) {
      this.outbox.push(frame);
    } else {
      const written = this.socket.write(frame);
      if (written < frame.length) this.outbox.push(frame.subarray(Math.max(0, written)));
    }
  }

  /**
   * Sends a request the broker does not answer (Produce with acks 0). Nothing waits for it; a later
   * answered request on this connection is answered only after the broker has read this one, which
   * is how a caller learns it went through.
   */
  send<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestInputByKey[K]): void {
    if (this.failure !== null) throw this.failure;
    this.correlationId = (this.correlationId + 1) & 0x7fffffff;
    const writer = new Writer(1024);
    this.write(encodeRequestFrame(writer, apiKey, apiVersion, this.correlationId, clientId, body));
  }

  close(): void {
    clearInterval(this.timeoutTimer);
    if (this.failure === null) this.failure = new ConnectionError(`connection to ${this.address} closed`);
    this.socket.end();
  }

  /** Writes what waits in the outbox, as far as the socket takes it. */
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
  }

  private onData(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.frames.push(chunk);
    } catch (error) {
      this.fail(new ConnectionError(`${this.address} sent a bad frame: ${(error as Error).message}`));
      return;
    }
    for (const frame of frames) {
      const request = this.pending.shift();
      if (request === undefined) {
        this.fail(new ConnectionError(`${this.address} sent a response to no request`));
        return;
      }
      try {
        const decoded = decodeResponse(frame.slice(), request.apiKey, request.apiVersion);
        if (decoded.correlationId !== request.correlationId) {
          throw new Error(`correlation id ${decoded.correlationId}, expected ${request.correlationId}`);
        }
        request.resolve(decoded.body);
      } catch (error) {
        this.fail(new ConnectionError(`${this.address} sent a bad response: ${(error as Error).message}`));
        return;
      }
    }
  }

  private checkTimeout(): void {
    const oldest = this.pending[0];
    if (oldest !== undefined && performance.now() - oldest.sentMs > this.timeoutMs) {
      this.fail(new ConnectionError(`${this.address} did not answer within ${this.timeoutMs} ms`));
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    clearInterval(this.timeoutTimer);
    for (const request of this.pending.splice(0)) request.reject(this.failure);
    this.socket.end();
  }
}
