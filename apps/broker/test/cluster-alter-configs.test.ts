/**
 * Topic configs changed in a cluster of three processes (issue 16): IncrementalAlterConfigs sent to
 * a node that is not the active controller is forwarded to it, committed as Config records, and then
 * in every node's image (DescribeConfigs on each node shows it); the new retention.ms reaches every
 * replica's open log, so each node deletes the old segments of its copy without a restart.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { TestCluster } from "./cluster-harness.ts";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3, properties: { "log.retention.check.interval.ms": "200" } });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

/** The first offset of the oldest segment file node `nodeId` holds for partition 0 of `topic`. */
function oldestSegmentBase(nodeId: number, topic: string): number {
  const logs = readdirSync(join(cluster.nodeDataDir(nodeId), `${topic}-0`)).filter((f) => f.endsWith(".log"));
  return Math.min(...logs.map((f) => Number(f.slice(0, 20))));
}

describe("altering topic configs in a cluster", () => {
  test("a change sent to a non-controller node commits, shows on every node, and every replica applies it", async () => {
    const kafka = new Kafka({
      clientId: "cluster-alter-configs",
      brokers: cluster.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer();
    try {
      await admin.createTopics({
        topics: [
          {
            topic: "spread",
            numPartitions: 1,
            replicationFactor: 3,
            configEntries: [{ name: "segment.bytes", value: "4096" }],
          },
        ],
      });
      await producer.connect();
      for (let i = 0; i < 40; i++) {
        await producer.send({
          topic: "spread",
          acks: -1,
          messages: Array.from({ length: 10 }, (_, j) => ({ value: `${i}-${j}`.padEnd(100, ".") })),
        });
      }
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
    for (const node of cluster.spec.nodes) expect(oldestSegmentBase(node.nodeId, "spread")).toBe(0);

    const controllerId = cluster.metadata().controllerid;
    const asked = cluster.spec.nodes.find((n) => n.nodeId !== controllerId)!.nodeId;
    const answer = await cluster.onNode(asked, (c) =>
      c.request(ApiKey.IncrementalAlterConfigs, 0, {
        resources: [
          {
            resourceType: 2,
            resourceName: "spread",
            configs: [{ name: "retention.ms", configOperation: 0, value: "1000" }],
          },
        ],
        validateOnly: false,
      }),
    );
    expect(answer.responses[0]).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null });

    // The asked node answers once its own image holds the change; the others follow within a
    // quorum round (Kafka's brokers catch up on the metadata log the same way).
    const retentionOn = (nodeId: number) =>
      cluster.onNode(nodeId, async (c) => {
        const described = await c.request(ApiKey.DescribeConfigs, 3, {
          resources: [{ resourceType: 2, resourceName: "spread", configurationKeys: ["retention.ms"] }],
          includeSynonyms: false,
          includeDocumentation: false,
        });
        const entry = described.results[0]!.configs[0]!;
        return [entry.value, entry.configSource] as const;
      });
    // Source 1 is DYNAMIC_TOPIC_CONFIG.
    expect(await retentionOn(asked)).toEqual(["1000", 1]);
    for (const node of cluster.spec.nodes) {
      const deadlineMs = Date.now() + 5_000;
      let seen = await retentionOn(node.nodeId);
      while (Date.now() < deadlineMs && seen[0] !== "1000") {
        await Bun.sleep(50);
        seen = await retentionOn(node.nodeId);
      }
      expect(seen).toEqual(["1000", 1]);
    }
    // Every replica, leader and followers, deletes its own old segments.
    const deadline = Date.now() + 20_000;
    const pending = () => cluster.spec.nodes.filter((n) => oldestSegmentBase(n.nodeId, "spread") === 0);
    while (Date.now() < deadline && pending().length > 0) await Bun.sleep(200);
    expect(pending().map((n) => n.nodeId)).toEqual([]);
  }, 90_000);
});
