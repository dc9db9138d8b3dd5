/**
 * The server's TLS listener in process, with a frame handler that only counts what reaches it: a
 * client that connects and never finishes its handshake is closed after the handshake bound with
 * nothing handled, while a client that finishes it stays connected past that bound and is served.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { removeDir, tempDir } from "../../test/harness.ts";
import { makeCertificates } from "../../test/tls-fixture.ts";
import { toListenerTls } from "../config/ssl-settings.ts";
import { type ConnectionInfo, Server } from "./server.ts";

const dir = tempDir("tls-server");
const certs = makeCertificates(dir);
const handshakeMsMax = 300;
const lines: string[] = [];
const handled: ConnectionInfo[] = [];
let server: Server;

beforeAll(() => {
  const properties = new Map([
    ["ssl.keystore.type", "PEM"],
    ["ssl.keystore.location", certs.serverKeystore],
  ]);
  server = new Server({
    listeners: [
      {
        name: "SSL",
        host: "127.0.0.1",
        port: 0,
        advertisedHost: "127.0.0.1",
        advertisedPort: 0,
        // Answers every frame with four zero bytes (an empty frame) and remembers the connection.
        handler: {
          handle: (_frame, connection) => {
            handled.push(connection);
            return new Uint8Array(4);
          },
        },
        tls: toListenerTls("SSL", {
          property: (name) => properties.get(name) ?? null,
          nowMs: Date.now(),
          sasl: false,
        }),
      },
    ],
    frameBytesMax: 1 << 20,
    connectionsMax: 10,
    inflightRequestsMax: 10,
    outboundBytesMax: 1 << 20,
    tlsHandshakeMsMax: handshakeMsMax,
    log: (line) => lines.push(line),
  });
  server.start();
});
afterAll(async () => {
  await server.stop(1_000);
  removeDir(dir);
});

test("a connection that never finishes its handshake is closed at the bound, nothing handled", async () => {
  let closedAfterMs = -1;
  const started = performance.now();
  await new Promise<void>((resolve) => {
    void Bun.connect({
      hostname: "127.0.0.1",
      port: server.portOf("SSL"),
      socket: {
        open(socket) {
          // Three bytes of a TLS record header: never a whole ClientHello.
          socket.write(new Uint8Array([0x16, 0x03, 0x01]));
        },
        close() {
          closedAfterMs = performance.now() - started;
          resolve();
        },
        data() {},
      },
    });
  });
  expect(closedAfterMs).toBeGreaterThanOrEqual(handshakeMsMax - 50);
  expect(closedAfterMs).toBeLessThan(handshakeMsMax + 2_000);
  expect(lines.some((l) => l.includes(`SSL: TLS handshake not finished within ${handshakeMsMax} ms`))).toBe(
    true,
  );
  expect(handled).toEqual([]);
});

test("a finished handshake is not cut by the bound, and its frames are handled", async () => {
  let received = 0;
  let closed = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.portOf("SSL"),
    tls: { ca: Bun.file(certs.caPem), serverName: "localhost" },
    socket: {
      data(_s, chunk) {
        received += chunk.length;
      },
      close() {
        closed = true;
      },
    },
  });
  await Bun.sleep(handshakeMsMax * 2);
  expect(closed).toBe(false);
  // One frame of four bytes (its size prefix says 4), then its answer.
  socket.write(new Uint8Array([0, 0, 0, 4, 1, 2, 3, 4]));
  for (let i = 0; i < 100 && received === 0; i++) await Bun.sleep(10);
  expect(received).toBe(4);
  expect(handled.length).toBe(1);
  expect(handled[0]!.tls?.peerPrincipal).toBe("User:ANONYMOUS");
  socket.end();
});
