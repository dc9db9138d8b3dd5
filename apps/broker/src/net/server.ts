/**
 * The TCP listeners and per-connection request pipeline. Owns binding every configured listener
 * (each with its own `FrameHandler`), framing, in-order responses for pipelined requests,
 * backpressure and connection limits (shared by all listeners, as Kafka's `max.connections`). It
 * knows nothing of Kafka's APIs: each complete frame goes to its listener's `FrameHandler`, which
 * answers with response bytes, with `null` for a request that gets no response (Produce with
 * acks=0), or by throwing `CloseConnection`.
 *
 * On an SSL or SASL_SSL listener nothing of a connection is read as a request until its TLS handshake
 * has finished and been admitted (`tls-listener.ts`); a refused handshake closes the connection.
 *
 * Must never let one client's bad bytes or slow reading affect another client: errors close only
 * that connection, and a connection whose responses pile up stops being read until they drain.
 */
import { type ChunkLease, FrameError, FrameReader, frameAnswered, leaseFor, leaseOf } from "@eddy/protocol";
import type { Socket, TCPSocketListener } from "bun";
import type { ListenerTls } from "../config/ssl-settings.ts";
import { FrameBufferPool } from "./frame-pool.ts";
import { bunTlsOptions, tlsVerdict } from "./tls-listener.ts";

/** What a handler returns: whole response frames, size prefix included, as one or more byte ranges. */
export type ResponseBytes = Uint8Array | readonly Uint8Array[];

/** The listener a connection arrived on, as the request handler needs it (Metadata's addresses). */
export interface ListenerEndpoint {
  /** The listener name, upper case (`PLAINTEXT`, `CONTROLLER`). */
  readonly name: string;
  /** Where clients of this listener are told to connect (a bound port replaces a configured 0). */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
}

/** What TLS established on a connection. */
export interface TlsSession {
  /**
   * Null until the handshake is admitted, then the client certificate's principal
   * (`User:CN=client,O=Eddy`) or `User:ANONYMOUS` without one; a SASL_SSL connection's SASL
   * principal is the SASL gate's (`SaslGate.principalOf`).
   */
  peerPrincipal: string | null;
}

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly listener: ListenerEndpoint;
  /** Null on a plaintext listener. */
  readonly tls: TlsSession | null;
}

export interface FrameHandler {
  handle(frame: Uint8Array, connection: ConnectionInfo): ResponseBytes | null | Promise<ResponseBytes | null>;
  /**
   * A smaller frame limit for this connection than `socket.request.max.bytes` (a SASL listener's
   * `sasl.server.max.receive.size` before authentication), with the reason a refusal names; null
   * for the server's own limit.
   */
  frameLimitOf?(connection: ConnectionInfo): { readonly bytes: number; readonly setting: string } | null;
  /**
   * True when nothing the handler did with `frame` reads it once its response is made, so its buffer
   * may take the next large frame (`FrameBufferPool`). Absent or false keeps every frame.
   */
  framesReusable?(frame: Uint8Array, connection: ConnectionInfo): boolean;
}

/**
 * Thrown by a handler to drop the connection (the peer sent something unanswerable). With a
 * `lastResponse`, that response is sent in its turn first and nothing after it (a refused SASL
 * exchange answers its error, then the connection closes).
 */
export class CloseConnection extends Error {
  override readonly name = "CloseConnection";
  constructor(
    message: string,
    readonly lastResponse: ResponseBytes | null = null,
  ) {
    super(message);
  }
}

/** One listener to bind: its address, where it is advertised, and the handler of its connections. */
export interface ServerListener {
  readonly name: string;
  readonly host: string;
  /** 0 lets the OS pick; `portOf` then tells the bound one. */
  readonly port: number;
  readonly advertisedHost: string;
  /** 0 advertises the bound port. */
  readonly advertisedPort: number;
  readonly handler: FrameHandler;
  /** The key store, trust store and client auth of an SSL or SASL_SSL listener; null for plaintext. */
  readonly tls: ListenerTls | null;
}

/** The default bound on a TLS handshake; Kafka clients finish theirs in milliseconds. */
export const tlsHandshakeMsMaxDefault = 10_000;

/** Bounds `listeners`: more than this is a configuration mistake, not a broker. */
export const serverListenersMax = 64;

export interface ServerOptions {
  readonly listeners: readonly ServerListener[];
  readonly frameBytesMax: number;
  readonly connectionsMax: number;
  readonly inflightRequestsMax: number;
  /** Bytes of unsent responses above which a connection stops being read. */
  readonly outboundBytesMax: number;
  /**
   * How long a TLS connection may take to finish its handshake before it is closed (default
   * `tlsHandshakeMsMaxDefault`), so a client that connects and stalls cannot hold a connection slot.
   */
  readonly tlsHandshakeMsMax?: number;
  /** Hears the size of every chunk read from any connection (the collection pacer counts them). */
  readonly onBytesReceived?: (bytes: number) => void;
  readonly log: (line: string) => void;
}

interface Slot {
  done: boolean;
  response: ResponseBytes | null;
}

interface ConnectionState {
  readonly info: ConnectionInfo;
  /** The handler of the listener this connection arrived on. */
  readonly handler: FrameHandler;
  /** Splits the byte stream into request frames. */
  readonly reader: FrameReader;
  /** Requests in arrival order; responses leave from the head only, so pipelined replies stay ordered. */
  readonly slots: Slot[];
  /** Response bytes the kernel did not take yet. */
  readonly outbound: Uint8Array[];
  outboundBytes: number;
  paused: boolean;
  closed: boolean;
  /** Why the connection ends once its last response is written; no further frame is read. */
  closing: string | null;
  /** On a TLS listener, until the handshake is admitted: closes a connection that never finishes it. */
  handshakeTimer: ReturnType<typeof setTimeout> | null;
  /** A flush of `outbound` is queued as a microtask: responses finished before it share its write. */
  flushQueued: boolean;
}

type BrokerSocket = Socket<ConnectionState>;

function stopHandshakeTimer(state: ConnectionState): void {
  if (state.handshakeTimer === null) return;
  clearTimeout(state.handshakeTimer);
  state.handshakeTimer = null;
}

/**
 * Consecutive outbound parts (small responses, and a fetch response's header, referenced record set
 * and trailer) are joined into one write while together they fit in this many bytes; a part that
 * does not fit goes out as it is, without a copy. One write per response matters for latency: a fetch
 * response written in three parts wakes its consumer for a partial frame that it must then assemble
 * (a copy) from two or three reads. The join goes through one scratch buffer of this size, reused for
 * every write, so it makes no garbage; a remainder the kernel did not take is copied out of it.
 */
const writeJoinBytesMax = 262_144;

/** A listener once bound: its socket and the endpoint its connections carry. */
interface BoundListener {
  readonly socket: TCPSocketListener<ConnectionState>;
  readonly endpoint: ListenerEndpoint;
  readonly handler: FrameHandler;
}

export class Server {
  private readonly bound = new Map<string, BoundListener>();
  private readonly connections = new Set<BrokerSocket>();
  /** Large frames' buffers, reused once their requests are answered (see `FrameHandler.framesReusable`). */
  readonly framePool = new FrameBufferPool();
  private nextConnectionId = 1;
  private inflightTotal = 0;
  private socketWritesTotal = 0;
  /** Where consecutive parts are joined for one write (`writeJoinBytesMax`); used synchronously only. */
  private readonly joinScratch = new Uint8Array(writeJoinBytesMax);
  private responsesTotal = 0;
  /** Socket reads given back once all their requests were answered (`@eddy/protocol`'s `chunk-lease.ts`). */
  private chunksReleasedTotal = 0;
  private drainWaiters: (() => void)[] = [];

  constructor(private readonly options: ServerOptions) {
    if (options.listeners.length === 0 || options.listeners.length > serverListenersMax) {
      throw new Error(`a server binds 1 to ${serverListenersMax} listeners, not ${options.listeners.length}`);
    }
  }

  /**
   * Responses queued for writing and socket writes issued, over every connection since start. More
   * responses than writes means responses finished in the same turn shared a write (one syscall, one
   * wake-up of the client) instead of one each.
   */
  get writeCounts(): { readonly responses: number; readonly socketWrites: number } {
    return { responses: this.responsesTotal, socketWrites: this.socketWritesTotal };
  }

  /** Socket reads whose memory was given back as soon as their requests were answered (tests read it). */
  get chunksReleased(): number {
    return this.chunksReleasedTotal;
  }

  /** Open connections over every listener (the admin listener's connection-count gauge). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** The bound port of a listener by name; differs from the configured one when that was 0. */
  portOf(name: string): number {
    const bound = this.bound.get(name);
    if (bound === undefined) throw new Error(`no bound listener named ${name}`);
    return bound.socket.port;
  }

  /** The endpoint (advertised address) of a bound listener by name. */
  endpointOf(name: string): ListenerEndpoint {
    const bound = this.bound.get(name);
    if (bound === undefined) throw new Error(`no bound listener named ${name}`);
    return bound.endpoint;
  }

  /**
   * Binds every listener, in order. If one cannot bind (its port is taken), the ones already bound
   * are released before the error is thrown, so a failed start holds no port.
   */
  start(): void {
    try {
      for (const listener of this.options.listeners) this.bind(listener);
    } catch (error) {
      for (const bound of this.bound.values()) bound.socket.stop(true);
      this.bound.clear();
      throw error;
    }
  }

  private bind(listener: ServerListener): void {
    const self = this;
    // Filled in once bound: a configured port 0 is advertised as the port the OS picked.
    let endpoint: ListenerEndpoint | null = null;
    const tls = listener.tls;
    const socket = Bun.listen<ConnectionState>({
      hostname: listener.host,
      port: listener.port,
      ...(tls === null ? {} : { tls: bunTlsOptions(tls) }),
      socket: {
        open(socket) {
          if (self.connections.size >= self.options.connectionsMax) {
            self.options.log(`refusing connection from ${socket.remoteAddress}: max.connections reached`);
            socket.end();
            return;
          }
          socket.data = {
            info: {
              id: self.nextConnectionId++,
              remoteAddress: socket.remoteAddress,
              listener: endpoint!,
              tls: tls === null ? null : { peerPrincipal: null },
            },
            handler: listener.handler,
            reader: new FrameReader({
              frameBytesMax: self.options.frameBytesMax,
              allocateFrame: (bytes) => self.framePool.take(bytes),
            }),
            slots: [],
            outbound: [],
            outboundBytes: 0,
            paused: false,
            closed: false,
            closing: null,
            handshakeTimer: null,
            flushQueued: false,
          };
          socket.setNoDelay(true);
          self.connections.add(socket);
          if (tls !== null) {
            const handshakeMsMax = self.options.tlsHandshakeMsMax ?? tlsHandshakeMsMaxDefault;
            const state = socket.data;
            state.handshakeTimer = setTimeout(() => {
              state.handshakeTimer = null;
              if (state.closed || state.info.tls?.peerPrincipal !== null) return;
              self.fail(
                socket,
                `${listener.name}: TLS handshake not finished within ${handshakeMsMax} ms; nothing served`,
              );
            }, handshakeMsMax);
          }
        },
        // With this handler Bun calls `open` before the handshake and this once it has finished.
        handshake(socket, success, authorizationError) {
          const state = socket.data;
          if (tls === null || state === undefined || state.closed || state.info.tls === null) return;
          stopHandshakeTimer(state);
          const peer = socket.getPeerCertificate() as { raw?: Uint8Array } | null | undefined;
          const verdict = tlsVerdict(tls, {
            success,
            authorizationError,
            peerCertificate: peer?.raw instanceof Uint8Array && peer.raw.length > 0 ? peer.raw : null,
          });
          if (verdict.kind === "refuse") {
            self.fail(socket, `${listener.name}: ${verdict.reason}; nothing served`);
            return;
          }
          state.info.tls.peerPrincipal = verdict.principal;
          if (tls.clientAuth !== "none") {
            self.options.log(
              `connection ${state.info.id} on ${listener.name}: TLS client ${verdict.principal}`,
            );
          }
        },
        data(socket, chunk) {
          self.onData(socket, chunk);
        },
        drain(socket) {
          self.flushOutbound(socket);
        },
        close(socket) {
          self.onClose(socket);
        },
        error(socket, error) {
          self.options.log(`connection ${socket.data?.info.id ?? "?"}: ${error.message}`);
          self.onClose(socket);
        },
      },
    });
    endpoint = {
      name: listener.name,
      advertisedHost: listener.advertisedHost,
      advertisedPort: listener.advertisedPort === 0 ? socket.port : listener.advertisedPort,
    };
    this.bound.set(listener.name, { socket, endpoint, handler: listener.handler });
  }

  /** Stops accepting, waits (bounded) for in-flight requests to be answered, then closes every connection. */
  async stop(drainMsMax: number): Promise<void> {
    for (const bound of this.bound.values()) bound.socket.stop(false);
    if (this.inflightTotal > 0) {
      await Promise.race([
        new Promise<void>((resolve) => this.drainWaiters.push(resolve)),
        Bun.sleep(drainMsMax),
      ]);
    }
    // Responses whose queued flush has not run yet leave before the connection ends.
    for (const socket of this.connections) {
      this.flushOutbound(socket);
      socket.end();
    }
    for (const bound of this.bound.values()) bound.socket.stop(true);
    this.bound.clear();
  }

  private onClose(socket: BrokerSocket): void {
    const state = socket.data;
    if (state === undefined || state.closed) return;
    stopHandshakeTimer(state);
    state.closed = true;
    this.connections.delete(socket);
  }

  private fail(socket: BrokerSocket, why: string): void {
    this.options.log(
      `closing connection ${socket.data.info.id} from ${socket.data.info.remoteAddress}: ${why}`,
    );
    stopHandshakeTimer(socket.data);
    socket.data.closed = true;
    this.connections.delete(socket);
    socket.terminate();
  }

  private onData(socket: BrokerSocket, chunk: Uint8Array): void {
    this.options.onBytesReceived?.(chunk.length);
    const state = socket.data;
    if (state === undefined || state.closed) return;
    // TLS delivers no application bytes before its handshake; if it ever did, they are not served.
    if (state.info.tls !== null && state.info.tls.peerPrincipal === null) {
      this.fail(
        socket,
        `${state.info.listener.name}: bytes before the TLS handshake was admitted; nothing served`,
      );
      return;
    }
    let frames: Uint8Array[];
    const ownLimit = state.handler.frameLimitOf?.(state.info) ?? null;
    const limit = ownLimit?.bytes ?? this.options.frameBytesMax;
    if (state.reader.frameBytesMax !== limit) state.reader.setFrameBytesMax(limit);
    try {
      // The reader hands out whole frames as views of the read; only frames spanning reads are copied, once.
      frames = state.reader.push(chunk);
    } catch (error) {
      if (error instanceof FrameError) {
        this.fail(
          socket,
          `${error.message} (${ownLimit?.setting ?? "socket.request.max.bytes"} is ${limit})`,
        );
        return;
      }
      throw error;
    }
    // Plaintext reads only: the promise that each read is a buffer of its own is checked for Bun's
    // TCP sockets (packages/client/test/socket-chunks.test.ts), not for its TLS ones.
    const lease = state.info.tls === null ? leaseOf(chunk, frames, state.reader.isIdle) : null;
    for (const frame of frames) {
      if (state.closed || state.closing !== null) return;
      this.dispatch(socket, frame, leaseFor(lease, frame));
    }
  }

  private dispatch(socket: BrokerSocket, frame: Uint8Array, lease: ChunkLease | null): void {
    const state = socket.data;
    const slot: Slot = { done: false, response: null };
    state.slots.push(slot);
    this.inflightTotal++;
    if (state.slots.length >= this.options.inflightRequestsMax) this.pause(socket);
    const settle = (): void => {
      this.inflightTotal--;
      if (this.inflightTotal === 0) {
        for (const waiter of this.drainWaiters.splice(0)) waiter();
      }
    };
    const finish = (response: ResponseBytes | null): void => {
      slot.done = true;
      slot.response = response;
      settle();
      // The response is made: a handler that keeps nothing of the frame lets its buffer be reused.
      const reusable = state.handler.framesReusable?.(frame, state.info) === true;
      if (reusable) this.framePool.give(frame);
      if (lease !== null && frameAnswered(lease, reusable)) this.chunksReleasedTotal++;
      this.releaseSlots(socket);
    };
    const onError = (error: unknown): void => {
      if (error instanceof CloseConnection && error.lastResponse !== null && !state.closed) {
        state.closing = error.message;
        finish(error.lastResponse);
        return;
      }
      settle();
      // A request that failed may have left anything holding its frame: its read is never released.
      if (lease !== null) frameAnswered(lease, false);
      if (state.closed) return;
      if (error instanceof CloseConnection) this.fail(socket, error.message);
      else this.fail(socket, `internal error: ${(error as Error)?.stack ?? String(error)}`);
    };
    let result: ReturnType<FrameHandler["handle"]>;
    try {
      result = state.handler.handle(frame, state.info);
    } catch (error) {
      onError(error);
      return;
    }
    if (result instanceof Promise) result.then(finish, onError);
    else finish(result);
  }

  private releaseSlots(socket: BrokerSocket): void {
    const state = socket.data;
    if (state.closed) return;
    let released = 0;
    while (released < state.slots.length && state.slots[released]!.done) {
      const response = state.slots[released]!.response;
      if (response !== null) this.enqueue(state, response);
      released++;
    }
    if (released > 0) state.slots.splice(0, released);
    this.queueFlush(socket);
  }

  /**
   * Writes the connection's responses once the microtasks queued so far have run, not at once: the
   * frames of one read are all handled before their handlers' promises settle, so their responses
   * finish in the same run of microtasks and leave in one write (one syscall and one wake-up of the
   * client for a read's worth of pipelined produce acknowledgements, instead of one each). No timer is
   * involved: the write happens in the same event-loop turn as the response was finished.
   */
  private queueFlush(socket: BrokerSocket): void {
    const state = socket.data;
    if (state.flushQueued) return;
    state.flushQueued = true;
    queueMicrotask(() => {
      state.flushQueued = false;
      this.flushOutbound(socket);
    });
  }

  private enqueue(state: ConnectionState, response: ResponseBytes): void {
    const parts = response instanceof Uint8Array ? [response] : response;
    this.responsesTotal++;
    for (const part of parts) {
      state.outbound.push(part);
      state.outboundBytes += part.length;
    }
  }

  private flushOutbound(socket: BrokerSocket): void {
    const state = socket.data;
    if (state === undefined || state.closed) return;
    while (state.outbound.length > 0) {
      let head = state.outbound[0]!;
      let joinedCount = 1;
      if (state.outbound.length > 1 && head.length < writeJoinBytesMax) {
        let joinedSize = head.length;
        while (
          joinedCount < state.outbound.length &&
          joinedSize + state.outbound[joinedCount]!.length <= writeJoinBytesMax
        ) {
          joinedSize += state.outbound[joinedCount]!.length;
          joinedCount++;
        }
        if (joinedCount > 1) {
          let at = 0;
          for (let i = 0; i < joinedCount; i++) {
            this.joinScratch.set(state.outbound[i]!, at);
            at += state.outbound[i]!.length;
          }
          head = this.joinScratch.subarray(0, joinedSize);
        }
      }
      const written = socket.write(head);
      this.socketWritesTotal++;
      if (written < 0) return;
      state.outboundBytes -= written;
      state.outbound.splice(0, joinedCount);
      if (written < head.length) {
        // The scratch buffer is reused by the next write, so a joined remainder is copied out of it.
        state.outbound.unshift(joinedCount > 1 ? head.slice(written) : head.subarray(written));
        break;
      }
    }
    if (state.closing !== null) {
      if (state.outbound.length === 0 && state.slots.length === 0) this.finishClosing(socket);
      return;
    }
    if (state.outboundBytes > this.options.outboundBytesMax) this.pause(socket);
    else if (state.slots.length < this.options.inflightRequestsMax) this.resume(socket);
  }

  /** Ends a connection whose last response is written. */
  private finishClosing(socket: BrokerSocket): void {
    const state = socket.data;
    this.options.log(
      `closing connection ${state.info.id} from ${state.info.remoteAddress}: ${state.closing}`,
    );
    state.closed = true;
    this.connections.delete(socket);
    socket.end();
  }

  private pause(socket: BrokerSocket): void {
    if (socket.data.paused) return;
    socket.data.paused = true;
    socket.pause();
  }

  private resume(socket: BrokerSocket): void {
    if (!socket.data.paused) return;
    socket.data.paused = false;
    socket.resume();
  }
}
