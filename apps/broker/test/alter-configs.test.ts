/**
 * Topic configs changed after creation (IncrementalAlterConfigs and AlterConfigs, issue 16), on one
 * broker started as users start it: kafkajs `alterConfigs` and kafka-python's admin `alter_configs`
 * change a topic and DescribeConfigs then shows the new value as DYNAMIC_TOPIC_CONFIG; an invalid
 * value, an unknown name, APPEND on a non-list key, a broker's read-only setting and an unknown topic are refused
 * with Kafka's error codes and change nothing; validateOnly changes nothing; AlterConfigs replaces
 * the whole set; a retention.ms change makes retention delete old segments without a restart; every
 * change is still there after a restart on the same data directory.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import { spawnSync } from "bun";
import { ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

const topicResource = 2;
const brokerResource = 4;
const opSet = 0;
const opDelete = 1;
const opAppend = 2;
const opSubtract = 3;

let broker: RunningBroker;
let kafka: Kafka;
let client: RawClient;
const brokerArgs = ["--override", "log.retention.check.interval.ms=200"];

beforeAll(async () => {
  broker = await startBroker({ args: brokerArgs });
  kafka = new Kafka({ clientId: "alter-configs", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  client = await RawClient.connect(broker.port);
});
afterAll(async () => {
  client.close();
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

async function createTopic(name: string, configs: { name: string; value: string }[] = []): Promise<void> {
  const response = await client.request(19, 4, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, configs }],
  });
  expect(response.topics[0]!.errorCode).toBe(ErrorCode.NONE);
}

/** The topic's configs as DescribeConfigs v3 reports them: name -> [value, source]. */
async function describeTopic(c: RawClient, name: string): Promise<Map<string, [string | null, number]>> {
  const response = await c.request(32, 3, {
    resources: [{ resourceType: topicResource, resourceName: name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const result = response.results[0]!;
  expect(result.errorCode).toBe(ErrorCode.NONE);
  return new Map(result.configs.map((c) => [c.name, [c.value, c.configSource]]));
}

/** Kafka's ConfigSource values. */
const dynamicTopic = 1;
const defaultConfig = 5;

async function incremental(
  resources: { type?: number; name: string; configs: { name: string; op: number; value: string | null }[] }[],
  validateOnly = false,
) {
  const response = await client.request(44, 0, {
    resources: resources.map((r) => ({
      resourceType: r.type ?? topicResource,
      resourceName: r.name,
      configs: r.configs.map((c) => ({ name: c.name, configOperation: c.op, value: c.value })),
    })),
    validateOnly,
  });
  return response.responses.map((r) => ({ errorCode: r.errorCode, errorMessage: r.errorMessage }));
}

async function earliest(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return Number(offsets[0]!.low);
}

describe("altering topic configs", () => {
  test("IncrementalAlterConfigs SET, DELETE, APPEND and SUBTRACT change the topic; DescribeConfigs shows it", async () => {
    await createTopic("inc", [{ name: "segment.ms", value: "60000" }]);
    const ok = await incremental([
      {
        name: "inc",
        configs: [
          { name: "retention.ms", op: opSet, value: " 1000 " },
          { name: "segment.ms", op: opDelete, value: null },
          { name: "cleanup.policy", op: opAppend, value: "compact" },
        ],
      },
    ]);
    expect(ok).toEqual([{ errorCode: ErrorCode.NONE, errorMessage: null }]);
    const after = await describeTopic(client, "inc");
    // Values are stored trimmed, as Kafka parses them.
    expect(after.get("retention.ms")).toEqual(["1000", dynamicTopic]);
    expect(after.get("segment.ms")).toEqual(["604800000", defaultConfig]);
    // APPEND starts from the default list (delete) when the topic does not override the key.
    expect(after.get("cleanup.policy")).toEqual(["delete,compact", dynamicTopic]);
    const subtract = await incremental([
      { name: "inc", configs: [{ name: "cleanup.policy", op: opSubtract, value: "delete" }] },
    ]);
    expect(subtract[0]!.errorCode).toBe(ErrorCode.NONE);
    expect((await describeTopic(client, "inc")).get("cleanup.policy")).toEqual(["compact", dynamicTopic]);
  }, 60_000);

  test("refusals name the key and why, and change nothing", async () => {
    await createTopic("strict", [{ name: "retention.ms", value: "5000" }]);
    const before = await describeTopic(client, "strict");
    const answers = await incremental([
      { name: "strict", configs: [{ name: "retention.ms", op: opSet, value: "soon" }] },
      { name: "strict", configs: [{ name: "no.such.config", op: opSet, value: "1" }] },
      { name: "strict", configs: [{ name: "retention.ms", op: opAppend, value: "1" }] },
      { name: "missing", configs: [{ name: "retention.ms", op: opSet, value: "1" }] },
      {
        type: brokerResource,
        name: "1",
        configs: [{ name: "listeners", op: opSet, value: "PLAINTEXT://:1" }],
      },
    ]);
    expect(answers).toEqual([
      {
        errorCode: ErrorCode.INVALID_CONFIG,
        errorMessage: "Invalid value soon for configuration retention.ms: Not a number of type LONG",
      },
      { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: "Unknown topic config name: no.such.config" },
      {
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: "Config value append is not allowed for config key: retention.ms",
      },
      { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "unknown topic" },
      {
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: expect.stringContaining("Cannot update these configs dynamically: listeners ("),
      },
    ]);
    // One bad key refuses the whole resource: the good key beside it is not applied either.
    const mixed = await incremental([
      {
        name: "strict",
        configs: [
          { name: "segment.ms", op: opSet, value: "1000" },
          { name: "min.insync.replicas", op: opSet, value: "0" },
        ],
      },
    ]);
    expect(mixed).toEqual([
      {
        errorCode: ErrorCode.INVALID_CONFIG,
        errorMessage: "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1",
      },
    ]);
    // validateOnly answers NONE for a valid change and applies nothing.
    const dry = await incremental(
      [{ name: "strict", configs: [{ name: "retention.ms", op: opSet, value: "1" }] }],
      true,
    );
    expect(dry).toEqual([{ errorCode: ErrorCode.NONE, errorMessage: null }]);
    expect(await describeTopic(client, "strict")).toEqual(before);
  }, 60_000);

  test("kafkajs alterConfigs replaces the topic's set (AlterConfigs) and describeConfigs shows it", async () => {
    await createTopic("kjs", [
      { name: "retention.ms", value: "5000" },
      { name: "segment.bytes", value: "8192" },
    ]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: "kjs",
            configEntries: [{ name: "retention.ms", value: "2000" }],
          },
        ],
      });
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: "kjs" }],
      });
      const entries = new Map(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(entries.get("retention.ms")).toMatchObject({ configValue: "2000", isDefault: false });
      // AlterConfigs replaces the whole set: segment.bytes, not given, is back to the broker's value.
      expect(entries.get("segment.bytes")).toMatchObject({ configValue: "1073741824", isDefault: true });
      await expect(
        admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: "kjs",
              configEntries: [{ name: "retention.ms", value: "-5" }],
            },
          ],
        }),
      ).rejects.toMatchObject({ type: "INVALID_CONFIG" });
    } finally {
      await admin.disconnect();
    }
    expect((await describeTopic(client, "kjs")).get("retention.ms")).toEqual(["2000", dynamicTopic]);
  }, 60_000);

  test("kafka-python's admin alter_configs changes a topic; describe_configs shows it", async () => {
    await createTopic("kpy");
    const script = `
import sys
from kafka.admin import KafkaAdminClient, ConfigResource, ConfigResourceType
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], client_id="alter-configs-kpy")
response = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kpy", configs={"retention.ms": "3000", "max.message.bytes": "2048"})])
print("alter", response.API_VERSION, [(r[0], r[1]) for r in response.resources])
bad = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "kpy", configs={"retention.ms": "later"})])
print("bad", [(r[0], r[1]) for r in bad.resources])
described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "kpy")])
for resource in described[0].resources:
    for entry in resource[4]:
        if entry[0] in ("retention.ms", "max.message.bytes"):
            print("config", entry[0], entry[1])
admin.close()
`;
    const run = spawnSync(["/usr/bin/python3", "-c", script, broker.bootstrap], { timeout: 60_000 });
    const out = run.stdout.toString();
    expect(run.stderr.toString()).toBe("");
    expect(run.exitCode).toBe(0);
    expect(out).toContain("alter 1 [(0, None)]");
    expect(out).toContain(
      "bad [(40, 'Invalid value later for configuration retention.ms: Not a number of type LONG')]",
    );
    expect(out).toContain("config retention.ms 3000\n");
    expect(out).toContain("config max.message.bytes 2048\n");
  }, 60_000);

  test("a retention.ms change deletes old segments without a restart, and every change survives one", async () => {
    await createTopic("aging", [{ name: "segment.bytes", value: "4096" }]);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 40; i++) {
      await producer.send({
        topic: "aging",
        acks: 1,
        messages: Array.from({ length: 10 }, (_, j) => ({ value: `${i}-${j}`.padEnd(100, ".") })),
      });
    }
    await producer.disconnect();
    // The broker keeps a week by default: a few retention runs delete nothing.
    await Bun.sleep(1_000);
    expect(await earliest("aging")).toBe(0);
    const answer = await incremental([
      { name: "aging", configs: [{ name: "retention.ms", op: opSet, value: "1000" }] },
    ]);
    expect(answer[0]!.errorCode).toBe(ErrorCode.NONE);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await earliest("aging")) === 0) await Bun.sleep(200);
    expect(await earliest("aging")).toBeGreaterThan(0);
    expect(broker.output()).toMatch(/retention deleted \d+ segment\(s\) of aging-0/);

    // A restart on the same data directory replays the Config records from the metadata log.
    client.close();
    expect(await broker.stop()).toBe(0);
    broker = await startBroker({ args: brokerArgs, dataDir: broker.dataDir });
    kafka = new Kafka({ clientId: "alter-configs", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    client = await RawClient.connect(broker.port);
    expect((await describeTopic(client, "aging")).get("retention.ms")).toEqual(["1000", dynamicTopic]);
    expect((await describeTopic(client, "kjs")).get("retention.ms")).toEqual(["2000", dynamicTopic]);
    expect((await describeTopic(client, "kjs")).get("segment.bytes")).toEqual(["1073741824", defaultConfig]);
    expect((await describeTopic(client, "inc")).get("cleanup.policy")).toEqual(["compact", dynamicTopic]);
    expect((await describeTopic(client, "kpy")).get("max.message.bytes")).toEqual(["2048", dynamicTopic]);
  }, 90_000);
});
