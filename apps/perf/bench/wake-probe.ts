/**
 * `bun bench/wake-probe.ts [--bootstrap-server H:P] [--topic T] [--rounds N] [--acks A]`: how soon a
 * broker answers a parked fetch once a produce arrives, apart from the perf tool's own end-to-end
 * figure. Each round parks a fetch (minBytes 1, maxWaitMs 500) at the log end of a one-partition
 * topic on one connection, waits 3 ms, sends one record on a second connection and times, from that
 * send, the produce's acknowledgement and the fetch's answer. Run it beside `bun run perf produce`
 * and `consume` on another topic to see the broker's share of the consumer's end-to-end tail under
 * the same load: the probe's two processes are idle between rounds, so its figures are the broker's
 * answer time plus loopback, with little of the tools' own lag.
 */

import { KafkaConnection } from "@eddy/client";
import { ApiKey } from "@eddy/protocol";
import { buildBatch } from "../src/batch-builder.ts";
import { ApiVersion, Cluster } from "../src/cluster.ts";

const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1]! : fallback;
};
const [host, port] = arg("--bootstrap-server", "127.0.0.1:9092").split(":");
const topic = arg("--topic", "wake-probe");
const rounds = Number(arg("--rounds", "1000"));
const acks = Number(arg("--acks", "1"));

const cluster = await Cluster.connect(host!, Number(port), 10_000);
const [leader] = await cluster.partitionLeaders(topic, 1);
const producer = leader!.connection;
const consumer = await KafkaConnection.open(host!, Number(port), 10_000);
const value = new Uint8Array(100).fill(65);
const produce = () =>
  producer.request(ApiKey.Produce, ApiVersion.produce, {
    transactionalId: null,
    acks,
    timeoutMs: 10_000,
    topicData: [
      {
        name: topic,
        partitionData: [
          { index: 0, records: buildBatch(value, Date.now(), [{ timestampDelta: 0, count: 1 }]) },
        ],
      },
    ],
  });
const fetchAt = (offset: bigint) =>
  consumer.request(ApiKey.Fetch, ApiVersion.fetch, {
    replicaId: -1,
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 1 << 20,
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
            fetchOffset: offset,
            logStartOffset: -1n,
            partitionMaxBytes: 1 << 20,
          },
        ],
      },
    ],
  });

let next = (await produce()).responses[0]!.partitionResponses[0]!.baseOffset + 1n;
const acked: number[] = [];
const answered: number[] = [];
for (let round = 0; round < rounds; round++) {
  const fetched = fetchAt(next);
  await Bun.sleep(3);
  const sentMs = performance.now();
  const answeredAt = fetched.then((response) => ({ response, atMs: performance.now() }));
  await produce();
  acked.push(performance.now() - sentMs);
  const { response, atMs } = await answeredAt;
  const records = response.responses[0]?.partitions[0]?.records;
  if (records === null || records === undefined || records.length === 0) {
    throw new Error(
      `round ${round}: the fetch was answered without the record (after ${(atMs - sentMs).toFixed(1)} ms)`,
    );
  }
  answered.push(atMs - sentMs);
  next++;
}
consumer.close();
cluster.close();
const at = (xs: number[], p: number): string => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(2);
};
const line = (xs: number[]): string =>
  `p50 ${at(xs, 50)} p99 ${at(xs, 99)} p99.9 ${at(xs, 99.9)} max ${at(xs, 100)} ms`;
console.log(
  `${rounds} rounds, acks ${acks}: produce acknowledged ${line(acked)}; parked fetch answered ${line(answered)}`,
);
