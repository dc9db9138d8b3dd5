/**
 * The consumer-group lag of the admin API and `/metrics` in a cluster whose nodes talk over a
 * SASL_SSL inter-broker listener (three processes, `inter-broker-fixture.ts`): the group's
 * coordinator asks the leaders of the partitions it does not host with ListOffsets over that
 * listener, presenting its TLS and SASL settings as the replica fetchers do, so every partition has
 * a lag. Without those settings the leaders refuse the plaintext connection and only the
 * coordinator's own partitions have one. Method as cluster-group-lag.test.ts: six single-replica
 * partitions spread over the nodes, p+3 records in partition p, the group committed at offset p.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "bun";
import { Kafka, logLevel } from "kafkajs";
import { sampleValue, scrapeMetrics } from "./admin-harness.ts";
import { repoRoot, until } from "./harness.ts";
import { SecureCluster } from "./inter-broker-fixture.ts";

const topic = "secured-lag-t";
const groupId = "secured-lag-g";
const partitionCount = 6;

let cluster: SecureCluster;
beforeAll(async () => {
  cluster = await SecureCluster.start(undefined, { adminPorts: true });
}, 90_000);
afterAll(async () => {
  await cluster?.close();
});

/** The coordinator of the group, as `eddy groups describe` finds it over PLAINTEXT. */
async function coordinatorOf(): Promise<number> {
  const child = spawn(
    [
      "bun",
      "run",
      "--silent",
      "eddy",
      "-b",
      cluster.plaintextBootstrap(),
      "groups",
      "describe",
      groupId,
      "-o",
      "json",
    ],
    { cwd: repoRoot, stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`eddy groups describe exited ${code}: ${err}`);
  return (JSON.parse(out) as { coordinator: { nodeId: number } }).coordinator.nodeId;
}

describe("consumer-group lag over a SASL_SSL inter-broker listener", () => {
  test("the coordinator's API and metric have the lag of every partition, led here or elsewhere", async () => {
    const kafka = new Kafka({
      clientId: "cluster-group-lag-secured",
      brokers: cluster.plaintextBootstrap().split(","),
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitionCount, replicationFactor: 1 }] });
      for (let p = 0; p < partitionCount; p++) {
        await producer.send({
          topic,
          acks: 1,
          messages: Array.from({ length: p + 3 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })),
        });
      }
      await admin.setOffsets({
        groupId,
        topic,
        partitions: Array.from({ length: partitionCount }, (_, p) => ({ partition: p, offset: String(p) })),
      });
      const leaders = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.map(
        (p) => p.leader,
      );
      const coordinator = await coordinatorOf();
      // The test means something only if some partitions are led by other nodes than the coordinator.
      expect(leaders.some((leader) => leader !== coordinator)).toBe(true);

      const adminUrl = `http://127.0.0.1:${cluster.spec.nodes.find((n) => n.nodeId === coordinator)!.adminPort}`;
      const expected = Array.from({ length: partitionCount }, (_, p) => [p, p, p + 3, 3]);
      const detail = await until(
        "the coordinator's JSON lag for every partition",
        async () => {
          const answer = (await (await fetch(`${adminUrl}/api/v1/groups/${groupId}`)).json()) as {
            offsets: {
              partition: number;
              committedOffset: number;
              highWatermark: number | null;
              lag: number | null;
            }[];
          };
          const rows = answer.offsets.map((o) => [o.partition, o.committedOffset, o.highWatermark, o.lag]);
          return JSON.stringify(rows) === JSON.stringify(expected) ? rows : null;
        },
        15_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${cluster.outputs()}`);
      });
      expect(detail).toEqual(expected);
      const { families } = await scrapeMetrics(adminUrl);
      expect(
        Array.from({ length: partitionCount }, (_, p) =>
          sampleValue(families, "kafka_consumergroup_lag", { group: groupId, topic, partition: String(p) }),
        ),
      ).toEqual(Array.from({ length: partitionCount }, () => 3));
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 120_000);
});
