/**
 * Paces the runtime's garbage collector by the bytes the broker receives. Owns one counter: after
 * every `intervalBytes` of request bytes it asks for a concurrent full collection. It must never
 * collect synchronously (a stop-the-world pause is request latency: a forced full collection of
 * this heap takes 20 to 45 ms, measured) and never run while nothing arrives (an idle broker does
 * no work for it).
 *
 * Why: every request's bytes are a fresh buffer from the socket, so garbage grows at the produce
 * rate (about 250 MB/s here). The runtime starts a full collection when its heap has about doubled
 * since the last one, and the tail cache is part of that heap, so with `eddy.log.tail.cache.bytes`
 * raised to 268 MB the process peaked at 525-540 MB (idle after: 375-405 MB). Asking for a
 * concurrent collection (which also has the allocator return freed pages) every 64 MiB received
 * gave 477-496 MB, every 32 MiB 446 MB, every 16 MiB 419 MB, at the same produce rate; with the
 * default 16 MiB cache, every 16 MiB received gave 177 MB against 185-195 MB without (issue 15;
 * `apps/perf/bench/memory.ts`). Kafka bounds its heap with the JVM's `-Xmx` in its start script;
 * this is the nearest lever a Bun process has over its own heap.
 */

export class CollectionPacer {
  private receivedBytes = 0;
  /** Collections asked for since start (the admin metrics and tests read it). */
  collectionsRequested = 0;

  /**
   * `intervalBytes` 0 turns pacing off. `collect` asks the runtime for a collection without
   * waiting for it; tests pass their own.
   */
  constructor(
    readonly intervalBytes: number,
    private readonly collect: () => void = () => Bun.gc(false),
  ) {
    if (!Number.isSafeInteger(intervalBytes) || intervalBytes < 0) {
      throw new RangeError(`a collection interval is a whole number of bytes, not ${intervalBytes}`);
    }
  }

  /** Counts bytes received; past the interval, asks for a collection and starts counting again. */
  received(bytes: number): void {
    if (this.intervalBytes === 0) return;
    this.receivedBytes += bytes;
    if (this.receivedBytes < this.intervalBytes) return;
    this.receivedBytes = 0;
    this.collectionsRequested += 1;
    this.collect();
  }
}
