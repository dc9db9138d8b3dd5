/**
 * A small Kafka peer for the peer client's tests: a Bun TCP server that reads real request frames
 * (`@eddy/protocol`'s frame reader and codec) and answers ApiVersions and Fetch with real response
 * frames. Its answers are shaped to make the client's work visible: a Fetch is answered after its own
 * `maxWaitMs` (so pipelined requests come back out of order) with `throttleTimeMs` echoing it, and
 * ApiVersions echoes its `clientSoftwareVersion` as `throttleTimeMs`. It can go silent, stop and
 * start again on the same port.
 */
import {
  ApiKey,
  decodeRequest,
  encodeResponseFrame,
  FrameReader,
  type KafkaRequest,
  Writer,
} from "@eddy/protocol";
import type { Socket, TCPSocketListener } from "bun";

export interface TestPeer {
  readonly port: number;
  /** Requests received, in arrival order, over every connection. */
  readonly received: { apiKey: number; correlationId: number }[];
  /** Connections accepted so far. */
  connectionsAccepted: number;
  /** While true, requests are read and never answered. */
  silent: boolean;
  /** Stops listening and closes every connection (the peer goes down). */
  stop(): void;
  /** Listens again on the same port (the peer comes back). */
  restart(): void;
}

/** The most connections the test peer holds; tests open one or two. */
const connectionsMax = 64;

function answer(request: KafkaRequest): { delayMs: number; frame: Uint8Array } | null {
  const { correlationId } = request.header;
  if (request.apiKey === ApiKey.ApiVersions) {
    const echo = Number(request.body.clientSoftwareVersion) || 0;
    const body = {
      errorCode: 0,
      apiKeys: [{ apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 11 }],
      throttleTimeMs: echo,
    };
    return {
      delayMs: 0,
      frame: encodeResponseFrame(
        new Writer(),
        ApiKey.ApiVersions,
        request.apiVersion,
        correlationId,
        body,
      ).slice(),
    };
  }
  if (request.apiKey === ApiKey.Fetch) {
    const body = { throttleTimeMs: request.body.maxWaitMs, errorCode: 0, sessionId: 0, responses: [] };
    return {
      delayMs: request.body.maxWaitMs,
      frame: encodeResponseFrame(new Writer(), ApiKey.Fetch, request.apiVersion, correlationId, body).slice(),
    };
  }
  return null;
}

export function startTestPeer(port = 0): TestPeer {
  const sockets = new Set<Socket<FrameReader>>();
  let listener: TCPSocketListener<FrameReader> | null = null;
  const peer: TestPeer = {
    port: 0,
    received: [],
    connectionsAccepted: 0,
    silent: false,
    stop() {
      listener?.stop(true);
      listener = null;
      for (const socket of sockets) socket.terminate();
      sockets.clear();
    },
    restart() {
      listen(peer.port);
    },
  };
  const listen = (at: number): void => {
    listener = Bun.listen<FrameReader>({
      hostname: "127.0.0.1",
      port: at,
      socket: {
        open(socket) {
          if (sockets.size >= connectionsMax) {
            socket.terminate();
            return;
          }
          socket.data = new FrameReader();
          sockets.add(socket);
          peer.connectionsAccepted++;
        },
        data(socket, chunk) {
          for (const frame of socket.data.push(chunk)) {
            const request = decodeRequest(frame);
            peer.received.push({ apiKey: request.apiKey, correlationId: request.header.correlationId });
            if (peer.silent) continue;
            const reply = answer(request);
            if (reply === null) continue;
            const send = (): void => {
              if (sockets.has(socket)) socket.write(reply.frame);
            };
            if (reply.delayMs > 0) setTimeout(send, reply.delayMs);
            else send();
          }
        },
        close(socket) {
          sockets.delete(socket);
        },
        error(socket) {
          sockets.delete(socket);
        },
      },
    });
    (peer as { port: number }).port = listener.port;
  };
  listen(port);
  return peer;
}
