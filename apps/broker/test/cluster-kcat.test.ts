/**
 * kcat (librdkafka), unmodified, against three broker processes (issue 12): acks=all to replication
 * factor 3 with min.insync.replicas=2 while the leader's process is killed with SIGKILL and started
 * again, two rounds; every acknowledged record is read back by kcat, at the offset its
 * acknowledgement named and in order within its partition.
 *
 * kcat's producer reports nothing per record unless asked: with `-v -v -v` it prints "Message
 * delivered to partition P (offset O)" from librdkafka's delivery report, which comes only once the
 * broker acknowledged the record with the acks asked for. So each record is sent by its own kcat
 * process, one partition per loop: a delivery line for that one record is an unambiguous
 * acknowledgement, and a record without one (a timeout, an error) is left out of the check.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawn } from "bun";
import { type AckedRecord, ackProblems, readBack, TestCluster } from "./cluster-harness.ts";
import { until } from "./harness.ts";

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await TestCluster.start({
    nodes: 3,
    properties: { "min.insync.replicas": "2", "num.partitions": "3" },
  });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

/** How long one kcat producer may take before it is killed (its record then counts as not acknowledged). */
const sendMsMax = 20_000;

/** Sends one record with acks=all through its own kcat; resolves with its offset, or null when not acknowledged. */
async function kcatSend(
  bootstrap: string,
  topic: string,
  partition: number,
  value: string,
): Promise<number | null> {
  const child = spawn(
    [
      "kcat",
      "-P",
      "-b",
      bootstrap,
      "-t",
      topic,
      "-p",
      String(partition),
      "-X",
      "acks=all",
      // Longer than a failover (3 s session here), so a record sent while the leader is down is
      // retried onto its successor rather than given up.
      "-X",
      "message.timeout.ms=15000",
      "-X",
      "retry.backoff.ms=100",
      "-v",
      "-v",
      "-v",
    ],
    { stdin: new TextEncoder().encode(`${value}\n`), stdout: "ignore", stderr: "pipe" },
  );
  const timer = setTimeout(() => child.kill("SIGKILL"), sendMsMax);
  const stderr = await new Response(child.stderr).text();
  await child.exited;
  clearTimeout(timer);
  const delivered = /Message delivered to partition (\d+) \(offset (-?\d+)\)/.exec(stderr);
  if (delivered === null || Number(delivered[1]) !== partition) return null;
  return Number(delivered[2]);
}

describe("kcat against three processes", () => {
  test("kcat -L lists three brokers and a topic with replication factor 3 and a full ISR", async () => {
    // kcat asking for a topic by name creates it (auto-create: num.partitions 3, replication factor 3).
    const topic = "kcat-failover";
    const partitions = await until("the topic with a full ISR", () => {
      cluster.metadata(topic);
      const ps = cluster.partitions(topic);
      return ps.length === 3 && ps.every((p) => p.isrs.length === 3) ? ps : null;
    });
    expect(
      cluster
        .metadata()
        .brokers.map((b) => b.id)
        .sort(),
    ).toEqual([1, 2, 3]);
    for (const p of partitions) expect(p.replicas).toEqual([0, 1, 2].map((j) => ((p.partition + j) % 3) + 1));
  }, 60_000);

  test("acks=all through SIGKILL of the leader and its restart, two rounds: every acknowledged record is read back in order", async () => {
    const topic = "kcat-failover";
    const acked: AckedRecord[] = [];
    let failed = 0;
    let sending = true;
    // One sequential loop per partition: each record is acknowledged (or not) before the next is sent,
    // so the acknowledgements of a partition come in the order of its records.
    const loops = [0, 1, 2].map(async (partition) => {
      for (let seq = 0; sending; seq++) {
        const value = `kcat-p${partition}-${String(seq).padStart(6, "0")}`;
        const offset = await kcatSend(cluster.bootstrap, topic, partition, value);
        if (offset === null) failed++;
        else acked.push({ partition, value, offset });
      }
    });
    const ackedOf = (partition: number) => acked.filter((r) => r.partition === partition).length;

    try {
      for (let round = 0; round < 2; round++) {
        const target = round % 3;
        const before = ackedOf(target);
        await until("acknowledged writes before the kill", () => ackedOf(target) >= before + 10, 30_000);
        const leader = cluster.partitions(topic)[target]!.leader;
        expect(await cluster.stopNode(leader, "SIGKILL")).not.toBe(0);
        const during = ackedOf(target);
        // The survivors fence the dead broker after its session (3 s here) and one of them leads.
        await until("writes acknowledged by the successor", () => ackedOf(target) >= during + 10, 40_000);
        const successor = cluster.partitions(topic)[target]!.leader;
        expect(successor).not.toBe(leader);
        await cluster.startNode(leader);
        await until(
          "the restarted broker back in every ISR",
          () => cluster.partitions(topic).every((p) => p.isrs.length === 3),
          40_000,
        );
      }
    } catch (error) {
      console.log(JSON.stringify(cluster.partitions(topic)));
      console.log(cluster.outputs());
      throw error;
    } finally {
      sending = false;
      await Promise.all(loops);
    }

    const stored = readBack(cluster.bootstrap, topic);
    expect(ackProblems(stored, acked)).toEqual([]);
    for (let partition = 0; partition < 3; partition++) expect(ackedOf(partition)).toBeGreaterThan(20);
    console.log(`kcat: ${acked.length} records acknowledged, ${failed} not, 2 leader kills`);
  }, 150_000);
});
