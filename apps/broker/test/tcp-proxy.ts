/**
 * A TCP proxy a test owns, put between two nodes of a cluster so the test can cut the link between
 * them and heal it: every connection accepted on its port is relayed byte for byte to the target.
 *
 * Owns: the listening socket, the pairs of sockets it relays and the bytes waiting while a target
 * socket is not yet open or cannot take more. Must never change, reorder or invent bytes, and never
 * relay anything while cut: cutting closes every open pair at once, and a connection made while cut
 * is closed as soon as it is accepted, as a peer behind a broken network would look to the node.
 */
import type { Socket, TCPSocketListener } from "bun";

/** Bytes one direction of a pair may hold while its receiver is busy; a pair past it is closed. */
export const pendingBytesMax = 64 * 1024 * 1024;

interface Side {
  /** The socket on the other side of the pair, once it is open. */
  peer: Socket<Side> | null;
  /** Bytes for `peer` that it has not taken yet (before it opened, or after a short write). */
  pending: Uint8Array[];
  pendingBytes: number;
  closed: boolean;
}

export class TcpProxy {
  private readonly listener: TCPSocketListener<Side>;
  private readonly open = new Set<Socket<Side>>();
  private cutNow = false;
  /** Connections refused while cut, so a test can see the nodes tried. */
  refusedCount = 0;
  /** Connections relayed, so a test can see which port the nodes dial. */
  acceptedCount = 0;

  constructor(
    readonly targetHost: string,
    readonly targetPort: number,
    readonly name = `proxy to ${targetHost}:${targetPort}`,
  ) {
    const proxy = this;
    this.listener = Bun.listen<Side>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(client) {
          if (proxy.cutNow) {
            proxy.refusedCount++;
            client.data = { peer: null, pending: [], pendingBytes: 0, closed: true };
            client.end();
            return;
          }
          client.data = { peer: null, pending: [], pendingBytes: 0, closed: false };
          proxy.acceptedCount++;
          proxy.open.add(client);
          const upstreamSide: Side = { peer: client, pending: [], pendingBytes: 0, closed: false };
          void Bun.connect<Side>({
            hostname: proxy.targetHost,
            port: proxy.targetPort,
            data: upstreamSide,
            socket: proxy.handlers(),
          }).then(
            (upstream) => {
              proxy.open.add(upstream);
              if (client.data.closed || proxy.cutNow) {
                upstream.end();
                return;
              }
              client.data.peer = upstream;
              proxy.flush(client);
            },
            () => {
              // The target is down: the node sees its connection close, as it would dialling it directly.
              client.end();
            },
          );
        },
        data(socket, chunk) {
          proxy.relay(socket, chunk);
        },
        drain(socket) {
          proxy.flushTo(socket);
        },
        close(socket) {
          proxy.closed(socket);
        },
        error(socket) {
          proxy.closed(socket);
        },
      },
    });
  }

  /** The port the proxied side dials. */
  get port(): number {
    return this.listener.port;
  }

  get isCut(): boolean {
    return this.cutNow;
  }

  /** Closes every relayed connection and refuses new ones until `heal()`. */
  cut(): void {
    this.cutNow = true;
    // Abruptly, as a broken network: bytes not yet delivered are lost, not flushed first.
    for (const socket of [...this.open]) {
      socket.data.closed = true;
      socket.terminate();
    }
    this.open.clear();
  }

  /** Accepts and relays connections again. */
  heal(): void {
    this.cutNow = false;
  }

  stop(): void {
    this.cut();
    this.listener.stop(true);
  }

  private handlers() {
    const proxy = this;
    return {
      data(socket: Socket<Side>, chunk: Uint8Array) {
        proxy.relay(socket, chunk);
      },
      drain(socket: Socket<Side>) {
        proxy.flushTo(socket);
      },
      close(socket: Socket<Side>) {
        proxy.closed(socket);
      },
      error(socket: Socket<Side>) {
        proxy.closed(socket);
      },
    };
  }

  /** Bytes arrived on `from`: they go to its peer, queued behind what the peer has not taken yet. */
  private relay(from: Socket<Side>, chunk: Uint8Array): void {
    if (this.cutNow || from.data.closed) return;
    const to = from.data.peer;
    // Bytes before the upstream socket opened wait on the client's side; `flush` sends them.
    const holder = to === null ? from.data : to.data;
    holder.pending.push(new Uint8Array(chunk));
    holder.pendingBytes += chunk.byteLength;
    if (holder.pendingBytes > pendingBytesMax) {
      from.end();
      return;
    }
    if (to !== null) this.flushTo(to);
  }

  /** The upstream socket of `client` just opened: what the client sent meanwhile goes first. */
  private flush(client: Socket<Side>): void {
    const upstream = client.data.peer!;
    upstream.data.pending.unshift(...client.data.pending);
    upstream.data.pendingBytes += client.data.pendingBytes;
    client.data.pending = [];
    client.data.pendingBytes = 0;
    this.flushTo(upstream);
  }

  /** Writes what `to` holds until it takes less than offered (then `drain` calls again). */
  private flushTo(to: Socket<Side>): void {
    const side = to.data;
    while (side.pending.length > 0 && !side.closed) {
      const head = side.pending[0]!;
      const written = to.write(head);
      if (written < 0) return;
      side.pendingBytes -= written;
      if (written < head.byteLength) {
        side.pending[0] = head.subarray(written);
        return;
      }
      side.pending.shift();
    }
  }

  /** One side closed: so does the other, as with a direct connection. */
  private closed(socket: Socket<Side>): void {
    this.open.delete(socket);
    if (socket.data === undefined || socket.data.closed) return;
    socket.data.closed = true;
    const peer = socket.data.peer;
    if (peer !== null && !peer.data.closed) {
      peer.data.closed = true;
      this.open.delete(peer);
      peer.end();
    }
  }
}
