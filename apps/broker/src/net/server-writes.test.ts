/**
 * The server's response writes, in process with a handler that answers each frame through a promise
 * (as the broker's async handlers do): the responses to frames that arrive in one read finish in the
 * same run of microtasks and leave in one socket write, in request order, rather than one write each;
 * a response finished later is written in the turn it finished (before a macrotask queued after
 * it), without waiting for anything else; a response in parts (a fetch's header, referenced records
 * and trailer) leaves in one write while it fits the join bound.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { Server } from "./server.ts";

/** A response frame: size prefix and a 4-byte body holding `n`. */
function frameOf(n: number): Uint8Array {
  const frame = new Uint8Array(8);
  const view = new DataView(frame.buffer);
  view.setInt32(0, 4);
  view.setInt32(4, n);
  return frame;
}

/**
 * A response frame in three parts, as a zero-copy fetch response is: the size prefix and `n`, then
 * `n` bytes of 7s, then 4 bytes of 9s.
 */
function partsOf(n: number): Uint8Array[] {
  const head = frameOf(n);
  new DataView(head.buffer).setInt32(0, 4 + n + 4);
  return [head, new Uint8Array(n).fill(7), new Uint8Array(4).fill(9)];
}

/** Frames whose answers the test releases by hand, by the number each carries. */
const held = new Map<number, () => void>();
let server: Server;

beforeAll(() => {
  server = new Server({
    listeners: [
      {
        name: "PLAINTEXT",
        host: "127.0.0.1",
        port: 0,
        advertisedHost: "127.0.0.1",
        advertisedPort: 0,
        // Echoes the frame's number after a few microtask hops; a negative number waits for the test.
        handler: {
          handle: async (frame) => {
            const n = new DataView(frame.buffer, frame.byteOffset).getInt32(0);
            if (n < 0) await new Promise<void>((resolve) => held.set(n, resolve));
            await Promise.resolve();
            return n >= 1000 ? partsOf(n) : frameOf(n);
          },
        },
        tls: null,
      },
    ],
    frameBytesMax: 1 << 20,
    connectionsMax: 10,
    inflightRequestsMax: 100,
    outboundBytesMax: 1 << 20,
    log: () => {},
  });
  server.start();
});
afterAll(async () => {
  await server.stop(1_000);
});

/** A client that collects every byte it reads and counts its reads. */
async function connect(): Promise<{
  socket: Bun.Socket<undefined>;
  bytes: () => Uint8Array;
  until: (n: number) => Promise<void>;
}> {
  let received = new Uint8Array(0);
  let wake: (() => void) | null = null;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.portOf("PLAINTEXT"),
    socket: {
      data(_s, chunk) {
        const joined = new Uint8Array(received.length + chunk.length);
        joined.set(received, 0);
        joined.set(chunk, received.length);
        received = joined;
        wake?.();
      },
    },
  });
  const until = async (bytesCount: number): Promise<void> => {
    const deadline = performance.now() + 10_000;
    while (received.length < bytesCount && performance.now() < deadline)
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
  };
  return { socket, bytes: () => received, until };
}

const numbersIn = (bytes: Uint8Array): number[] => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: number[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += 8) out.push(view.getInt32(at + 4));
  return out;
};

test("the responses to frames of one read leave in one write, in order", async () => {
  const client = await connect();
  const before = server.writeCounts;
  // Ten frames in one client write: the server reads them together.
  const request = new Uint8Array(80);
  for (let i = 0; i < 10; i++) request.set(frameOf(i + 1), i * 8);
  client.socket.write(request);
  await client.until(80);
  expect(numbersIn(client.bytes())).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const after = server.writeCounts;
  expect(after.responses - before.responses).toBe(10);
  // One write for all ten (a write per response before the flush was queued).
  expect(after.socketWrites - before.socketWrites).toBe(1);
  client.socket.end();
});

test("a response finished later leaves on its own, behind the earlier ones", async () => {
  const client = await connect();
  const before = server.writeCounts;
  const request = new Uint8Array(16);
  request.set(frameOf(-1), 0);
  request.set(frameOf(2), 8);
  client.socket.write(request);
  // Nothing can leave while the first response is held: responses keep request order.
  while (!held.has(-1)) await Bun.sleep(1);
  expect(client.bytes().length).toBe(0);
  held.get(-1)!();
  // Written in the turn the response finished, before any macrotask queued after it: no timer and
  // no setImmediate stands between a finished response and its write.
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(server.writeCounts.socketWrites - before.socketWrites).toBe(1);
  await client.until(16);
  expect(numbersIn(client.bytes())).toEqual([-1, 2]);
  expect(server.writeCounts.socketWrites - before.socketWrites).toBe(1);
  client.socket.end();
});

test("a response in parts leaves in one write while it fits the join bound, else part by part", async () => {
  for (const [n, writes] of [
    [20_000, 1],
    [300_000, 3],
  ] as const) {
    const client = await connect();
    const before = server.writeCounts;
    client.socket.write(frameOf(n));
    const total = 8 + n + 4;
    await client.until(total);
    const bytes = client.bytes();
    expect(bytes.length).toBe(total);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getInt32(4)).toBe(n);
    expect(bytes[8]).toBe(7);
    expect(bytes[8 + n - 1]).toBe(7);
    expect([...bytes.subarray(8 + n)]).toEqual([9, 9, 9, 9]);
    // Over the bound the records part goes alone (in more writes if the kernel takes it in pieces);
    // the 8-byte head cannot join it, nor the 4-byte tail.
    const written = server.writeCounts.socketWrites - before.socketWrites;
    if (writes === 1) expect(written).toBe(1);
    else expect(written).toBeGreaterThanOrEqual(writes);
    client.socket.end();
  }
});
