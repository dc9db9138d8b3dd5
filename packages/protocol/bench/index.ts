/**
 * Benchmarks for the record-batch path, each printed beside a baseline measured in the same run:
 *   1. CRC32C (native @node-rs/crc32) on 1 MiB, beside Bun.hash.crc32, zlib crc32 and a byte-sum loop.
 *   2. Header walk (length, magic, CRC) + base-offset rewrite on 1 MiB batches and on small batches,
 *      and the frame reader, each beside memcpy.
 *   3. A Produce request of 10,000 records of 100 bytes: encode (batch + request frame) and decode
 *      (request + every record), in records per second, uncompressed and per codec.
 * Run with `bun run bench`. Timings use the wall clock; nothing here is asserted.
 */

import * as zlib from "node:zlib";
import { crc32c as portableCrc32c } from "@aws-crypto/crc32c";
import {
  ApiKey,
  assignOffsets,
  type CompressionName,
  concatBatches,
  crc32c,
  crc32cImplementation,
  decodeRecordBatches,
  decodeRequest,
  encodeRecordBatch,
  encodeRequestFrame,
  FrameReader,
  iterateBatches,
  type KafkaRecordInput,
  rewriteBaseOffset,
  Writer,
} from "../src/index.ts";

const warmupMs = 100;
const sampleMs = 2;
const samples = 80;
/** Slow operations keep sampling for at least this long, so they too get an undisturbed sample. */
const sampleTotalMsMin = 500;
const mib = 1024 * 1024;

/**
 * Times `op` in samples of ~2 ms (enough repetitions to dwarf timer resolution) and returns ops/second
 * from the fastest sample. The fastest, not the mean, because the machine is shared: the fastest
 * sample is the one least disturbed by other work, which makes figures comparable across runs.
 */
function opsPerSecond(op: () => void): number {
  const warmEnd = performance.now() + warmupMs;
  let reps = 0;
  while (performance.now() < warmEnd) {
    op();
    reps += 1;
  }
  const perSample = Math.max(1, Math.round((reps * sampleMs) / warmupMs));
  let bestMs = Number.POSITIVE_INFINITY;
  const sampleEnd = performance.now() + sampleTotalMsMin;
  for (let sample = 0; sample < samples || performance.now() < sampleEnd; sample += 1) {
    const start = performance.now();
    for (let i = 0; i < perSample; i += 1) op();
    bestMs = Math.min(bestMs, performance.now() - start);
  }
  return (perSample * 1000) / bestMs;
}

function gbps(bytesPerOp: number, ops: number): string {
  return `${((bytesPerOp * ops) / 1e9).toFixed(2)} GB/s`;
}

function row(label: string, value: string, note = ""): void {
  console.log(`  ${label.padEnd(52)} ${value.padStart(16)}  ${note}`);
}

let sink = 0;

// ---- 1. CRC32C ----------------------------------------------------------------------------------

const buffer = new Uint8Array(mib).map((_, i) => (i * 2654435761) >>> 24);
console.log("CRC32C on 1 MiB");
row(
  `crc32c (${crc32cImplementation === "native" ? "@node-rs/crc32" : "@aws-crypto/crc32c"}, used by batches)`,
  gbps(
    mib,
    opsPerSecond(() => (sink ^= crc32c(buffer))),
  ),
);
row(
  "portable crc32c (@aws-crypto/crc32c, browsers only)",
  gbps(
    mib,
    opsPerSecond(() => (sink ^= portableCrc32c(buffer))),
  ),
);
row(
  "baseline: Bun.hash.crc32 (CRC32, not C)",
  gbps(
    mib,
    opsPerSecond(() => (sink ^= Bun.hash.crc32(buffer))),
  ),
);
row(
  "baseline: node:zlib crc32 (CRC32, not C)",
  gbps(
    mib,
    opsPerSecond(() => (sink ^= zlib.crc32(buffer))),
  ),
);
row(
  "baseline: plain byte-sum loop",
  gbps(
    mib,
    opsPerSecond(() => {
      let sum = 0;
      for (let i = 0; i < buffer.length; i += 1) sum = (sum + buffer[i]!) | 0;
      sink ^= sum;
    }),
  ),
);

// ---- 2. Header walk + base-offset rewrite -------------------------------------------------------

const value100 = new Uint8Array(100).map((_, i) => (i * 7) & 0xff);
function records(count: number): KafkaRecordInput[] {
  return Array.from({ length: count }, (_, i) => ({ key: null, value: value100, timestampDelta: i & 7 }));
}
// About 1 MiB per batch: 100-byte values cost ~108 bytes per record on the wire.
const oneMibBatch = encodeRecordBatch({ records: records(9700), baseTimestamp: 1_700_000_000_000n });
const batchCount = 16;
const range = concatBatches(Array.from({ length: batchCount }, () => oneMibBatch));
const copyTarget = new Uint8Array(range.length);
console.log(
  `\nHeader decode + base-offset rewrite, ${batchCount} batches of ${(oneMibBatch.length / mib).toFixed(2)} MiB`,
);
let nextOffset = 0n;
row(
  "iterateBatches (CRC checked) + rewriteBaseOffset",
  gbps(
    range.length,
    opsPerSecond(() => {
      for (const slice of iterateBatches(range)) {
        rewriteBaseOffset(slice.bytes, nextOffset);
        nextOffset += BigInt(slice.header.lastOffsetDelta) + 1n;
      }
    }),
  ),
);
row(
  "assignOffsets (validate all, then rewrite)",
  gbps(
    range.length,
    opsPerSecond(() => {
      nextOffset = assignOffsets(range, nextOffset).nextOffset;
    }),
  ),
);
const headerWalkRate = opsPerSecond(() => {
  for (const slice of iterateBatches(range, { verifyCrc: false })) rewriteBaseOffset(slice.bytes, 1n);
});
row(
  "iterateBatches (CRC not checked) + rewriteBaseOffset",
  `${(1e9 / (headerWalkRate * batchCount)).toFixed(0)} ns/batch`,
  "header-only cost, independent of batch size",
);
row(
  "baseline: memcpy of the same bytes",
  gbps(
    range.length,
    opsPerSecond(() => copyTarget.set(range)),
  ),
);

// Small batches stress the per-batch cost (header object, generator step) rather than the CRC.
const smallBatch = encodeRecordBatch({ records: records(9), baseTimestamp: 1_700_000_000_000n });
const smallCount = 4096;
const smallRange = concatBatches(Array.from({ length: smallCount }, () => smallBatch));
const smallTarget = new Uint8Array(smallRange.length);
console.log(`\nSame, ${smallCount} batches of ${smallBatch.length} B`);
const smallRate = opsPerSecond(() => {
  nextOffset = assignOffsets(smallRange, nextOffset).nextOffset;
});
row(
  "assignOffsets (validate all, then rewrite)",
  gbps(smallRange.length, smallRate),
  `${((smallRate * smallCount) / 1e6).toFixed(2)} M batches/s`,
);
row(
  "baseline: memcpy of the same bytes",
  gbps(
    smallRange.length,
    opsPerSecond(() => smallTarget.set(smallRange)),
  ),
);

// ---- Frame reader ----------------------------------------------------------------------------------

const frameStream = new Uint8Array(mib);
for (let pos = 0; pos < frameStream.length; pos += 1024) new DataView(frameStream.buffer).setInt32(pos, 1020);
const chunkBytes = 64 * 1024 + 7;
const chunks: Uint8Array[] = [];
for (let pos = 0; pos < frameStream.length; pos += chunkBytes)
  chunks.push(frameStream.subarray(pos, pos + chunkBytes));
console.log(`\nFrame reader: 1 MiB of 1 KiB frames in ${chunks.length} chunks of ${chunkBytes} B`);
row(
  "FrameReader.push",
  gbps(
    frameStream.length,
    opsPerSecond(() => {
      const reader = new FrameReader();
      for (const chunk of chunks) sink ^= reader.push(chunk).length;
    }),
  ),
);
row(
  "baseline: memcpy of the same bytes",
  gbps(
    frameStream.length,
    opsPerSecond(() => copyTarget.set(frameStream)),
  ),
);

// ---- 3. Produce request with 10,000 x 100 B records -----------------------------------------------

const recordCount = 10_000;
const produceInputs = records(recordCount);
const writer = new Writer(4 * mib);
const produceVersion = 9;

function encodeProduce(compression: CompressionName): Uint8Array {
  const batch = encodeRecordBatch({ records: produceInputs, compression, baseTimestamp: 1_700_000_000_000n });
  writer.offset = 0;
  return encodeRequestFrame(writer, ApiKey.Produce, produceVersion, 1, "bench", {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [{ name: "bench", partitionData: [{ index: 0, records: batch }] }],
  });
}

function decodeProduce(frame: Uint8Array): number {
  const request = decodeRequest(frame.subarray(4));
  if (request.apiKey !== ApiKey.Produce) throw new Error("not a produce request");
  let decoded = 0;
  for (const topic of request.body.topicData) {
    for (const partition of topic.partitionData) {
      for (const batch of decodeRecordBatches(partition.records!)) decoded += batch.records.length;
    }
  }
  return decoded;
}

console.log(
  `\nProduce request v${produceVersion}, ${recordCount} records of 100 B (generated codec + record batches)`,
);
for (const compression of ["none", "lz4", "zstd", "snappy", "gzip"] as const) {
  const frame = encodeProduce(compression).slice();
  if (decodeProduce(frame) !== recordCount) throw new Error("round trip lost records");
  const encodeRate = opsPerSecond(() => (sink ^= encodeProduce(compression).length)) * recordCount;
  const decodeRate = opsPerSecond(() => (sink ^= decodeProduce(frame))) * recordCount;
  row(
    `${compression}: encode / decode (frame ${(frame.length / 1024).toFixed(0)} KiB)`,
    `${(encodeRate / 1e6).toFixed(2)} / ${(decodeRate / 1e6).toFixed(2)}`,
    "M records/s",
  );
}
const plainFrame = encodeProduce("none").slice();
row(
  "baseline: memcpy of the uncompressed request frame",
  `${((opsPerSecond(() => copyTarget.set(plainFrame)) * recordCount) / 1e6).toFixed(2)}`,
  "M records/s",
);

console.log(`\n(sink ${sink & 1})`);
