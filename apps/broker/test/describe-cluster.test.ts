/**
 * DescribeCluster (key 60) on one broker with two listeners, as a Java AdminClient sends it. Goal: the
 * answer names this broker at the address of the listener the request arrived on (PLAINTEXT port to a
 * PLAINTEXT client, the other listener's port to its clients), the cluster id and the controller;
 * v1's controller endpoint type is refused MISMATCHED_ENDPOINT_TYPE and an unknown one
 * UNSUPPORTED_ENDPOINT_TYPE; authorized operations are omitted unless asked for, and with no
 * authorizer every cluster operation is allowed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import { RawClient } from "./raw-client.ts";
import { listenerPort, overrides } from "./tls-fixture.ts";

const clusterId = "MkU3OEVBNTcwNTJENDM2Qg";
let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker({
    args: [
      "--cluster-id",
      clusterId,
      ...overrides([
        "listeners=PLAINTEXT://127.0.0.1:0,OTHER://127.0.0.1:0",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT",
      ]),
    ],
  });
}, 30_000);
afterAll(async () => {
  await broker?.stop();
  if (broker !== undefined) removeDir(broker.dataDir);
});

async function describeOn(port: number, version: number, endpointType: number, includeOps = false) {
  const client = await RawClient.connect(port);
  try {
    return await client.request(ApiKey.DescribeCluster, version, {
      includeClusterAuthorizedOperations: includeOps,
      endpointType,
    });
  } finally {
    client.close();
  }
}

describe("DescribeCluster", () => {
  test("each listener is answered with its own port, the cluster id and the controller", async () => {
    for (const name of ["PLAINTEXT", "OTHER"]) {
      const port = listenerPort(broker, name);
      for (const version of [0, 1]) {
        const r = await describeOn(port, version, 1);
        expect(r.errorCode).toBe(ErrorCode.NONE);
        expect(r.clusterId).toBe(clusterId);
        expect(r.controllerId).toBe(1);
        expect(r.brokers.map((b) => [b.brokerId, b.host, b.port])).toEqual([[1, "127.0.0.1", port]]);
        expect(r.clusterAuthorizedOperations).toBe(-2147483648);
      }
    }
  });

  test("the controller endpoint type and an unknown one are refused", async () => {
    const port = listenerPort(broker, "PLAINTEXT");
    const controllers = await describeOn(port, 1, 2);
    expect(controllers.errorCode).toBe(ErrorCode.MISMATCHED_ENDPOINT_TYPE);
    expect(controllers.brokers).toEqual([]);
    expect((await describeOn(port, 1, 7)).errorCode).toBe(ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
  });

  test("authorized operations when asked: every cluster operation without an authorizer", async () => {
    const r = await describeOn(listenerPort(broker, "PLAINTEXT"), 0, 1, true);
    const bits = [5, 7, 8, 9, 10, 11, 12].reduce((sum, code) => sum | (1 << code), 0);
    expect(r.clusterAuthorizedOperations).toBe(bits);
  });
});
