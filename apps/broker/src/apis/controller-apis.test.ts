/**
 * The controller's four APIs for brokers (56 AlterPartition, 62 BrokerRegistration, 63 BrokerHeartbeat,
 * 67 AllocateProducerIds) before they reach the controller: served on a controller listener only,
 * CLUSTER_ACTION required under an authorizer (as Kafka's ControllerApis), a node that is not the
 * active controller answers NOT_CONTROLLER. Run against a stand-in node with no controller at all, so
 * any request that got past these checks to a controller would fail the test.
 */
import { describe, expect, test } from "bun:test";
import { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import type { BrokerNode } from "../node/broker-node.ts";
import type { AuthorizerSettings } from "../security/authorizer.ts";
import { alterPartitionApi } from "./56-alter-partition.ts";
import { brokerRegistrationApi } from "./62-broker-registration.ts";
import { brokerHeartbeatApi } from "./63-broker-heartbeat.ts";
import { allocateProducerIdsApi } from "./67-allocate-producer-ids.ts";
import type { RequestContext } from "./api.ts";
import { apiRegistry } from "./registry.ts";

const clusterId = "MkU3OEVBNTcwNTJENDM2Qk";

function contextOf(options: {
  listener: string;
  authorizer?: AuthorizerSettings;
  principal?: string;
  apiVersion: number;
}): { ctx: RequestContext; logged: string[] } {
  const logged: string[] = [];
  const node = {
    clusterId,
    clock: () => 1_000,
    log: (line: string) => logged.push(line),
    image: controller.emptyImage,
    cluster: null,
    // No controller here: a request that reached one would throw on this.
    metadata: { image: controller.emptyImage },
    config: {
      authorizer: options.authorizer ?? { enabled: false, superUsers: [], allowEveryoneIfNoAclFound: false },
      servedListeners: [
        { name: "PLAINTEXT", controller: false },
        { name: "CONTROLLER", controller: true },
      ],
    },
  } as unknown as BrokerNode;
  const ctx = {
    node,
    apiVersion: options.apiVersion,
    connection: { listener: { name: options.listener } },
    principal: options.principal ?? "User:ANONYMOUS",
    host: "127.0.0.1",
    apis: apiRegistry,
  } as unknown as RequestContext;
  return { ctx, logged };
}

const registration = {
  brokerId: 4,
  clusterId,
  incarnationId: "AAAAAAAAAAAAAAAAAAAAAQ",
  listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 9092, securityProtocol: 0 }],
  features: [],
  rack: null,
  isMigratingZkBroker: false,
  logDirs: [],
  previousBrokerEpoch: -1n,
};
const heartbeat = {
  brokerId: 4,
  brokerEpoch: 3n,
  currentMetadataOffset: 0n,
  wantFence: false,
  wantShutDown: false,
  offlineLogDirs: [],
};
const allocation = { brokerId: 4, brokerEpoch: 3n };
const alter = { brokerId: 4, brokerEpoch: 3n, topics: [] };

/** Each API with a request and the error code its answer carries. */
const calls = [
  {
    name: "BrokerRegistration",
    version: 4,
    run: async (ctx: RequestContext) => (await brokerRegistrationApi.handle(ctx, registration))!.errorCode!,
  },
  {
    name: "BrokerHeartbeat",
    version: 1,
    run: async (ctx: RequestContext) => (await brokerHeartbeatApi.handle(ctx, heartbeat))!.errorCode!,
  },
  {
    name: "AllocateProducerIds",
    version: 0,
    run: async (ctx: RequestContext) => (await allocateProducerIdsApi.handle(ctx, allocation))!.errorCode!,
  },
  {
    name: "AlterPartition",
    version: 3,
    run: async (ctx: RequestContext) => (await alterPartitionApi.handle(ctx, alter))!.errorCode!,
  },
] as const;

describe("the controller's APIs for brokers", () => {
  for (const call of calls) {
    test(`${call.name}: refused on a broker listener, with the reason`, async () => {
      const { ctx } = contextOf({ listener: "PLAINTEXT", apiVersion: call.version });
      await expect(call.run(ctx)).rejects.toThrow(`${call.name} is served on a controller listener only`);
    });

    test(`${call.name}: CLUSTER_AUTHORIZATION_FAILED without CLUSTER_ACTION; a super user passes`, async () => {
      const authorizer = { enabled: true, superUsers: ["User:broker"], allowEveryoneIfNoAclFound: false };
      const refused = contextOf({ listener: "CONTROLLER", authorizer, apiVersion: call.version });
      expect(await call.run(refused.ctx)).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
      expect(refused.logged.join("\n")).toContain(
        `${call.name} from User:ANONYMOUS refused: no CLUSTER_ACTION`,
      );
      // The super user gets past authorization to the next check: this node is no active controller.
      const allowed = contextOf({
        listener: "CONTROLLER",
        authorizer,
        principal: "User:broker",
        apiVersion: call.version,
      });
      expect(await call.run(allowed.ctx)).toBe(ErrorCode.NOT_CONTROLLER);
    });

    test(`${call.name}: NOT_CONTROLLER on a node that is not the active controller`, async () => {
      const { ctx } = contextOf({ listener: "CONTROLLER", apiVersion: call.version });
      expect(await call.run(ctx)).toBe(ErrorCode.NOT_CONTROLLER);
    });
  }

  test("a registration of another cluster is INCONSISTENT_CLUSTER_ID before anything else is asked", async () => {
    const { ctx, logged } = contextOf({ listener: "CONTROLLER", apiVersion: 4 });
    const answer = await brokerRegistrationApi.handle(ctx, {
      ...registration,
      clusterId: "AnotherClusterIdAAAAAA",
    });
    expect(answer).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID,
      brokerEpoch: -1n,
    });
    expect(logged.join("\n")).toContain(
      "refused the registration of broker 4: cluster id AnotherClusterIdAAAAAA",
    );
  });

  test("the four are marked for the controller listener and served at Kafka's version ranges", () => {
    const ranges = [alterPartitionApi, brokerRegistrationApi, brokerHeartbeatApi, allocateProducerIdsApi].map(
      (api) => [api.key, api.versionMin, api.versionMax, api.controllerOnly],
    );
    expect(ranges).toEqual([
      [56, 0, 3, true],
      [62, 0, 4, true],
      [63, 0, 1, true],
      [67, 0, 0, true],
    ]);
    expect(apiRegistry.filter((api) => api.controllerOnly === true).map((api) => api.key)).toEqual([
      56, 62, 63, 67,
    ]);
  });
});
