/**
 * Dynamic broker configs (issue 16), on one broker started as users start it: IncrementalAlterConfigs
 * and AlterConfigs on a BROKER resource (this broker's id, or "" for the cluster-wide default) change
 * the settings Kafka marks dynamic, stored in the metadata log, in effect at once and after a restart.
 * Shows: DescribeConfigs reports DYNAMIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG and the start-up
 * value with Kafka's precedence (topic over per-broker over default over static); a topic without its
 * own value follows the dynamic default (its DescribeConfigs shows the value and source); min.insync.replicas
 * 2 on the broker refuses acks=all on a replication-factor-1 topic with NOT_ENOUGH_REPLICAS at once
 * and a topic's own value still wins; message.max.bytes lowered refuses a larger batch; a read-only
 * setting is refused with INVALID_REQUEST naming it; a bad value with INVALID_CONFIG naming the key.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import { oneRecordProduce } from "./produce-request.ts";
import { RawClient } from "./raw-client.ts";

const topicResource = 2;
const brokerResource = 4;
const opSet = 0;
const opDelete = 1;
/** Kafka's ConfigSource values. */
const source = { topic: 1, dynamicBroker: 2, dynamicDefault: 3, staticBroker: 4, default: 5 };

let broker: RunningBroker;
let client: RawClient;
let nodeId = "";

beforeAll(async () => {
  broker = await startBroker();
  client = await RawClient.connect(broker.port);
  const metadata = await client.request(ApiKey.Metadata, 8, { topics: [], allowAutoTopicCreation: false });
  nodeId = String(metadata.brokers[0]!.nodeId);
});
afterAll(async () => {
  client.close();
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

async function incremental(name: string, configs: { name: string; op: number; value: string | null }[]) {
  const response = await client.request(ApiKey.IncrementalAlterConfigs, 0, {
    resources: [
      {
        resourceType: brokerResource,
        resourceName: name,
        configs: configs.map((c) => ({ name: c.name, configOperation: c.op, value: c.value })),
      },
    ],
    validateOnly: false,
  });
  return { errorCode: response.responses[0]!.errorCode, errorMessage: response.responses[0]!.errorMessage };
}

async function describeResource(
  c: RawClient,
  resourceType: number,
  name: string,
): Promise<Map<string, { value: string | null; source: number; readOnly: boolean }>> {
  const response = await c.request(ApiKey.DescribeConfigs, 3, {
    resources: [{ resourceType, resourceName: name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const result = response.results[0]!;
  expect(result.errorCode).toBe(ErrorCode.NONE);
  return new Map(
    result.configs.map((e) => [e.name, { value: e.value, source: e.configSource, readOnly: e.readOnly }]),
  );
}

async function produce(topic: string, acks: number, valueBytes = 10): Promise<number> {
  const response = await client.request(
    ApiKey.Produce,
    7,
    oneRecordProduce(topic, acks, "v".repeat(valueBytes)),
  );
  return response.responses[0]!.partitionResponses[0]!.errorCode;
}

async function createTopic(name: string, configs: { name: string; value: string }[] = []): Promise<void> {
  const response = await client.request(ApiKey.CreateTopics, 4, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, configs }],
  });
  expect(response.topics[0]!.errorCode).toBe(ErrorCode.NONE);
}

describe("dynamic broker configs", () => {
  test("precedence and sources: per-broker over the default over the start-up value; topics follow", async () => {
    await createTopic("bc-follow");
    await createTopic("bc-own", [{ name: "retention.ms", value: "12345" }]);
    const before = await describeResource(client, brokerResource, nodeId);
    expect(before.get("log.retention.ms")).toMatchObject({ value: "604800000", readOnly: false });
    expect(before.get("node.id")).toMatchObject({ readOnly: true, source: source.staticBroker });

    expect(await incremental("", [{ name: "log.retention.ms", op: opSet, value: "3600000" }])).toEqual({
      errorCode: ErrorCode.NONE,
      errorMessage: null,
    });
    let described = await describeResource(client, brokerResource, nodeId);
    expect(described.get("log.retention.ms")).toMatchObject({
      value: "3600000",
      source: source.dynamicDefault,
    });
    const defaults = await describeResource(client, brokerResource, "");
    expect([...defaults]).toEqual([
      ["log.retention.ms", { value: "3600000", source: source.dynamicDefault, readOnly: false }],
    ]);

    await incremental(nodeId, [{ name: "log.retention.ms", op: opSet, value: "7200000" }]);
    described = await describeResource(client, brokerResource, nodeId);
    expect(described.get("log.retention.ms")).toMatchObject({
      value: "7200000",
      source: source.dynamicBroker,
    });
    // A topic without its own value follows the broker; one with its own keeps it.
    expect((await describeResource(client, topicResource, "bc-follow")).get("retention.ms")).toMatchObject({
      value: "7200000",
      source: source.dynamicBroker,
    });
    expect((await describeResource(client, topicResource, "bc-own")).get("retention.ms")).toMatchObject({
      value: "12345",
      source: source.topic,
    });

    await incremental(nodeId, [{ name: "log.retention.ms", op: opDelete, value: null }]);
    expect((await describeResource(client, brokerResource, nodeId)).get("log.retention.ms")).toMatchObject({
      value: "3600000",
      source: source.dynamicDefault,
    });
    await incremental("", [{ name: "log.retention.ms", op: opDelete, value: null }]);
    expect((await describeResource(client, brokerResource, nodeId)).get("log.retention.ms")).toMatchObject({
      value: "604800000",
    });
  });

  test("min.insync.replicas and message.max.bytes take effect at once on open partitions", async () => {
    await createTopic("bc-isr");
    await createTopic("bc-isr-own", [{ name: "min.insync.replicas", value: "1" }]);
    expect(await produce("bc-isr", -1)).toBe(ErrorCode.NONE);
    await incremental(nodeId, [{ name: "min.insync.replicas", op: opSet, value: "2" }]);
    expect(await produce("bc-isr", -1)).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(await produce("bc-isr-own", -1)).toBe(ErrorCode.NONE);
    await incremental(nodeId, [{ name: "min.insync.replicas", op: opDelete, value: null }]);
    expect(await produce("bc-isr", -1)).toBe(ErrorCode.NONE);

    await incremental("", [{ name: "message.max.bytes", op: opSet, value: "1000" }]);
    expect(await produce("bc-isr", 1, 2_000)).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(await produce("bc-isr", 1, 100)).toBe(ErrorCode.NONE);
    await incremental("", [{ name: "message.max.bytes", op: opDelete, value: null }]);
    expect(await produce("bc-isr", 1, 2_000)).toBe(ErrorCode.NONE);
  });

  test("read-only settings, bad values and bad names are refused and change nothing", async () => {
    const readOnly = await incremental(nodeId, [{ name: "listeners", op: opSet, value: "PLAINTEXT://:1" }]);
    expect(readOnly.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(readOnly.errorMessage).toStartWith("Cannot update these configs dynamically: listeners");
    const bad = await incremental("", [{ name: "log.segment.bytes", op: opSet, value: "ten" }]);
    expect(bad).toEqual({
      errorCode: ErrorCode.INVALID_CONFIG,
      errorMessage: "Invalid value ten for configuration log.segment.bytes: Not a number of type INT",
    });
    const badName = await incremental("x1", [{ name: "log.retention.ms", op: opSet, value: "1" }]);
    expect(badName.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await describeResource(client, brokerResource, "")).size).toBe(0);
  });

  test("AlterConfigs replaces a resource's dynamic set; everything survives a restart", async () => {
    const replaced = await client.request(ApiKey.AlterConfigs, 1, {
      resources: [
        {
          resourceType: brokerResource,
          resourceName: "",
          configs: [
            { name: "log.segment.bytes", value: "1048576" },
            { name: "log.cleanup.policy", value: "compact" },
          ],
        },
      ],
      validateOnly: false,
    });
    expect(replaced.responses[0]!.errorCode).toBe(ErrorCode.NONE);
    await createTopic("bc-restart");
    const stopped = await broker.stop();
    expect(stopped).toBe(0);
    client.close();
    broker = await startBroker({ dataDir: broker.dataDir });
    client = await RawClient.connect(broker.port);
    const described = await describeResource(client, brokerResource, nodeId);
    expect(described.get("log.segment.bytes")).toMatchObject({
      value: "1048576",
      source: source.dynamicDefault,
    });
    expect(described.get("log.cleanup.policy")).toMatchObject({
      value: "compact",
      source: source.dynamicDefault,
    });
    expect((await describeResource(client, topicResource, "bc-restart")).get("cleanup.policy")).toMatchObject(
      {
        value: "compact",
        source: source.dynamicDefault,
      },
    );
  });
});
