/**
 * Topic configs as Kafka checks and applies them, on one broker: CreateTopics refuses an unknown
 * name or an invalid value per topic with INVALID_CONFIG and a message naming the config, and
 * creates nothing for that topic (validateOnly checks the same and creates nothing at all);
 * DescribeConfigs shows the values a topic really has; a topic's max.message.bytes refuses larger
 * batches with MESSAGE_TOO_LARGE and stores nothing of them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ErrorCode, encodeRecordBatch } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

let broker: RunningBroker;
let kafka: Kafka;
let client: RawClient;
beforeAll(async () => {
  broker = await startBroker();
  kafka = new Kafka({ clientId: "topic-configs", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  client = await RawClient.connect(broker.port);
});
afterAll(async () => {
  client.close();
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

const topicNames = async (): Promise<string[]> =>
  (await client.request(3, 1, { topics: null })).topics.map((t) => t.name ?? "");

/** Creates one topic of one partition with the given configs; resolves with its error code. */
async function createTopic(name: string, configs: { name: string; value: string }[]): Promise<number> {
  const response = await client.request(19, 4, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, configs }],
  });
  return response.topics[0]!.errorCode;
}

/** Produces one record of `bytes` zero bytes to partition 0; resolves with that partition's answer. */
async function produce(topic: string, bytes: number) {
  const records = encodeRecordBatch({ records: [{ value: new Uint8Array(bytes) }] });
  const response = await client.request(0, 8, {
    acks: 1,
    timeoutMs: 5000,
    transactionalId: null,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  return response.responses[0]!.partitionResponses[0]!;
}

/** The error type of each topic kafkajs reports in a rejected createTopics. */
async function kafkajsCreateErrors(run: () => Promise<unknown>): Promise<string[]> {
  try {
    await run();
  } catch (error) {
    return ((error as { errors?: { type: string }[] }).errors ?? []).map((e) => e.type);
  }
  throw new Error("createTopics did not reject");
}

describe("topic configs", () => {
  test("kafkajs createTopics with bad configEntries rejects with INVALID_CONFIG and creates nothing", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const bad = [
        { name: "retention.ms", value: "soon" },
        { name: "no.such.config", value: "1" },
        { name: "cleanup.policy", value: "shred" },
      ];
      for (const entry of bad) {
        const errors = await kafkajsCreateErrors(() =>
          admin.createTopics({ topics: [{ topic: "cfg-bad", configEntries: [entry] }] }),
        );
        expect(errors).toEqual(["INVALID_CONFIG"]);
      }
      // validateOnly: a valid topic passes without being created, an invalid one fails the same way.
      expect(
        await admin.createTopics({
          validateOnly: true,
          waitForLeaders: false,
          topics: [{ topic: "cfg-dry", configEntries: [{ name: "retention.ms", value: "60000" }] }],
        }),
      ).toBe(true);
      const dryErrors = await kafkajsCreateErrors(() =>
        admin.createTopics({
          validateOnly: true,
          waitForLeaders: false,
          topics: [{ topic: "cfg-dry", configEntries: [{ name: "segment.ms", value: "0" }] }],
        }),
      );
      expect(dryErrors).toEqual(["INVALID_CONFIG"]);
      const names = await admin.listTopics();
      expect(names).not.toContain("cfg-bad");
      expect(names).not.toContain("cfg-dry");
      // The same configs, valid, create the topic.
      expect(
        await admin.createTopics({
          topics: [
            { topic: "cfg-good", configEntries: [{ name: "cleanup.policy", value: "compact,delete" }] },
          ],
        }),
      ).toBe(true);
      expect(await admin.listTopics()).toContain("cfg-good");
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  test("each refused topic carries INVALID_CONFIG and a message naming the config and why", async () => {
    // A value Kafka refuses: its name, the value, and the reason after Kafka's usual prefix.
    const invalid: [name: string, value: string, reason: string][] = [
      ["retention.ms", "-2", "Value must be at least -1"],
      ["segment.bytes", "3000000000", "Not a number of type INT"],
      ["min.insync.replicas", "0", "Value must be at least 1"],
      ["max.message.bytes", "1.5", "Not a number of type INT"],
      [
        "compression.type",
        "brotli",
        "String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer",
      ],
      ["unclean.leader.election.enable", "yes", "Expected value to be either true or false"],
      ["min.cleanable.dirty.ratio", "1.5", "Value must be no more than 1"],
      ["message.timestamp.type", "LogAppendTime", "LogAppendTime is not supported"],
      ["remote.storage.enable", "true", "Tiered Storage functionality is disabled"],
      ["flush.messages", "0", "Value must be at least 1"],
      ["segment.index.bytes", "8", "Value must be at least 32"],
    ];
    const cases: [config: { name: string; value: string | null }, message: string][] = [
      [{ name: "x", value: "1" }, "Unknown topic config name: x"],
      [{ name: "log.retention.ms", value: "1" }, "Unknown topic config name: log.retention.ms"],
      [{ name: "retention.ms", value: null }, "Null value not supported for topic configs: retention.ms"],
      ...invalid.map(([name, value, reason]): [{ name: string; value: string }, string] => [
        { name, value },
        `Invalid value ${value} for configuration ${name}: ${reason}`,
      ]),
    ];
    const topics = cases.map(([config], i) => ({
      name: `cfg-raw-${i}`,
      numPartitions: 1,
      replicationFactor: 1,
      configs: [config],
    }));
    // One valid topic in the same request is created; the refusals do not touch it.
    topics.push({
      name: "cfg-raw-ok",
      numPartitions: 1,
      replicationFactor: 1,
      configs: [{ name: "retention.bytes", value: "-5" }],
    });
    const response = await client.request(19, 4, { topics, timeoutMs: 5000, validateOnly: false });
    const byName = new Map(response.topics.map((t) => [t.name, t]));
    cases.forEach(([, message], i) => {
      const answer = byName.get(`cfg-raw-${i}`);
      expect(answer?.errorCode).toBe(ErrorCode.INVALID_CONFIG);
      expect(answer?.errorMessage).toContain(message);
    });
    expect(byName.get("cfg-raw-ok")?.errorCode).toBe(ErrorCode.NONE);
    const names = await topicNames();
    expect(names).toContain("cfg-raw-ok");
    expect(names.filter((n) => /^cfg-raw-\d+$/.test(n))).toEqual([]);
    // v0 has no message, only the code; validateOnly (v1+) answers the same without creating.
    const v0 = await client.request(19, 0, {
      topics: [
        { name: "cfg-v0", numPartitions: 1, replicationFactor: 1, configs: [{ name: "x", value: "1" }] },
      ],
    });
    expect(v0.topics[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const dry = await client.request(19, 1, {
      validateOnly: true,
      topics: [
        {
          name: "cfg-dry-bad",
          numPartitions: 1,
          replicationFactor: 1,
          configs: [{ name: "retention.ms", value: "x" }],
        },
        {
          name: "cfg-dry-ok",
          numPartitions: 1,
          replicationFactor: 1,
          configs: [{ name: "retention.ms", value: "1" }],
        },
      ],
    });
    expect(dry.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual([
      [
        "cfg-dry-bad",
        ErrorCode.INVALID_CONFIG,
        "Invalid value x for configuration retention.ms: Not a number of type LONG",
      ],
      ["cfg-dry-ok", ErrorCode.NONE, null],
    ]);
    const after = await topicNames();
    expect(after).not.toContain("cfg-v0");
    expect(after).not.toContain("cfg-dry-ok");
  }, 30_000);

  test("DescribeConfigs shows the values a topic really has", async () => {
    expect(
      await createTopic("cfg-described", [
        { name: "retention.ms", value: " 60000 " },
        { name: "unclean.leader.election.enable", value: "TRUE" },
        { name: "max.message.bytes", value: "2048" },
      ]),
    ).toBe(ErrorCode.NONE);
    const described = await client.request(32, 3, {
      resources: [{ resourceType: 2, resourceName: "cfg-described", configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const entries = new Map(described.results[0]!.configs.map((c) => [c.name, c]));
    expect(entries.get("retention.ms")?.value).toBe("60000");
    expect(entries.get("retention.ms")?.configSource).toBe(1);
    expect(entries.get("unclean.leader.election.enable")?.value).toBe("true");
    expect(entries.get("max.message.bytes")?.value).toBe("2048");
    // Configs the topic does not set show the broker's values, as defaults, with their types.
    expect(entries.get("segment.bytes")?.value).toBe("1073741824");
    expect(entries.get("segment.bytes")?.configSource).toBe(5);
    expect(entries.get("cleanup.policy")?.configType).toBe(7);
    expect(entries.get("min.cleanable.dirty.ratio")?.configType).toBe(6);
    expect(entries.size).toBeGreaterThan(30);
  }, 30_000);

  test("a topic's max.message.bytes refuses a larger batch with MESSAGE_TOO_LARGE and stores nothing", async () => {
    expect(await createTopic("cfg-small", [{ name: "max.message.bytes", value: "512" }])).toBe(
      ErrorCode.NONE,
    );
    // Far below the broker's message.max.bytes (1 MiB), above the topic's.
    const big = await produce("cfg-small", 1000);
    expect(big.errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    expect(big.errorMessage).toContain("max.message.bytes (512)");
    const small = await produce("cfg-small", 100);
    expect(small.errorCode).toBe(ErrorCode.NONE);
    expect(small.baseOffset).toBe(0n);
    const latest = await client.request(2, 1, {
      replicaId: -1,
      topics: [{ name: "cfg-small", partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    });
    expect(latest.topics[0]!.partitions[0]!.offset).toBe(1n);
    // Another topic keeps the broker's limit.
    expect((await produce("cfg-described", 1000)).errorCode).toBe(ErrorCode.NONE);
  }, 30_000);
});
