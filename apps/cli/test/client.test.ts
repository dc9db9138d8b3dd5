/**
 * The shared client against a real broker started as users start it: a connection answers pipelined
 * requests in order and fails clearly when nothing listens; a group member joins, is dealt every
 * partition of the topic when alone, commits, reads its commit back, sees a second member's join as
 * a rebalance, and leaves. The tools' own tests (apps/cli, apps/perf) drive the same code end to end.
 *
 * It lives here, not in packages/client, because the broker depends on @eddy/client (its inter-broker
 * SASL client), so packages/client cannot depend on the broker's harness: turbo refuses the cycle.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type RunningBroker, removeDir, startBroker } from "@eddy/broker/test/harness.ts";
import { ConnectionError, GroupMember, KafkaConnection } from "@eddy/client";
import { ApiKey, ErrorCode } from "@eddy/protocol";

let broker: RunningBroker;

beforeAll(async () => {
  broker = await startBroker();
});
afterAll(async () => {
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

describe("KafkaConnection", () => {
  test("pipelined requests are answered in order", async () => {
    const c = await KafkaConnection.open("127.0.0.1", broker.port, 5_000, "client-test");
    try {
      const created = c.request(ApiKey.CreateTopics, 4, {
        topics: [{ name: "client-t", numPartitions: 3, replicationFactor: 1, configs: [] }],
        timeoutMs: 5_000,
        validateOnly: false,
      });
      const metadata = c.request(ApiKey.Metadata, 8, {
        topics: [{ name: "client-t" }],
        allowAutoTopicCreation: false,
      });
      expect(c.inFlight).toBe(2);
      expect((await created).topics[0]!.errorCode).toBe(ErrorCode.NONE);
      // The second answer is Metadata's (a topic list, brokers), decoded as Metadata: matched in order.
      const answer = await metadata;
      expect(answer.topics[0]!.name).toBe("client-t");
      expect(answer.brokers.map((b) => b.port)).toEqual([broker.port]);
      expect(c.inFlight).toBe(0);
    } finally {
      c.close();
    }
  });

  test("nothing listening is a ConnectionError naming the address", async () => {
    const error = await KafkaConnection.open("127.0.0.1", 1, 1_000).catch((e) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toStartWith("cannot connect to 127.0.0.1:1 (");
  });
});

describe("GroupMember", () => {
  test("joins alone with every partition, commits, reads it back, sees a rebalance, leaves", async () => {
    const c = await KafkaConnection.open("127.0.0.1", broker.port, 20_000);
    const other = await KafkaConnection.open("127.0.0.1", broker.port, 20_000);
    const options = { heartbeatIntervalMs: 100, sessionTimeoutMs: 6_000 };
    try {
      const first = await GroupMember.join(c, "client-g", "client-t", 3, options);
      expect(first.partitions).toEqual([0, 1, 2]);
      expect((await first.committedOffsets()).size).toBe(0);
      expect(await first.commit(new Map([[1, 7]]))).toBe(true);
      expect([...(await first.committedOffsets())]).toEqual([[1, 7]]);
      // A second member's join makes the coordinator rebalance; the first learns it by heartbeat.
      const joining = GroupMember.join(other, "client-g", "client-t", 3, options);
      const deadlineMs = Date.now() + 10_000;
      while (!first.rebalancing && Date.now() < deadlineMs) await Bun.sleep(50);
      expect(first.rebalancing).toBe(true);
      await first.rejoin();
      const second = await joining;
      expect([...first.partitions, ...second.partitions].sort()).toEqual([0, 1, 2]);
      await second.leave();
      await first.leave();
    } finally {
      c.close();
      other.close();
    }
  });
});
