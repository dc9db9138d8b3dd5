/**
 * Follower fetch sessions (KIP-227) between real broker processes (issue 15). Goal: after its first
 * full Fetch to a leader, a follower sends incremental Fetches (SessionId != 0, SessionEpoch > 0)
 * which, while nothing is written, name no partition at all; replication still works through them
 * (acks=all with replication factor 3 and min.insync.replicas 2, every record read back), and a
 * leader killed with SIGKILL still fails over, and once back it starts fresh sessions with the
 * survivors it follows.
 *
 * Method: each node advertises its PLAINTEXT listener through a tap this test owns
 * (`replica-fetch-tap.ts`), which carries the replica fetches to that node and reads each one's
 * session fields. Nothing here waits for a time: every wait is for something the taps or the
 * metadata show, bounded by `until`'s deadline.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { ApiKey } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { TestCluster } from "./cluster-harness.ts";
import { until } from "./harness.ts";
import { type SeenFrame, Tap } from "./replica-fetch-tap.ts";

const topic = "session-replication";
const partitionCount = 12;
const recordCount = 240;
/** Idle fetches each follower-leader link must show before the idle checks are made. */
const idleFetchesPerLink = 3;

/** The PLAINTEXT taps, by the node behind them. */
const taps = new Map<number, Tap>();
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({
    nodes: 3,
    properties: { "min.insync.replicas": "2" },
    brokerPort: (nodeId, targetPort) => {
      const tap = new Tap(targetPort);
      taps.set(nodeId, tap);
      return tap.port;
    },
  });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  for (const tap of taps.values()) tap.stop();
});

type ReplicaFetch = SeenFrame & {
  readonly to: number;
  readonly link: string;
  readonly fetch: NonNullable<SeenFrame["fetch"]>;
};

/** Replica fetches each tap saw from `from` on, by frame index per tap. */
function replicaFetches(from: ReadonlyMap<number, number> = new Map()): ReplicaFetch[] {
  return [...taps.entries()].flatMap(([to, tap]) =>
    tap.frames
      .slice(from.get(to) ?? 0)
      .filter((f) => f.apiKey === ApiKey.Fetch && f.fetch !== null && f.fetch.replicaId >= 0)
      .map((f) => ({ ...f, to, link: `${f.fetch!.replicaId}->${to}`, fetch: f.fetch! })),
  );
}

const marks = (): Map<number, number> => new Map([...taps].map(([id, tap]) => [id, tap.frames.length]));
const isIncremental = (f: ReplicaFetch) => f.fetch.sessionId !== 0 && f.fetch.sessionEpoch > 0;

/** Reads the topic back with kcat beside the test (the taps it reads through live in this process). */
async function readBack(bootstrap: string): Promise<string[]> {
  const reader = Bun.spawn(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const killer = setTimeout(() => reader.kill(), 30_000);
  const read = await new Response(reader.stdout).text();
  clearTimeout(killer);
  expect(await reader.exited).toBe(0);
  return read.split("\n").filter((line) => line !== "");
}

const kafkaFor = (bootstrap: string) =>
  new Kafka({
    clientId: "eddy-replica-session",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
  });

/** Produces `values` with acks=all, spread over the partitions; resolves once every one is acknowledged. */
async function produce(bootstrap: string, values: readonly string[]): Promise<void> {
  const producer = kafkaFor(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (let i = 0; i < values.length; i += 20) {
    const batch = values.slice(i, i + 20);
    await producer.send({
      topic,
      acks: -1,
      messages: batch.map((value, j) => ({ partition: (i + j) % partitionCount, value })),
    });
  }
  await producer.disconnect();
}

/** Waits until every follower-leader link shows `count` replica fetches since `since` that pass `ok`. */
async function linksShow(
  what: string,
  since: ReadonlyMap<number, number>,
  links: readonly string[],
  ok: (f: ReplicaFetch) => boolean,
  count: number,
): Promise<ReplicaFetch[]> {
  return until(
    what,
    () => {
      const seen = replicaFetches(since);
      return links.every((link) => seen.filter((f) => f.link === link && ok(f)).length >= count)
        ? seen
        : null;
    },
    30_000,
  );
}

test("followers fetch in sessions: idle Fetches are incremental and name no partition, acks=all replicates and a killed leader fails over", async () => {
  const admin = kafkaFor(cluster.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitionCount, replicationFactor: 3 }] });
  await admin.disconnect();
  await until("a full ISR", () => {
    const ps = cluster.partitions(topic);
    return ps.length === partitionCount && ps.every((p) => p.isrs.length === 3) ? ps : null;
  });
  const links = ["1->2", "1->3", "2->1", "2->3", "3->1", "3->2"];

  // Each follower's first Fetch to each leader was full (epoch 0, no session yet) and named partitions.
  const firsts = links.map((link) => replicaFetches().find((f) => f.link === link));
  for (const first of firsts) {
    expect(first).toBeDefined();
    expect(first!.fetch).toMatchObject({ sessionId: 0, sessionEpoch: 0 });
    expect(first!.fetch.partitionCount).toBeGreaterThan(0);
  }

  // Idle: once each link's fetches settled (partitions refused while the leader did not know the
  // topic yet back off, leave the session and come back), every link goes on fetching, incrementally,
  // naming nothing and forgetting nothing.
  const quiet = (f: ReplicaFetch) =>
    isIncremental(f) && f.fetch.partitionCount === 0 && f.fetch.forgottenCount === 0;
  await linksShow("a quiet incremental fetch on every link", marks(), links, quiet, 1);
  const idleFrom = marks();
  const idle = await linksShow(
    "idle incremental fetches on every link",
    idleFrom,
    links,
    isIncremental,
    idleFetchesPerLink,
  );
  const idleIncremental = idle.filter(isIncremental);
  expect(idleIncremental.filter((f) => f.fetch.partitionCount > 0 || f.fetch.forgottenCount > 0)).toEqual([]);
  // A session's epochs count up one by one on its link.
  for (const link of links) {
    const onLink = idleIncremental.filter((f) => f.link === link);
    for (const sessionId of new Set(onLink.map((f) => f.fetch.sessionId))) {
      const epochs = onLink.filter((f) => f.fetch.sessionId === sessionId).map((f) => f.fetch.sessionEpoch);
      for (let i = 1; i < epochs.length; i++) expect(epochs[i]).toBe(epochs[i - 1]! + 1);
    }
  }

  // acks=all with min.insync.replicas 2: nothing is acknowledged unless a follower fetched it in a session.
  const busyFrom = marks();
  const sent = Array.from({ length: recordCount }, (_, i) => `s-${i}`);
  await produce(cluster.bootstrap, sent);
  const busy = replicaFetches(busyFrom);
  // Changed fetch offsets were named in incremental Fetches.
  expect(busy.some((f) => isIncremental(f) && f.fetch.partitionCount > 0)).toBe(true);
  expect((await readBack(cluster.bootstrap)).sort()).toEqual([...sent].sort());

  // A leader dies: its followers' sessions with it end, and the survivors lead and replicate on.
  const victim = cluster.partitions(topic)[0]!.leader;
  expect(await cluster.stopNode(victim, "SIGKILL")).not.toBe(0);
  const survivors = cluster.liveNodeIds;
  await until(
    "survivors leading every partition",
    () => {
      const ps = cluster.partitionsFrom(survivors, topic);
      return ps.length === partitionCount &&
        ps.every((p) => p.leader !== victim && survivors.includes(p.leader))
        ? ps
        : null;
    },
    30_000,
  );
  const more = Array.from({ length: 60 }, (_, i) => `after-kill-${i}`);
  await produce(cluster.bootstrapOf(survivors), more);

  // Back, as a follower of the survivors (it leads nothing until an election moves leadership): a new
  // process, so its first Fetch to each of them is full, with no session id; then incremental again.
  const restartFrom = marks();
  await cluster.startNode(victim);
  await until(
    "the restarted broker back in every ISR",
    () => cluster.partitions(topic).every((p) => p.isrs.length === 3),
    30_000,
  );
  const fromVictim = links.filter((link) => link.startsWith(`${victim}->`));
  const back = await linksShow(
    "incremental fetches from the restarted broker",
    restartFrom,
    fromVictim,
    isIncremental,
    2,
  );
  for (const link of fromVictim) {
    const first = back.find((f) => f.link === link)!;
    expect(first.fetch).toMatchObject({ sessionId: 0, sessionEpoch: 0 });
  }
  expect((await readBack(cluster.bootstrap)).sort()).toEqual([...sent, ...more].sort());
  console.log(
    `replica fetch sessions: ${idleIncremental.length} idle incremental fetches naming 0 partitions, ${busy.filter(isIncremental).length} incremental while producing ${recordCount} records`,
  );
}, 120_000);
