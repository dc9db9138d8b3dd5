/**
 * `bun bench/e2e-trace.ts --topic T --records N --out FILE [--bootstrap-server H:P]`: the perf
 * consumer's fetch loop (one fetch in flight, minBytes 1, maxWaitMs 500, 1 MiB per partition, from
 * the log end of partition 0) that writes one line per batch instead of a histogram:
 * `B <fetch sent ms> <delivered ms> <base CreateTime ms> <records>` (wall clock, the same clock as
 * CreateTime). `bench/e2e-attribution.ts` lays those batches over the processes' stall spans from
 * `bench/loop-stalls.ts`; preload that into this script too to have the consumer's own stalls.
 */
import { writeFileSync } from "node:fs";
import { ApiKey, iterateBatches } from "@eddy/protocol";
import { ApiVersion, Cluster } from "../src/cluster.ts";

const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1]! : fallback;
};
const [host, port] = arg("--bootstrap-server", "127.0.0.1:9092").split(":");
const topic = arg("--topic", "");
const recordsCount = Number(arg("--records", "0"));
const out = arg("--out", "e2e-trace.txt");
if (topic === "" || !(recordsCount > 0)) {
  console.error("usage: bun bench/e2e-trace.ts --topic T --records N --out FILE [--bootstrap-server H:P]");
  process.exit(2);
}

const cluster = await Cluster.connect(host!, Number(port), 10_000);
const [leader] = await cluster.partitionLeaders(topic, null);
const connection = leader!.connection;
const listed = await connection.request(ApiKey.ListOffsets, ApiVersion.listOffsets, {
  replicaId: -1,
  isolationLevel: 0,
  topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }],
});
let nextOffset = listed.topics[0]!.partitions[0]!.offset;
const wallMs = (): number => performance.timeOrigin + performance.now();
const lines: string[] = [];
let seen = 0;
while (seen < recordsCount) {
  const sentMs = wallMs();
  const response = await connection.request(ApiKey.Fetch, ApiVersion.fetch, {
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 50 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: nextOffset,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
  });
  const deliveredMs = wallMs();
  const records = response.responses[0]?.partitions[0]?.records;
  if (records === null || records === undefined) continue;
  for (const slice of iterateBatches(records, { partialTrailing: "stop" })) {
    const header = slice.header;
    const count = header.lastOffsetDelta + 1;
    const batchEnd = header.baseOffset + BigInt(count);
    if (batchEnd <= nextOffset) continue;
    nextOffset = batchEnd;
    if (header.isControl) continue;
    lines.push(`B ${sentMs.toFixed(2)} ${deliveredMs.toFixed(2)} ${Number(header.baseTimestamp)} ${count}`);
    seen += count;
  }
}
writeFileSync(out, `${lines.join("\n")}\n`);
cluster.close();
process.exit(0);
