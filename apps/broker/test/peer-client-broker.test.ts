/**
 * The peer client against the real broker, started the way users start it: ApiVersions and Metadata
 * go through `src/net/peer-client.ts` as a peer node's requests will, and the broker answers with its
 * served versions, itself as the one broker, and the cluster id given by `--cluster-id`.
 */
import { afterAll, expect, test } from "bun:test";
import { ApiKey } from "@eddy/protocol";
import { PeerClient, peerClientDefaults } from "../src/net/peer-client.ts";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";

const clusterId = "MkU3OEVBNTcwNTJENDM2Qg";
let broker: RunningBroker | undefined;
let client: PeerClient | undefined;

afterAll(async () => {
  client?.close();
  if (broker !== undefined) {
    await broker.stop();
    removeDir(broker.dataDir);
  }
});

test("ApiVersions and Metadata through the peer client, answered by a real broker", async () => {
  broker = await startBroker({ args: ["--cluster-id", clusterId] });
  client = new PeerClient(
    { nodeId: 1, host: "127.0.0.1", port: broker.port },
    { ...peerClientDefaults, clientId: "eddy-node-2", requestTimeoutMs: 5_000 },
  );
  const versions = await client.request(ApiKey.ApiVersions, 3, {
    clientSoftwareName: "eddy-peer",
    clientSoftwareVersion: "0.1.0",
  });
  expect(versions.errorCode).toBe(0);
  const fetch = versions.apiKeys.find((k) => k.apiKey === ApiKey.Fetch);
  expect(fetch?.maxVersion).toBeGreaterThanOrEqual(11);

  // Pipelined on the one connection, each answered to its own request.
  const [metadata, again] = await Promise.all([
    client.request(ApiKey.Metadata, 8, { topics: [], allowAutoTopicCreation: false }),
    client.request(ApiKey.ApiVersions, 0, {}),
  ]);
  expect(metadata.clusterId).toBe(clusterId);
  expect(metadata.brokers.map((b) => [b.nodeId, b.host, b.port])).toEqual([[1, "127.0.0.1", broker.port]]);
  expect(metadata.controllerId).toBe(1);
  expect(again.apiKeys.length).toBe(versions.apiKeys.length);
  expect(client.pendingCount).toBe(0);
});
