/**
 * Deleting a topic purges its committed offsets from every group, durably, as Kafka's coordinator
 * does: OffsetFetch answers -1 for the deleted topic's partitions right away and after a restart,
 * the other topics' offsets stay, and a topic recreated under the same name starts with none.
 * kafkajs creates and deletes the topics; commits and fetches go raw (kafkajs's admin commits by
 * joining the group as a consumer, which is slow, and fetches after asking for the topic's
 * metadata, which would auto-create it again).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { type RunningBroker, removeDir, startBroker, tempDir } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

const dataDir = tempDir("deleted-offsets");
let broker: RunningBroker | null = null;
afterAll(async () => {
  if (broker !== null) expect(await broker.stop()).toBe(0);
  removeDir(dataDir);
});

/** Committed offsets of a group as "topic-partition=offset", for the partitions asked. */
async function committed(
  port: number,
  groupId: string,
  topics: { name: string; partitionIndexes: number[] }[] | null,
): Promise<string[]> {
  const client = await RawClient.connect(port);
  try {
    const response = await client.request(9, 3, { groupId, topics });
    expect(response.errorCode).toBe(ErrorCode.NONE);
    return response.topics.flatMap((t) =>
      t.partitions.map((p) => `${t.name}-${p.partitionIndex}=${p.committedOffset}`),
    );
  } finally {
    client.close();
  }
}

const commitOf = (partitionIndex: number, offset: number) => ({
  partitionIndex,
  committedOffset: BigInt(offset),
  committedMetadata: null,
});

/** A simple (generation -1) commit, as admin tools and kafkajs's consumers without a group send. */
async function commit(
  port: number,
  groupId: string,
  topics: { name: string; partitions: ReturnType<typeof commitOf>[] }[],
): Promise<void> {
  const client = await RawClient.connect(port);
  try {
    const response = await client.request(8, 2, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: "",
      retentionTimeMs: -1n,
      topics,
    });
    const codes = response.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
    expect(codes).toEqual(topics.flatMap((t) => t.partitions.map(() => ErrorCode.NONE)));
  } finally {
    client.close();
  }
}

const asked = [
  { name: "gone", partitionIndexes: [0, 1] },
  { name: "kept", partitionIndexes: [0] },
];

describe("deleting a topic purges its committed offsets", () => {
  test("from every group, across a restart, and a recreated topic inherits none", async () => {
    broker = await startBroker({ dataDir });
    const kafka = new Kafka({ clientId: "purge", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [
          { topic: "gone", numPartitions: 2 },
          { topic: "kept", numPartitions: 1 },
        ],
      });
      await commit(broker.port, "g1", [
        { name: "gone", partitions: [commitOf(0, 5), commitOf(1, 7)] },
        { name: "kept", partitions: [commitOf(0, 3)] },
      ]);
      await commit(broker.port, "g2", [{ name: "gone", partitions: [commitOf(0, 9)] }]);
      expect(await committed(broker.port, "g1", asked)).toEqual(["gone-0=5", "gone-1=7", "kept-0=3"]);
      await admin.deleteTopics({ topics: ["gone"] });
    } finally {
      await admin.disconnect();
    }
    expect(await committed(broker.port, "g1", asked)).toEqual(["gone-0=-1", "gone-1=-1", "kept-0=3"]);
    expect(await committed(broker.port, "g2", asked)).toEqual(["gone-0=-1", "gone-1=-1", "kept-0=-1"]);
    // Asking for every committed offset lists none of the deleted topic.
    expect(await committed(broker.port, "g1", null)).toEqual(["kept-0=3"]);
    expect(broker.output()).toContain("deleted 3 committed offset(s) of deleted topics");
    expect(await broker.stop()).toBe(0);
    broker = await startBroker({ dataDir });
    expect(await committed(broker.port, "g1", asked)).toEqual(["gone-0=-1", "gone-1=-1", "kept-0=3"]);
    expect(await committed(broker.port, "g2", null)).toEqual([]);

    const client = await RawClient.connect(broker.port);
    try {
      const created = await client.request(19, 4, {
        topics: [{ name: "gone", numPartitions: 2, replicationFactor: 1 }],
      });
      expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    } finally {
      client.close();
    }
    expect(await committed(broker.port, "g1", asked)).toEqual(["gone-0=-1", "gone-1=-1", "kept-0=3"]);
  }, 90_000);
});
