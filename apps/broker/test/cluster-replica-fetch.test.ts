/**
 * Replication on the wire between real broker processes (issue 12): followers fetch with Kafka's own
 * Fetch, carrying a replica id, from the leader's inter-broker listener, which with no
 * `inter.broker.listener.name` is Kafka's default, PLAINTEXT; and no node sends Eddy's internal
 * "replica" messages any more.
 *
 * Method: every node dials each peer's controller listener through a tap this test owns, node i ->
 * tap(i, j) -> node j, and each node advertises its PLAINTEXT listener through a tap of its own,
 * * -> tap(j) -> node j (followers and clients alike reach it there). A tap relays bytes both ways
 * unchanged and reads the request frames going to its node: api key, version and, for Fetch, the
 * decoded body. A topic with replication factor 3 is written with acks=all (which needs the
 * followers' fetches to commit anything), then read back. The PLAINTEXT taps must have seen Fetch
 * v16 frames whose ReplicaState names another node (with its broker epoch) and that name the topic by
 * id; the controller taps must have seen the quorum and no replica Fetch; no tap may have seen a
 * frame of api key 32000 whose message is of kind "replica".
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { eddyInternalApiKey } from "../src/cluster/internal-message.ts";
import { TestCluster } from "./cluster-harness.ts";
import { until } from "./harness.ts";
import { type SeenFrame, Tap } from "./replica-fetch-tap.ts";

/** The controller-listener taps, by `from->to`. */
const taps = new Map<string, Tap>();
/** The PLAINTEXT (inter-broker) taps, by the node behind them. */
const brokerTaps = new Map<number, Tap>();
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({
    nodes: 3,
    properties: { "min.insync.replicas": "2" },
    peerPort: (from, to, targetPort) => {
      const tap = new Tap(targetPort);
      taps.set(`${from}->${to}`, tap);
      return tap.port;
    },
    brokerPort: (nodeId, targetPort) => {
      const tap = new Tap(targetPort);
      brokerTaps.set(nodeId, tap);
      return tap.port;
    },
  });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  for (const tap of [...taps.values(), ...brokerTaps.values()]) tap.stop();
});

test("followers replicate with Kafka's Fetch v16 naming their replica id on the leader's PLAINTEXT listener, and no internal replica frame crosses", async () => {
  const topic = "wire-replication";
  const kafka = new Kafka({
    clientId: "eddy-replica-wire",
    brokers: cluster.bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }] });
  await admin.disconnect();
  await until("a full ISR", () => {
    const ps = cluster.partitions(topic);
    return ps.length === 3 && ps.every((p) => p.isrs.length === 3) ? ps : null;
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent: string[] = [];
  for (let i = 0; i < 60; i++) {
    const value = `wire-${i}`;
    // acks=all with min.insync.replicas 2: acknowledged only once a follower has fetched it.
    await producer.send({ topic, acks: -1, messages: [{ partition: i % 3, value }] });
    sent.push(value);
  }
  await producer.disconnect();
  // kcat runs beside the test, not blocking it: the taps it reads through live in this process.
  const reader = Bun.spawn(
    ["kcat", "-C", "-b", cluster.bootstrap, "-t", topic, "-o", "beginning", "-e", "-q"],
    {
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const killer = setTimeout(() => reader.kill(), 30_000);
  const read = await new Response(reader.stdout).text();
  clearTimeout(killer);
  expect(await reader.exited).toBe(0);
  expect(
    read
      .split("\n")
      .filter((line) => line !== "")
      .sort(),
  ).toEqual([...sent].sort());

  const isReplicaFetch = (f: SeenFrame) =>
    f.apiKey === ApiKey.Fetch && f.fetch !== null && f.fetch.replicaId >= 0;
  const controllerFrames = [...taps.entries()].flatMap(([link, tap]) =>
    tap.frames.map((f) => ({ link, ...f })),
  );
  // With no inter.broker property, no follower fetches over a controller listener.
  expect(controllerFrames.filter(isReplicaFetch)).toEqual([]);
  const brokerFrames = [...brokerTaps.entries()].flatMap(([to, tap]) =>
    tap.frames.map((f) => ({ to, ...f })),
  );
  const replicaFetches = brokerFrames.filter(isReplicaFetch);
  // Every follower of the topic fetched from every leader it follows, at the leader's PLAINTEXT tap.
  expect(replicaFetches.length).toBeGreaterThan(0);
  expect(replicaFetches.some((f) => f.fetch!.topicIds.length > 0)).toBe(true);
  for (const f of replicaFetches) {
    expect(f.apiVersion).toBe(16);
    // The replica id is another node of the cluster; its broker epoch rides along (KIP-903).
    expect([1, 2, 3].filter((id) => id !== f.to)).toContain(f.fetch!.replicaId);
    // Topics go by id from v13: the id the metadata gave the topic, never the zero uuid. (An
    // incremental fetch of a session, KIP-227, may name no topic at all.)
    for (const id of f.fetch!.topicIds) expect(id).not.toBe("AAAAAAAAAAAAAAAAAAAAAA");
    expect(f.fetch!.replicaEpoch).toBeGreaterThanOrEqual(0n);
  }
  const links = new Set(replicaFetches.map((f) => `${f.fetch!.replicaId}->${f.to}`));
  // Three partitions led by three nodes (the seeds' placement): each node fetches from the other two.
  expect(links.size).toBe(6);
  const all = [...controllerFrames, ...brokerFrames];
  expect(all.filter((f) => f.apiKey === eddyInternalApiKey && f.internalKind === "replica")).toEqual([]);
  // The quorum still talks over the controller taps, so they did see internal frames: the checks
  // above are not vacuous.
  expect(controllerFrames.some((f) => f.apiKey === eddyInternalApiKey && f.internalKind === "quorum")).toBe(
    true,
  );
}, 90_000);
