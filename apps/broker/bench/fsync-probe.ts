/**
 * A preload that writes the broker's fsync counts (`@eddy/storage-fs`'s `fileSyncCounts`) to
 * FSYNC_PROBE_OUT as one JSON object every FSYNC_PROBE_MS (100 by default), so a benchmark can
 * print fsyncs per second beside a durable-produce figure without a metrics endpoint. It only reads
 * two counters; it must never change what the broker does. Usage:
 *   FSYNC_PROBE_OUT=/tmp/fsyncs.json bun --preload ./apps/broker/bench/fsync-probe.ts apps/broker/src/main.ts
 */
import { writeFileSync } from "node:fs";
import { fileSyncCounts } from "@eddy/storage-fs";

const out = process.env.FSYNC_PROBE_OUT ?? "/tmp/fsync-probe.json";
const everyMs = Math.max(10, Number(process.env.FSYNC_PROBE_MS ?? 100));

const write = () => writeFileSync(out, JSON.stringify({ atMs: Date.now(), ...fileSyncCounts }));
write();
// Unref'd: the probe never keeps a stopped broker alive.
setInterval(write, everyMs).unref();
