/**
 * A TCP relay for the cluster tests of replication on the wire: node -> tap -> node, relaying bytes
 * both ways unchanged while it reads the request frames going to its node (api key, version and, for
 * Fetch, the decoded body's replica, topics and fetch session fields; for Eddy's internal api the
 * message's kind). Used by cluster-replica-fetch.test.ts and cluster-replica-fetch-session.test.ts.
 *
 * Owns: its listener, the pairs it relays and the frames it noted (at most `framesSeenMax`). Must
 * never change, reorder or drop a byte.
 */
import { ApiKey, decodeRequest, type FetchRequest } from "@eddy/protocol";
import type { Socket, TCPSocketListener } from "bun";
import { eddyInternalApiKey } from "../src/cluster/internal-message.ts";

/** Bytes one direction of a tapped connection may hold unread; a stream past it is closed. */
const tapPendingBytesMax = 64 * 1024 * 1024;
/** Frames a tap remembers; the test needs a handful. */
const framesSeenMax = 100_000;

export interface SeenFrame {
  readonly apiKey: number;
  readonly apiVersion: number;
  /**
   * ReplicaState.ReplicaId and ReplicaEpoch of a Fetch, its topic ids, its session (KIP-227) and how
   * many partitions it names and forgets; null for other keys.
   */
  readonly fetch: {
    replicaId: number;
    replicaEpoch: bigint;
    topicIds: string[];
    sessionId: number;
    sessionEpoch: number;
    partitionCount: number;
    forgottenCount: number;
  } | null;
  /** For an internal frame: its JSON's kind. */
  readonly internalKind: string | null;
}

interface TapSide {
  peer: Socket<TapSide> | null;
  pending: Uint8Array[];
  /** Set on the side the dialling node writes to: its bytes are read as request frames. */
  reader: FrameCutter | null;
  closed: boolean;
}

/** Cuts a byte stream into size-prefixed frames; bounded by `tapPendingBytesMax`. */
export class FrameCutter {
  private buffered = new Uint8Array(0);
  constructor(private readonly onFrame: (frame: Uint8Array) => void) {}
  push(chunk: Uint8Array): void {
    const joined = new Uint8Array(this.buffered.length + chunk.length);
    joined.set(this.buffered);
    joined.set(chunk, this.buffered.length);
    let at = 0;
    while (joined.length - at >= 4) {
      const size = new DataView(joined.buffer, at, 4).getInt32(0);
      if (size < 0 || size > tapPendingBytesMax) throw new Error(`frame size ${size}`);
      if (joined.length - at - 4 < size) break;
      this.onFrame(joined.subarray(at + 4, at + 4 + size));
      at += 4 + size;
    }
    this.buffered = joined.slice(at);
  }
}

/** A relay from one node to another that records the request frames it carries. */
export class Tap {
  readonly frames: SeenFrame[] = [];
  private readonly listener: TCPSocketListener<TapSide>;

  constructor(targetPort: number) {
    const tap = this;
    const relay = (from: Socket<TapSide>, chunk: Uint8Array) => {
      if (from.data.closed) return;
      from.data.reader?.push(chunk);
      const to = from.data.peer;
      if (to === null) from.data.pending.push(new Uint8Array(chunk));
      else to.write(chunk);
    };
    const closeBoth = (socket: Socket<TapSide>) => {
      socket.data.closed = true;
      const peer = socket.data.peer;
      if (peer !== null && !peer.data.closed) {
        peer.data.closed = true;
        peer.end();
      }
    };
    this.listener = Bun.listen<TapSide>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(client) {
          client.data = {
            peer: null,
            pending: [],
            reader: new FrameCutter((frame) => tap.record(frame)),
            closed: false,
          };
          void Bun.connect<TapSide>({
            hostname: "127.0.0.1",
            port: targetPort,
            data: { peer: client, pending: [], reader: null, closed: false },
            socket: {
              data: relay,
              close: closeBoth,
              error: closeBoth,
            },
          }).then(
            (upstream) => {
              if (client.data.closed) {
                upstream.end();
                return;
              }
              client.data.peer = upstream;
              for (const chunk of client.data.pending.splice(0)) upstream.write(chunk);
            },
            () => client.end(),
          );
        },
        data: relay,
        close: closeBoth,
        error: closeBoth,
      },
    });
  }

  get port(): number {
    return this.listener.port;
  }

  stop(): void {
    this.listener.stop(true);
  }

  private record(frame: Uint8Array): void {
    if (this.frames.length >= framesSeenMax || frame.length < 4) return;
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const apiKey = view.getInt16(0);
    const apiVersion = view.getInt16(2);
    let fetch: SeenFrame["fetch"] = null;
    let internalKind: string | null = null;
    if (apiKey === ApiKey.Fetch) {
      let body: FetchRequest;
      try {
        body = decodeRequest(frame).body as FetchRequest;
      } catch (error) {
        // Clients pass the PLAINTEXT taps too; a fetch this codec does not read is a client's.
        console.log(`tap: unread Fetch v${apiVersion}: ${(error as Error).message}`);
        this.frames.push({ apiKey, apiVersion, fetch: null, internalKind });
        return;
      }
      fetch = {
        replicaId: apiVersion >= 15 ? body.replicaState.replicaId : body.replicaId,
        replicaEpoch: body.replicaState.replicaEpoch,
        topicIds: body.topics.map((t) => t.topicId),
        sessionId: body.sessionId,
        sessionEpoch: body.sessionEpoch,
        partitionCount: body.topics.reduce((n, t) => n + t.partitions.length, 0),
        forgottenCount: body.forgottenTopicsData.reduce((n, t) => n + t.partitions.length, 0),
      };
    } else if (apiKey === eddyInternalApiKey) {
      // The JSON's kind, read from the text: a frame of a kind this build no longer decodes counts too.
      const match = /"kind":"([a-zA-Z]+)"/.exec(new TextDecoder().decode(frame));
      internalKind = match?.[1] ?? "?";
    }
    this.frames.push({ apiKey, apiVersion, fetch, internalKind });
  }
}
