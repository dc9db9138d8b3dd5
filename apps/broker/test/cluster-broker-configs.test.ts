/**
 * Dynamic broker configs in a cluster of three processes (issue 16): a change sent to a node that is
 * not the active controller is forwarded, committed in the metadata log and seen by every node. The
 * cluster-wide default reaches every node (DYNAMIC_DEFAULT_BROKER_CONFIG in each one's own
 * DescribeConfigs); a per-broker value reaches only that broker (DYNAMIC_BROKER_CONFIG there, the
 * default elsewhere); and min.insync.replicas 3 as the default makes acks=all on a topic of
 * replication factor 2 fail with NOT_ENOUGH_REPLICAS on its leader, wherever that is.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode, encodeRecordBatch } from "@eddy/protocol";
import { TestCluster } from "./cluster-harness.ts";
import { until } from "./harness.ts";

const brokerResource = 4;
const opSet = 0;
const source = { dynamicBroker: 2, dynamicDefault: 3 };

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3 });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

async function setOn(nodeId: number, resourceName: string, name: string, value: string): Promise<number> {
  const answer = await cluster.onNode(nodeId, (c) =>
    c.request(ApiKey.IncrementalAlterConfigs, 0, {
      resources: [
        { resourceType: brokerResource, resourceName, configs: [{ name, configOperation: opSet, value }] },
      ],
      validateOnly: false,
    }),
  );
  return answer.responses[0]!.errorCode;
}

/** `name` as node `nodeId` describes itself: [value, source]. */
async function ownConfig(nodeId: number, name: string): Promise<[string | null, number]> {
  const answer = await cluster.onNode(nodeId, (c) =>
    c.request(ApiKey.DescribeConfigs, 3, {
      resources: [{ resourceType: brokerResource, resourceName: String(nodeId), configurationKeys: [name] }],
      includeSynonyms: false,
      includeDocumentation: false,
    }),
  );
  const entry = answer.results[0]!.configs[0]!;
  return [entry.value, entry.configSource];
}

describe("dynamic broker configs in a cluster", () => {
  test("forwarded, committed, and seen by every node with the right precedence; applied live", async () => {
    const controllerId = cluster.metadata().controllerid;
    const others = cluster.spec.nodes.map((n) => n.nodeId).filter((id) => id !== controllerId);
    expect(await setOn(others[0]!, "", "log.retention.ms", "3600000")).toBe(ErrorCode.NONE);
    expect(await setOn(others[1]!, String(others[0]!), "log.retention.ms", "7200000")).toBe(ErrorCode.NONE);
    for (const node of cluster.spec.nodes) {
      const expected: [string, number] =
        node.nodeId === others[0] ? ["7200000", source.dynamicBroker] : ["3600000", source.dynamicDefault];
      // A node that is not the controller learns a commit a quorum round later.
      await until(
        `node ${node.nodeId} shows log.retention.ms`,
        async () => {
          const seen = await ownConfig(node.nodeId, "log.retention.ms");
          return seen[0] === expected[0] && seen[1] === expected[1] ? seen : null;
        },
        10_000,
      );
    }

    const created = await cluster.onNode(others[1]!, (c) =>
      c.request(ApiKey.CreateTopics, 4, {
        topics: [{ name: "isr2", numPartitions: 1, replicationFactor: 2, configs: [] }],
        timeoutMs: 10_000,
        validateOnly: false,
      }),
    );
    expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    const leader = await until("a leader for isr2", () => {
      const p = cluster.partitions("isr2")[0];
      return p !== undefined && p.leader >= 0 ? p.leader : null;
    });
    const produce = () =>
      cluster.onNode(leader, async (c) => {
        const answer = await c.request(ApiKey.Produce, 7, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 10_000,
          topicData: [
            {
              name: "isr2",
              partitionData: [
                {
                  index: 0,
                  records: encodeRecordBatch({
                    baseTimestamp: BigInt(Date.now()),
                    records: [{ value: new TextEncoder().encode("v") }],
                  }),
                },
              ],
            },
          ],
        });
        return answer.responses[0]!.partitionResponses[0]!.errorCode;
      });
    await until(
      "acks=all accepted with both replicas in sync",
      async () => ((await produce()) === ErrorCode.NONE ? true : null),
      20_000,
    );
    expect(await setOn(controllerId, "", "min.insync.replicas", "3")).toBe(ErrorCode.NONE);
    await until(
      "acks=all refused with NOT_ENOUGH_REPLICAS",
      async () => ((await produce()) === ErrorCode.NOT_ENOUGH_REPLICAS ? true : null),
      10_000,
    );
  }, 90_000);
});
