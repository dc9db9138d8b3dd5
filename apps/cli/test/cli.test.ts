/**
 * `bun run eddy` against a real broker started as users start it: every command in text and in
 * `--output json` (parsed back), an unknown topic and an unreachable broker exiting 1 with a line
 * saying what to do, bad usage exiting 2 with the usage, and `groups describe` showing the lag of
 * groups whose offsets kafkajs and kcat committed: lag = log end - committed, as the test computes it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  kcat,
  type RunningBroker,
  removeDir,
  startBroker,
  tempDir,
  until,
} from "@eddy/broker/test/harness.ts";
import { Kafka, logLevel } from "kafkajs";
import type { GroupDescription, GroupSummary, TopicDescription, TopicSummary } from "../src/admin.ts";
import type { ClusterDescription } from "../src/cluster.ts";
import type { EntityConfigs } from "../src/configs.ts";
import { eddy, type Run } from "./run.ts";

let broker: RunningBroker;
/** `bun run eddy -b <the test broker> ARGS`. */
const at = (...args: string[]): Promise<Run> => eddy(["-b", broker.bootstrap, ...args]);
/** The same with `--output json`, expecting success, parsed. */
async function atJson<T>(...args: string[]): Promise<T> {
  const run = await at(...args, "--output", "json");
  expect(run.err).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.out) as T;
}

/** Produces `count` records to one partition with kcat. */
function produceTo(topic: string, partition: number, count: number): void {
  const lines = Array.from({ length: count }, (_, i) => `p${partition}-v${i}`).join("\n");
  kcat(["-P", "-b", broker.bootstrap, "-t", topic, "-p", String(partition)], `${lines}\n`);
}

beforeAll(async () => {
  broker = await startBroker({ args: ["--override", "group.initial.rebalance.delay.ms=0"] });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

describe("eddy topics", () => {
  test("create, list, describe with log offsets, delete: text and json", async () => {
    const created = await at("topics", "create", "orders", "--partitions", "3", "--replication-factor", "1");
    expect(created).toEqual({
      code: 0,
      out: "Created topic orders (partitions 3, replication factor 1).\n",
      err: "",
    });
    const createdJson = await atJson<{ topic: string; partitions: number; configs: unknown[] }>(
      "topics",
      "create",
      "audit",
      "--partitions",
      "2",
      "--replication-factor",
      "1",
      "--config",
      "retention.ms=3600000",
      "--config",
      "cleanup.policy=delete",
    );
    expect(createdJson).toMatchObject({ topic: "audit", created: true, partitions: 2, replicationFactor: 1 });
    expect(createdJson.configs).toEqual([
      { name: "retention.ms", value: "3600000" },
      { name: "cleanup.policy", value: "delete" },
    ]);
    // Without N and R the broker's defaults apply, and the answer says what they were.
    expect((await at("topics", "create", "defaults")).out).toBe(
      "Created topic defaults (partitions 1, replication factor 1).\n",
    );

    const listed = await at("topics", "list");
    expect(listed.code).toBe(0);
    expect(listed.out.split("\n")[0]).toMatch(/^TOPIC\s+PARTITIONS\s+REPLICATION-FACTOR$/);
    expect(listed.out).toMatch(/\norders\s+3\s+1\n/);
    expect(listed.out).toMatch(/\naudit\s+2\s+1\n/);
    const listedJson = await atJson<TopicSummary[]>("topics", "list");
    expect(listedJson.filter((t) => ["audit", "defaults", "orders"].includes(t.name))).toEqual([
      { name: "audit", partitions: 2, replicationFactor: 1, internal: false },
      { name: "defaults", partitions: 1, replicationFactor: 1, internal: false },
      { name: "orders", partitions: 3, replicationFactor: 1, internal: false },
    ]);

    const counts = [5, 0, 12];
    counts.forEach((count, partition) => {
      if (count > 0) produceTo("orders", partition, count);
    });
    const described = await atJson<TopicDescription>("topics", "describe", "orders");
    expect(described.name).toBe("orders");
    expect(described.partitions).toEqual(
      counts.map((count, partition) => ({
        partition,
        leader: 1,
        leaderEpoch: expect.any(Number),
        replicas: [1],
        isr: [1],
        offlineReplicas: [],
        logStartOffset: 0,
        logEndOffset: count,
        error: null,
      })),
    );
    const describedText = await at("topics", "describe", "orders");
    expect(describedText.code).toBe(0);
    const lines = describedText.out.trim().split("\n");
    expect(lines[0]).toBe("Topic: orders  PartitionCount: 3  ReplicationFactor: 1");
    expect(lines[1]).toMatch(
      /^PARTITION\s+LEADER\s+REPLICAS\s+ISR\s+LOG-START-OFFSET\s+LOG-END-OFFSET\s+ERROR$/,
    );
    expect(lines.slice(2).map((l) => l.split(/\s+/))).toEqual([
      ["0", "1", "1", "1", "0", "5", "-"],
      ["1", "1", "1", "1", "0", "0", "-"],
      ["2", "1", "1", "1", "0", "12", "-"],
    ]);

    expect(await at("topics", "delete", "defaults")).toEqual({
      code: 0,
      out: "Deleted topic defaults.\n",
      err: "",
    });
    expect(await atJson("topics", "delete", "audit")).toEqual({ topic: "audit", deleted: true });
    const after = await atJson<TopicSummary[]>("topics", "list");
    expect(after.map((t) => t.name)).toContain("orders");
    expect(after.map((t) => t.name)).not.toContain("audit");
    expect(after.map((t) => t.name)).not.toContain("defaults");
  }, 60_000);

  test("an unknown topic, a duplicate or a refused config exits 1 with one line saying what to do", async () => {
    for (const args of [
      ["topics", "describe", "no-such-topic"],
      ["topics", "delete", "no-such-topic"],
    ]) {
      const run = await at(...args);
      expect(run.code).toBe(1);
      expect(run.out).toBe("");
      expect(run.err).toBe(
        "eddy: topic 'no-such-topic' does not exist; 'eddy topics list' shows the topics\n",
      );
    }
    expect((await at("topics", "create", "twice")).code).toBe(0);
    const twice = await at("topics", "create", "twice");
    expect(twice.code).toBe(1);
    expect(twice.err).toBe("eddy: topic 'twice' already exists; 'eddy topics describe twice' shows it\n");
    const refused = await at("topics", "create", "bad-config", "--config", "retention.ms=-5");
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(
      "eddy: cannot create topic 'bad-config': INVALID_CONFIG: Invalid value -5 for configuration retention.ms: Value must be at least -1\n",
    );
  }, 60_000);
});

describe("eddy topics --if-exists, --if-not-exists", () => {
  test("an existing topic with --if-not-exists and a missing one with --if-exists exit 0, doing nothing", async () => {
    expect((await at("topics", "create", "maybe", "--partitions", "2")).code).toBe(0);
    expect(await at("topics", "create", "maybe", "--partitions", "5", "--if-not-exists")).toEqual({
      code: 0,
      out: "Topic maybe already exists; nothing done (--if-not-exists).\n",
      err: "",
    });
    expect(await atJson("topics", "create", "maybe", "--if-not-exists")).toEqual({
      topic: "maybe",
      created: false,
    });
    // Still 2 partitions: nothing was changed.
    expect((await atJson<TopicDescription>("topics", "describe", "maybe")).partitions).toHaveLength(2);
    expect(await at("topics", "delete", "never-was", "--if-exists")).toEqual({
      code: 0,
      out: "Topic never-was does not exist; nothing done (--if-exists).\n",
      err: "",
    });
    expect(await atJson("topics", "alter", "never-was", "--partitions", "3", "--if-exists")).toEqual({
      topic: "never-was",
      altered: false,
    });
    // Other refusals still exit 1.
    const shrink = await at("topics", "alter", "maybe", "--partitions", "1", "--if-exists");
    expect(shrink.code).toBe(1);
    const bad = await at(
      "topics",
      "create",
      "bad-config-2",
      "--config",
      "retention.ms=-5",
      "--if-not-exists",
    );
    expect(bad.code).toBe(1);
    expect(await atJson("topics", "delete", "maybe", "--if-exists")).toEqual({
      topic: "maybe",
      deleted: true,
    });
  }, 60_000);
});

describe("eddy cluster, topics alter, dump-log", () => {
  test("cluster: the cluster id, the controller and the broker, in text and json", async () => {
    const cluster = await atJson<ClusterDescription>("cluster");
    expect(cluster.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cluster.controllerId).toBe(1);
    expect(cluster.brokers).toEqual([{ nodeId: 1, host: "127.0.0.1", port: broker.port, rack: null }]);
    const text = await at("cluster");
    expect(text.code).toBe(0);
    expect(text.out).toBe(
      `Cluster ID: ${cluster.clusterId}  Controller: 1  Brokers: 1\n` +
        "BROKER  HOST       PORT   RACK  CONTROLLER\n" +
        `1       127.0.0.1  ${String(broker.port).padEnd(5)}  -     yes\n`,
    );
  }, 60_000);

  test("topics alter grows a topic; shrinking and an unknown topic exit 1", async () => {
    expect((await at("topics", "create", "growing", "--partitions", "2")).code).toBe(0);
    expect(await at("topics", "alter", "growing", "--partitions", "4")).toEqual({
      code: 0,
      out: "Altered topic growing: 2 -> 4 partitions.\n",
      err: "",
    });
    expect(await atJson("topics", "alter", "growing", "--partitions", "5")).toEqual({
      topic: "growing",
      partitionsBefore: 4,
      partitions: 5,
    });
    const described = await atJson<TopicDescription>("topics", "describe", "growing");
    expect(described.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4]);
    // A new partition takes records at once.
    produceTo("growing", 4, 3);
    expect(
      (await atJson<TopicDescription>("topics", "describe", "growing")).partitions[4]!.logEndOffset,
    ).toBe(3);
    const shrink = await at("topics", "alter", "growing", "--partitions", "3");
    expect(shrink.code).toBe(1);
    expect(shrink.err).toBe(
      "eddy: topic 'growing' has 5 partition(s); --partitions must be more (Kafka cannot remove partitions)\n",
    );
    const unknown = await at("topics", "alter", "no-such-topic", "--partitions", "3");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe(
      "eddy: topic 'no-such-topic' does not exist; 'eddy topics list' shows the topics\n",
    );
    const missing = await at("topics", "alter", "growing");
    expect(missing.code).toBe(2);
    expect(missing.err).toStartWith("eddy: 'topics alter' needs --partitions N\n");
  }, 60_000);

  test("dump-log prints a segment the broker wrote, in text and json; a bad file exits 1", async () => {
    expect((await at("topics", "create", "dumped", "--partitions", "1")).code).toBe(0);
    produceTo("dumped", 0, 4);
    const segment = join(broker.dataDir, "dumped-0", "00000000000000000000.log");
    // No -b: dump-log reads local files and needs no broker.
    const text = await eddy(["dump-log", segment]);
    expect(text.code).toBe(0);
    expect(text.out).toStartWith(
      `Dumping ${segment}\nLog starting offset: 0\nbaseOffset: 0 lastOffset: 3 count: 4 `,
    );
    expect(text.out).toContain("isvalid: true");
    expect(text.out).toContain("Batches: 1 records: 4");
    expect(text.out).toContain(".timeindex");
    const json = await eddy(["dump-log", segment, "--no-index", "-o", "json"]);
    const dumped = JSON.parse(json.out) as { file: string; lines: string[] }[];
    expect(dumped).toHaveLength(1);
    expect(dumped[0]!.file).toBe(segment);
    expect(dumped[0]!.lines.some((l) => l.includes(".index"))).toBe(false);
    const bad = await eddy(["dump-log", join(broker.dataDir, "meta.properties")]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("is not a segment file");
    expect(bad.err).toContain("give a segment's .log, .index or .timeindex");
    expect((await eddy(["dump-log"])).code).toBe(2);
  }, 60_000);
});

describe("eddy configs", () => {
  test("describe a topic's configs (its own and the defaults) and a broker's; alter a topic's, refusals change nothing", async () => {
    expect((await at("topics", "create", "configured", "--config", "retention.ms=3600000")).code).toBe(0);
    const [topic] = await atJson<EntityConfigs[]>(
      "configs",
      "describe",
      "--entity-type",
      "topics",
      "--entity-name",
      "configured",
    );
    expect(topic!.entityType).toBe("topics");
    expect(topic!.entityName).toBe("configured");
    const byName = new Map(topic!.configs.map((c) => [c.name, c]));
    expect(byName.get("retention.ms")).toEqual({
      name: "retention.ms",
      value: "3600000",
      source: "DYNAMIC_TOPIC_CONFIG",
      readOnly: false,
      sensitive: false,
    });
    expect(byName.get("cleanup.policy")).toMatchObject({ value: "delete", source: "DEFAULT_CONFIG" });
    const text = await at("configs", "describe", "--entity-type", "topics", "--entity-name", "configured");
    expect(text.code).toBe(0);
    expect(text.out).toStartWith("Configs for topic 'configured':\nNAME ");
    expect(text.out).toMatch(/\nretention\.ms\s+3600000\s+DYNAMIC_TOPIC_CONFIG\s+no\n/);

    const brokers = await atJson<EntityConfigs[]>("configs", "describe", "--entity-type", "brokers");
    expect(brokers.map((b) => b.entityName)).toEqual(["1"]);
    expect(brokers[0]!.configs.find((c) => c.name === "node.id")).toMatchObject({
      value: "1",
      source: "STATIC_BROKER_CONFIG",
      readOnly: true,
    });
    const one = await at("configs", "describe", "--entity-type", "brokers", "--entity-name", "1");
    expect(one.out).toStartWith("Configs for broker 1:\n");
    const noBroker = await at("configs", "describe", "--entity-type", "brokers", "--entity-name", "7");
    expect(noBroker.code).toBe(1);
    expect(noBroker.err).toBe("eddy: broker 7 is not in the cluster; 'eddy cluster' lists the brokers\n");
    const noTopic = await at(
      "configs",
      "describe",
      "--entity-type",
      "topics",
      "--entity-name",
      "no-such-topic",
    );
    expect(noTopic.code).toBe(1);
    expect(noTopic.err).toBe(
      "eddy: topic 'no-such-topic' does not exist; 'eddy topics list' shows the topics\n",
    );

    // IncrementalAlterConfigs (API 44): SET and DELETE, committed through the controller.
    const alter = await at(
      "configs",
      "alter",
      "--entity-type",
      "topics",
      "--entity-name",
      "configured",
      "--add-config",
      "retention.ms=1000,cleanup.policy=[delete,compact]",
    );
    expect(alter).toEqual({ code: 0, out: "Altered the configs of topics 'configured'.\n", err: "" });
    const [after] = await atJson<EntityConfigs[]>(
      "configs",
      "describe",
      "--entity-type",
      "topics",
      "--entity-name",
      "configured",
    );
    const afterByName = new Map(after!.configs.map((c) => [c.name, c]));
    expect(afterByName.get("retention.ms")).toMatchObject({ value: "1000", source: "DYNAMIC_TOPIC_CONFIG" });
    expect(afterByName.get("cleanup.policy")).toMatchObject({
      value: "delete,compact",
      source: "DYNAMIC_TOPIC_CONFIG",
    });
    const removed = await atJson<{ deleted: string[]; altered: boolean }>(
      "configs",
      "alter",
      "--entity-type",
      "topics",
      "--entity-name",
      "configured",
      "--delete-config",
      "cleanup.policy",
    );
    expect(removed).toMatchObject({ deleted: ["cleanup.policy"], altered: true });

    // An invalid value is refused with the broker's reason (INVALID_CONFIG) and changes nothing.
    const invalid = await at(
      "configs",
      "alter",
      "--entity-type",
      "topics",
      "--entity-name",
      "configured",
      "--add-config",
      "retention.ms=soon",
    );
    expect(invalid.code).toBe(1);
    expect(invalid.err).toContain("cannot alter the configs of topics 'configured'");
    expect(invalid.err).toContain(
      "Invalid value soon for configuration retention.ms: Not a number of type LONG",
    );
    const [unchanged] = await atJson<EntityConfigs[]>(
      "configs",
      "describe",
      "--entity-type",
      "topics",
      "--entity-name",
      "configured",
    );
    const unchangedByName = new Map(unchanged!.configs.map((c) => [c.name, c]));
    expect(unchangedByName.get("retention.ms")!.value).toBe("1000");
    expect(unchangedByName.get("cleanup.policy")).toMatchObject({
      value: "delete",
      source: "DEFAULT_CONFIG",
    });

    // A broker's dynamic configs: per broker and the cluster-wide default, with their sources; the
    // topic without its own value follows; a read-only setting is refused naming it.
    const brokerAlter = await at(
      "configs",
      "alter",
      "--entity-type",
      "brokers",
      "--entity-name",
      "1",
      "--add-config",
      "log.retention.ms=7200000",
    );
    expect(brokerAlter).toEqual({ code: 0, out: "Altered the configs of brokers '1'.\n", err: "" });
    const defaultAlter = await at(
      "configs",
      "alter",
      "--entity-type",
      "brokers",
      "--entity-default",
      "--add-config",
      "log.retention.ms=3600000,log.segment.bytes=1048576",
    );
    expect(defaultAlter).toEqual({
      code: 0,
      out: "Altered the brokers' cluster-wide default configs.\n",
      err: "",
    });
    const [brokerOne] = await atJson<EntityConfigs[]>(
      "configs",
      "describe",
      "--entity-type",
      "brokers",
      "--entity-name",
      "1",
    );
    const brokerByName = new Map(brokerOne!.configs.map((c) => [c.name, c]));
    expect(brokerByName.get("log.retention.ms")).toMatchObject({
      value: "7200000",
      source: "DYNAMIC_BROKER_CONFIG",
    });
    expect(brokerByName.get("log.segment.bytes")).toMatchObject({
      value: "1048576",
      source: "DYNAMIC_DEFAULT_BROKER_CONFIG",
    });
    const [defaults] = await atJson<EntityConfigs[]>(
      "configs",
      "describe",
      "--entity-type",
      "brokers",
      "--entity-default",
    );
    expect(defaults!.configs.map((c) => [c.name, c.value, c.source])).toEqual([
      ["log.retention.ms", "3600000", "DYNAMIC_DEFAULT_BROKER_CONFIG"],
      ["log.segment.bytes", "1048576", "DYNAMIC_DEFAULT_BROKER_CONFIG"],
    ]);
    const [followed] = await atJson<EntityConfigs[]>(
      "configs",
      "describe",
      "--entity-type",
      "topics",
      "--entity-name",
      "configured",
    );
    expect(new Map(followed!.configs.map((c) => [c.name, c])).get("segment.bytes")).toMatchObject({
      value: "1048576",
      source: "DYNAMIC_DEFAULT_BROKER_CONFIG",
    });
    const readOnly = await at(
      "configs",
      "alter",
      "--entity-type",
      "brokers",
      "--entity-name",
      "1",
      "--add-config",
      "num.partitions=3",
    );
    expect(readOnly.code).toBe(1);
    expect(readOnly.err).toContain(
      "INVALID_REQUEST: Cannot update these configs dynamically: num.partitions",
    );
    const cleared = await at(
      "configs",
      "alter",
      "--entity-type",
      "brokers",
      "--entity-default",
      "--delete-config",
      "log.retention.ms,log.segment.bytes",
    );
    expect(cleared.code).toBe(0);
    await at(
      "configs",
      "alter",
      "--entity-type",
      "brokers",
      "--entity-name",
      "1",
      "--delete-config",
      "log.retention.ms",
    );
  }, 60_000);

  test("configs bad usage exits 2", async () => {
    for (const [args, message] of [
      [["configs", "describe"], "eddy: 'configs describe' needs --entity-type topics or brokers\n"],
      [
        ["configs", "describe", "--entity-type", "groups"],
        "eddy: 'configs describe' needs --entity-type topics or brokers, not 'groups'\n",
      ],
      [
        ["configs", "describe", "--entity-type", "topics"],
        "eddy: 'configs describe' of topics needs --entity-name\n",
      ],
      [
        ["configs", "alter", "--entity-type", "topics", "--entity-name", "t"],
        "eddy: 'configs alter' needs --add-config or --delete-config\n",
      ],
      [
        ["configs", "alter", "--entity-type", "topics", "--entity-name", "t", "--add-config", "novalue"],
        "eddy: --add-config takes KEY=VALUE,KEY=VALUE..., not 'novalue'\n",
      ],
      [
        [
          "configs",
          "alter",
          "--entity-type",
          "topics",
          "--entity-name",
          "t",
          "--add-config",
          "a=1",
          "--delete-config",
          "a",
        ],
        "eddy: a both added and deleted\n",
      ],
    ] as [string[], string][]) {
      const run = await eddy(args);
      expect(run.code).toBe(2);
      expect(run.err).toStartWith(`${message}\nUsage: eddy`);
    }
  }, 60_000);
});

describe("eddy groups", () => {
  test("a kafkajs group: state, member, assignment, committed offsets and lag per partition", async () => {
    const topic = "payments";
    const groupId = "billing";
    const produced = [10, 7, 4];
    const consumed = [3, 7, 0];
    expect((await at("topics", "create", topic, "--partitions", "3", "--replication-factor", "1")).code).toBe(
      0,
    );
    for (const [partition, count] of produced.entries()) produceTo(topic, partition, count);

    const kafka = new Kafka({
      clientId: "cli-test",
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 200,
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    // Each partition's first `consumed[p]` records are processed and committed; the rest are left.
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        if (offset < consumed[partition]!) {
          await consumer.commitOffsets([{ topic, partition, offset: String(offset + 1) }]);
        }
      },
    });
    try {
      const expectedOffsets = produced
        .map((end, partition) => ({ partition, end, committed: consumed[partition]! }))
        .filter((p) => p.committed > 0);
      const stable = await until("the kafkajs member's commits and a stable group", async () => {
        const g = await atJson<GroupDescription>("groups", "describe", groupId);
        const done = expectedOffsets.every(
          (p) => g.offsets.find((o) => o.partition === p.partition)?.committedOffset === p.committed,
        );
        return done && g.state === "Stable" && g.members.length === 1 ? g : null;
      });
      expect(stable.groupId).toBe(groupId);
      expect(stable.protocolType).toBe("consumer");
      expect(stable.members[0]!.clientId).toBe("cli-test");
      expect(stable.members[0]!.assignment).toEqual([{ topic, partitions: [0, 1, 2] }]);
      const memberId = stable.members[0]!.memberId;
      // Every assigned partition is listed; one never committed has no offset and no lag.
      expect(stable.offsets).toEqual(
        produced.map((end, partition) => {
          const committed = consumed[partition]! > 0 ? consumed[partition]! : null;
          return {
            topic,
            partition,
            committedOffset: committed,
            logEndOffset: end,
            lag: committed === null ? null : end - committed,
            memberId,
            clientId: "cli-test",
            clientHost: expect.any(String),
          };
        }),
      );

      const text = await at("groups", "describe", groupId);
      expect(text.code).toBe(0);
      expect(text.out).toContain(`Group: ${groupId}  State: Stable  Protocol: `);
      expect(text.out).toMatch(
        /TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-END-OFFSET\s+LAG\s+CONSUMER-ID\s+HOST\s+CLIENT-ID/,
      );
      expect(text.out).toMatch(new RegExp(`\\n${topic}\\s+0\\s+3\\s+10\\s+7\\s+${memberId}\\s`));
      expect(text.out).toMatch(new RegExp(`\\n${topic}\\s+1\\s+7\\s+7\\s+0\\s+${memberId}\\s`));
      expect(text.out).toMatch(new RegExp(`\\n${topic}\\s+2\\s+-\\s+4\\s+-\\s+${memberId}\\s`));
      expect(text.out).toContain("Total lag: 7\n");
      expect(text.out).toContain(`${topic}(0,1,2)`);

      const listed = await atJson<GroupSummary[]>("groups", "list");
      expect(listed).toContainEqual({ groupId, protocolType: "consumer", state: "Stable" });
    } finally {
      await consumer.disconnect();
    }
    // Once the member has left the group is Empty and keeps its offsets and lag.
    const empty = await until("the group to be empty", async () => {
      const g = await atJson<GroupDescription>("groups", "describe", groupId);
      return g.state === "Empty" ? g : null;
    });
    expect(empty.members).toEqual([]);
    expect(empty.offsets.map((o) => [o.partition, o.committedOffset, o.logEndOffset, o.lag])).toEqual([
      [0, 3, 10, 7],
      [1, 7, 7, 0],
    ]);
    const listedText = await at("groups", "list");
    expect(listedText.code).toBe(0);
    expect(listedText.out).toMatch(new RegExp(`\\n${groupId}\\s+Empty\\s+consumer\\n`));
  }, 90_000);

  test("a kcat group that read some records: lag is what is left of each partition", async () => {
    const topic = "clicks";
    const produced = [6, 9];
    expect((await at("topics", "create", topic, "--partitions", "2")).code).toBe(0);
    for (const [partition, count] of produced.entries()) produceTo(topic, partition, count);
    // kcat's balanced consumer reads 5 records and commits what it read when it closes.
    const read = kcat(
      [
        "-b",
        broker.bootstrap,
        "-G",
        "kcat-readers",
        "-X",
        "auto.offset.reset=earliest",
        "-c",
        "5",
        "-q",
        "-f",
        "%p %o\\n",
        topic,
      ],
      undefined,
      60_000,
    )
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => line.split(" ").map(Number) as [number, number]);
    expect(read).toHaveLength(5);
    const next = new Map<number, number>();
    for (const [partition, offset] of read)
      next.set(partition, Math.max(next.get(partition) ?? 0, offset + 1));
    const expected = [...next]
      .sort(([a], [b]) => a - b)
      .map(([partition, committed]) => ({
        partition,
        committed,
        end: produced[partition]!,
        lag: produced[partition]! - committed,
      }));
    const group = await atJson<GroupDescription>("groups", "describe", "kcat-readers");
    expect(group.state).toBe("Empty");
    expect(
      group.offsets.map((o) => ({
        partition: o.partition,
        committed: o.committedOffset,
        end: o.logEndOffset,
        lag: o.lag,
      })),
    ).toEqual(expected);
    const totalLag = expected.reduce((sum, p) => sum + p.lag, 0);
    // Each partition was read from its start, so the committed offsets add up to the records read.
    expect(expected.reduce((sum, p) => sum + p.committed, 0)).toBe(5);
    expect((await at("groups", "describe", "kcat-readers")).out).toContain(`Total lag: ${totalLag}\n`);
  }, 90_000);

  test("an unknown group exits 1", async () => {
    const run = await at("groups", "describe", "nobody");
    expect(run.code).toBe(1);
    expect(run.err).toBe("eddy: group 'nobody' does not exist; 'eddy groups list' shows the groups\n");
  }, 60_000);
});

describe("eddy exit codes", () => {
  test("no broker at the address: exit 1 with what to do", async () => {
    // A port nothing listens on: the broker's own, once it is stopped, would race other tests; port 1 is refused.
    const run = await eddy(["-b", "127.0.0.1:1", "topics", "list", "--output", "json"]);
    expect(run.code).toBe(1);
    expect(run.out).toBe("");
    expect(run.err).toMatch(
      /^eddy: cannot connect to 127\.0\.0\.1:1 .*is a broker running there\? .*-b HOST:PORT\n$/,
    );
  }, 60_000);

  test("--command-config: bootstrap.servers tried in order, -b wins over the file, an unknown key exits 2", async () => {
    const dir = tempDir("cli-config");
    const file = join(dir, "client.properties");
    // The first server refuses connections; the second is the test broker.
    writeFileSync(
      file,
      `# connection settings\nbootstrap.servers=127.0.0.1:1,${broker.bootstrap}\nrequest.timeout.ms=5000\n`,
    );
    const listed = await eddy(["topics", "list", "--command-config", file, "--output", "json"]);
    expect(listed.err).toBe("");
    expect(listed.code).toBe(0);
    expect(Array.isArray(JSON.parse(listed.out))).toBe(true);
    const flagWins = await eddy(["-b", "127.0.0.1:1", "topics", "list", "--command-config", file]);
    expect(flagWins.code).toBe(1);
    expect(flagWins.err).toStartWith("eddy: cannot connect to 127.0.0.1:1 ");
    writeFileSync(file, "bootstrap.server=127.0.0.1:9092\n");
    const typo = await eddy(["topics", "list", "--command-config", file]);
    expect(typo.code).toBe(2);
    expect(typo.err).toStartWith(
      `eddy: ${file}:1: unknown setting 'bootstrap.server' (eddy reads bootstrap.servers, request.timeout.ms, security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.type,`,
    );
    const missing = await eddy(["topics", "list", "--command-config", join(dir, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.err).toStartWith(`eddy: cannot read --command-config ${join(dir, "nope")}: `);
    removeDir(dir);
  }, 60_000);

  const badUsage: [string[], string][] = [
    [[], "eddy: no command given"],
    [["topic", "list"], "eddy: unknown command 'topic'"],
    [["topics"], "eddy: 'topics' needs a subcommand"],
    [["topics", "lst"], "eddy: unknown command 'topics lst'"],
    [["topics", "describe"], "eddy: 'topics describe' needs NAME"],
    [["topics", "list", "extra"], "eddy: 'topics list' takes no argument, got 'extra'"],
    [["groups", "describe", "a", "b"], "eddy: 'groups describe' takes one GROUP, got 2: a b"],
    [
      ["topics", "create", "t", "--partitions", "0"],
      "eddy: --partitions must be a positive integer, not '0'",
    ],
    [
      ["topics", "create", "t", "--config", "retention.ms"],
      "eddy: --config must be KEY=VALUE, not 'retention.ms'",
    ],
    [
      ["topics", "describe", "t", "--partitions", "2"],
      "eddy: --partitions is an option of 'topics create' and 'topics alter', not of 'topics describe'",
    ],
    [["topics", "list", "--output", "xml"], "eddy: --output must be text or json, not 'xml'"],
    [
      ["-b", "localhost", "topics", "list"],
      "eddy: --bootstrap-server must be HOST:PORT[,HOST:PORT...], not 'localhost'",
    ],
    [["topics", "list", "--frobnicate"], "eddy: Unknown option '--frobnicate'"],
  ];
  for (const [args, message] of badUsage) {
    test(`bad usage exits 2: eddy ${args.join(" ")}`, async () => {
      const run = await eddy(args);
      expect(run.code).toBe(2);
      expect(run.out).toBe("");
      expect(run.err.startsWith(message)).toBe(true);
      expect(run.err).toContain("\n\nUsage: eddy [options] <command>");
    }, 30_000);
  }

  test("--help prints the usage and exits 0", async () => {
    const run = await eddy(["--help"]);
    expect(run.code).toBe(0);
    expect(run.out).toStartWith("Usage: eddy [options] <command>");
  }, 60_000);
});
