/**
 * SCRAM credentials in a cluster of three processes (each a broker and a controller voter). Goal: a
 * credential altered through a node that is not the active controller is forwarded, committed in the
 * replicated metadata log and held by every node's image, which is where each node's SASL gate looks
 * (`security/scram-lookup.ts`); the salted password never travels (only StoredKey and ServerKey).
 * Method: PLAINTEXT nodes without an authorizer; AlterUserScramCredentials on a non-controller node,
 * then DescribeUserScramCredentials on every node until each lists the user; a deletion through
 * another node empties every node's list.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { TestCluster } from "./cluster-harness.ts";
import { until } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3 });
}, 90_000);
afterAll(async () => {
  await cluster?.close();
});

const portOf = (nodeId: number): number => cluster.spec.nodes.find((n) => n.nodeId === nodeId)!.port;

async function withClient<T>(nodeId: number, f: (c: RawClient) => Promise<T>): Promise<T> {
  const client = await RawClient.connect(portOf(nodeId));
  try {
    return await f(client);
  } finally {
    client.close();
  }
}

/** The users with a credential, as node `nodeId` describes them. */
function describedUsers(nodeId: number): Promise<string[]> {
  return withClient(nodeId, async (c) => {
    const r = await c.request(ApiKey.DescribeUserScramCredentials, 0, { users: null });
    expect(r.errorCode).toBe(ErrorCode.NONE);
    return r.results.map((x) => x.user);
  });
}

describe("SCRAM credentials across a cluster", () => {
  test("altered through a non-controller node, held by every node, deleted through another", async () => {
    const controllerId = cluster.metadata().controllerid;
    const [first, second] = cluster.liveNodeIds.filter((id) => id !== controllerId);
    const salt = randomBytes(32);
    const saltedPassword = pbkdf2Sync("frank-secret", salt, 4096, 64, "sha512");
    const alter = await withClient(first!, (c) =>
      c.request(ApiKey.AlterUserScramCredentials, 0, {
        deletions: [],
        upsertions: [{ name: "frank", mechanism: 2, iterations: 4096, salt, saltedPassword }],
      }),
    );
    expect(alter.results).toEqual([{ user: "frank", errorCode: ErrorCode.NONE, errorMessage: null }]);
    for (const nodeId of cluster.liveNodeIds)
      await until(
        `node ${nodeId} to hold frank`,
        async () => (await describedUsers(nodeId)).includes("frank"),
        10_000,
      );

    const del = await withClient(second!, (c) =>
      c.request(ApiKey.AlterUserScramCredentials, 0, {
        deletions: [{ name: "frank", mechanism: 2 }],
        upsertions: [],
      }),
    );
    expect(del.results[0]!.errorCode).toBe(ErrorCode.NONE);
    for (const nodeId of cluster.liveNodeIds)
      await until(
        `node ${nodeId} to drop frank`,
        async () => (await describedUsers(nodeId)).length === 0,
        10_000,
      );
  }, 60_000);
});
