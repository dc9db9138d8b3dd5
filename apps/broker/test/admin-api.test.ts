/**
 * The JSON admin API against a broker started as users start it, checked against what real clients
 * see: topics created over HTTP are listed by kcat and deleted ones disappear from it; the message
 * browser returns what kcat produced (keys, headers, text and binary values) by offset and by time;
 * group lag agrees with what a kcat member committed; an executed offset reset is honoured by the
 * next kcat member, a dry run changes nothing, and a reset is refused while a member is active.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type AdminBroker, startAdminBroker } from "./admin-harness.ts";
import { kcat, removeDir, spawnCollecting, until } from "./harness.ts";

/** Each test starts clients and waits on a real broker; the 5 s default is too short on a busy machine. */
const testTimeoutMs = 60_000;

let running: AdminBroker;

beforeAll(async () => {
  running = await startAdminBroker({ args: ["--override", "group.initial.rebalance.delay.ms=0"] });
}, testTimeoutMs);

afterAll(async () => {
  await running.broker.stop();
  removeDir(running.broker.dataDir);
});

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${running.admin}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const get = (path: string) => call("GET", path);

/** Topic names kcat's metadata request lists. */
function kcatTopics(): string[] {
  const listing = kcat(["-L", "-b", running.broker.bootstrap, "-J"]);
  return (JSON.parse(listing) as { topics: { topic: string }[] }).topics.map((t) => t.topic);
}

function kcatGroupRead(group: string, topic: string, count: number): string[] {
  const out = kcat([
    "-b",
    running.broker.bootstrap,
    "-G",
    group,
    "-X",
    "auto.offset.reset=earliest",
    "-c",
    String(count),
    "-q",
    "-f",
    "%o %s\n",
    topic,
  ]);
  return out.split("\n").filter((l) => l.length > 0);
}

describe("admin API: brokers", () => {
  test(
    "brokers: this node, its own controller, the cluster id; configs as DescribeConfigs has them",
    async () => {
      const { status, json } = await get("/api/v1/brokers");
      expect(status).toBe(200);
      expect(json.controllerId).toBe(1);
      expect(json.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(json.brokers).toEqual([
        {
          nodeId: 1,
          host: "127.0.0.1",
          port: running.broker.port,
          rack: null,
          fenced: false,
          controller: true,
          self: true,
        },
      ]);
      const configs = await get("/api/v1/brokers/configs");
      expect(configs.status).toBe(200);
      const entries = configs.json.configs as { name: string; value: string; source: string }[];
      expect(entries.find((c) => c.name === "node.id")).toMatchObject({
        value: "1",
        source: "static-broker",
      });
      expect(entries.find((c) => c.name === "group.initial.rebalance.delay.ms")?.value).toBe("0");
    },
    testTimeoutMs,
  );

  test(
    "unknown paths answer 404 and wrong methods 405, as JSON",
    async () => {
      expect((await get("/api/v1/nothing")).status).toBe(404);
      expect((await get("/api/v1/topics/x/y/z")).status).toBe(404);
      const wrong = await call("PUT", "/api/v1/topics");
      expect(wrong.status).toBe(405);
      expect(wrong.json.error).toContain("GET");
      expect((await call("POST", "/api/v1/groups")).status).toBe(405);
    },
    testTimeoutMs,
  );
});

describe("admin API: topics", () => {
  test(
    "create over HTTP (kcat sees it), describe with partitions and configs, refusals, delete (kcat no longer sees it)",
    async () => {
      const created = await call("POST", "/api/v1/topics", {
        name: "api-orders",
        partitions: 3,
        configs: { "retention.ms": 86_400_000 },
      });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ name: "api-orders", partitions: 3, replicationFactor: 1 });
      expect(kcatTopics()).toContain("api-orders");

      const listed = await get("/api/v1/topics");
      const topics = listed.json.topics as { name: string; partitionCount: number }[];
      expect(topics.find((t) => t.name === "api-orders")).toMatchObject({
        partitionCount: 3,
        replicationFactor: 1,
      });

      const described = await get("/api/v1/topics/api-orders");
      expect(described.status).toBe(200);
      expect(described.json.partitions).toEqual(
        [0, 1, 2].map((partition) => ({
          partition,
          leader: 1,
          leaderEpoch: expect.any(Number),
          replicas: [1],
          isr: [1],
          logStartOffset: 0,
          highWatermark: 0,
          logEndOffset: 0,
          sizeBytes: 0,
          segmentCount: 1,
          offline: false,
        })),
      );
      const configs = described.json.configs as { name: string; value: string; source: string }[];
      expect(configs.find((c) => c.name === "retention.ms")).toMatchObject({
        value: "86400000",
        source: "topic",
      });
      expect(configs.find((c) => c.name === "segment.bytes")?.source).toBe("default");

      const again = await call("POST", "/api/v1/topics", { name: "api-orders" });
      expect(again.status).toBe(409);
      expect(again.json.error).toContain("TOPIC_ALREADY_EXISTS");
      const badName = await call("POST", "/api/v1/topics", { name: "bad name!" });
      expect(badName.status).toBe(400);
      expect(badName.json.error).toContain("INVALID_TOPIC_EXCEPTION");
      const badConfig = await call("POST", "/api/v1/topics", {
        name: "api-bad",
        configs: { "retention.ms": -5 },
      });
      expect(badConfig.status).toBe(400);
      expect(badConfig.json.error).toContain("INVALID_CONFIG");
      expect((await call("POST", "/api/v1/topics", { name: "api-bad", partitions: 0 })).status).toBe(400);
      expect((await call("POST", "/api/v1/topics", "not an object")).status).toBe(400);
      // A body that is not declared JSON is refused (a page elsewhere could send it without a preflight).
      const plain = await fetch(`${running.admin}/api/v1/topics`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ name: "api-plain" }),
      });
      expect(plain.status).toBe(415);
      expect(kcatTopics()).not.toContain("api-plain");
      expect(kcatTopics()).not.toContain("api-bad");

      const deleted = await call("DELETE", "/api/v1/topics/api-orders");
      expect(deleted).toEqual({ status: 200, json: { deleted: "api-orders" } });
      expect((await get("/api/v1/topics/api-orders")).status).toBe(404);
      expect(kcatTopics()).not.toContain("api-orders");
      expect((await call("DELETE", "/api/v1/topics/api-orders")).status).toBe(404);
    },
    testTimeoutMs,
  );

  test(
    "the message browser returns what kcat produced: keys, headers, text and binary values, by offset and by time",
    async () => {
      const topic = "api-browse";
      // Raw bytes on kcat's stdin: the third value starts with 0xff 0xfe, which is not UTF-8.
      const lines = Buffer.concat([
        Buffer.from('k0:{"n":0}\nk1:plain text\nk2:'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(" binary\n"),
      ]);
      const produced = Bun.spawnSync(
        [
          "kcat",
          "-P",
          "-b",
          running.broker.bootstrap,
          "-t",
          topic,
          "-K",
          ":",
          "-H",
          "source=kcat",
          "-H",
          "trace=t-1",
        ],
        { stdin: lines, timeout: 30_000 },
      );
      expect(produced.exitCode).toBe(0);
      await Bun.sleep(30);
      const between = Date.now();
      await Bun.sleep(30);
      kcat(["-P", "-b", running.broker.bootstrap, "-t", topic], "late-0\nlate-1\n");

      const page = await get(`/api/v1/topics/${topic}/messages?partition=0&limit=10`);
      expect(page.status).toBe(200);
      expect(page.json).toMatchObject({
        topic,
        partition: 0,
        logStartOffset: 0,
        highWatermark: 5,
        nextOffset: 5,
      });
      const messages = page.json.messages as {
        offset: number;
        timestampMs: number;
        key: { text: string | null; base64: string } | null;
        value: { text: string | null; base64: string; sizeBytes: number } | null;
        headers: { key: string; value: { text: string | null } | null }[];
      }[];
      expect(messages.map((m) => m.offset)).toEqual([0, 1, 2, 3, 4]);
      expect(messages[0]!.key?.text).toBe("k0");
      expect(JSON.parse(messages[0]!.value!.text!)).toEqual({ n: 0 });
      expect(messages[0]!.headers.map((h) => [h.key, h.value?.text])).toEqual([
        ["source", "kcat"],
        ["trace", "t-1"],
      ]);
      expect(messages[1]!.value?.text).toBe("plain text");
      // Bytes that are not UTF-8 come as base64 only.
      expect(messages[2]!.value?.text).toBeNull();
      expect([...Buffer.from(messages[2]!.value!.base64, "base64")].slice(0, 2)).toEqual([0xff, 0xfe]);
      expect(messages[3]!.key).toBeNull();
      expect(messages[3]!.headers).toEqual([]);
      expect(messages[3]!.timestampMs).toBeGreaterThanOrEqual(between);
      expect(messages[2]!.timestampMs).toBeLessThan(between);

      const middle = await get(`/api/v1/topics/${topic}/messages?partition=0&offset=1&limit=2`);
      expect((middle.json.messages as { offset: number }[]).map((m) => m.offset)).toEqual([1, 2]);
      expect(middle.json.nextOffset).toBe(3);
      const byTime = await get(`/api/v1/topics/${topic}/messages?partition=0&timestamp=${between}`);
      expect((byTime.json.messages as { value: { text: string } }[]).map((m) => m.value.text)).toEqual([
        "late-0",
        "late-1",
      ]);
      const future = await get(
        `/api/v1/topics/${topic}/messages?partition=0&timestamp=${Date.now() + 3_600_000}`,
      );
      expect(future.json.messages).toEqual([]);
      const end = await get(`/api/v1/topics/${topic}/messages?partition=0&offset=5`);
      expect(end.json.messages).toEqual([]);

      expect((await get(`/api/v1/topics/${topic}/messages?partition=7`)).status).toBe(400);
      expect((await get(`/api/v1/topics/${topic}/messages?limit=100000`)).status).toBe(400);
      expect((await get("/api/v1/topics/api-none/messages")).status).toBe(404);

      const described = await get(`/api/v1/topics/${topic}`);
      const partition = (described.json.partitions as { highWatermark: number; sizeBytes: number }[])[0]!;
      expect(partition.highWatermark).toBe(5);
      expect(partition.sizeBytes).toBeGreaterThan(0);
      expect(described.json.messageCount).toBe(5);
    },
    testTimeoutMs,
  );
});

describe("admin API: groups", () => {
  test(
    "lag from what a kcat member committed; a dry-run reset changes nothing; an executed one is honoured by kcat",
    async () => {
      const topic = "api-lag";
      const group = "api-billing";
      kcat(
        ["-P", "-b", running.broker.bootstrap, "-t", topic],
        `${Array.from({ length: 10 }, (_, i) => `r${i}`).join("\n")}\n`,
      );
      expect(kcatGroupRead(group, topic, 4).map((l) => l.split(" ")[1])).toEqual(["r0", "r1", "r2", "r3"]);

      const listed = await get("/api/v1/groups");
      const groups = listed.json.groups as {
        groupId: string;
        totalLag: number | null;
        memberCount: number;
      }[];
      expect(groups.find((g) => g.groupId === group)).toMatchObject({ totalLag: 6, memberCount: 0 });
      const detail = await get(`/api/v1/groups/${group}`);
      expect(detail.json).toMatchObject({ groupId: group, state: "Empty", members: [], totalLag: 6 });
      expect(detail.json.offsets).toEqual([
        { topic, partition: 0, committedOffset: 4, highWatermark: 10, lag: 6, memberId: null },
      ]);
      expect((await get("/api/v1/groups/api-nobody")).status).toBe(404);

      const dry = await call("POST", `/api/v1/groups/${group}/reset-offsets`, { topic, to: "earliest" });
      expect(dry.json).toEqual({
        groupId: group,
        executed: false,
        offsets: [{ topic, partition: 0, currentOffset: 4, newOffset: 0 }],
      });
      expect((await get(`/api/v1/groups/${group}`)).json.totalLag).toBe(6);

      const shift = await call("POST", `/api/v1/groups/${group}/reset-offsets`, {
        topic,
        to: "shift",
        by: -100,
      });
      expect((shift.json.offsets as { newOffset: number }[])[0]!.newOffset).toBe(0);
      const past = await call("POST", `/api/v1/groups/${group}/reset-offsets`, {
        topic,
        to: "offset",
        offset: 99,
      });
      expect((past.json.offsets as { newOffset: number }[])[0]!.newOffset).toBe(10);
      expect(
        (await call("POST", `/api/v1/groups/${group}/reset-offsets`, { topic, to: "sideways" })).status,
      ).toBe(400);

      const executed = await call("POST", `/api/v1/groups/${group}/reset-offsets`, {
        topic,
        to: "offset",
        offset: 2,
        execute: true,
      });
      expect(executed.status).toBe(200);
      expect(executed.json.executed).toBe(true);
      expect((await get(`/api/v1/groups/${group}`)).json.totalLag).toBe(8);
      // The next member of the group starts where the reset put it.
      expect(kcatGroupRead(group, topic, 3)).toEqual(["2 r2", "3 r3", "4 r4"]);
      expect((await get(`/api/v1/groups/${group}`)).json.totalLag).toBe(5);
    },
    testTimeoutMs,
  );

  test(
    "a reset is refused while the group has an active member",
    async () => {
      const topic = "api-busy";
      const group = "api-busy-group";
      kcat(["-P", "-b", running.broker.bootstrap, "-t", topic], "a\nb\n");
      const member = spawnCollecting([
        "kcat",
        "-b",
        running.broker.bootstrap,
        "-G",
        group,
        "-X",
        "auto.offset.reset=earliest",
        "-q",
        topic,
      ]);
      try {
        await until("the kcat member to join", async () => {
          const detail = await get(`/api/v1/groups/${group}`);
          return detail.status === 200 && (detail.json.members as unknown[]).length === 1 ? true : null;
        });
        const refused = await call("POST", `/api/v1/groups/${group}/reset-offsets`, {
          topic,
          to: "earliest",
          execute: true,
        });
        expect(refused.status).toBe(409);
        expect(refused.json.error).toContain("1 active member(s)");
        const detail = await get(`/api/v1/groups/${group}`);
        const members = detail.json.members as { assignment: { topic: string; partitions: number[] }[] }[];
        expect(members[0]!.assignment).toEqual([{ topic, partitions: [0] }]);
      } finally {
        member.process.kill("SIGTERM");
        await member.process.exited;
      }
    },
    testTimeoutMs,
  );
});
