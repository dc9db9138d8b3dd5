/**
 * kafka-python 2.0.2, unmodified, under the system's python3, against three broker processes (issue
 * 12): acks=all to replication factor 3 with min.insync.replicas=2 while the leader's process is
 * killed with SIGKILL and started again, two rounds; every record kafka-python saw acknowledged is
 * read back by kcat, at the offset the acknowledgement named and in order within its partition.
 *
 * The script sends one record at a time and waits for it (`producer.send(...).get()`), so it knows
 * exactly which records were acknowledged; it prints one line per record and stops when the test
 * creates its stop file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AckedRecord, ackProblems, readBack, TestCluster } from "./cluster-harness.ts";
import { type CollectedProcess, removeDir, spawnCollecting, tempDir, until } from "./harness.ts";

let cluster: TestCluster;
const dir = tempDir("cluster-kafka-python");
beforeAll(async () => {
  cluster = await TestCluster.start({ nodes: 3, properties: { "min.insync.replicas": "2" } });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  removeDir(dir);
});

const script = `
import os, sys
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

bootstrap, topic, stop_file = sys.argv[1].split(','), sys.argv[2], sys.argv[3]
admin = KafkaAdminClient(bootstrap_servers=bootstrap)
admin.create_topics([NewTopic(topic, 3, 3)])
admin.close()
print('CREATED', flush=True)
# Retries and a metadata refresh carry a record from a dead leader to its successor; one request in
# flight keeps a partition's records in order.
producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', retries=50, retry_backoff_ms=200,
                         request_timeout_ms=5000, max_in_flight_requests_per_connection=1,
                         reconnect_backoff_max_ms=500)
seq = 0
while not os.path.exists(stop_file):
    partition = seq % 3
    value = 'py-%07d' % seq
    try:
        meta = producer.send(topic, value=value.encode(), partition=partition).get(timeout=30)
        print('ACK %d %d %s' % (meta.partition, meta.offset, value), flush=True)
    except Exception as e:
        print('FAIL %d %s %s' % (partition, value, type(e).__name__), flush=True)
    seq += 1
producer.close()
print('DONE', flush=True)
`;

function acknowledged(output: string): AckedRecord[] {
  return [...output.matchAll(/^ACK (\d+) (\d+) (\S+)$/gm)].map((m) => ({
    partition: Number(m[1]),
    offset: Number(m[2]),
    value: m[3]!,
  }));
}

describe("kafka-python against three processes", () => {
  test("acks=all through SIGKILL of the leader and its restart, two rounds: every acknowledged record is read back in order", async () => {
    const topic = "kpy-failover";
    writeFileSync(join(dir, "failover.py"), script);
    const stopFile = join(dir, "stop");
    const producer: CollectedProcess = spawnCollecting(
      ["/usr/bin/python3", "failover.py", cluster.bootstrap, topic, stopFile],
      { cwd: dir, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    );
    const ackedOf = (partition: number) =>
      acknowledged(producer.output()).filter((r) => r.partition === partition).length;
    try {
      await until("the topic with a full ISR", () => {
        const ps = cluster.partitions(topic);
        return ps.length === 3 && ps.every((p) => p.isrs.length === 3);
      });
      for (let round = 0; round < 2; round++) {
        const target = round % 3;
        const before = ackedOf(target);
        await until("acknowledged writes before the kill", () => ackedOf(target) >= before + 30, 30_000);
        const leader = cluster.partitions(topic)[target]!.leader;
        expect(await cluster.stopNode(leader, "SIGKILL")).not.toBe(0);
        const during = ackedOf(target);
        await until("writes acknowledged by the successor", () => ackedOf(target) >= during + 30, 40_000);
        expect(cluster.partitions(topic)[target]!.leader).not.toBe(leader);
        await cluster.startNode(leader);
        await until(
          "the restarted broker back in every ISR",
          () => cluster.partitions(topic).every((p) => p.isrs.length === 3),
          40_000,
        );
      }
      writeFileSync(stopFile, "");
      await until("the script to stop", () => producer.process.exitCode !== null, 40_000);
      expect(producer.process.exitCode).toBe(0);
      expect(producer.output()).toContain("DONE");
    } catch (error) {
      console.log(`--- script stdout (tail)\n${producer.output().slice(-2000)}`);
      console.log(`--- script stderr (tail)\n${producer.errors().slice(-3000)}`);
      console.log(JSON.stringify(cluster.partitions(topic)));
      console.log(cluster.outputs());
      throw error;
    } finally {
      if (producer.process.exitCode === null) producer.process.kill("SIGKILL");
      if (!existsSync(stopFile)) writeFileSync(stopFile, "");
    }

    const acked = acknowledged(producer.output());
    const failed = [...producer.output().matchAll(/^FAIL /gm)].length;
    const stored = readBack(cluster.bootstrap, topic);
    expect(ackProblems(stored, acked)).toEqual([]);
    for (let partition = 0; partition < 3; partition++) expect(ackedOf(partition)).toBeGreaterThan(60);
    console.log(`kafka-python: ${acked.length} records acknowledged, ${failed} not, 2 leader kills`);
  }, 150_000);
});
