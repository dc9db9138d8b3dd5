/**
 * Captures record batches exactly as a real client (kcat, librdkafka) writes them, for golden tests.
 * It runs a throwaway Kafka-speaking listener on 127.0.0.1 that answers just enough of ApiVersions
 * (v0), Metadata (v0) and Produce (v7) for kcat to send one Produce request per codec, and saves each
 * request's `records` bytes as hex in kcat-batches.json beside this file. It uses only this package's
 * frame reader; it is a dev tool (run `bun test/records-golden/capture-kcat.ts`), never part of tests.
 * Every wait in it is bounded.
 */

import { FrameReader } from "../../src/index.ts";

const codecs = (process.env.CODECS?.split(",") ?? [
  "none",
  "gzip",
  "snappy",
  "lz4",
  "zstd",
]) as readonly string[];
const kcatTimeoutMs = 20_000;
// -Z makes kcat send empty keys and values as null; the long value makes every codec worth applying
// (librdkafka sends a batch uncompressed when compression would not shrink it).
const messages = `k1:hello\n:no key here\nk3:\nk4:${"compressible ".repeat(40)}\n`;

class Writer {
  private parts: number[] = [];
  int8(v: number) {
    this.parts.push(v & 0xff);
    return this;
  }
  int16(v: number) {
    return this.int8(v >> 8).int8(v);
  }
  int32(v: number) {
    return this.int16(v >> 16).int16(v);
  }
  int64(v: bigint) {
    return this.int32(Number((v >> 32n) & 0xffffffffn) | 0).int32(Number(v & 0xffffffffn) | 0);
  }
  string(s: string) {
    const b = new TextEncoder().encode(s);
    this.int16(b.length);
    for (const x of b) this.int8(x);
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function frame(correlationId: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  const view = new DataView(out.buffer);
  view.setInt32(0, 4 + body.length);
  view.setInt32(4, correlationId);
  out.set(body, 8);
  return out;
}

const captured: Uint8Array[] = [];

function handle(request: Uint8Array, port: number): Uint8Array {
  const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
  const apiKey = view.getInt16(0);
  const apiVersion = view.getInt16(2);
  const correlationId = view.getInt32(4);
  const clientIdLength = view.getInt16(8);
  let pos = 10 + Math.max(0, clientIdLength);
  if (apiKey === 18) {
    const apis: [number, number, number][] = [
      [0, 0, 7],
      [1, 0, 11],
      [3, 0, 0],
      // librdkafka enables lz4 only for brokers that advertise FindCoordinator; we never serve it.
      [10, 0, 0],
      [18, 0, 0],
    ];
    const w = new Writer().int16(apiVersion === 0 ? 0 : 35).int32(apis.length);
    for (const [key, min, max] of apis) w.int16(key).int16(min).int16(max);
    return frame(correlationId, w.bytes());
  }
  if (apiKey === 3) {
    const w = new Writer().int32(1).int32(1).string("127.0.0.1").int32(port);
    w.int32(1).int16(0).string("t").int32(1).int16(0).int32(0).int32(1).int32(1).int32(1).int32(1).int32(1);
    return frame(correlationId, w.bytes());
  }
  if (apiKey === 0 && apiVersion === 7) {
    const txnLength = view.getInt16(pos);
    pos += 2 + Math.max(0, txnLength) + 2 + 4;
    const topics = view.getInt32(pos);
    pos += 4;
    for (let t = 0; t < topics; t += 1) {
      pos += 2 + view.getInt16(pos);
      const partitions = view.getInt32(pos);
      pos += 4;
      for (let p = 0; p < partitions; p += 1) {
        pos += 4;
        const size = view.getInt32(pos);
        pos += 4;
        captured.push(request.slice(pos, pos + size));
        pos += size;
      }
    }
    const w = new Writer()
      .int32(1)
      .string("t")
      .int32(1)
      .int32(0)
      .int16(0)
      .int64(0n)
      .int64(-1n)
      .int64(0n)
      .int32(0);
    return frame(correlationId, w.bytes());
  }
  throw new Error(`unexpected request api ${apiKey} v${apiVersion}`);
}

const server = Bun.listen<{ reader: FrameReader }>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(socket) {
      socket.data = { reader: new FrameReader({ frameBytesMax: 1 << 20 }) };
    },
    data(socket, chunk) {
      for (const request of socket.data.reader.push(new Uint8Array(chunk))) {
        socket.write(handle(request, server.port));
      }
    },
  },
});

const result: Record<string, string> = {};
for (const codec of codecs) {
  captured.length = 0;
  const kcat = Bun.spawn(
    [
      "kcat",
      "-P",
      "-b",
      `127.0.0.1:${server.port}`,
      "-t",
      "t",
      "-p",
      "0",
      "-K:",
      "-Z",
      "-H",
      "h1=x",
      "-H",
      "h2=",
      "-z",
      codec,
      ...(process.env.KCAT_DEBUG ? ["-d", process.env.KCAT_DEBUG] : []),
    ],
    { stdin: "pipe", stdout: "inherit", stderr: "inherit" },
  );
  kcat.stdin.write(messages);
  await kcat.stdin.end();
  const timer = setTimeout(() => kcat.kill(), kcatTimeoutMs);
  await kcat.exited;
  clearTimeout(timer);
  if (captured.length !== 1) throw new Error(`${codec}: captured ${captured.length} produce partitions`);
  result[codec] = Buffer.from(captured[0]!).toString("hex");
  console.log(codec, captured[0]!.length, "bytes");
}
server.stop(true);
await Bun.write(new URL("./kcat-batches.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
