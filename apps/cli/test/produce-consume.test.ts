/**
 * `eddy produce` and `eddy consume` against a real broker, each checked by the other side being a
 * different client: eddy produces and kcat reads back keys, values, headers, partitions and offsets;
 * kcat produces and eddy reads back the same through `-f` formats and `--output json`. Then where
 * consume starts (beginning, an offset, back from the end, a time, one partition), `--max-messages`,
 * a group that resumes where it committed, acks 0, and the errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  kcat,
  type RunningBroker,
  removeDir,
  repoRoot,
  startBroker,
  until,
} from "@eddy/broker/test/harness.ts";
import { partitionForKey } from "@eddy/protocol";
import { spawn } from "bun";
import { Kafka, logLevel } from "kafkajs";
import type { GroupDescription } from "../src/admin.ts";
import type { ProduceResult } from "../src/produce.ts";
import { eddy, type Run } from "./run.ts";

let broker: RunningBroker;
const at = (args: string[], input?: string): Promise<Run> => eddy(["-b", broker.bootstrap, ...args], input);

beforeAll(async () => {
  broker = await startBroker({ args: ["--override", "group.initial.rebalance.delay.ms=0"] });
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

const utf8 = new TextEncoder();
const lines = (text: string): string[] => text.split("\n").filter((l) => l.length > 0);

describe("eddy produce", () => {
  test("eddy produce -> kcat consume: keys by murmur2, headers, offsets in the JSON answer", async () => {
    const topic = "to-kcat";
    expect((await at(["topics", "create", topic, "--partitions", "3"])).code).toBe(0);
    const keys = ["alice", "bob", "carol", "dave", "alice", "bob", "erin", "alice"];
    const input = `${keys.map((k, i) => `${k}\t{"n":${i}}`).join("\n")}\n`;
    const run = await at(
      [
        "produce",
        topic,
        "--key-separator",
        "\t",
        "--header",
        "source=eddy",
        "--header",
        "trace=a=b",
        "-o",
        "json",
      ],
      input,
    );
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.out) as ProduceResult;
    expect(result.records).toBe(keys.length);
    expect(result.acks).toBe(-1);
    // Each partition got one batch in this one flush: its offsets run from 0 to its count - 1.
    const expectedCounts = new Map<number, number>();
    for (const k of keys) {
      const p = partitionForKey(utf8.encode(k), 3);
      expectedCounts.set(p, (expectedCounts.get(p) ?? 0) + 1);
    }
    expect(result.partitions).toEqual(
      [...expectedCounts]
        .sort(([a], [b]) => a - b)
        .map(([partition, count]) => ({ partition, records: count, firstOffset: 0, lastOffset: count - 1 })),
    );
    const read = lines(
      kcat([
        "-C",
        "-b",
        broker.bootstrap,
        "-t",
        topic,
        "-o",
        "beginning",
        "-e",
        "-q",
        "-f",
        "%p|%o|%k|%s|%h\\n",
      ]),
    ).map((l) => l.split("|"));
    expect(read).toHaveLength(keys.length);
    const next = new Map<number, number>();
    for (const [p, o, k, s, h] of read) {
      const partition = Number(p);
      // kcat sees each key in the partition murmur2 gives, in order, with both headers.
      expect(partition).toBe(partitionForKey(utf8.encode(k!), 3));
      expect(Number(o)).toBe(next.get(partition) ?? 0);
      next.set(partition, Number(o) + 1);
      expect(keys[JSON.parse(s!).n]).toBe(k);
      expect(h).toBe("source=eddy,trace=a=b");
    }
  }, 60_000);

  test("a fixed partition, unkeyed lines, a last line without newline, acks 1 and 0", async () => {
    const topic = "plain";
    expect((await at(["topics", "create", topic, "--partitions", "2"])).code).toBe(0);
    const one = await at(["produce", topic, "--partition", "1", "--acks", "1"], "first\nsecond\nthird");
    expect(one).toEqual({
      code: 0,
      out: "Produced 3 record(s) to plain (partition 1: offsets 0-2).\n",
      err: "",
    });
    const zero = await at(["produce", topic, "--partition", "1", "--acks", "0"], "fourth\n");
    expect(zero.code).toBe(0);
    expect(zero.out).toBe(
      "Produced 1 record(s) to plain (partition 1: 1) (acks 0: sent, not acknowledged).\n",
    );
    expect(
      lines(
        kcat([
          "-C",
          "-b",
          broker.bootstrap,
          "-t",
          topic,
          "-p",
          "1",
          "-o",
          "beginning",
          "-e",
          "-q",
          "-f",
          "%o %s\\n",
        ]),
      ),
    ).toEqual(["0 first", "1 second", "2 third", "3 fourth"]);
    // Unkeyed lines of one flush go to one partition (sticky), all of them.
    const sticky = await at(["produce", topic, "-o", "json"], "u1\nu2\nu3\n");
    const stickyResult = JSON.parse(sticky.out) as ProduceResult;
    expect(stickyResult.partitions).toHaveLength(1);
    expect(stickyResult.partitions[0]!.records).toBe(3);
  }, 60_000);

  test("errors: an unknown topic, a line without the separator, no such partition", async () => {
    const unknown = await at(["produce", "no-such"], "a\n");
    expect(unknown).toEqual({
      code: 1,
      out: "",
      err: "eddy: topic 'no-such' does not exist; 'eddy topics list' shows the topics\n",
    });
    expect((await at(["topics", "create", "strict", "--partitions", "1"])).code).toBe(0);
    const noSep = await at(["produce", "strict", "--key-separator", ":"], "k:v\nno separator here\n");
    expect(noSep.code).toBe(1);
    expect(noSep.err).toBe("eddy: line 2 has no key separator ':'; 0 record(s) before it were written\n");
    const noPartition = await at(["produce", "strict", "--partition", "5"], "a\n");
    expect(noPartition.code).toBe(1);
    expect(noPartition.err).toContain("topic 'strict' has no partition 5 (it has 1)");
  }, 60_000);
});

describe("eddy consume", () => {
  const topic = "from-kcat";

  test("kcat produce -> eddy consume: -f formats and --output json", async () => {
    expect((await at(["topics", "create", topic, "--partitions", "2"])).code).toBe(0);
    kcat(
      ["-P", "-b", broker.bootstrap, "-t", topic, "-p", "0", "-K", ":", "-H", "h1=x", "-H", "h2=y"],
      "k0:v0\nk1:v1\nk2:v2\n",
    );
    kcat(["-P", "-b", broker.bootstrap, "-t", topic, "-p", "1"], "w0\nw1\n");
    const formatted = await at([
      "consume",
      topic,
      "--from-beginning",
      "-e",
      "-f",
      "%t %p %o %k=%s %K %S [%h] 100%%\\n",
    ]);
    expect(formatted.code).toBe(0);
    expect(formatted.err).toBe("Processed a total of 5 messages\n");
    expect(lines(formatted.out).sort()).toEqual([
      `${topic} 0 0 k0=v0 2 2 [h1=x,h2=y] 100%`,
      `${topic} 0 1 k1=v1 2 2 [h1=x,h2=y] 100%`,
      `${topic} 0 2 k2=v2 2 2 [h1=x,h2=y] 100%`,
      `${topic} 1 0 =w0 -1 2 [] 100%`,
      `${topic} 1 1 =w1 -1 2 [] 100%`,
    ]);
    const json = await at(["consume", topic, "--from-beginning", "-e", "--partition", "0", "-o", "json"]);
    const records = lines(json.out).map((l) => JSON.parse(l));
    expect(records.map((r) => [r.offset, r.key, r.value, r.headers])).toEqual([
      [
        0,
        "k0",
        "v0",
        [
          { key: "h1", value: "x" },
          { key: "h2", value: "y" },
        ],
      ],
      [
        1,
        "k1",
        "v1",
        [
          { key: "h1", value: "x" },
          { key: "h2", value: "y" },
        ],
      ],
      [
        2,
        "k2",
        "v2",
        [
          { key: "h1", value: "x" },
          { key: "h2", value: "y" },
        ],
      ],
    ]);
    expect(
      records.every((r) => r.topic === topic && r.partition === 0 && typeof r.timestamp === "number"),
    ).toBe(true);
    // The default prints the value alone.
    const plain = await at(["consume", topic, "--from-beginning", "-e", "--partition", "1"]);
    expect(plain.out).toBe("w0\nw1\n");
  }, 60_000);

  test("where it starts: an offset, back from the end, a time; --max-messages stops early", async () => {
    const offset = await at(["consume", topic, "--partition", "0", "--offset", "1", "-e"]);
    expect(offset.out).toBe("v1\nv2\n");
    const back = await at(["consume", topic, "--partition", "0", "--offset", "-1", "-e"]);
    expect(back.out).toBe("v2\n");
    const max = await at(["consume", topic, "--from-beginning", "--partition", "0", "--max-messages", "2"]);
    expect(max.out).toBe("v0\nv1\n");
    expect(max.err).toBe("Processed a total of 2 messages\n");
    // Records with known timestamps, from kafkajs.
    expect((await at(["topics", "create", "timed", "--partitions", "1"])).code).toBe(0);
    const baseMs = Date.parse("2026-03-01T12:00:00Z");
    const producer = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({
      topic: "timed",
      messages: Array.from({ length: 5 }, (_, i) => ({
        value: `t${i}`,
        timestamp: String(baseMs + i * 1000),
      })),
    });
    await producer.disconnect();
    const timed = await at([
      "consume",
      "timed",
      "--timestamp",
      "2026-03-01T12:00:02.500Z",
      "-e",
      "-f",
      "%T %s\\n",
    ]);
    expect(timed.out).toBe(`${baseMs + 3000} t3\n${baseMs + 4000} t4\n`);
  }, 60_000);

  test("--group starts at the committed offsets, commits what it printed, and resumes there", async () => {
    const first = await at([
      "consume",
      topic,
      "--group",
      "readers",
      "--from-beginning",
      "--max-messages",
      "3",
    ]);
    expect(first.code).toBe(0);
    expect(lines(first.out)).toHaveLength(3);
    const second = await at(["consume", topic, "--group", "readers", "-e"]);
    expect(second.code).toBe(0);
    // Together the two runs printed every record once.
    expect([...lines(first.out), ...lines(second.out)].sort()).toEqual(["v0", "v1", "v2", "w0", "w1"]);
    const described = await eddy(["-b", broker.bootstrap, "groups", "describe", "readers", "-o", "json"]);
    const group = JSON.parse(described.out) as GroupDescription;
    expect(group.state).toBe("Empty");
    expect(group.offsets.map((o) => [o.partition, o.committedOffset, o.lag])).toEqual([
      [0, 3, 0],
      [1, 2, 0],
    ]);
    kcat(["-P", "-b", broker.bootstrap, "-t", topic, "-p", "1"], "w2\n");
    const third = await at(["consume", topic, "--group", "readers", "-e"]);
    expect(third.out).toBe("w2\n");
  }, 60_000);

  test("two --group consumers share the partitions, run until SIGINT, then commit and leave", async () => {
    const shared = "shared";
    expect((await at(["topics", "create", shared, "--partitions", "4"])).code).toBe(0);
    const start = (): { child: ReturnType<typeof spawn>; out: () => string } => {
      const child = spawn(
        [
          "bun",
          "run",
          "--silent",
          "eddy",
          "-b",
          broker.bootstrap,
          "consume",
          shared,
          "--group",
          "pair",
          "--from-beginning",
          "-f",
          "%p %s\\n",
        ],
        {
          cwd: repoRoot,
          stdin: "ignore",
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      let text = "";
      void (async () => {
        for await (const chunk of child.stdout as ReadableStream<Uint8Array>)
          text += new TextDecoder().decode(chunk);
      })();
      return { child, out: () => text };
    };
    const first = start();
    const second = start();
    const members = await until("both consumers to be in the group", async () => {
      const g = JSON.parse((await at(["groups", "describe", "pair", "-o", "json"])).out) as GroupDescription;
      return g.state === "Stable" && g.members.length === 2 ? g.members : null;
    });
    // Round robin over 4 partitions: two each.
    expect(members.map((m) => m.assignment[0]!.partitions.length)).toEqual([2, 2]);
    // One record per partition per line, each partition by --partition.
    for (let p = 0; p < 4; p++) {
      expect((await at(["produce", shared, "--partition", String(p)], `r${p}a\nr${p}b\n`)).code).toBe(0);
    }
    await until("every record printed", () => lines(first.out()).length + lines(second.out()).length >= 8);
    first.child.kill("SIGINT");
    second.child.kill("SIGINT");
    expect(await first.child.exited).toBe(0);
    expect(await second.child.exited).toBe(0);
    const printed = [...lines(first.out()), ...lines(second.out())].sort();
    expect(printed).toEqual(["0 r0a", "0 r0b", "1 r1a", "1 r1b", "2 r2a", "2 r2b", "3 r3a", "3 r3b"]);
    // Each consumer printed only its own partitions.
    const partitionsOf = (text: string) => new Set(lines(text).map((l) => l.split(" ")[0]));
    const mine = partitionsOf(first.out());
    for (const p of partitionsOf(second.out())) expect(mine.has(p)).toBe(false);
    const group = JSON.parse(
      (await at(["groups", "describe", "pair", "-o", "json"])).out,
    ) as GroupDescription;
    expect(group.state).toBe("Empty");
    expect(group.offsets.map((o) => [o.partition, o.committedOffset])).toEqual([
      [0, 2],
      [1, 2],
      [2, 2],
      [3, 2],
    ]);
  }, 60_000);

  test("errors: an unknown topic exits 1, bad usage exits 2", async () => {
    const unknown = await at(["consume", "no-such", "-e"]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe("eddy: topic 'no-such' does not exist; 'eddy topics list' shows the topics\n");
    for (const [args, message] of [
      [["consume", topic, "-f", "%x"], "eddy: -f: unknown format token '%x'"],
      [["consume", topic, "--from-beginning", "--offset", "3"], "eddy: give at most one of --from-beginning"],
      [
        ["consume", topic, "--group", "g", "--partition", "0"],
        "eddy: --group takes the partitions the group assigns",
      ],
      [["consume", topic, "--max-messages", "0"], "eddy: --max-messages must be a positive integer"],
      [["produce", topic, "--acks", "2"], "eddy: --acks must be 0, 1 or all, not '2'"],
      [["produce", topic, "--header", "novalue"], "eddy: --header must be KEY=VALUE"],
      [["produce"], "eddy: 'produce' needs TOPIC"],
    ] as [string[], string][]) {
      const run = await eddy(args);
      expect(run.code).toBe(2);
      expect(run.err).toStartWith(message);
    }
  }, 60_000);
});
