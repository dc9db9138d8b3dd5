/**
 * A minimal Kafka client over a raw socket for tests that must send what real clients never do:
 * malformed frames, unknown keys, oversized frames and corrupt batches. It uses the generated codec
 * for well-formed requests, so a test can mix good and bad frames on one connection.
 */
import {
  type ApiKey,
  decodeResponse,
  encodeRequestFrame,
  type RequestInputByKey,
  type ResponseByKey,
  Writer,
} from "@eddy/protocol";

export class RawClient {
  private buffer = new Uint8Array(0);
  private waiters: (() => void)[] = [];
  closed = false;
  private correlationId = 1;

  private constructor(private readonly socket: Bun.Socket<undefined>) {}

  static async connect(port: number): Promise<RawClient> {
    let client: RawClient | null = null;
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, chunk) {
          if (client === null) return;
          const joined = new Uint8Array(client.buffer.length + chunk.length);
          joined.set(client.buffer, 0);
          joined.set(chunk, client.buffer.length);
          client.buffer = joined;
          for (const w of client.waiters.splice(0)) w();
        },
        close() {
          if (client === null) return;
          client.closed = true;
          for (const w of client.waiters.splice(0)) w();
        },
      },
    });
    client = new RawClient(socket);
    return client;
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  send<K extends ApiKey>(key: K, version: number, body: RequestInputByKey[K]): number {
    const correlationId = this.correlationId++;
    const frame = encodeRequestFrame(new Writer(), key, version, correlationId, "raw-test", body);
    this.socket.write(frame);
    return correlationId;
  }

  /** Resolves with the next response payload, or null when the broker closed the connection. */
  async nextFrame(timeoutMs = 5000): Promise<Uint8Array | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.buffer.length >= 4) {
        const size = new DataView(this.buffer.buffer, this.buffer.byteOffset).getInt32(0);
        if (this.buffer.length >= 4 + size) {
          const frame = this.buffer.slice(4, 4 + size);
          this.buffer = this.buffer.slice(4 + size);
          return frame;
        }
      }
      if (this.closed) return null;
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), Bun.sleep(50)]);
    }
    throw new Error("no response in time");
  }

  async request<K extends ApiKey>(
    key: K,
    version: number,
    body: RequestInputByKey[K],
  ): Promise<ResponseByKey[K]> {
    const id = this.send(key, version, body);
    const frame = await this.nextFrame();
    if (frame === null) throw new Error("connection closed");
    const decoded = decodeResponse(frame, key, version);
    if (decoded.correlationId !== id) throw new Error(`correlation ${decoded.correlationId} != ${id}`);
    return decoded.body;
  }

  close(): void {
    this.socket.end();
  }
}
