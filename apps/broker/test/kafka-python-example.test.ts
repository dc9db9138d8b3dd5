/**
 * The product's kafka-python example (`examples/kafka-python/producer.py` and `consumer.py`, unchanged,
 * run with the system's python3 and kafka-python 2.0.2) against `bun run broker`. Only `config.py`
 * is written, pointing the scripts at the test broker. The producer sends 100 JSON messages, one a
 * second; the consumer, in group `ichpan`, prints all of them in order; once its auto-commit (every
 * 5 s) has run it is killed, and a second run of the consumer in the same group, once it owns the
 * partition, prints nothing: it resumed from the committed offset.
 *
 * This test takes about two minutes because the unchanged producer sleeps a second per message.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import {
  type CollectedProcess,
  removeDir,
  repoRoot,
  spawnCollecting,
  startBroker,
  tempDir,
  until,
} from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const exampleDir = join(repoRoot, "examples/kafka-python");
const messageCount = 100;

function runScript(dir: string, name: string): CollectedProcess {
  return spawnCollecting(["/usr/bin/python3", name], {
    cwd: dir,
    // Unbuffered so every printed line reaches the test before the consumer is killed.
    env: { ...process.env, PYTHONUNBUFFERED: "1", PYTHONIOENCODING: "utf-8" },
  });
}

/** The `num` of every message the consumer printed (it prints each JSON value as a Python dict). */
const printedNums = (output: string): number[] =>
  [...output.matchAll(/'num': (\d+)/g)].map((m) => Number(m[1]));

describe("examples/kafka-python", () => {
  test("producer.py and consumer.py run unchanged; a second consumer resumes after the committed offset", async () => {
    const broker = await startBroker();
    dirs.push(broker.dataDir);
    const dir = tempDir("kafka-python");
    dirs.push(dir);
    copyFileSync(join(exampleDir, "producer.py"), join(dir, "producer.py"));
    copyFileSync(join(exampleDir, "consumer.py"), join(dir, "consumer.py"));
    writeFileSync(join(dir, "config.py"), `SERVER = '127.0.0.1:${broker.port}'\nTOPIC = 'test'\n`);
    const kafka = new Kafka({
      clientId: "observer",
      brokers: [broker.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const running: CollectedProcess[] = [];
    try {
      const consumer = runScript(dir, "consumer.py");
      running.push(consumer);
      const producer = runScript(dir, "producer.py");
      running.push(producer);
      const describeGroup = () => admin.describeGroups(["ichpan"]).then((r) => r.groups[0]);

      await until(
        "the consumer to print every message",
        () => printedNums(consumer.output()).length >= messageCount || consumer.process.exitCode !== null,
        160_000,
      );
      expect(printedNums(consumer.output())).toEqual(Array.from({ length: messageCount }, (_, i) => i + 1));
      expect(consumer.output()).toContain("'msg': '成功'");
      expect(await producer.process.exited).toBe(0);
      const firstMember = (await describeGroup())?.members[0]?.memberId;
      expect(firstMember).toBeDefined();

      // kafka-python auto-commits every 5 s; then the consumer dies without leaving the group.
      await until(
        "the auto-commit of offset 100",
        async () => {
          const offsets = await admin.fetchOffsets({ groupId: "ichpan", topics: ["test"] });
          return offsets[0]?.partitions[0]?.offset === String(messageCount);
        },
        15_000,
      );
      await Bun.sleep(1_000);
      consumer.process.kill("SIGKILL");
      await consumer.process.exited;

      const second = runScript(dir, "consumer.py");
      running.push(second);
      // The dead member's session (10 s) must expire before the newcomer owns the partition.
      await until(
        "the second consumer to own the partition",
        async () => {
          const group = await describeGroup();
          return (
            group?.state === "Stable" &&
            group.members.length === 1 &&
            group.members[0]?.memberId !== firstMember
          );
        },
        60_000,
      );
      await Bun.sleep(5_000);
      expect(second.process.exitCode).toBeNull();
      expect(printedNums(second.output())).toEqual([]);
      const offsets = await admin.fetchOffsets({ groupId: "ichpan", topics: ["test"] });
      expect(offsets[0]?.partitions[0]?.offset).toBe(String(messageCount));
    } catch (error) {
      for (const s of running) console.error(`--- script stderr:\n${s.errors().slice(-3000)}`);
      console.error(`--- broker:\n${broker.output().slice(-3000)}`);
      throw error;
    } finally {
      for (const s of running) if (s.process.exitCode === null) s.process.kill("SIGKILL");
      await admin.disconnect();
      expect(await broker.stop()).toBe(0);
    }
  }, 240_000);
});
