// Capture of real clients' request bytes for the golden tests.
//
// Owns a tiny fake broker on 127.0.0.1 (a free port) that answers ApiVersions with the ranges of
// docs/client-compat.md §1.7 (or the full spec ranges with `--profile full`), Metadata with one broker and
// one partition per topic, Produce with success, ListOffsets with offset 0 and Fetch with an empty partition,
// all encoded with OUR codec, and records every request frame. Anything else closes the connection.
// It then runs each client scenario (kcat, kafka-python, kafkajs, @platformatic/kafka) against it and writes
// `testdata/golden/<profile>-<scenario>.hex`: one request frame payload per line (hex, no size prefix).
//
// Usage: bun scripts/capture.ts [--profile compat|full] [--only name,name]
// kafkajs and @platformatic/kafka are loaded from the broker app's node_modules (NODE_PATH), so this script
// adds no dependency to the protocol package. Never run in tests: the tests only read the committed files.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  ApiKey,
  apiByKey,
  decodeRequest,
  encodeResponseFrame,
  type KafkaRequest,
  Writer,
} from "../src/index.ts";

const packageDir = resolve(dirname(import.meta.path), "..");
const repoDir = resolve(packageDir, "../..");
const goldenDir = join(packageDir, "testdata/golden");
const clientModulesDir = join(repoDir, "apps/broker/node_modules");
const frameBytesMax = 16 * 1024 * 1024;
const scenarioTimeoutMs = 30_000;
// A consumer polls in a loop: keep a few frames of each api and version, in arrival order.
const framesKeptMax = 40;
const framesKeptPerKindMax = 3;
const emptyFetchDelayMs = 100;
const topicId = "R29sZGVuVG9waWNJZDAxMg";

/** The non-flexible profile of docs/client-compat.md §1.7. */
const compatRanges: readonly (readonly [number, number, number])[] = [
  [0, 3, 8],
  [1, 4, 11],
  [2, 1, 5],
  [3, 0, 8],
  [8, 0, 7],
  [9, 1, 5],
  [10, 0, 2],
  [11, 0, 5],
  [12, 0, 3],
  [13, 0, 3],
  [14, 0, 3],
  [15, 0, 4],
  [16, 0, 2],
  [17, 0, 1],
  [18, 0, 3],
  [19, 0, 4],
  [20, 0, 3],
  [22, 0, 1],
  [32, 0, 3],
  [36, 0, 1],
];

/** The same keys with the full ranges of the spec snapshot (flexible versions included). */
const fullRanges = compatRanges.map(([key]) => {
  const api = apiByKey(key)!;
  return [key, api.minVersion, api.maxVersion] as const;
});

interface Scenario {
  readonly name: string;
  /** Command and arguments; PORT is replaced by the listening port. */
  readonly command: (port: number, dir: string) => { cmd: string; args: string[]; stdin?: string };
}

const scenarios: readonly Scenario[] = [
  {
    name: "kcat-metadata",
    command: (port) => ({
      cmd: "kcat",
      args: ["-L", "-b", `127.0.0.1:${port}`, "-X", "client.id=golden-kcat"],
    }),
  },
  {
    name: "kcat-produce",
    command: (port) => ({
      cmd: "kcat",
      args: [
        "-P",
        "-b",
        `127.0.0.1:${port}`,
        "-t",
        "golden",
        "-p",
        "0",
        "-K:",
        "-X",
        "client.id=golden-kcat",
      ],
      stdin: "k1:hello\n",
    }),
  },
  {
    name: "kcat-consume",
    command: (port) => ({
      cmd: "kcat",
      args: [
        "-C",
        "-b",
        `127.0.0.1:${port}`,
        "-t",
        "golden",
        "-p",
        "0",
        "-o",
        "beginning",
        "-e",
        "-X",
        "client.id=golden-kcat",
      ],
    }),
  },
  {
    name: "kcat-group",
    command: (port) => ({
      cmd: "kcat",
      args: [
        "-b",
        `127.0.0.1:${port}`,
        "-G",
        "golden-group",
        "golden",
        "-e",
        "-X",
        "client.id=golden-kcat",
        "-X",
        "auto.offset.reset=earliest",
      ],
    }),
  },
  {
    name: "kafka-python-consume",
    command: (port, dir) => {
      const script = join(dir, "consume.py");
      writeFileSync(
        script,
        [
          "from kafka import KafkaConsumer",
          `c = KafkaConsumer('golden', bootstrap_servers='127.0.0.1:${port}', client_id='golden-kpy', group_id='golden-group',`,
          "                  auto_offset_reset='earliest', enable_auto_commit=False, consumer_timeout_ms=5000)",
          "for m in c:",
          "    break",
          "c.commit()",
          "c.close()",
        ].join("\n"),
      );
      return { cmd: "/usr/bin/python3", args: [script] };
    },
  },
  {
    name: "kafkajs-consume",
    command: (port, dir) => {
      const script = join(dir, "kafkajs-consume.cjs");
      writeFileSync(
        script,
        [
          "const { Kafka, logLevel } = require('kafkajs');",
          `const kafka = new Kafka({ clientId: 'golden-kjs', brokers: ['127.0.0.1:${port}'], logLevel: logLevel.NOTHING, retry: { retries: 1 } });`,
          "(async () => {",
          "  const c = kafka.consumer({ groupId: 'golden-group' });",
          "  await c.connect();",
          "  await c.subscribe({ topic: 'golden', fromBeginning: true });",
          "  await new Promise((resolve) => c.run({ eachMessage: async () => resolve() }));",
          "  await c.disconnect();",
          "})().catch((e) => { console.error(e); process.exit(1); });",
        ].join("\n"),
      );
      return { cmd: "node", args: [script] };
    },
  },
  {
    name: "kafka-python-produce",
    command: (port, dir) => {
      const script = join(dir, "produce.py");
      writeFileSync(
        script,
        [
          "from kafka import KafkaProducer",
          `p = KafkaProducer(bootstrap_servers='127.0.0.1:${port}', client_id='golden-kpy', acks=1)`,
          "p.send('golden', key=b'k1', value=b'hello').get(timeout=10)",
          "p.close()",
        ].join("\n"),
      );
      return { cmd: "/usr/bin/python3", args: [script] };
    },
  },
  {
    name: "kafkajs-produce",
    command: (port, dir) => {
      const script = join(dir, "kafkajs.cjs");
      writeFileSync(
        script,
        [
          "const { Kafka, logLevel } = require('kafkajs');",
          `const kafka = new Kafka({ clientId: 'golden-kjs', brokers: ['127.0.0.1:${port}'], logLevel: logLevel.NOTHING, retry: { retries: 1 } });`,
          "(async () => {",
          "  const p = kafka.producer();",
          "  await p.connect();",
          "  await p.send({ topic: 'golden', acks: -1, messages: [{ key: 'k1', value: 'hello', partition: 0 }] });",
          "  await p.disconnect();",
          "})().catch((e) => { console.error(e); process.exit(1); });",
        ].join("\n"),
      );
      return { cmd: "node", args: [script] };
    },
  },
  {
    name: "platformatic-produce",
    command: (port, dir) => {
      const script = join(dir, "platformatic.mjs");
      writeFileSync(
        script,
        [
          `import { Producer, stringSerializers } from '${join(clientModulesDir, "@platformatic/kafka/dist/index.js")}';`,
          `const p = new Producer({ clientId: 'golden-plt', bootstrapBrokers: ['127.0.0.1:${port}'], serializers: stringSerializers, retries: 1 });`,
          "try {",
          "  await p.send({ messages: [{ topic: 'golden', key: 'k1', value: 'hello', partition: 0 }], acks: -1 });",
          "} finally { await p.close(); }",
        ].join("\n"),
      );
      // Bun, not node: this client needs Promise.withResolvers (Node 22+).
      return { cmd: process.execPath, args: [script] };
    },
  },
  {
    name: "platformatic-consume",
    command: (port, dir) => {
      const script = join(dir, "platformatic-consume.mjs");
      writeFileSync(
        script,
        [
          `import { Consumer, stringDeserializers } from '${join(clientModulesDir, "@platformatic/kafka/dist/index.js")}';`,
          `const c = new Consumer({ groupId: 'golden-group', clientId: 'golden-plt', bootstrapBrokers: ['127.0.0.1:${port}'], deserializers: stringDeserializers, retries: 1 });`,
          "const stream = await c.consume({ autocommit: false, topics: ['golden'], mode: 'earliest', sessionTimeout: 10000, heartbeatInterval: 500 });",
          "for await (const m of stream) { await m.commit(); break; }",
          "await stream.close();",
          "await c.close();",
        ].join("\n"),
      );
      return { cmd: process.execPath, args: [script] };
    },
  },
];

function respond(
  req: KafkaRequest,
  port: number,
  ranges: typeof compatRanges,
  w: Writer,
): Uint8Array | null | "close" {
  const corr = req.header.correlationId;
  const v = req.apiVersion;
  switch (req.apiKey) {
    case ApiKey.ApiVersions: {
      const apiKeys = ranges.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion }));
      const max = ranges.find(([k]) => k === ApiKey.ApiVersions)![2];
      // A version above our range gets a v0 body with UNSUPPORTED_VERSION, as Kafka does (KIP-511).
      if (v > max) return encodeResponseFrame(w, ApiKey.ApiVersions, 0, corr, { errorCode: 35, apiKeys });
      return encodeResponseFrame(w, ApiKey.ApiVersions, v, corr, {
        errorCode: 0,
        apiKeys,
        throttleTimeMs: 0,
      });
    }
    case ApiKey.Metadata: {
      const names =
        req.body.topics === null || req.body.topics.length === 0
          ? ["golden"]
          : req.body.topics.map((t) => t.name ?? "golden");
      return encodeResponseFrame(w, ApiKey.Metadata, v, corr, {
        brokers: [{ nodeId: 0, host: "127.0.0.1", port, rack: null }],
        clusterId: "golden-cluster",
        controllerId: 0,
        topics: names.map((name) => ({
          errorCode: 0,
          name,
          topicId,
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 0,
              leaderEpoch: 0,
              replicaNodes: [0],
              isrNodes: [0],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: -2147483648,
        })),
        clusterAuthorizedOperations: -2147483648,
      });
    }
    case ApiKey.Produce: {
      if (req.body.acks === 0) return null;
      return encodeResponseFrame(w, ApiKey.Produce, v, corr, {
        responses: req.body.topicData.map((t) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => ({
            index: p.index,
            errorCode: 0,
            baseOffset: 0n,
            logAppendTimeMs: -1n,
            logStartOffset: 0n,
          })),
        })),
      });
    }
    case ApiKey.ListOffsets:
      return encodeResponseFrame(w, ApiKey.ListOffsets, v, corr, {
        topics: req.body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: 0,
            oldStyleOffsets: v === 0 ? [0n] : [],
            timestamp: -1n,
            offset: 0n,
            leaderEpoch: -1,
          })),
        })),
      });
    case ApiKey.Fetch:
      // One record at offset 0 (a real batch captured from kafka-python), so consumers receive a message,
      // commit and leave; past it, an empty answer (sent after a short wait by the connection loop).
      return encodeResponseFrame(w, ApiKey.Fetch, v, corr, {
        errorCode: 0,
        sessionId: 0,
        responses: req.body.topics.map((t) => ({
          topic: t.topic,
          topicId: t.topicId,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partition,
            errorCode: 0,
            highWatermark: 1n,
            lastStableOffset: 1n,
            logStartOffset: 0n,
            abortedTransactions: v >= 4 ? [] : null,
            records: p.fetchOffset === 0n ? oneRecordBatch() : null,
          })),
        })),
      });
    case ApiKey.FindCoordinator:
      return encodeResponseFrame(
        w,
        ApiKey.FindCoordinator,
        v,
        corr,
        v >= 4
          ? {
              coordinators: req.body.coordinatorKeys.map((key) => ({
                key,
                nodeId: 0,
                host: "127.0.0.1",
                port,
              })),
            }
          : { errorCode: 0, errorMessage: null, nodeId: 0, host: "127.0.0.1", port },
      );
    case ApiKey.JoinGroup: {
      const memberId = req.body.memberId === "" ? "golden-member-1" : req.body.memberId;
      const protocol = req.body.protocols[0];
      return encodeResponseFrame(w, ApiKey.JoinGroup, v, corr, {
        errorCode: 0,
        generationId: 1,
        protocolType: v >= 7 ? req.body.protocolType : null,
        protocolName: protocol?.name ?? "",
        leader: memberId,
        memberId,
        members: [{ memberId, groupInstanceId: null, metadata: protocol?.metadata ?? new Uint8Array(0) }],
      });
    }
    case ApiKey.SyncGroup: {
      const own = req.body.assignments.find((a) => a.memberId === req.body.memberId);
      return encodeResponseFrame(w, ApiKey.SyncGroup, v, corr, {
        errorCode: 0,
        protocolType: v >= 5 ? req.body.protocolType : null,
        protocolName: v >= 5 ? req.body.protocolName : null,
        assignment: own?.assignment ?? new Uint8Array(0),
      });
    }
    case ApiKey.Heartbeat:
      return encodeResponseFrame(w, ApiKey.Heartbeat, v, corr, { errorCode: 0 });
    case ApiKey.LeaveGroup:
      return encodeResponseFrame(w, ApiKey.LeaveGroup, v, corr, {
        errorCode: 0,
        members:
          v >= 3
            ? req.body.members.map((m) => ({
                memberId: m.memberId,
                groupInstanceId: m.groupInstanceId,
                errorCode: 0,
              }))
            : [],
      });
    case ApiKey.OffsetFetch: {
      const partitions = (indexes: readonly number[]) =>
        indexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, metadata: "" }));
      return encodeResponseFrame(
        w,
        ApiKey.OffsetFetch,
        v,
        corr,
        v >= 8
          ? {
              groups: req.body.groups.map((g) => ({
                groupId: g.groupId,
                topics: (g.topics ?? []).map((t) => ({
                  name: t.name,
                  partitions: partitions(t.partitionIndexes),
                })),
              })),
            }
          : {
              topics: (req.body.topics ?? []).map((t) => ({
                name: t.name,
                partitions: partitions(t.partitionIndexes),
              })),
            },
      );
    }
    case ApiKey.OffsetCommit:
      return encodeResponseFrame(w, ApiKey.OffsetCommit, v, corr, {
        topics: req.body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: 0 })),
        })),
      });
    default:
      return "close";
  }
}

async function runScenario(s: Scenario, profile: string, ranges: typeof compatRanges): Promise<string[]> {
  const frames: string[] = [];
  const keptByKind = new Map<string, number>();
  const pending = new Map<object, Uint8Array>();
  let port = 0;
  const server = Bun.listen<object>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = {};
        pending.set(socket.data, new Uint8Array(0));
      },
      data(socket, chunk) {
        let buf = concat(pending.get(socket.data)!, chunk);
        while (buf.length >= 4) {
          const size = new DataView(buf.buffer, buf.byteOffset).getInt32(0);
          if (size < 0 || size > frameBytesMax) {
            socket.end();
            return;
          }
          if (buf.length < 4 + size) break;
          const payload = buf.slice(4, 4 + size);
          buf = buf.subarray(4 + size);
          let out: Uint8Array | null | "close";
          let delayMs = 0;
          try {
            const req = decodeRequest(payload);
            const kind = `${req.apiKey}v${req.apiVersion}`;
            const seen = keptByKind.get(kind) ?? 0;
            if (seen < framesKeptPerKindMax && frames.length < framesKeptMax) {
              keptByKind.set(kind, seen + 1);
              frames.push(Buffer.from(payload).toString("hex"));
            }
            out = respond(req, port, ranges, new Writer());
            // An empty fetch waits a little, as a broker honouring maxWaitMs would, so pollers do not spin.
            if (
              req.apiKey === ApiKey.Fetch &&
              req.body.topics.every((t) => t.partitions.every((p) => p.fetchOffset !== 0n))
            ) {
              delayMs = emptyFetchDelayMs;
            }
          } catch (e) {
            console.error(`${s.name}: cannot answer: ${String(e)}`);
            out = "close";
          }
          // Responses leave in request order even when one of them waits.
          const conn = socket.data as { chain?: Promise<void> };
          const reply = out;
          conn.chain = (conn.chain ?? Promise.resolve()).then(async () => {
            if (delayMs > 0) await Bun.sleep(delayMs);
            if (reply === "close") socket.end();
            else if (reply !== null) socket.write(reply);
          });
          if (out === "close") return;
        }
        pending.set(socket.data, buf);
      },
      close(socket) {
        pending.delete(socket.data);
      },
    },
  });
  port = server.port;
  const dir = mkdtempSync(join(tmpdir(), "eddy-capture-"));
  try {
    const { cmd, args, stdin } = s.command(port, dir);
    // The client runs in a child process; spawnSync would block this event loop and the fake broker with it.
    const child = Bun.spawn([cmd, ...args], {
      stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, NODE_PATH: clientModulesDir },
    });
    const timer = setTimeout(() => child.kill(), scenarioTimeoutMs);
    const code = await child.exited;
    clearTimeout(timer);
    const err = await new Response(child.stderr).text();
    console.log(
      `${profile}-${s.name}: exit ${code}, ${frames.length} frames${code === 0 ? "" : `\n${err.slice(0, 2000)}`}`,
    );
  } finally {
    server.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
  return frames;
}

let batch: Uint8Array | null = null;
function oneRecordBatch(): Uint8Array {
  if (batch === null) {
    const frame = readFileSync(join(goldenDir, "compat-kafka-python-produce.hex"), "utf8")
      .trim()
      .split("\n")[3]!;
    const req = decodeRequest(Buffer.from(frame, "hex"));
    if (req.apiKey !== ApiKey.Produce) throw new Error("expected the kafka-python Produce frame");
    batch = req.body.topicData[0]!.partitionData[0]!.records!.slice();
  }
  return batch;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const profile = argv.includes("--profile") ? argv[argv.indexOf("--profile") + 1]! : "compat";
  const only = argv.includes("--only") ? new Set(argv[argv.indexOf("--only") + 1]!.split(",")) : null;
  if (profile !== "compat" && profile !== "full") throw new Error(`unknown profile ${profile}`);
  const ranges = profile === "full" ? fullRanges : compatRanges;
  mkdirSync(goldenDir, { recursive: true });
  for (const s of scenarios) {
    if (only !== null && !only.has(s.name)) continue;
    if (s.name.startsWith("platformatic") && !existsSync(join(clientModulesDir, "@platformatic/kafka")))
      continue;
    if (s.name.startsWith("kafkajs") && !existsSync(join(clientModulesDir, "kafkajs"))) continue;
    if (s.name.startsWith("kcat") && spawnSync("kcat", ["-V"]).status !== 0) continue;
    const frames = await runScenario(s, profile, ranges);
    if (frames.length > 0)
      writeFileSync(join(goldenDir, `${profile}-${s.name}.hex`), `${frames.join("\n")}\n`);
  }
}
