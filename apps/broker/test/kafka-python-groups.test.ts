/**
 * kafka-python 2.0.2's group paths beyond the product example: two consumers of one group split a
 * two-partition topic (JoinGroup v2, SyncGroup v1, Heartbeat v1), commit synchronously (OffsetCommit
 * v2), leave cleanly (LeaveGroup v1), and the admin client lists and describes the group and reads
 * its offsets (ListGroups, DescribeGroups, OffsetFetch). A manual commit by a consumer that assigned
 * itself a partition (a generation -1 "simple" commit) is read back too.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawn } from "bun";
import { removeDir, startBroker, tempDir } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const script = `
import json, sys, threading, time
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, OffsetAndMetadata, TopicPartition
from kafka.admin import NewTopic

server = sys.argv[1]
admin = KafkaAdminClient(bootstrap_servers=server)
admin.create_topics([NewTopic('kpy-topic', 2, 1)])
producer = KafkaProducer(bootstrap_servers=server)
for i in range(40):
    producer.send('kpy-topic', key=b'k%d' % i, value=b'v%d' % i, partition=i % 2)
producer.flush()
producer.close()

results = {}
def consume(name):
    consumer = KafkaConsumer('kpy-topic', bootstrap_servers=server, group_id='kpy-group',
                             auto_offset_reset='earliest', enable_auto_commit=False,
                             session_timeout_ms=10000, heartbeat_interval_ms=500,
                             consumer_timeout_ms=8000)
    seen = []
    for message in consumer:
        seen.append([message.partition, message.value.decode()])
        consumer.commit()
    # The iterator ends after 8 s without messages, which may be before this consumer has taken part in
    # the last rebalance: it polls until it holds one partition, and neither leaves (a leave rebalances
    # the other onto both) before both have said what they hold.
    deadline = time.time() + 20
    while len(consumer.assignment()) != 1 and time.time() < deadline:
        for records in consumer.poll(timeout_ms=200).values():
            for r in records:
                seen.append([r.partition, r.value.decode()])
                consumer.commit()
    results[name] = {'seen': seen, 'assigned': sorted(tp.partition for tp in consumer.assignment())}
    both_reported.wait(timeout=30)
    consumer.close()

both_reported = threading.Barrier(2)
threads = [threading.Thread(target=consume, args=(n,)) for n in ('a', 'b')]
for t in threads: t.start()
for t in threads: t.join()

described = admin.describe_consumer_groups(['kpy-group'])[0]
offsets = admin.list_consumer_group_offsets('kpy-group')

manual = KafkaConsumer(bootstrap_servers=server, group_id='kpy-manual', enable_auto_commit=False)
tp = TopicPartition('kpy-topic', 1)
manual.assign([tp])
before = manual.committed(tp)
manual.commit({tp: OffsetAndMetadata(7, 'by hand')})
after = manual.committed(tp)
manual.close()

print(json.dumps({
    'results': results,
    'groups': sorted(admin.list_consumer_groups()),
    'state': described.state,
    'protocolType': described.protocol_type,
    'offsets': sorted([tp.partition, o.offset] for tp, o in offsets.items()),
    'manualBefore': before,
    'manualAfter': after,
}))
`;

describe("kafka-python groups", () => {
  test("two consumers split a topic, commit, leave; the admin client reads the group", async () => {
    const broker = await startBroker({ args: ["--storage", "memory"] });
    dirs.push(broker.dataDir);
    const dir = tempDir("kafka-python-groups");
    dirs.push(dir);
    writeFileSync(join(dir, "groups.py"), script);
    try {
      const child = spawn(["/usr/bin/python3", "groups.py", broker.bootstrap], {
        cwd: dir,
        stdout: "pipe",
        stderr: "pipe",
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
      const [out, err, code] = await Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
        child.exited,
      ]);
      clearTimeout(timer);
      if (code !== 0) throw new Error(`groups.py exited ${code}:\n${err.slice(-4000)}`);
      const report = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as {
        results: Record<string, { seen: [number, string][]; assigned: number[] }>;
        groups: [string, string][];
        state: string;
        protocolType: string;
        offsets: [number, number][];
        manualBefore: number | null;
        manualAfter: number | null;
      };
      const a = report.results.a!;
      const b = report.results.b!;
      // One partition each at the end, and together every message was read.
      expect([...a.assigned, ...b.assigned].sort()).toEqual([0, 1]);
      expect(a.assigned).toHaveLength(1);
      const values = new Set([...a.seen, ...b.seen].map(([, v]) => v));
      expect([...values].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `v${i}`).sort());
      expect(report.groups).toContainEqual(["kpy-group", "consumer"]);
      expect(report.state).toBe("Empty");
      expect(report.protocolType).toBe("consumer");
      expect(report.offsets).toEqual([
        [0, 20],
        [1, 20],
      ]);
      expect(report.manualBefore).toBeNull();
      expect(report.manualAfter).toBe(7);
    } finally {
      expect(await broker.stop()).toBe(0);
    }
  }, 120_000);
});
