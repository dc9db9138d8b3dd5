/**
 * A data directory holding a stored value that does not decode stops the broker at start-up, the way
 * users start it (`bun run broker --data-dir D`): it exits non-zero with one message naming the file
 * and the field (or saying the JSON is cut short), and leaves every stored byte as it was, the
 * corrupt file included. One directory is filled by a real broker and real clients (a topic with a
 * config, an idempotent producer, a consumer group that commits), then each case corrupts one kind
 * of file in a copy: meta.properties, the quorum state, a metadata snapshot (topic configs included),
 * a group metadata shard, a committed-offsets file and the producer-id cursor. Metadata log records
 * are checked through the metadata shell directly, since a record cannot be rewritten in place
 * without breaking its batch's CRC first.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeRecordBatch } from "@eddy/protocol";
import { metadataLogPartition } from "@eddy/storage";
import { MemoryDisk } from "@eddy/storage-memory";
import { Kafka, logLevel } from "kafkajs";
import { MetadataShell } from "../src/node/metadata-shell.ts";
import { kcat, removeDir, repoRoot, spawnCollecting, startBroker, tempDir } from "./harness.ts";
import { storageOn } from "./memory-storage.ts";

/** How long a broker refusing a data directory may take to exit. */
const refusalMsMax = 20_000;
/** Files walked when fingerprinting a data directory; a test directory holds a few dozen. */
const filesMax = 10_000;

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const pristine = tempDir("corrupt-pristine");
dirs.push(pristine);

beforeAll(async () => {
  const broker = await startBroker({
    dataDir: pristine,
    args: ["--override", "group.initial.rebalance.delay.ms=0"],
  });
  try {
    const kafka = new Kafka({ clientId: "corrupt", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [
          { topic: "orders", numPartitions: 2, configEntries: [{ name: "retention.ms", value: "3600000" }] },
        ],
      });
    } finally {
      await admin.disconnect();
    }
    // An idempotent producer asks for a producer id, so the cursor is stored.
    kcat(
      ["-P", "-b", broker.bootstrap, "-t", "orders", "-X", "enable.idempotence=true", "-K", ":"],
      "a:1\nb:2\n",
    );
    // A balanced consumer joins, reads to the end and commits: group metadata and committed offsets.
    kcat(["-b", broker.bootstrap, "-G", "readers", "-X", "auto.offset.reset=earliest", "-e", "-q", "orders"]);
  } finally {
    expect(await broker.stop()).toBe(0);
  }
}, 90_000);

/** Every file under `dir` (relative path) with the SHA-256 of its bytes. */
function fingerprint(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const pending = [""];
  for (let guard = 0; pending.length > 0 && guard < filesMax; guard++) {
    const relative = pending.pop()!;
    const full = join(dir, relative);
    if (statSync(full).isDirectory()) {
      for (const name of readdirSync(full)) pending.push(join(relative, name));
    } else {
      files[relative] = createHash("sha256").update(readFileSync(full)).digest("hex");
    }
  }
  expect(pending).toEqual([]);
  return files;
}

/** The one file in `dir/sub` whose name matches `pattern`. */
function onlyFile(dir: string, sub: string, pattern: RegExp): string {
  const names = readdirSync(join(dir, sub)).filter((name) => pattern.test(name));
  expect(names.length).toBe(1);
  return join(sub, names[0]!);
}

/** The group-metadata shard folder holding a file (the consumer group's shard). */
function groupShardDir(dir: string): string {
  const shards = readdirSync(dir).filter(
    (name) =>
      /^__group_metadata-\d+$/.test(name) &&
      readdirSync(join(dir, name)).some((f) => f.endsWith(".snapshot")),
  );
  expect(shards.length).toBe(1);
  return shards[0]!;
}

/** Rewrites the JSON file `dir/file` through `change`. */
function editJson(dir: string, file: string, change: (value: Record<string, unknown>) => void): void {
  const value = JSON.parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown>;
  change(value);
  writeFileSync(join(dir, file), JSON.stringify(value));
}

/** Cuts `dir/file` to half its length, as a torn write would. */
function truncate(dir: string, file: string): void {
  const bytes = readFileSync(join(dir, file));
  writeFileSync(join(dir, file), bytes.subarray(0, Math.floor(bytes.length / 2)));
}

/** A metadata snapshot as the shell writes it, naming one topic `orders` with the given fields changed. */
function snapshotText(topicChange: (topic: Record<string, unknown>) => void): string {
  const topic: Record<string, unknown> = {
    name: "orders",
    topicId: "AAAAAAAAAAAAAAAAAAAAAA",
    configs: { "retention.ms": "3600000" },
    partitions: [{ partition: 0, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }],
  };
  topicChange(topic);
  const data = { offset: 2, brokers: [], topics: { orders: topic } };
  return JSON.stringify({ index: 2, term: 1, data });
}
const snapshotFile = "__cluster_metadata-0/00000000000000000002-0000000001.checkpoint";

interface Case {
  readonly name: string;
  /** Corrupts the copy `dir`; returns the file (relative to `dir`) that is now wrong. */
  readonly corrupt: (dir: string) => string;
  /** What the error says after `eddy: cannot start: Corrupt: <kind> <path>: `. */
  readonly kind: string;
  readonly detail: string;
}

const cases: readonly Case[] = [
  {
    name: "meta.properties: a node id that is not a number",
    corrupt: (dir) => {
      const text = readFileSync(join(dir, "meta.properties"), "utf8");
      writeFileSync(join(dir, "meta.properties"), text.replace(/node\.id=\d+/, "node.id=x"));
      return "meta.properties";
    },
    kind: "meta.properties",
    detail: 'field node.id: expected a node id in decimal digits, got "x"',
  },
  {
    name: "meta.properties: no cluster id",
    corrupt: (dir) => {
      const text = readFileSync(join(dir, "meta.properties"), "utf8");
      writeFileSync(join(dir, "meta.properties"), text.replace(/cluster\.id=.*\n/, ""));
      return "meta.properties";
    },
    kind: "meta.properties",
    detail: "field cluster.id: missing key",
  },
  {
    name: "quorum state: truncated JSON",
    corrupt: (dir) => {
      truncate(dir, "__cluster_metadata-0/quorum-state");
      return "__cluster_metadata-0/quorum-state";
    },
    kind: "quorum state",
    detail: "not valid JSON (truncated or overwritten?)",
  },
  {
    name: "quorum state: a vote that is a string",
    corrupt: (dir) => {
      editJson(dir, "__cluster_metadata-0/quorum-state", (state) => {
        state.votedFor = "1";
      });
      return "__cluster_metadata-0/quorum-state";
    },
    kind: "quorum state",
    detail: 'field votedFor: expected number | null, got "1"',
  },
  {
    name: "metadata snapshot: a leader that is not a number",
    corrupt: (dir) => {
      writeFileSync(
        join(dir, snapshotFile),
        snapshotText((topic) => {
          (topic.partitions as Record<string, unknown>[])[0]!.leader = "x";
        }),
      );
      return snapshotFile;
    },
    kind: "metadata snapshot",
    detail: 'field data.topics.orders.partitions[0].leader: expected number, got "x"',
  },
  {
    name: "metadata snapshot: a topic without its id",
    corrupt: (dir) => {
      writeFileSync(
        join(dir, snapshotFile),
        snapshotText((topic) => {
          delete topic.topicId;
        }),
      );
      return snapshotFile;
    },
    kind: "metadata snapshot",
    detail: "field data.topics.orders.topicId: missing key",
  },
  {
    name: "metadata snapshot: a topic config that is not a string",
    corrupt: (dir) => {
      writeFileSync(
        join(dir, snapshotFile),
        snapshotText((topic) => {
          topic.configs = { "retention.ms": 3600000 };
        }),
      );
      return snapshotFile;
    },
    kind: "metadata snapshot",
    detail: 'field data.topics.orders.configs["retention.ms"]: expected string, got 3600000',
  },
  {
    name: "group metadata: a generation that is not a number",
    corrupt: (dir) => {
      const file = onlyFile(dir, groupShardDir(dir), /\.snapshot$/);
      editJson(dir, file, (shard) => {
        (shard.groups as Record<string, unknown>[])[0]!.generationId = "x";
      });
      return file;
    },
    kind: "group metadata shard",
    detail: 'field groups[0].generationId: expected number, got "x"',
  },
  {
    name: "group metadata: truncated JSON",
    corrupt: (dir) => {
      const file = onlyFile(dir, groupShardDir(dir), /\.snapshot$/);
      truncate(dir, file);
      return file;
    },
    kind: "group metadata shard",
    detail: "not valid JSON (truncated or overwritten?)",
  },
  {
    name: "committed offsets: an offset that is not a number",
    corrupt: (dir) => {
      const file = join("eddy-state/groups", `g-${Buffer.from("readers").toString("hex")}.json`);
      editJson(dir, file, (group) => {
        (group.offsets as Record<string, unknown>[])[0]!.offset = "x";
      });
      return file;
    },
    kind: "committed offsets",
    detail: 'field offsets[0].offset: expected number, got "x"',
  },
  {
    name: "committed offsets: an offset without its metadata",
    corrupt: (dir) => {
      const file = join("eddy-state/groups", `g-${Buffer.from("readers").toString("hex")}.json`);
      editJson(dir, file, (group) => {
        delete (group.offsets as Record<string, unknown>[])[0]!.metadata;
      });
      return file;
    },
    kind: "committed offsets",
    detail: "field offsets[0].metadata: missing key",
  },
  {
    name: "producer ids: truncated JSON",
    corrupt: (dir) => {
      const file = onlyFile(dir, "__producer_ids-0", /\.snapshot$/);
      truncate(dir, file);
      return file;
    },
    kind: "producer id block",
    detail: "not valid JSON (truncated or overwritten?)",
  },
  {
    name: "producer ids: a cursor that is not a number",
    corrupt: (dir) => {
      const file = onlyFile(dir, "__producer_ids-0", /\.snapshot$/);
      editJson(dir, file, (block) => {
        block.nextProducerId = "1000";
      });
      return file;
    },
    kind: "producer id block",
    detail: 'field nextProducerId: expected number, got "1000"',
  },
];

/** Starts the broker as users do and waits for it to exit; returns its exit code and output. */
async function startToExit(dataDir: string): Promise<{ code: number | null; output: string }> {
  const child = spawnCollecting(["bun", "run", "broker", "--port", "0", "--data-dir", dataDir], {
    cwd: repoRoot,
  });
  const exited = await Promise.race([child.process.exited, Bun.sleep(refusalMsMax).then(() => null)]);
  if (exited === null) child.process.kill("SIGKILL");
  await child.process.exited;
  return { code: exited, output: `${child.output()}${child.errors()}` };
}

describe("a corrupt stored value stops the broker at start-up", () => {
  test("the pristine directory starts (the cases below fail for their corruption only)", async () => {
    const dir = tempDir("corrupt-none");
    dirs.push(dir);
    cpSync(pristine, dir, { recursive: true });
    const broker = await startBroker({ dataDir: dir });
    expect(await broker.stop()).toBe(0);
  }, 30_000);

  for (const c of cases) {
    test(c.name, async () => {
      const dir = tempDir("corrupt");
      dirs.push(dir);
      cpSync(pristine, dir, { recursive: true });
      const file = c.corrupt(dir);
      const before = fingerprint(dir);
      const { code, output } = await startToExit(dir);
      expect(code).toBe(1);
      expect(output).toContain(`eddy: cannot start: Corrupt: ${c.kind} ${join(dir, file)}: ${c.detail}`);
      expect(output).not.toContain("    at ");
      // Nothing stored was changed: no file written, removed or added, the corrupt one included.
      expect(fingerprint(dir)).toEqual(before);
    }, 30_000);
  }
});

describe("a corrupt metadata log record stops the metadata shell from opening", () => {
  const options = { nodeId: 1, seed: 1, uncleanLeaderElectionEnable: false, log: () => {} };
  const encoder = new TextEncoder();

  for (const [name, value, detail] of [
    ["a term that is not a number", '{"term":"1","payload":null}', 'field term: expected number, got "1"'],
    ["truncated JSON", '{"term":1,"payl', "not valid JSON (truncated or overwritten?)"],
    [
      "a record without its type",
      '{"term":1,"payload":[{"name":"t","topicId":"x"}]}',
      "field payload[0]: expected a metadata record with a type of RegisterBroker",
    ],
  ] as const) {
    test(name, async () => {
      const disk = new MemoryDisk();
      const storage = await storageOn(disk);
      await storage.run(storage.logs.openPartition(metadataLogPartition));
      const batch = encodeRecordBatch({
        baseOffset: 0n,
        partitionLeaderEpoch: 1,
        records: [{ value: encoder.encode(value) }],
      });
      await storage.run(storage.logs.append(metadataLogPartition, batch, 0));
      await storage.run(storage.logs.flush(metadataLogPartition));
      const before = disk.fileInfos().map((f) => [f.path, f.sizeBytes]);
      const stored = await storage.run(
        storage.logs.read(metadataLogPartition, { fetchOffset: 0, maxBytes: 1 << 20 }),
      );
      await expect(MetadataShell.open(storage, options)).rejects.toThrow(
        `Corrupt: metadata log record at offset 0 in /data/__cluster_metadata-0: ${detail}`,
      );
      // The shell wrote nothing: no vote, no entry, and the record is still there as it was.
      expect(disk.fileInfos().map((f) => [f.path, f.sizeBytes])).toEqual(before);
      const again = await storage.run(
        storage.logs.read(metadataLogPartition, { fetchOffset: 0, maxBytes: 1 << 20 }),
      );
      expect(again.records).toEqual(stored.records);
    });
  }
});
