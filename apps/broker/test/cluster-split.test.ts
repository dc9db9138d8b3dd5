/**
 * A network split (issue 12): a partition leader cut off from the other two nodes acknowledges
 * nothing with acks=all, while the majority fences it, elects a new leader and goes on; after the
 * split heals, the old leader's unacknowledged writes are truncated from its log and every
 * acknowledged record is there, in order.
 *
 * Method: the nodes talk on two listeners, as Kafka's do: the quorum and the controller requests on
 * the controller listener, replication on the inter-broker (PLAINTEXT) listener. The split uses the
 * peer transport's own fault hook (`src/cluster/peer-cuts.ts`, armed by
 * `eddy.test.fault.injection.enable=true`, driven by `POST /v1/faults` on each node's admin listener):
 * the chosen node cuts the others off in both directions, and each of the others cuts it off, so no
 * exchange between them crosses on either listener; clients still reach every node. The chosen node leads
 * a partition; in the first test it is not the active controller, so the majority keeps its
 * controller and what is shown is the partition's failover; in the second it is, so the majority
 * must elect a controller as well while the cut-off one, without a majority, commits nothing. The old leader appends what it is sent (acks=all waits for the
 * ISR, which it cannot shrink without the controller), so its segment file holds the minority's
 * records during the split; after healing, the same file no longer does. Two smaller tests check the
 * hook itself: its refusals of bad input, and an inbound cut alone (a leader closes its follower's
 * requests unanswered, and says so in its log).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { type AckedRecord, ackProblems, readBack, TestCluster } from "./cluster-harness.ts";
import { until } from "./harness.ts";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({
    nodes: 3,
    adminPorts: true,
    properties: { "min.insync.replicas": "2", "eddy.test.fault.injection.enable": "true" },
  });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const kafkaFor = (bootstrap: string, retries: number) =>
  new Kafka({
    clientId: "eddy-split",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1_000 },
  });

/** Asks node `nodeId`'s fault hook to cut (or heal) `peers` in both directions; returns what is cut. */
async function faults(
  nodeId: number,
  peers: readonly number[],
  cut: boolean,
): Promise<{ out: number[]; in: number[] }> {
  const adminPort = cluster.spec.nodes.find((n) => n.nodeId === nodeId)!.adminPort;
  const body = cut ? { cut: peers, direction: "both" } : { heal: peers };
  const response = await fetch(`http://127.0.0.1:${adminPort}/v1/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (response.status !== 200)
    throw new Error(`node ${nodeId}: /v1/faults ${response.status} ${await response.text()}`);
  return (await response.json()) as { out: number[]; in: number[] };
}

/** Cuts (or heals) every link between `nodeId` and the other nodes, both ways, on both ends. */
async function isolate(nodeId: number, others: readonly number[], cut: boolean): Promise<void> {
  const state = await faults(nodeId, others, cut);
  // The hook says what it holds: the cut-off node names every other node both ways, or none.
  expect(state).toEqual(cut ? { out: [...others].sort(), in: [...others].sort() } : { out: [], in: [] });
  for (const other of others) await faults(other, [nodeId], cut);
}

/** The bytes of every segment file of `topic`-`partition` in a node's data folder, joined. */
function segmentBytes(dataDir: string, topic: string, partition: number): Buffer {
  const found: Buffer[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 3) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, depth + 1);
      else if (entry.name.endsWith(".log") && dir.endsWith(`${topic}-${partition}`))
        found.push(readFileSync(path));
    }
  };
  walk(dataDir, 0);
  if (found.length === 0) throw new Error(`no segment of ${topic}-${partition} under ${dataDir}`);
  return Buffer.concat(found);
}

/**
 * Splits a partition's leader from the other two and heals the split: the leader is the active
 * controller too when `leaderIsController`, so the majority must also elect a new controller.
 */
async function splitScenario(topic: string, leaderIsController: boolean): Promise<void> {
  const admin = kafkaFor(cluster.bootstrap, 10).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }] });
  await admin.disconnect();
  const partitions = await until("a full ISR", () => {
    const ps = cluster.partitions(topic);
    return ps.length === 3 && ps.every((p) => p.isrs.length === 3) ? ps : null;
  });
  const controller = cluster.metadata().controllerid;
  const chosen = partitions.find((p) => (p.leader === controller) === leaderIsController)!;
  expect(chosen).toBeDefined();
  const partition = chosen.partition;
  const cutOff = chosen.leader;
  const majority = cluster.liveNodeIds.filter((id) => id !== cutOff);
  const majorityBootstrap = cluster.bootstrapOf(majority);

  const producer = kafkaFor(cluster.bootstrap, 20).producer({
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const acked: AckedRecord[] = [];
  const send = async (p: typeof producer, value: string) => {
    const [meta] = await p.send({ topic, acks: -1, messages: [{ partition, value }] });
    acked.push({ partition, value, offset: Number(meta!.baseOffset) });
  };
  for (let i = 0; i < 30; i++) await send(producer, `before-${i}`);
  await producer.disconnect();

  // The minority's client knows only the cut-off node, whose metadata still names itself leader.
  const minority = kafkaFor(cluster.bootstrapOf([cutOff]), 0).producer({ allowAutoTopicCreation: false });
  await minority.connect();
  const majorityProducer = kafkaFor(majorityBootstrap, 20).producer({
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
  });
  let minorityAcked = 0;
  let minoritySent = 0;
  const minorityErrors = new Map<string, number>();
  let splitOn = true;
  try {
    await isolate(cutOff, majority, true);
    const minorityLoop = (async () => {
      while (splitOn) {
        const value = `minority-${minoritySent++}`;
        try {
          await minority.send({ topic, acks: -1, timeout: 1_500, messages: [{ partition, value }] });
          minorityAcked++;
        } catch (error) {
          // kafkajs wraps the broker's answer (REQUEST_TIMED_OUT) in its retry error.
          const cause = (error as { cause?: { type?: string } }).cause;
          const type = cause?.type ?? (error as { type?: string }).type ?? (error as Error).name;
          minorityErrors.set(type, (minorityErrors.get(type) ?? 0) + 1);
          await Bun.sleep(100);
        }
      }
    })();

    // The majority fences the silent node after its session (3 s here) and elects another leader;
    // only the majority is asked, since the cut-off node's own view is stale by design.
    const leaderOnMajority = await until(
      "a new leader on the majority side",
      () => {
        const p = cluster.partitionsFrom(majority, topic)[partition];
        return p !== undefined && majority.includes(p.leader) && !p.isrs.includes(cutOff) ? p.leader : null;
      },
      30_000,
    );
    expect(majority).toContain(leaderOnMajority);
    if (leaderIsController) {
      await until(
        "a controller on the majority side",
        () => majority.includes(cluster.metadata(undefined, majority).controllerid),
        20_000,
      );
    }
    await majorityProducer.connect();
    for (let i = 0; i < 30; i++) await send(majorityProducer, `majority-${i}`);
    // The minority has been trying all along; let it try a while longer before the heal.
    await until("minority attempts", () => minoritySent >= 5, 20_000);
    expect(minorityAcked).toBe(0);
    // The cut-off leader appended what it was sent: its segment holds minority records now.
    expect(segmentBytes(cluster.nodeDataDir(cutOff), topic, partition).includes("minority-0")).toBe(true);

    splitOn = false;
    await minorityLoop;
    await isolate(cutOff, majority, false);
    await until(
      "the old leader back in the ISR",
      () => cluster.partitionsFrom(majority, topic)[partition]!.isrs.length === 3,
      40_000,
    );
    for (let i = 0; i < 10; i++) await send(majorityProducer, `healed-${i}`);
    // Its log was truncated to the new leader's at the divergence, then caught up.
    await until(
      "the old leader's segment without the minority's records",
      () => !segmentBytes(cluster.nodeDataDir(cutOff), topic, partition).includes("minority-"),
      20_000,
    );
    expect(segmentBytes(cluster.nodeDataDir(cutOff), topic, partition).includes("healed-9")).toBe(true);
  } catch (error) {
    console.log(JSON.stringify(cluster.partitions(topic)));
    console.log(cluster.outputs());
    throw error;
  } finally {
    splitOn = false;
    await isolate(cutOff, majority, false);
    await minority.disconnect();
    await majorityProducer.disconnect();
  }

  expect(minorityAcked).toBe(0);
  expect(minoritySent).toBeGreaterThan(0);
  const stored = readBack(cluster.bootstrap, topic).filter((r) => r.partition === partition);
  expect(ackProblems(stored, acked)).toEqual([]);
  expect(stored.filter((r) => r.value.startsWith("minority-"))).toEqual([]);
  console.log(
    `split (${leaderIsController ? "leader and controller" : "leader"} cut off): ${acked.length} acknowledged, ${minoritySent} minority sends, none acknowledged (${[...minorityErrors].map(([k, v]) => `${k} ${v}`).join(", ")})`,
  );
}

describe("a network split", () => {
  test("the fault hook refuses bad input and changes nothing", async () => {
    const admin = `http://127.0.0.1:${cluster.spec.nodes[0]!.adminPort}/v1/faults`;
    const post = (body: string) => fetch(admin, { method: "POST", body });
    for (const [body, why] of [
      ['{"cut": [2], "direction": "sideways"}', '"direction" must be one of in, out, both'],
      ['{"cut": [1]}', "node 1 is this node"],
      ['{"cut": [-2]}', "node ids"],
      ['{"cut": [2], "heal": [2]}', "exactly one"],
      ["[2]", "an object"],
      ["cut", "not JSON"],
    ] as const) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toContain(why);
    }
    expect(await (await fetch(admin)).json()).toEqual({ out: [], in: [] });
  });

  test("the cut-off leader acknowledges nothing with acks=all; the majority elects a leader and goes on; after healing the old leader's unacknowledged writes are truncated", async () => {
    await splitScenario("split", false);
  }, 90_000);

  test("the same when the cut-off leader is the active controller: the majority elects a controller too", async () => {
    await splitScenario("split-controller", true);
  }, 90_000);

  test("an inbound cut alone: the node closes the peer's Kafka requests unanswered, and heals", async () => {
    // A partition's leader and one of its followers, whose replica fetcher sends the leader a Fetch
    // request every half second at most.
    const led = cluster.partitions("split").find((p) => p.isrs.length === 3)!;
    const [target, peer] = [led.leader, led.isrs.find((id) => id !== led.leader)!];
    const admin = `http://127.0.0.1:${cluster.spec.nodes.find((n) => n.nodeId === target)!.adminPort}/v1/faults`;
    const post = async (body: object) =>
      (await (await fetch(admin, { method: "POST", body: JSON.stringify(body) })).json()) as object;
    expect(await post({ cut: [peer], direction: "in" })).toEqual({ out: [], in: [peer] });
    try {
      await until(
        `node ${target} refusing node ${peer}`,
        () => cluster.output(target).includes(`node ${peer} is cut off here (fault hook)`),
        20_000,
      );
    } finally {
      expect(await post({ heal: "all" })).toEqual({ out: [], in: [] });
    }
    await until(
      "a full ISR again",
      () => cluster.partitions("split").every((p) => p.isrs.length === 3),
      40_000,
    );
  }, 90_000);
});
