/**
 * Producer ids in a cluster of three processes (issue 12): every block of ids comes from the active
 * controller (AllocateProducerIds, committed to the metadata log before it is answered), so brokers
 * never hand out the same id, and a controller failover never hands a block out again.
 * Method: raw InitProducerId requests to each node (kafkajs always asks the controller's node) show
 * each node serving from its own block of 1000; after a SIGKILL of the active controller, the
 * restarted node's new block is one nobody had. Idempotent kafkajs producers bootstrapped from
 * different brokers, before and after a controller kill, write batches whose headers (read from the
 * segment files) carry distinct producer ids. Then an idempotent kafkajs producer writes to one
 * partition through two SIGKILLs of its leader: kcat reads every acknowledged record back exactly
 * once, in the order acknowledged, and no record twice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { decodeRecordBatches, ErrorCode } from "@eddy/protocol";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { TestCluster } from "./cluster-harness.ts";
import { kcatReadAll, until } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

/** Kafka's block size, the controller's too. */
const blockSize = 1000;

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3, properties: { "min.insync.replicas": "2" } });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const kafkaFor = (bootstrap: string) =>
  new Kafka({
    clientId: "eddy-producer-ids-test",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
  });

/** One fresh producer id from node `nodeId` itself (InitProducerId v1, no transactional id). */
async function initProducerIdOn(nodeId: number): Promise<number> {
  const node = cluster.spec.nodes.find((n) => n.nodeId === nodeId)!;
  const client = await RawClient.connect(node.port);
  try {
    const answer = await until(
      `a producer id from node ${nodeId}`,
      async () => {
        const answer = await client.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
        // Retriable while the node has no block yet (not registered, or no controller reachable);
        // any other answer ends the wait and fails below.
        return answer.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? null : answer;
      },
      30_000,
    );
    expect(answer.errorCode).toBe(ErrorCode.NONE);
    return Number(answer.producerId);
  } finally {
    client.close();
  }
}

const blockOf = (id: number) => Math.floor(id / blockSize);

/** The producer id of every batch in partition `topic-partition`'s segment files on node `nodeId`. */
function producerIdsInLog(nodeId: number, topic: string, partition: number): number[] {
  const dir = findDir(cluster.nodeDataDir(nodeId), `${topic}-${partition}`, 3);
  if (dir === null) throw new Error(`node ${nodeId} holds no ${topic}-${partition}`);
  const ids: number[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .sort()) {
    for (const batch of decodeRecordBatches(new Uint8Array(readFileSync(join(dir, file)))))
      ids.push(Number(batch.header.producerId));
  }
  return ids;
}

function findDir(root: string, name: string, depthMax: number): string | null {
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    if (!statSync(path).isDirectory()) continue;
    if (entry === name) return path;
    if (depthMax > 1) {
      const found = findDir(path, name, depthMax - 1);
      if (found !== null) return found;
    }
  }
  return null;
}

async function createTopic(topic: string, partitions: number): Promise<void> {
  const admin = kafkaFor(cluster.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 3 }] });
  await admin.disconnect();
  await until("a full ISR", () => {
    const ps = cluster.partitions(topic);
    return ps.length === partitions && ps.every((p) => p.isrs.length === 3);
  });
}

/** A new active controller other than `previous`, among the running nodes. */
async function newController(previous: number): Promise<number> {
  return until("a new active controller", () => {
    const id = cluster.metadata().controllerid;
    return id !== previous && cluster.liveNodeIds.includes(id) ? id : null;
  });
}

describe("producer ids in a cluster of three processes", () => {
  test("each broker serves InitProducerId from its own controller block; a failover never repeats one", async () => {
    const ids = new Map<number, number[]>([
      [1, []],
      [2, []],
      [3, []],
    ]);
    for (let round = 0; round < 3; round++)
      for (const nodeId of [1, 2, 3]) ids.get(nodeId)!.push(await initProducerIdOn(nodeId));
    const all = [...ids.values()].flat();
    expect(new Set(all).size).toBe(all.length);
    for (const [nodeId, own] of ids) {
      // A node runs through its block one id at a time.
      expect(own).toEqual([own[0]!, own[0]! + 1, own[0]! + 2]);
      expect(new Set(own.map(blockOf)).size).toBe(1);
      expect(own[0]! % blockSize).toBe(0);
      for (const [other, theirs] of ids)
        if (other !== nodeId) expect(blockOf(theirs[0]!)).not.toBe(blockOf(own[0]!));
    }
    const blocksBefore = new Set(all.map(blockOf));

    // The active controller dies with SIGKILL; its node comes back with a new broker epoch and must
    // be given a block that no controller, the dead one included, handed out before.
    const controller = cluster.metadata().controllerid;
    expect(await cluster.stopNode(controller, "SIGKILL")).not.toBe(0);
    const next = await newController(controller);
    await cluster.startNode(controller);
    const again = new Map<number, number>();
    for (const nodeId of [1, 2, 3]) again.set(nodeId, await initProducerIdOn(nodeId));
    const restartedId = again.get(controller)!;
    expect(blocksBefore.has(blockOf(restartedId))).toBe(false);
    expect(restartedId).toBeGreaterThan(Math.max(...all));
    // The survivors carry on in the blocks they had.
    for (const nodeId of [1, 2, 3]) {
      if (nodeId === controller) continue;
      expect(again.get(nodeId)).toBe(ids.get(nodeId)![2]! + 1);
    }
    const everything = [...all, ...again.values()];
    expect(new Set(everything).size).toBe(everything.length);
    console.log(
      `producer ids: ${[...ids].map(([n, own]) => `node ${n} ${own.join(",")}`).join("; ")}; ` +
        `controller ${controller} killed, ${next} took over, restarted node ${controller} got ${restartedId}`,
    );
  }, 120_000);

  test("idempotent kafkajs producers bootstrapped from different brokers write under distinct producer ids", async () => {
    const topic = "pids";
    await createTopic(topic, 1);
    const send = async (bootstrapNode: number, value: string) => {
      const producer = kafkaFor(cluster.bootstrapOf([bootstrapNode])).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ partition: 0, value }] });
      await producer.disconnect();
    };
    for (const nodeId of [1, 2, 3]) await send(nodeId, `from-${nodeId}`);
    // kafkajs asks the controller's node for its id: with that node gone, the next producers get
    // theirs from the new controller, whose block must not overlap the old one's.
    const controller = cluster.metadata().controllerid;
    await cluster.stopNode(controller, "SIGKILL");
    await newController(controller);
    const survivors = cluster.liveNodeIds;
    for (const nodeId of survivors) await send(nodeId, `after-${nodeId}`);
    await cluster.startNode(controller);
    await until(
      "the restarted broker back in the ISR",
      () => cluster.partitions(topic)[0]?.isrs.length === 3,
    );

    const leader = cluster.partitions(topic)[0]!.leader;
    const stored = kcatReadAll(cluster.bootstrap, topic);
    expect(stored).toEqual([...[1, 2, 3].map((n) => `from-${n}`), ...survivors.map((n) => `after-${n}`)]);
    const producerIds = await until("every batch in the leader's segment", () => {
      const found = producerIdsInLog(leader, topic, 0);
      return found.length === 5 ? found : null;
    });
    expect(producerIds.every((id) => id >= 0)).toBe(true);
    expect(new Set(producerIds).size).toBe(5);
    console.log(`kafkajs producer ids in ${topic}-0: ${producerIds.join(", ")}`);
  }, 120_000);

  test("an idempotent producer writes each record exactly once through two SIGKILLs of its partition's leader", async () => {
    const topic = "exactly-once";
    await createTopic(topic, 1);
    const newProducer = async (): Promise<Producer> => {
      const producer = kafkaFor(cluster.bootstrap).producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      return producer;
    };
    let producer = await newProducer();
    const acked: string[] = [];
    let failures = 0;
    let sending = true;
    const loop = (async () => {
      for (let seq = 0; sending; seq++) {
        const value = `x-${String(seq).padStart(7, "0")}`;
        try {
          await producer.send({ topic, acks: -1, messages: [{ partition: 0, value }] });
          acked.push(value);
        } catch {
          // Given up by the client: stored once or not at all, and never sent again. The producer is
          // replaced, since kafkajs would reuse the failed batch's sequence number for the next one.
          failures++;
          await producer.disconnect().catch(() => {});
          producer = await newProducer();
        }
      }
    })();

    for (let round = 0; round < 2; round++) {
      const before = acked.length;
      await until("acknowledged writes", () => acked.length >= before + 100, 30_000);
      const leader = cluster.partitions(topic)[0]!.leader;
      expect(await cluster.stopNode(leader, "SIGKILL")).not.toBe(0);
      const during = acked.length;
      await until("writes acknowledged by the new leader", () => acked.length >= during + 100, 30_000);
      await cluster.startNode(leader);
      await until(
        "the restarted broker back in the ISR",
        () => cluster.partitions(topic)[0]?.isrs.length === 3,
      );
    }
    sending = false;
    await loop;
    await producer.disconnect();

    const stored = kcatReadAll(cluster.bootstrap, topic);
    const counts = new Map<string, number>();
    for (const value of stored) counts.set(value, (counts.get(value) ?? 0) + 1);
    const duplicated = [...counts].filter(([, count]) => count > 1).map(([value]) => value);
    expect(duplicated).toEqual([]);
    const missing = acked.filter((value) => !counts.has(value));
    expect(missing).toEqual([]);
    // In the order acknowledged.
    const position = new Map(stored.map((value, i) => [value, i]));
    const positions = acked.map((value) => position.get(value)!);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(acked.length).toBeGreaterThan(400);
    console.log(
      `exactly once: ${acked.length} acknowledged, ${stored.length} stored, ${failures} sends given up, 2 leader kills`,
    );
  }, 180_000);
});
