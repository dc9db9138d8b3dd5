/**
 * A throwaway Kafka-speaking listener on 127.0.0.1, just enough for kcat (librdkafka) to produce to and
 * consume from one partition of topic "t": ApiVersions v0, Metadata v0, Produce v7 (captures each
 * partition's `records` bytes) and Fetch v11 (serves given batches once, then empty fetches). It
 * writes responses by hand on purpose: the record-batch tests must not depend on the generated codec.
 * Used by records-kcat.test.ts and records-golden/capture-kcat.ts. Every wait is bounded.
 */

import { FrameReader } from "../src/index.ts";

/** kcat runs are short; one that hangs is killed after this long. */
export const kcatTimeoutMs = 20_000;

class ResponseWriter {
  private parts: number[] = [];
  int8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  int16(v: number): this {
    return this.int8(v >> 8).int8(v);
  }
  int32(v: number): this {
    return this.int16(v >> 16).int16(v);
  }
  int64(v: bigint): this {
    return this.int32(Number((v >> 32n) & 0xffffffffn) | 0).int32(Number(v & 0xffffffffn) | 0);
  }
  string(s: string): this {
    const b = new TextEncoder().encode(s);
    this.int16(b.length);
    for (const x of b) this.int8(x);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.int32(b.length);
    for (const x of b) this.int8(x);
    return this;
  }
  frame(correlationId: number): Uint8Array {
    const out = new Uint8Array(8 + this.parts.length);
    const view = new DataView(out.buffer);
    view.setInt32(0, 4 + this.parts.length);
    view.setInt32(4, correlationId);
    out.set(this.parts, 8);
    return out;
  }
}

// librdkafka enables lz4 only when FindCoordinator is advertised, zstd only with Produce 7 and Fetch 10.
const advertised: readonly (readonly [number, number, number])[] = [
  [0, 0, 7],
  [1, 0, 11],
  [3, 0, 0],
  [10, 0, 0],
  [18, 0, 0],
];

export interface FakeBroker {
  readonly port: number;
  /** `records` of every Produce partition received, in order. */
  readonly produced: Uint8Array[];
  /**
   * Batches served by the next first Fetch of each connection, with the partition's high watermark and
   * the aborted transactions (producer id, first offset) a read_committed consumer must skip.
   */
  serve(records: Uint8Array, highWatermark: bigint, aborted?: readonly (readonly [bigint, bigint])[]): void;
  stop(): void;
}

export function startFakeBroker(): FakeBroker {
  const produced: Uint8Array[] = [];
  let served: {
    records: Uint8Array;
    highWatermark: bigint;
    aborted: readonly (readonly [bigint, bigint])[];
  } = { records: new Uint8Array(0), highWatermark: 0n, aborted: [] };

  function handle(request: Uint8Array, port: number, state: { fetches: number }): Uint8Array {
    const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
    const apiKey = view.getInt16(0);
    const apiVersion = view.getInt16(2);
    const correlationId = view.getInt32(4);
    let pos = 10 + Math.max(0, view.getInt16(8));
    if (apiKey === 18) {
      const w = new ResponseWriter().int16(apiVersion === 0 ? 0 : 35).int32(advertised.length);
      for (const [key, min, max] of advertised) w.int16(key).int16(min).int16(max);
      return w.frame(correlationId);
    }
    if (apiKey === 3) {
      const w = new ResponseWriter().int32(1).int32(1).string("127.0.0.1").int32(port);
      w.int32(1).int16(0).string("t").int32(1).int16(0).int32(0).int32(1).int32(1).int32(1).int32(1).int32(1);
      return w.frame(correlationId);
    }
    if (apiKey === 0 && apiVersion === 7) {
      pos += 2 + Math.max(0, view.getInt16(pos)) + 2 + 4;
      const topics = view.getInt32(pos);
      pos += 4;
      for (let t = 0; t < topics; t += 1) {
        pos += 2 + view.getInt16(pos);
        const partitions = view.getInt32(pos);
        pos += 4;
        for (let p = 0; p < partitions; p += 1) {
          const size = view.getInt32(pos + 4);
          produced.push(request.slice(pos + 8, pos + 8 + size));
          pos += 8 + size;
        }
      }
      const w = new ResponseWriter().int32(1).string("t").int32(1).int32(0).int16(0);
      return w.int64(0n).int64(-1n).int64(0n).int32(0).frame(correlationId);
    }
    if (apiKey === 1 && apiVersion === 11) {
      const records = state.fetches === 0 ? served.records : new Uint8Array(0);
      state.fetches += 1;
      const w = new ResponseWriter().int32(0).int16(0).int32(0).int32(1).string("t").int32(1);
      w.int32(0)
        .int16(0)
        .int64(served.highWatermark)
        .int64(served.highWatermark)
        .int64(0n)
        .int32(served.aborted.length);
      for (const [producerId, firstOffset] of served.aborted) w.int64(producerId).int64(firstOffset);
      return w.int32(-1).bytes(records).frame(correlationId);
    }
    throw new Error(`fake broker: unexpected request api ${apiKey} v${apiVersion}`);
  }

  const server = Bun.listen<{ reader: FrameReader; fetches: number }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { reader: new FrameReader({ frameBytesMax: 16 << 20 }), fetches: 0 };
      },
      data(socket, chunk) {
        for (const request of socket.data.reader.push(new Uint8Array(chunk))) {
          socket.write(handle(request, server.port, socket.data));
        }
      },
    },
  });
  return {
    port: server.port,
    produced,
    serve(records, highWatermark, aborted = []) {
      served = { records, highWatermark, aborted };
    },
    stop() {
      server.stop(true);
    },
  };
}

/** Runs kcat with `args` against `broker`, feeding `stdin`; returns its stdout. Killed after the timeout. */
export async function runKcat(broker: FakeBroker, args: readonly string[], stdin = ""): Promise<string> {
  const kcat = Bun.spawn(["kcat", "-b", `127.0.0.1:${broker.port}`, ...args], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  kcat.stdin.write(stdin);
  await kcat.stdin.end();
  const timer = setTimeout(() => kcat.kill(), kcatTimeoutMs);
  const [stdout, stderr, code] = await Promise.all([
    new Response(kcat.stdout).text(),
    new Response(kcat.stderr).text(),
    kcat.exited,
  ]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`kcat ${args.join(" ")} exited ${code}: ${stderr}`);
  return stdout;
}
