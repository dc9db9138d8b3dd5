/**
 * `eddy groups reset-offsets` against a real broker: a kafkajs group reads a topic to its end; while
 * it is active, an executed reset is refused (a dry run is not); once it has left, dry runs plan
 * each kind of reset (earliest, latest, an offset clamped to the log, a shift, a datetime) without
 * committing, executed resets commit, and a kafkajs consumer that rejoins the group then starts
 * exactly at the reset offsets: the records it receives are those from the new offsets to the end.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { kcat, type RunningBroker, removeDir, startBroker, until } from "@eddy/broker/test/harness.ts";
import { Kafka, logLevel } from "kafkajs";
import type { GroupDescription } from "../src/admin.ts";
import type { ResetPlan } from "../src/reset-offsets.ts";
import { eddy, type Run } from "./run.ts";

let broker: RunningBroker;
const at = (...args: string[]): Promise<Run> => eddy(["-b", broker.bootstrap, ...args]);
async function atJson<T>(...args: string[]): Promise<T> {
  const run = await at(...args, "--output", "json");
  expect(run.err).toBe("");
  expect(run.code).toBe(0);
  return JSON.parse(run.out) as T;
}

beforeAll(async () => {
  broker = await startBroker({ args: ["--override", "group.initial.rebalance.delay.ms=0"] });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

function kafka(): Kafka {
  return new Kafka({ clientId: "reset-test", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
}

/** A kafkajs consumer of `groupId` on `topic` that records every (partition, offset) it is given. */
async function startConsumer(groupId: string, topic: string) {
  const consumer = kafka().consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200,
  });
  const seen: [number, number][] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.push([partition, Number(message.offset)]);
    },
  });
  return { consumer, seen };
}

describe("eddy groups reset-offsets", () => {
  test("refused while active, planned by dry runs, committed with --execute, honoured by kafkajs", async () => {
    const topic = "ledger";
    const groupId = "ledger-readers";
    const produced = [10, 6];
    expect((await at("topics", "create", topic, "--partitions", "2")).code).toBe(0);
    for (const [partition, count] of produced.entries()) {
      const lines = Array.from({ length: count }, (_, i) => `v${i}`).join("\n");
      kcat(["-P", "-b", broker.bootstrap, "-t", topic, "-p", String(partition)], `${lines}\n`);
    }

    const first = await startConsumer(groupId, topic);
    try {
      await until("the group to read and commit everything", async () => {
        const g = await atJson<GroupDescription>("groups", "describe", groupId);
        return g.state === "Stable" && g.offsets.every((o) => o.lag === 0) && g.offsets.length === 2;
      });
      const refused = await at(
        "groups",
        "reset-offsets",
        groupId,
        "--topic",
        topic,
        "--to-earliest",
        "--execute",
      );
      expect(refused.code).toBe(1);
      expect(refused.out).toBe("");
      expect(refused.err).toBe(
        `eddy: cannot reset the offsets of group '${groupId}': it has 1 active member(s) (state Stable); ` +
          "stop its consumers first (offsets are only reset for an inactive group, as in Kafka), " +
          `'eddy groups describe ${groupId}' shows them\n`,
      );
      // A dry run is allowed while the group is active: it only reads.
      const dry = await atJson<ResetPlan>(
        "groups",
        "reset-offsets",
        groupId,
        "--topic",
        topic,
        "--to-earliest",
      );
      expect(dry.executed).toBe(false);
      expect(dry.state).toBe("Stable");
    } finally {
      await first.consumer.disconnect();
    }
    await until("the group to be empty", async () => {
      return (await atJson<GroupDescription>("groups", "describe", groupId)).state === "Empty";
    });

    // Dry runs of every kind: the plan, and nothing committed.
    const plan = async (...how: string[]) =>
      (await atJson<ResetPlan>("groups", "reset-offsets", groupId, "--topic", topic, ...how)).partitions.map(
        (p) => [p.partition, p.currentOffset, p.newOffset],
      );
    expect(await plan("--to-earliest")).toEqual([
      [0, 10, 0],
      [1, 6, 0],
    ]);
    expect(await plan("--to-latest")).toEqual([
      [0, 10, 10],
      [1, 6, 6],
    ]);
    // An offset past the end is clamped to the end, as Kafka clamps it.
    expect(await plan("--to-offset", "8")).toEqual([
      [0, 10, 8],
      [1, 6, 6],
    ]);
    expect(await plan("--shift-by", "-7")).toEqual([
      [0, 10, 3],
      [1, 6, 0],
    ]);
    const dryText = await at("groups", "reset-offsets", groupId, "--topic", `${topic}:1`, "--to-offset", "2");
    expect(dryText.code).toBe(0);
    expect(dryText.out).toMatch(
      /^TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+NEW-OFFSET\s+LOG-START-OFFSET\s+LOG-END-OFFSET\nledger\s+1\s+6\s+2\s+0\s+6\n/,
    );
    expect(dryText.out).toContain("Dry run: nothing committed. Add --execute to commit these offsets");
    const unchanged = await atJson<GroupDescription>("groups", "describe", groupId);
    expect(unchanged.offsets.map((o) => o.committedOffset)).toEqual([10, 6]);

    // Executed: partition 0 back by 3, partition 1 to offset 2.
    const shifted = await atJson<ResetPlan>(
      "groups",
      "reset-offsets",
      groupId,
      "--topic",
      `${topic}:0`,
      "--shift-by",
      "-3",
      "--execute",
    );
    expect(shifted.executed).toBe(true);
    expect(shifted.partitions.map((p) => [p.partition, p.newOffset])).toEqual([[0, 7]]);
    const moved = await at(
      "groups",
      "reset-offsets",
      groupId,
      "--topic",
      `${topic}:1`,
      "--to-offset",
      "2",
      "--execute",
    );
    expect(moved.code).toBe(0);
    expect(moved.out).toContain(`Committed the new offsets of 1 partition(s) for group ${groupId}.`);
    const described = await atJson<GroupDescription>("groups", "describe", groupId);
    expect(described.offsets.map((o) => [o.partition, o.committedOffset, o.lag])).toEqual([
      [0, 7, 3],
      [1, 2, 4],
    ]);

    // A kafkajs consumer rejoining the group starts at the reset offsets and nowhere else.
    const second = await startConsumer(groupId, topic);
    try {
      await until("the consumer to read what the reset left", () => second.seen.length >= 7);
      await Bun.sleep(500);
      const sorted = [...second.seen].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(sorted).toEqual([
        [0, 7],
        [0, 8],
        [0, 9],
        [1, 2],
        [1, 3],
        [1, 4],
        [1, 5],
      ]);
    } finally {
      await second.consumer.disconnect();
    }
  }, 120_000);

  test("--to-datetime finds the first record at or after the time; --all-topics; errors say what to do", async () => {
    const topic = "timed";
    const groupId = "timed-readers";
    expect((await at("topics", "create", topic, "--partitions", "1")).code).toBe(0);
    const baseMs = Date.parse("2026-01-01T00:00:00Z");
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 6 }, (_, i) => ({
        value: `t${i}`,
        timestamp: String(baseMs + i * 60_000),
      })),
    });
    await producer.disconnect();
    // Nothing committed yet: --all-topics names nothing, --shift-by has nothing to shift.
    const nothing = await at("groups", "reset-offsets", groupId, "--all-topics", "--to-earliest");
    expect(nothing.code).toBe(1);
    expect(nothing.err).toContain(
      "has committed no offsets, so --all-topics names nothing; name topics with --topic T",
    );
    const noShift = await at("groups", "reset-offsets", groupId, "--topic", topic, "--shift-by", "1");
    expect(noShift.code).toBe(1);
    expect(noShift.err).toContain(
      `cannot shift ${topic}-0: group '${groupId}' has no committed offset there`,
    );

    // A group that does not exist yet may be given offsets (Kafka's tool allows it too).
    const at3 = await atJson<ResetPlan>(
      "groups",
      "reset-offsets",
      groupId,
      "--topic",
      topic,
      "--to-datetime",
      "2026-01-01T00:02:30Z",
      "--execute",
    );
    expect(at3.partitions.map((p) => [p.partition, p.currentOffset, p.newOffset])).toEqual([[0, null, 3]]);
    // After the last record: the end of the log.
    const late = await atJson<ResetPlan>(
      "groups",
      "reset-offsets",
      groupId,
      "--all-topics",
      "--to-datetime",
      "2027-01-01T00:00:00Z",
    );
    expect(late.partitions.map((p) => [p.topic, p.currentOffset, p.newOffset])).toEqual([[topic, 3, 6]]);

    const unknown = await at("groups", "reset-offsets", groupId, "--topic", "no-such", "--to-earliest");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe("eddy: topic 'no-such' does not exist; 'eddy topics list' shows the topics\n");
    const badPartition = await at(
      "groups",
      "reset-offsets",
      groupId,
      "--topic",
      `${topic}:4`,
      "--to-earliest",
    );
    expect(badPartition.code).toBe(1);
    expect(badPartition.err).toContain(`topic '${topic}' has no partition 4 (it has 1)`);
  }, 60_000);

  test("groups delete: refused while the group has members, then deletes it and its offsets", async () => {
    const topic = "doomed";
    const groupId = "doomed-readers";
    expect((await at("topics", "create", topic, "--partitions", "1")).code).toBe(0);
    kcat(["-P", "-b", broker.bootstrap, "-t", topic], "a\nb\n");
    const member = await startConsumer(groupId, topic);
    try {
      await until("the consumer to read both records", () => member.seen.length >= 2);
      const refused = await at("groups", "delete", groupId);
      expect(refused.code).toBe(1);
      expect(refused.err).toBe(
        `eddy: cannot delete group '${groupId}': it has active members (NON_EMPTY_GROUP); stop its consumers first, 'eddy groups describe ${groupId}' shows them\n`,
      );
    } finally {
      await member.consumer.disconnect();
    }
    await until("the group to be empty", async () => {
      return (await atJson<GroupDescription>("groups", "describe", groupId)).state === "Empty";
    });
    expect(await at("groups", "delete", groupId)).toEqual({
      code: 0,
      out: `Deleted group ${groupId}.\n`,
      err: "",
    });
    const gone = `eddy: group '${groupId}' does not exist; 'eddy groups list' shows the groups\n`;
    expect(await at("groups", "describe", groupId)).toEqual({ code: 1, out: "", err: gone });
    expect(await at("groups", "delete", groupId)).toEqual({ code: 1, out: "", err: gone });
    // JSON: a group with only committed offsets (never a member) is deleted too.
    expect(
      (await at("groups", "reset-offsets", "offsets-only", "--topic", topic, "--to-latest", "--execute"))
        .code,
    ).toBe(0);
    expect(await atJson("groups", "delete", "offsets-only")).toEqual({
      groupId: "offsets-only",
      deleted: true,
    });
  }, 60_000);

  test("bad usage exits 2", async () => {
    for (const [args, message] of [
      [
        ["groups", "reset-offsets", "g", "--to-earliest"],
        "needs --topic T[:P,...] (repeatable) or --all-topics",
      ],
      [["groups", "reset-offsets", "g", "--topic", "t"], "needs exactly one of --to-earliest"],
      [["groups", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-latest"], "(got 2)"],
      [
        ["groups", "reset-offsets", "g", "--topic", "t", "--to-datetime", "yesterday"],
        "--to-datetime must be an ISO date-time",
      ],
      [
        ["groups", "reset-offsets", "g", "--topic", "t:x", "--to-earliest"],
        "--topic must be TOPIC or TOPIC:PARTITION",
      ],
      [
        ["groups", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--dry-run", "--execute"],
        "cannot go together",
      ],
      [
        ["groups", "describe", "g", "--execute"],
        "--execute is an option of 'groups reset-offsets', not of 'groups describe'",
      ],
    ] as [string[], string][]) {
      const run = await eddy(args);
      expect(run.code).toBe(2);
      expect(run.err).toContain(message);
    }
  }, 60_000);
});
