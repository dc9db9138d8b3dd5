/**
 * The consumer-group lag metric in a cluster of three processes (issue 16): the node that
 * coordinates a group exports `kafka_consumergroup_lag` for every partition the group committed,
 * also those whose leaders are other nodes (their high watermarks asked of the leaders with
 * ListOffsets), and each value matches what `eddy groups describe` reports. Method: a topic of six
 * partitions with one replica each, spread over the nodes, holding p+3 records in partition p; the
 * group commits offset p in partition p (kafkajs admin), so every partition lags by 3; the
 * coordinator's /metrics is parsed with a Prometheus text-format parser, and its JSON admin API (what
 * the console's group page draws) gives the same lag and high watermark for all six partitions.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { sampleValue, scrapeMetrics } from "./admin-harness.ts";
import { TestCluster } from "./cluster-harness.ts";
import { eddyGroupsDescribe, seedLaggingGroup } from "./group-lag-fixture.ts";
import { until } from "./harness.ts";

const topic = "lag-t";
const groupId = "lag-g";
const partitionCount = 6;

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3, adminPorts: true });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const eddyDescribe = () => eddyGroupsDescribe(cluster.bootstrap, groupId);

describe("consumer-group lag in a cluster", () => {
  test("the coordinator's metric covers every partition, led here or elsewhere, as eddy groups describe", async () => {
    const kafka = new Kafka({
      clientId: "cluster-group-lag",
      brokers: cluster.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    await producer.connect();
    try {
      await seedLaggingGroup(admin, producer, { topic, groupId, partitionCount, acks: -1 });
      const leaders = new Map(
        (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.map((p) => [
          p.partitionId,
          p.leader,
        ]),
      );

      const described = await eddyDescribe();
      expect(described.offsets.map((o) => [o.partition, o.committedOffset, o.lag])).toEqual(
        Array.from({ length: partitionCount }, (_, p) => [p, p, 3]),
      );
      const coordinator = described.coordinator.nodeId;
      // The test means something only if some partitions are led by other nodes than the coordinator.
      expect([...leaders.values()].some((leader) => leader !== coordinator)).toBe(true);
      expect([...leaders.values()].some((leader) => leader === coordinator)).toBe(true);

      const adminPort = cluster.spec.nodes.find((n) => n.nodeId === coordinator)!.adminPort;
      const lagOf = async (): Promise<(number | null)[]> => {
        const { families } = await scrapeMetrics(`http://127.0.0.1:${adminPort}`);
        return Array.from({ length: partitionCount }, (_, p) =>
          sampleValue(families, "kafka_consumergroup_lag", { group: groupId, topic, partition: String(p) }),
        );
      };
      const expected = described.offsets.map((o) => o.lag);
      // The committed offsets reach the coordinator's image of the group before the scrape sees them all.
      const seen = await until(
        "the coordinator's lag series for every partition",
        async () => {
          const values = await lagOf();
          return values.every((v, p) => v === expected[p]) ? values : null;
        },
        15_000,
      );
      expect(seen).toEqual(expected);

      // The JSON admin API the console draws from gives the same lag and high watermark for every
      // partition (the same leader read), and its listing the same total.
      const detail = (await (
        await fetch(`http://127.0.0.1:${adminPort}/api/v1/groups/${groupId}`)
      ).json()) as {
        offsets: {
          partition: number;
          committedOffset: number;
          highWatermark: number | null;
          lag: number | null;
        }[];
        totalLag: number;
      };
      expect(detail.offsets.map((o) => [o.partition, o.committedOffset, o.highWatermark, o.lag])).toEqual(
        Array.from({ length: partitionCount }, (_, p) => [p, p, p + 3, 3]),
      );
      expect(detail.totalLag).toBe(3 * partitionCount);
      const listed = (await (await fetch(`http://127.0.0.1:${adminPort}/api/v1/groups`)).json()) as {
        groups: { groupId: string; totalLag: number | null }[];
      };
      expect(listed.groups.find((g) => g.groupId === groupId)?.totalLag).toBe(3 * partitionCount);

      // Another node coordinates none of the group: its scrape has no lag series for it.
      const other = cluster.spec.nodes.find((n) => n.nodeId !== coordinator)!;
      const { families } = await scrapeMetrics(`http://127.0.0.1:${other.adminPort}`);
      expect(sampleValue(families, "kafka_consumergroup_lag", { group: groupId })).toBeNull();
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 90_000);
});
