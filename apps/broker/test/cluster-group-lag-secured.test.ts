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
import { Kafka, logLevel } from "kafkajs";
import { sampleValue, scrapeMetrics } from "./admin-harness.ts";
import { eddyGroupsDescribe, seedLaggingGroup } from "./group-lag-fixture.ts";
import { until } from "./harness.ts";
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
  return (await eddyGroupsDescribe(cluster.plaintextBootstrap(), groupId)).coordinator.nodeId;
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
      await seedLaggingGroup(admin, producer, { topic, groupId, partitionCount, acks: 1 });
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
