/**
 * Three broker processes (issue 12): replicas placed by the seeds' rule, acks=all to replication
 * factor 3 with min.insync.replicas=2 while a leader's process is killed with SIGKILL and started
 * again, several rounds, with kafkajs producing and kcat reading back: every acknowledged record is
 * there, in order within its partition. Then the active controller is killed and metadata changes
 * keep working on the other two.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel, type Producer } from "kafkajs";
import { TestCluster } from "./cluster-harness.ts";
import { kcatReadAll, until } from "./harness.ts";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3, properties: { "min.insync.replicas": "2" } });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const kafkaFor = (bootstrap: string) =>
  new Kafka({
    clientId: "eddy-cluster-test",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
  });

describe("a cluster of three processes", () => {
  test("kcat -L lists three brokers; replicas follow i mod n, (i+j) mod n; the ISR is complete", async () => {
    // Each node printed "ready" once registered; the node kcat asks may apply the last
    // registration a moment later.
    const brokers = await until("three brokers in the metadata", () => {
      const ids = cluster
        .metadata()
        .brokers.map((b) => b.id)
        .sort();
      return ids.length === 3 ? ids : null;
    });
    expect(brokers).toEqual([1, 2, 3]);
    const admin = kafkaFor(cluster.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "placed", numPartitions: 6, replicationFactor: 3 }] });
    await admin.disconnect();
    const partitions = await until("a full ISR on every partition", () => {
      const ps = cluster.partitions("placed");
      return ps.length === 6 && ps.every((p) => p.isrs.length === 3) ? ps : null;
    });
    for (const p of partitions) {
      // Brokers 1..3 sorted: partition i's j-th replica is broker ((i + j) mod 3) + 1.
      expect(p.replicas).toEqual([0, 1, 2].map((j) => ((p.partition + j) % 3) + 1));
      expect(p.leader).toBe(p.replicas[0]!);
    }
  }, 60_000);

  test("acks=all survives SIGKILL of the leader, three rounds: every acknowledged record is read back in order", async () => {
    const topic = "failover";
    const admin = kafkaFor(cluster.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }] });
    await admin.disconnect();
    await until("a full ISR", () => cluster.partitions(topic).every((p) => p.isrs.length === 3));

    const producer: Producer = kafkaFor(cluster.bootstrap).producer({
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    const acked: { partition: number; value: string }[] = [];
    let sending = true;
    let failures = 0;
    const loop = (async () => {
      for (let seq = 0; sending; seq++) {
        const partition = seq % 3;
        const value = `v-${String(seq).padStart(7, "0")}`;
        try {
          await producer.send({ topic, acks: -1, messages: [{ partition, value }] });
          acked.push({ partition, value });
        } catch {
          // Not acknowledged: it may or may not be stored; only acknowledged records are checked.
          failures++;
        }
      }
    })();

    for (let round = 0; round < 3; round++) {
      const before = acked.length;
      await until("acknowledged writes", () => acked.length >= before + 50, 30_000);
      const leader = cluster.partitions(topic)[round % 3]!.leader;
      expect(await cluster.stopNode(leader, "SIGKILL")).not.toBe(0);
      const during = acked.length;
      // The survivors take over once the dead broker's session times out (3 s here).
      await until("writes acknowledged by the survivors", () => acked.length >= during + 50, 30_000);
      await cluster.startNode(leader);
      try {
        await until(
          "the restarted broker back in every ISR",
          () => cluster.partitions(topic).every((p) => p.isrs.length === 3),
          30_000,
        );
      } catch (error) {
        console.log(JSON.stringify(cluster.partitions(topic)));
        for (const id of cluster.liveNodeIds)
          console.log(`--- node ${id}\n${cluster.output(id).slice(-3000)}`);
        throw error;
      }
    }
    sending = false;
    await loop;
    await producer.disconnect();

    const stored = kcatReadAll(cluster.bootstrap, topic, "%p %s\n").map((line) => {
      const [p, value] = line.split(" ");
      return { partition: Number(p), value: value! };
    });
    for (let partition = 0; partition < 3; partition++) {
      const read = stored.filter((r) => r.partition === partition).map((r) => r.value);
      const want = acked.filter((r) => r.partition === partition).map((r) => r.value);
      const readSet = new Set(read);
      const missing = want.filter((v) => !readSet.has(v));
      expect(missing).toEqual([]);
      // In order: the acknowledged records appear in the partition in the order they were sent
      // (a retried record may appear twice; its first copy counts).
      const firstAt = new Map<string, number>();
      read.forEach((v, i) => {
        if (!firstAt.has(v)) firstAt.set(v, i);
      });
      const positions = want.map((v) => firstAt.get(v)!);
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    }
    expect(acked.length).toBeGreaterThan(300);
    console.log(`failover: ${acked.length} records acknowledged, ${failures} sends failed, 3 leader kills`);
  }, 180_000);

  test("killing the active controller elects another; topics are still created and deleted", async () => {
    const controller = cluster.metadata().controllerid;
    expect(cluster.liveNodeIds).toContain(controller);
    await cluster.stopNode(controller, "SIGKILL");
    const survivors = cluster.liveNodeIds;
    // Every survivor names the new controller (a node that has not heard from it yet may still name
    // the dead one for a heartbeat or two; clients would then be sent there).
    const next = await until("a new active controller named by every survivor", () => {
      const named = survivors.map((id) => cluster.metadata(undefined, [id]).controllerid);
      const id = named[0]!;
      return id !== controller && survivors.includes(id) && named.every((n) => n === id) ? id : null;
    });
    expect(survivors).toContain(next);
    const admin = kafkaFor(cluster.bootstrapOf(survivors)).admin();
    await admin.connect();
    expect(
      await admin.createTopics({
        topics: [{ topic: "after-controller", numPartitions: 2, replicationFactor: 2 }],
      }),
    ).toBe(true);
    await until("the new topic in metadata", () => cluster.partitions("after-controller").length === 2);
    await admin.deleteTopics({ topics: ["after-controller"] });
    await until("the topic gone", () => cluster.partitions("after-controller").length === 0);
    await admin.disconnect();
    await cluster.startNode(controller);
  }, 90_000);
});
