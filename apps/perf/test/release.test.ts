/**
 * `KafkaConnection.release`, which the perf consumer calls once it has counted a fetch response: the
 * socket read the response came in (or the frame assembled for it) is detached at once, so its bytes
 * are freed without a full collection; a response of another API is left alone. Against a broker
 * started as users start it: one small fetch (one read, nothing else in it) and one of several
 * hundred KiB (assembled from many reads), each read back intact before it is released.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { kcat, type RunningBroker, removeDir, startBroker } from "@eddy/broker/test/harness.ts";
import { KafkaConnection } from "@eddy/client";
import { ApiKey, decodeRecordBatches } from "@eddy/protocol";
import { ApiVersion } from "../src/cluster.ts";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker();
  // 3,000 records of 200 bytes: about 640 KB, more than one socket read.
  const lines = Array.from({ length: 3000 }, (_, i) => `${String(i).padStart(6, "0")}${"v".repeat(194)}`);
  kcat(["-P", "-b", broker.bootstrap, "-t", "released", "-q"], `${lines.join("\n")}\n`);
});
afterAll(async () => {
  await broker.stop();
  removeDir(broker.dataDir);
});

async function fetchRecords(connection: KafkaConnection, maxBytes: number) {
  return await connection.request(ApiKey.Fetch, ApiVersion.fetch, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: "released",
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: 0n,
            logStartOffset: -1n,
            partitionMaxBytes: maxBytes,
          },
        ],
      },
    ],
  });
}

test("a released fetch response's bytes are given back; a metadata response is left alone", async () => {
  const [host, port] = broker.bootstrap.split(":");
  const connection = await KafkaConnection.open(host!, Number(port), 10_000, "release-test");
  try {
    for (const maxBytes of [4096, 1 << 20]) {
      const response = await fetchRecords(connection, maxBytes);
      const records = response.responses[0]!.partitions[0]!.records!;
      const batches = decodeRecordBatches(records);
      const values = batches.flatMap((b) => b.records.map((r) => new TextDecoder().decode(r.value!)));
      expect(values.length).toBeGreaterThan(0);
      expect(values).toEqual(values.map((_, i) => `${String(i).padStart(6, "0")}${"v".repeat(194)}`));
      expect(records.length).toBeGreaterThan(0);
      connection.release(response);
      // Detached: the views of the released read have no bytes left.
      expect(records.length).toBe(0);
      connection.release(response);
    }
    const metadata = await connection.request(ApiKey.Metadata, ApiVersion.metadata, {
      topics: [{ name: "released" }],
      allowAutoTopicCreation: false,
    });
    connection.release(metadata);
    expect(metadata.topics[0]!.name).toBe("released");
    // The connection still works after releases.
    const again = await fetchRecords(connection, 4096);
    expect(decodeRecordBatches(again.responses[0]!.partitions[0]!.records!).length).toBeGreaterThan(0);
  } finally {
    connection.close();
  }
}, 60_000);
