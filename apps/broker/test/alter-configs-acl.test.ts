/**
 * Altering configs under Kafka's StandardAuthorizer: IncrementalAlterConfigs and AlterConfigs need
 * ALTER_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED otherwise, for an existing topic or not) and
 * on the cluster for a broker resource (CLUSTER_AUTHORIZATION_FAILED); a user granted ALTER_CONFIGS
 * on one topic changes that topic and no other, and a refused change leaves the topic as it was.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { aclBrokerArgs, rawAs } from "./acl-fixture.ts";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import type { RawClient } from "./raw-client.ts";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ args: aclBrokerArgs });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

async function alterRetention(client: RawClient, resourceType: number, name: string): Promise<number[]> {
  const incremental = await client.request(ApiKey.IncrementalAlterConfigs, 0, {
    resources: [
      {
        resourceType,
        resourceName: name,
        configs: [{ name: "retention.ms", configOperation: 0, value: "1234" }],
      },
    ],
    validateOnly: false,
  });
  const whole = await client.request(ApiKey.AlterConfigs, 1, {
    resources: [{ resourceType, resourceName: name, configs: [{ name: "retention.ms", value: "1234" }] }],
    validateOnly: false,
  });
  return [incremental.responses[0]!.errorCode, whole.responses[0]!.errorCode];
}

async function retentionOf(client: RawClient, topic: string): Promise<string | null> {
  const response = await client.request(ApiKey.DescribeConfigs, 3, {
    resources: [{ resourceType: 2, resourceName: topic, configurationKeys: ["retention.ms"] }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  return response.results[0]!.configs[0]!.value;
}

describe("altering configs under the authorizer", () => {
  test("ALTER_CONFIGS on the topic is needed, and on the cluster for a broker", async () => {
    const admin = await rawAs(broker.port, "admin");
    const alice = await rawAs(broker.port, "alice");
    try {
      const made = await admin.request(ApiKey.CreateTopics, 3, {
        topics: [
          { name: "guarded", numPartitions: 1, replicationFactor: 1 },
          { name: "other", numPartitions: 1, replicationFactor: 1 },
        ],
        timeoutMs: 10_000,
      });
      expect(made.topics.map((t) => t.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
      const topicRefused = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      expect(await alterRetention(alice, 2, "guarded")).toEqual([topicRefused, topicRefused]);
      // A topic that does not exist answers the same, so a refused user learns nothing of it.
      expect(await alterRetention(alice, 2, "absent")).toEqual([topicRefused, topicRefused]);
      const clusterRefused = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
      expect(await alterRetention(alice, 4, "1")).toEqual([clusterRefused, clusterRefused]);
      expect(await retentionOf(admin, "guarded")).toBe("604800000");

      // Operation 11 is ALTER_CONFIGS, pattern 3 LITERAL, permission 3 ALLOW.
      const granted = await admin.request(ApiKey.CreateAcls, 1, {
        creations: [
          {
            resourceType: 2,
            resourceName: "guarded",
            resourcePatternType: 3,
            principal: "User:alice",
            host: "*",
            operation: 11,
            permissionType: 3,
          },
        ],
      });
      expect(granted.results[0]!.errorCode).toBe(ErrorCode.NONE);
      expect(await alterRetention(alice, 2, "guarded")).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
      expect(await retentionOf(admin, "guarded")).toBe("1234");
      expect(await alterRetention(alice, 2, "other")).toEqual([topicRefused, topicRefused]);
      expect(await retentionOf(admin, "other")).toBe("604800000");
      // The super user passes the check; the broker resource is then refused for what it is.
      expect(await alterRetention(admin, 4, "1")).toEqual([
        ErrorCode.INVALID_REQUEST,
        ErrorCode.INVALID_REQUEST,
      ]);
    } finally {
      admin.close();
      alice.close();
    }
  }, 60_000);
});
