/**
 * ACLs in a cluster of three processes (each a broker and a controller voter). Goal: an ACL created
 * through a broker that is not the active controller is forwarded, committed in the replicated
 * metadata log and enforced by every broker; it survives the loss of the active controller and can be
 * deleted through a survivor. Method: PLAINTEXT nodes with Kafka's StandardAuthorizer and
 * `allow.everyone.if.no.acl.found=true` (so the anonymous principal may do what no ACL names); a DENY
 * of WRITE on one topic for `User:ANONYMOUS` is created on a non-controller node; every node then
 * lists it and refuses Produce to that topic with TOPIC_AUTHORIZATION_FAILED (before any leader
 * check); the active controller is killed with SIGKILL, a survivor still lists and enforces the ACL,
 * and deleting it there lets the produce through on the topic's leader.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode, encodeRecordBatch } from "@eddy/protocol";
import { TestCluster } from "./cluster-harness.ts";
import { until } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({
    nodes: 3,
    properties: {
      "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      "allow.everyone.if.no.acl.found": "true",
    },
  });
}, 90_000);
afterAll(async () => {
  await cluster?.close();
});

const portOf = (nodeId: number): number => cluster.spec.nodes.find((n) => n.nodeId === nodeId)!.port;

const denyWrite = {
  resourceType: 2,
  resourceName: "guarded",
  resourcePatternType: 3,
  principal: "User:ANONYMOUS",
  host: "*",
  operation: 4,
  permissionType: 2,
};
const everyAcl = {
  resourceTypeFilter: 1,
  resourceNameFilter: null,
  patternTypeFilter: 1,
  principalFilter: null,
  hostFilter: null,
  operation: 1,
  permissionType: 1,
};

async function withClient<T>(nodeId: number, f: (c: RawClient) => Promise<T>): Promise<T> {
  const client = await RawClient.connect(portOf(nodeId));
  try {
    return await f(client);
  } finally {
    client.close();
  }
}

async function aclNames(nodeId: number): Promise<string[]> {
  return withClient(nodeId, async (c) => {
    const r = await c.request(ApiKey.DescribeAcls, 1, everyAcl);
    expect(r.errorCode).toBe(ErrorCode.NONE);
    return r.resources.map((x) => x.resourceName);
  });
}

async function produceCode(nodeId: number): Promise<number> {
  return withClient(nodeId, async (c) => {
    const records = encodeRecordBatch({
      baseTimestamp: BigInt(Date.now()),
      records: [{ value: new TextEncoder().encode("v") }],
    });
    const r = await c.request(ApiKey.Produce, 7, {
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: "guarded", partitionData: [{ index: 0, records }] }],
    });
    return r.responses[0]!.partitionResponses[0]!.errorCode;
  });
}

describe("ACLs across a cluster", () => {
  test("forwarded, committed, enforced by every node, kept through a controller failover", async () => {
    const controllerId = cluster.metadata().controllerid;
    const other = cluster.liveNodeIds.find((id) => id !== controllerId)!;
    await withClient(other, async (c) => {
      const created = await c.request(ApiKey.CreateTopics, 3, {
        topics: [{ name: "guarded", numPartitions: 1, replicationFactor: 3 }],
        timeoutMs: 10_000,
      });
      expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
      const acl = await c.request(ApiKey.CreateAcls, 1, { creations: [denyWrite] });
      expect(acl.results[0]!.errorCode).toBe(ErrorCode.NONE);
    });
    for (const nodeId of cluster.liveNodeIds) {
      await until(
        `node ${nodeId} to list the ACL`,
        async () => (await aclNames(nodeId)).includes("guarded"),
        10_000,
      );
      expect(await produceCode(nodeId)).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    }

    await cluster.stopNode(controllerId, "SIGKILL");
    const survivor = cluster.liveNodeIds[0]!;
    expect(await aclNames(survivor)).toEqual(["guarded"]);
    expect(await produceCode(survivor)).toBe(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const deleted = await until(
      "a survivor to delete the ACL",
      () =>
        withClient(survivor, async (c) => {
          const r = await c.request(ApiKey.DeleteAcls, 1, { filters: [everyAcl] });
          return r.filterResults[0]!.errorCode === ErrorCode.NONE ? r : null;
        }),
      20_000,
    );
    expect(deleted.filterResults[0]!.matchingAcls.map((a) => a.resourceName)).toEqual(["guarded"]);
    // Once no ACL names the topic, the produce goes through on its leader (acks=all, two in sync).
    await until(
      "the produce to go through",
      async () => {
        for (const nodeId of cluster.liveNodeIds)
          if ((await produceCode(nodeId)) === ErrorCode.NONE) return true;
        return false;
      },
      30_000,
    );
    for (const nodeId of cluster.liveNodeIds) expect(await aclNames(nodeId)).toEqual([]);
  }, 120_000);
});
