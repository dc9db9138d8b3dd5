/**
 * Separate roles (issue 12): three controller-only processes (`process.roles=controller`, the quorum)
 * and three broker-only processes (`process.roles=broker`, which hold no controller and act on the
 * images the active controller pushes). Replicas are placed on the brokers only; with two of a
 * partition's three replicas killed, the controller quorum is intact, the ISR shrinks to the
 * survivor, acks=all is refused with NOT_ENOUGH_REPLICAS (min.insync.replicas=2) and acks=1 is
 * served; when the two return they catch up and everything acknowledged is read back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { freePorts } from "./cluster-harness.ts";
import { kcat, kcatReadAll, removeDir, tempDir, until } from "./harness.ts";
import { type NodeProcess, startNodeProcess } from "./node-process.ts";

const clusterId = "MkU3OEVBNTcwNTJENDM2Qk";

type Node = NodeProcess;

const dir = tempDir("roles");
const ports = freePorts(6);
const voters = [1, 2, 3].map((id, i) => `${id}@127.0.0.1:${ports[i]}`).join(",");
const common = (id: number) => [
  "--cluster-id",
  clusterId,
  "--admin-port",
  "0",
  "--override",
  `node.id=${id}`,
  "--override",
  `controller.quorum.voters=${voters}`,
  "--override",
  "controller.listener.names=CONTROLLER",
  "--override",
  `log.dirs=${dir}/node-${id}`,
  "--override",
  "broker.session.timeout.ms=3000",
  "--override",
  "broker.heartbeat.interval.ms=500",
  "--override",
  "min.insync.replicas=2",
];
const nodes: Node[] = [
  ...[1, 2, 3].map((id, i) => ({
    id,
    args: [
      ...common(id),
      "--override",
      "process.roles=controller",
      "--override",
      `listeners=CONTROLLER://127.0.0.1:${ports[i]}`,
    ],
    proc: null,
    output: "",
  })),
  ...[4, 5, 6].map((id, i) => ({
    id,
    args: [
      ...common(id),
      "--override",
      "process.roles=broker",
      "--override",
      `listeners=PLAINTEXT://127.0.0.1:${ports[3 + i]}`,
    ],
    proc: null,
    output: "",
  })),
];
const brokerPort = (id: number) => ports[id - 1]!;
const bootstrapOf = (ids: number[]) => ids.map((id) => `127.0.0.1:${brokerPort(id)}`).join(",");

const startNode = (node: Node) => startNodeProcess(node, 20_000);

async function kill(id: number): Promise<void> {
  const node = nodes.find((n) => n.id === id)!;
  node.proc?.kill("SIGKILL");
  await node.proc?.exited;
  node.proc = null;
}

beforeAll(async () => {
  await Promise.all(nodes.map((n) => startNode(n)));
}, 60_000);
afterAll(async () => {
  for (const n of nodes) n.proc?.kill("SIGKILL");
  await Promise.all(nodes.map((n) => n.proc?.exited));
  removeDir(dir);
});

/** A topic's partitions as kcat reads them from the running brokers. */
function partitions(topic: string, brokers: number[]) {
  const listing = JSON.parse(kcat(["-L", "-J", "-b", bootstrapOf(brokers), "-m", "5"])) as {
    brokers: { id: number }[];
    topics: { topic: string; partitions: { partition: number; leader: number; isrs: { id: number }[] }[] }[];
  };
  const t = listing.topics.find((x) => x.topic === topic);
  return {
    brokers: listing.brokers.map((b) => b.id).sort(),
    partitions: (t?.partitions ?? []).map((p) => ({
      partition: p.partition,
      leader: p.leader,
      isr: p.isrs.map((r) => r.id).sort(),
    })),
  };
}

describe("controller-only and broker-only nodes", () => {
  test("brokers without a controller serve, replicate, and refuse acks=all below min.insync.replicas", async () => {
    const all = [4, 5, 6];
    expect(partitions("none", all).brokers).toEqual([4, 5, 6]);
    const kafka = new Kafka({
      clientId: "eddy-roles",
      brokers: bootstrapOf(all).split(","),
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "t", numPartitions: 3, replicationFactor: 3 }] });
    await admin.disconnect();
    await until("a full ISR", () => partitions("t", all).partitions.every((p) => p.isr.length === 3));
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const acked: string[] = [];
    for (let i = 0; i < 50; i++) {
      await producer.send({ topic: "t", acks: -1, messages: [{ partition: 0, value: `a-${i}` }] });
      acked.push(`a-${i}`);
    }
    await producer.disconnect();

    // Kill two of partition 0's three replicas; the controllers (a separate quorum) fence them.
    const leader = partitions("t", all).partitions[0]!.leader;
    const others = all.filter((id) => id !== leader);
    for (const id of others) await kill(id);
    await until("the ISR shrunk to the survivor", () => {
      const p0 = partitions("t", [leader]).partitions[0];
      return p0?.leader === leader && p0.isr.length === 1;
    });

    const lone = new Kafka({
      clientId: "eddy-roles-lone",
      brokers: [`127.0.0.1:${brokerPort(leader)}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const p2 = lone.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await p2.connect();
    let refusal = "";
    try {
      await p2.send({ topic: "t", acks: -1, messages: [{ partition: 0, value: "refused" }] });
    } catch (error) {
      // kafkajs wraps the broker's error after its retries; the protocol error (type and Kafka's
      // description) is the error or its cause.
      const e = error as { type?: string; message?: string; cause?: { type?: string } };
      refusal = `${e.type ?? ""} ${e.cause?.type ?? ""} ${e.message ?? ""}`;
    }
    expect(refusal).toMatch(/NOT_ENOUGH_REPLICAS|fewer in-sync replicas than required/);
    await p2.send({ topic: "t", acks: 1, messages: [{ partition: 0, value: "acks-1" }] });
    acked.push("acks-1");
    await p2.disconnect();

    for (const id of others) await startNode(nodes.find((n) => n.id === id)!);
    await until("both back in the ISR", () => partitions("t", all).partitions[0]?.isr.length === 3, 30_000);
    const read = kcatReadAll(bootstrapOf(all), "t", "%p %s\n")
      .filter((line) => line.startsWith("0 "))
      .map((line) => line.slice(2));
    for (const value of acked) expect(read).toContain(value);
    expect(read).not.toContain("refused");
  }, 150_000);
});
