/**
 * A TCP relay a test puts between a node and the controller it dials, which reads the request frames
 * going towards the controller and notes each one's api key and version (and, for Eddy's internal api
 * 32000, the message's kind and the controller input it carries), so a test can see which Kafka APIs
 * the nodes speak to each other.
 *
 * Owns: the listening socket, the pairs it relays and what it noted (at most `framesNotedMax`). Must
 * never change, reorder or drop a byte: it only reads a copy of the stream towards the target.
 */
import { FrameReader } from "@eddy/protocol";
import type { Socket, TCPSocketListener } from "bun";

/** Frames noted; later ones are counted but not kept, so a long test cannot grow this without bound. */
export const framesNotedMax = 100_000;
/** Bytes one side may hold while the other is not open yet or cannot take more; past it the pair closes. */
const pendingBytesMax = 16 * 1024 * 1024;

export interface NotedFrame {
  readonly apiKey: number;
  readonly apiVersion: number;
  /** For api 32000: the internal message's kind, and the controller input's type when it carries one. */
  readonly internalKind?: string;
  readonly inputType?: string;
  /** The frame without its size prefix, for a test that decodes it. */
  readonly payload: Uint8Array;
}

interface Side {
  peer: Socket<Side> | null;
  pending: Uint8Array[];
  pendingBytes: number;
  /** Set on the side facing the node: its requests are read here. */
  reader: FrameReader | null;
}

const decoder = new TextDecoder();

export class FrameTapProxy {
  private readonly listener: TCPSocketListener<Side>;
  readonly frames: NotedFrame[] = [];
  framesSeen = 0;

  constructor(
    readonly targetHost: string,
    readonly targetPort: number,
  ) {
    const proxy = this;
    this.listener = Bun.listen<Side>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(client) {
          client.data = { peer: null, pending: [], pendingBytes: 0, reader: new FrameReader() };
          void Bun.connect<Side>({
            hostname: proxy.targetHost,
            port: proxy.targetPort,
            data: { peer: client, pending: [], pendingBytes: 0, reader: null },
            socket: {
              data: (s, chunk) => proxy.relay(s, chunk),
              drain: (s) => proxy.flush(s.data.peer),
              close: (s) => {
                s.data.peer?.end();
              },
              error: (s) => {
                s.data.peer?.end();
              },
            },
          }).then(
            (upstream) => {
              client.data.peer = upstream;
              proxy.flush(client);
            },
            () => client.end(),
          );
        },
        data: (s, chunk) => proxy.relay(s, chunk),
        drain: (s) => proxy.flush(s.data.peer),
        close: (s) => {
          s.data.peer?.end();
        },
        error: (s) => {
          s.data.peer?.end();
        },
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  /** The api keys seen towards the target, each once, in ascending order. */
  apiKeys(): number[] {
    return [...new Set(this.frames.map((f) => f.apiKey))].sort((a, b) => a - b);
  }

  stop(): void {
    this.listener.stop(true);
  }

  private relay(from: Socket<Side>, chunk: Uint8Array): void {
    if (from.data.reader !== null) this.note(from.data.reader, chunk);
    // Bytes for the other side wait here until it is open (the node's first request comes at once).
    from.data.pending.push(chunk.slice());
    from.data.pendingBytes += chunk.length;
    if (from.data.pendingBytes > pendingBytesMax) {
      from.end();
      return;
    }
    this.flush(from);
  }

  /** Writes what `side` holds for its peer, as far as the peer takes it. */
  private flush(side: Socket<Side> | null): void {
    const to = side?.data.peer;
    if (side === null || side === undefined || to === null || to === undefined) return;
    const d = side.data;
    while (d.pending.length > 0) {
      const head = d.pending[0]!;
      const written = to.write(head);
      d.pendingBytes -= Math.max(0, written);
      if (written < head.length) {
        d.pending[0] = head.subarray(Math.max(0, written));
        return;
      }
      d.pending.shift();
    }
  }

  private note(reader: FrameReader, chunk: Uint8Array): void {
    for (const frame of reader.push(chunk)) {
      this.framesSeen++;
      if (this.frames.length >= framesNotedMax || frame.length < 4) continue;
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      const apiKey = view.getInt16(0);
      const apiVersion = view.getInt16(2);
      const payload = frame.slice();
      if (apiKey !== 32_000) {
        this.frames.push({ apiKey, apiVersion, payload });
        continue;
      }
      // Eddy's internal frame: header (10 bytes + client id), int32 JSON length, the JSON.
      const at = 10 + view.getInt16(8);
      const json = JSON.parse(decoder.decode(frame.subarray(at + 4, at + 4 + view.getInt32(at)))) as {
        kind?: string;
        input?: { type?: string };
      };
      this.frames.push({
        apiKey,
        apiVersion,
        payload,
        ...(json.kind === undefined ? {} : { internalKind: json.kind }),
        ...(json.input?.type === undefined ? {} : { inputType: json.input.type }),
      });
    }
  }
}
