/**
 * What the connection's zero-copy responses stand on: Bun hands each socket read to the data handler
 * in a buffer of its own and never writes that buffer again. The connection keeps views into the
 * chunks (a fetch response's records are views into its frame, and a frame lying in one read is a
 * view into that chunk), so a runtime that reused its read buffer would corrupt records a consumer
 * has not read yet. This checks the promise itself over 32 MiB: every chunk is kept, with a copy
 * taken when it arrived, and after the last read each chunk must still equal its copy and no two
 * chunks may share a buffer.
 */
import { expect, test } from "bun:test";

test("each socket read arrives in a new buffer that the runtime never writes again", async () => {
  const totalBytes = 32 * 1024 * 1024;
  const blockBytes = 1 << 20;
  const server = Bun.listen<{ pump: () => void }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        const block = new Uint8Array(blockBytes);
        let sent = 0;
        // Each block has its own fill, so a reused buffer shows as changed bytes.
        socket.data = {
          pump: () => {
            while (sent < totalBytes) {
              const at = sent % blockBytes;
              if (at === 0) block.fill((sent / blockBytes) & 255);
              const written = socket.write(block.subarray(at));
              sent += Math.max(0, written);
              if (written < blockBytes - at) return;
            }
            socket.end();
          },
        };
        socket.data.pump();
      },
      drain(socket) {
        socket.data.pump();
      },
      data() {},
    },
  });
  const kept: Uint8Array[] = [];
  const copies: Uint8Array[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      Bun.connect({
        hostname: "127.0.0.1",
        port: server.port,
        socket: {
          data(_socket, chunk) {
            kept.push(chunk);
            copies.push(chunk.slice());
          },
          end: () => resolve(),
          close: () => resolve(),
          error: (_socket, error) => reject(error),
        },
      }).catch(reject);
    });
  } finally {
    server.stop(true);
  }
  const received = kept.reduce((sum, chunk) => sum + chunk.length, 0);
  expect(received).toBe(totalBytes);
  expect(kept.length).toBeGreaterThan(1);
  expect(new Set(kept.map((chunk) => chunk.buffer)).size).toBe(kept.length);
  for (let i = 0; i < kept.length; i++) expect(Buffer.compare(kept[i]!, copies[i]!)).toBe(0);
});
