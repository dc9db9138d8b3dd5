/**
 * A preload that samples the process's memory every MEMPROBE_MS (5,000 by default) into
 * MEMPROBE_OUT (one JSON line each): RSS, heap and ArrayBuffer bytes before and after a forced full
 * GC, and JSC's largest object counts. The "after GC" figures are what is really retained; the
 * difference from RSS is memory the allocator has not given back. Usage:
 *   MEMPROBE_OUT=/tmp/heap.log bun --preload ./apps/broker/bench/mem-probe.ts apps/broker/src/main.ts
 */
import { heapStats } from "bun:jsc";
import { appendFileSync } from "node:fs";

const out = process.env.MEMPROBE_OUT ?? "/tmp/mem-probe.log";
const everyMs = Number(process.env.MEMPROBE_MS ?? 5000);
const mb = (bytes: number) => Math.round(bytes / 1e6);

setInterval(() => {
  const before = process.memoryUsage();
  Bun.gc(true);
  const after = process.memoryUsage();
  const stats = heapStats();
  const top = Object.entries(stats.objectTypeCounts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  const line = {
    t: new Date().toISOString().slice(11, 19),
    rssMB: mb(before.rss),
    heapUsedMB: mb(before.heapUsed),
    arrayBuffersMB: mb(before.arrayBuffers),
    afterGc: { rssMB: mb(after.rss), heapUsedMB: mb(after.heapUsed), arrayBuffersMB: mb(after.arrayBuffers) },
    objects: stats.objectCount,
    top,
  };
  appendFileSync(out, `${JSON.stringify(line)}\n`);
}, everyMs).unref();
