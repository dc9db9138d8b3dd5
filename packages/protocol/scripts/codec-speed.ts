// Throughput of the generated codec on the broker's hot paths, printed beside a baseline measured in the same
// run (JSON.parse/stringify of the same logical value, and a plain copy of the same bytes). Not a test: no
// timed assertions. Run: bun scripts/codec-speed.ts

import {
  ApiKey,
  decodeFetchRequest,
  decodeMetadataRequest,
  decodeProduceRequest,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  encodeProduceRequest,
  encodeResponseFrameParts,
  type FetchResponseInput,
  type MetadataResponseInput,
  Reader,
  Writer,
} from "../src/index.ts";

const iterationsMin = 2_000;
const durationMs = 1_000;

// Best of several rounds: the machine is shared, and the best round is the one least disturbed by others.
const roundCount = 5;

function measure(name: string, bytesPerOp: number, op: () => void): number {
  for (let i = 0; i < iterationsMin; i++) op();
  let best = 0;
  for (let round = 0; round < roundCount; round++) {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < durationMs / roundCount) {
      for (let i = 0; i < 50; i++) op();
      n += 50;
      now = performance.now();
    }
    const opsPerSec = (n * 1000) / (now - start);
    if (opsPerSec > best) best = opsPerSec;
  }
  const mbPerSec = (best * bytesPerOp) / 1e6;
  console.log(
    `${name.padEnd(58)} ${Math.round(best).toString().padStart(10)} ops/s ${mbPerSec.toFixed(0).padStart(7)} MB/s`,
  );
  return best;
}

const jsonReplacer = (_k: string, v: unknown) =>
  typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v;

// Produce v7 (non-flexible) and v9 (flexible): 4 topics x 8 partitions of 1 KiB batches.
for (const version of [7, 9]) {
  const produce = {
    acks: -1,
    timeoutMs: 30_000,
    topicData: Array.from({ length: 4 }, (_, t) => ({
      name: `topic-${t}`,
      partitionData: Array.from({ length: 8 }, (_, p) => ({
        index: p,
        records: new Uint8Array(1024).fill(p),
      })),
    })),
  };
  const w = new Writer(64 * 1024);
  encodeProduceRequest(w, produce, version);
  const bytes = w.finish().slice();
  const json = JSON.stringify(produce, jsonReplacer);
  console.log(`\nProduceRequest v${version}: ${bytes.length} bytes, 32 partitions`);
  measure("  decodeProduceRequest", bytes.length, () => decodeProduceRequest(new Reader(bytes), version));
  measure("  baseline: JSON.parse of the same value", json.length, () => JSON.parse(json));
  measure("  baseline: copy of the same bytes", bytes.length, () => bytes.slice());
}

// Fetch v11 response: 4 topics x 8 partitions of 64 KiB.
{
  const records = new Uint8Array(64 * 1024).fill(7);
  const res: FetchResponseInput = {
    responses: Array.from({ length: 4 }, (_, t) => ({
      topic: `topic-${t}`,
      partitions: Array.from({ length: 8 }, (_, p) => ({
        partitionIndex: p,
        highWatermark: 1000n,
        lastStableOffset: 1000n,
        logStartOffset: 0n,
        abortedTransactions: null,
        records,
      })),
    })),
  };
  const w = new Writer(4 * 1024 * 1024);
  encodeFetchResponse(w, res, 11);
  const size = w.finish().length;
  console.log(`\nFetchResponse v11: ${size} bytes, 32 partitions of 64 KiB`);
  measure("  encodeFetchResponse (reused writer)", size, () => {
    w.reset();
    encodeFetchResponse(w, res, 11);
  });
  const zw = new Writer(64 * 1024, { zeroCopyBytesMin: 4096 });
  measure("  encodeResponseFrameParts, zero-copy records", size, () => {
    zw.reset();
    encodeResponseFrameParts(zw, ApiKey.Fetch, 11, 1, res);
  });
  const copy = new Uint8Array(size);
  measure("  baseline: copying the 32 record sets", size, () => {
    let o = 0;
    for (let i = 0; i < 32; i++) {
      copy.set(records, o);
      o += records.length;
    }
  });
  const req = {
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 1,
    topics: Array.from({ length: 4 }, (_, t) => ({
      topic: `topic-${t}`,
      partitions: Array.from({ length: 8 }, (_, p) => ({
        partition: p,
        fetchOffset: 100n,
        partitionMaxBytes: 1048576,
      })),
    })),
  };
  const rw = new Writer();
  encodeFetchRequest(rw, req, 11);
  const reqBytes = rw.finish().slice();
  console.log(`FetchRequest v11: ${reqBytes.length} bytes`);
  measure("  decodeFetchRequest", reqBytes.length, () => decodeFetchRequest(new Reader(reqBytes), 11));
  const json = JSON.stringify(req, jsonReplacer);
  measure("  baseline: JSON.parse of the same value", json.length, () => JSON.parse(json));
}

// Metadata: request for 100 topics, response with 100 topics x 3 partitions.
{
  const names = Array.from({ length: 100 }, (_, i) => `topic-${i}`);
  const w = new Writer();
  encodeMetadataRequest(w, { topics: names.map((name) => ({ name })) }, 8);
  const reqBytes = w.finish().slice();
  console.log(`\nMetadataRequest v8: ${reqBytes.length} bytes, 100 topics`);
  measure("  decodeMetadataRequest", reqBytes.length, () => decodeMetadataRequest(new Reader(reqBytes), 8));
  const res: MetadataResponseInput = {
    brokers: [{ nodeId: 0, host: "127.0.0.1", port: 9092, rack: null }],
    clusterId: "c",
    controllerId: 0,
    topics: names.map((name) => ({
      name,
      partitions: [0, 1, 2].map((p) => ({
        partitionIndex: p,
        leaderId: 0,
        leaderEpoch: 0,
        replicaNodes: [0],
        isrNodes: [0],
      })),
    })),
  };
  const rw = new Writer(64 * 1024);
  encodeMetadataResponse(rw, res, 8);
  const size = rw.finish().length;
  measure("  encodeMetadataResponse v8 (reused writer)", size, () => {
    rw.reset();
    encodeMetadataResponse(rw, res, 8);
  });
  measure("  baseline: JSON.stringify of the same value", size, () => JSON.stringify(res));
}
