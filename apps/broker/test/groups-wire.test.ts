/**
 * The group APIs at the wire, version by version, against a broker started as users start it: what
 * real clients rely on but rarely show (MEMBER_ID_REQUIRED only from JoinGroup v4, simple commits of
 * OffsetCommit v0/v1, -1 for partitions without a committed offset, UNKNOWN_TOPIC_OR_PARTITION for
 * partitions that do not exist, LeaveGroup v0-v2 versus v3 batches), and that committed offsets and
 * group membership survive a restart of the broker on the same data directory.
 *
 * Method: `RawClient` encodes requests with the project's codec, one socket per member so a held
 * JoinGroup does not block the others.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { ErrorCode, encodeSubscriptionBytes } from "@eddy/protocol";
import { removeDir, startBroker, tempDir } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

/** JoinGroup metadata of the "consumer" protocol: a v0 subscription to one topic. */
const subscription = (topic: string): Uint8Array =>
  encodeSubscriptionBytes({ topics: [topic], userData: null }, 0);

async function createTopic(client: RawClient, name: string, partitions: number): Promise<void> {
  const created = await client.request(19, 3, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  expect(created.topics[0]?.errorCode).toBe(ErrorCode.NONE);
}

const fastGroups = ["--override", "group.initial.rebalance.delay.ms=0"];

describe("group APIs at the wire", () => {
  test("FindCoordinator v0-v2 name this node; JoinGroup asks for a member id only from v4", async () => {
    const broker = await startBroker({ args: ["--storage", "memory", ...fastGroups] });
    dirs.push(broker.dataDir);
    const client = await RawClient.connect(broker.port);
    try {
      for (const version of [0, 1, 2]) {
        const found = await client.request(10, version, { key: "g", keyType: 0 });
        expect(found.errorCode).toBe(ErrorCode.NONE);
        expect(found.nodeId).toBe(1);
        expect(found.host).toBe("127.0.0.1");
        expect(found.port).toBe(broker.port);
      }
      const join = (groupId: string, version: number, memberId: string) =>
        client.request(11, version, {
          groupId,
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 10_000,
          memberId,
          protocolType: "consumer",
          protocols: [{ name: "range", metadata: subscription("t") }],
        });
      // v3: a new member is admitted at once and, alone, forms generation 1 as its leader.
      const v3 = await join("old-client", 3, "");
      expect(v3.errorCode).toBe(ErrorCode.NONE);
      expect(v3.generationId).toBe(1);
      expect(v3.leader).toBe(v3.memberId);
      expect(v3.memberId).toStartWith("raw-test-");
      expect(v3.protocolName).toBe("range");
      expect(v3.members.map((m) => m.memberId)).toEqual([v3.memberId]);
      // v4: the first join only hands out the id; the second, with it, joins.
      const first = await join("new-client", 4, "");
      expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
      expect(first.memberId).toStartWith("raw-test-");
      const second = await join("new-client", 4, first.memberId);
      expect(second.errorCode).toBe(ErrorCode.NONE);
      expect(second.memberId).toBe(first.memberId);
      expect(second.generationId).toBe(1);
      // Heartbeats of the wrong generation are refused; of the right one accepted (after the sync).
      const sync = await client.request(14, 3, {
        groupId: "new-client",
        generationId: 1,
        memberId: second.memberId,
        groupInstanceId: null,
        assignments: [{ memberId: second.memberId, assignment: new Uint8Array([1, 2, 3]) }],
      });
      expect(sync.errorCode).toBe(ErrorCode.NONE);
      expect([...sync.assignment]).toEqual([1, 2, 3]);
      const ok = await client.request(12, 0, {
        groupId: "new-client",
        generationId: 1,
        memberId: second.memberId,
      });
      expect(ok.errorCode).toBe(ErrorCode.NONE);
      const stale = await client.request(12, 3, {
        groupId: "new-client",
        generationId: 7,
        memberId: second.memberId,
        groupInstanceId: null,
      });
      expect(stale.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      const unknown = await client.request(12, 1, {
        groupId: "new-client",
        generationId: 1,
        memberId: "nobody",
      });
      expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      // DescribeGroups v4 shows the Stable group, its protocol and the member's assignment.
      const described = await client.request(15, 4, {
        groups: ["new-client", "never-seen"],
        includeAuthorizedOperations: false,
      });
      expect(described.groups.map((g) => [g.groupId, g.groupState, g.protocolType, g.protocolData])).toEqual([
        ["new-client", "Stable", "consumer", "range"],
        ["never-seen", "Dead", "", ""],
      ]);
      expect([...(described.groups[0]?.members[0]?.memberAssignment ?? [])]).toEqual([1, 2, 3]);
      expect(described.groups[0]?.members[0]?.clientHost).toBe("/127.0.0.1");
      const listed = await client.request(16, 2, {});
      expect(listed.groups.map((g) => g.groupId).sort()).toEqual(["new-client", "old-client"]);
      // LeaveGroup v1 (one member, one error) and v3 (a batch, an error per member).
      const left = await client.request(13, 1, { groupId: "old-client", memberId: v3.memberId });
      expect(left.errorCode).toBe(ErrorCode.NONE);
      const leftAgain = await client.request(13, 1, { groupId: "old-client", memberId: v3.memberId });
      expect(leftAgain.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
      const batch = await client.request(13, 3, {
        groupId: "new-client",
        members: [
          { memberId: second.memberId, groupInstanceId: null },
          { memberId: "ghost", groupInstanceId: null },
        ],
      });
      expect(batch.errorCode).toBe(ErrorCode.NONE);
      expect(batch.members.map((m) => m.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
      const afterLeave = await client.request(15, 0, { groups: ["new-client"] });
      expect(afterLeave.groups[0]?.groupState).toBe("Empty");
    } finally {
      client.close();
      await broker.stop();
    }
  }, 60_000);

  test("a held JoinGroup is answered when the next member joins; each member gets its own assignment", async () => {
    const broker = await startBroker({ args: ["--storage", "memory", ...fastGroups] });
    dirs.push(broker.dataDir);
    const a = await RawClient.connect(broker.port);
    const b = await RawClient.connect(broker.port);
    try {
      const join = (client: RawClient, memberId: string) =>
        client.request(11, 2, {
          groupId: "pair",
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 15_000,
          memberId,
          protocolType: "consumer",
          protocols: [{ name: "range", metadata: subscription("t") }],
        });
      const firstA = await join(a, "");
      expect(firstA.generationId).toBe(1);
      await a.request(14, 1, {
        groupId: "pair",
        generationId: 1,
        memberId: firstA.memberId,
        assignments: [{ memberId: firstA.memberId, assignment: new Uint8Array([9]) }],
      });
      // B's join starts a rebalance and is held until A rejoins (A learns it from its heartbeat).
      const joinB = join(b, "");
      let bAnswered = false;
      void joinB.then(() => {
        bAnswered = true;
      });
      await Bun.sleep(300);
      expect(bAnswered).toBe(false);
      const beat = await a.request(12, 1, { groupId: "pair", generationId: 1, memberId: firstA.memberId });
      expect(beat.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      const [secondA, secondB] = await Promise.all([join(a, firstA.memberId), joinB]);
      expect(secondA.generationId).toBe(2);
      expect(secondB.generationId).toBe(2);
      expect(secondA.leader).toBe(firstA.memberId);
      expect(secondA.members.map((m) => m.memberId).sort()).toEqual(
        [firstA.memberId, secondB.memberId].sort(),
      );
      expect(secondB.members).toEqual([]);
      // B's sync is held until the leader's arrives.
      const syncB = b.request(14, 1, {
        groupId: "pair",
        generationId: 2,
        memberId: secondB.memberId,
        assignments: [],
      });
      await Bun.sleep(200);
      const syncA = await a.request(14, 1, {
        groupId: "pair",
        generationId: 2,
        memberId: firstA.memberId,
        assignments: [
          { memberId: firstA.memberId, assignment: new Uint8Array([1]) },
          { memberId: secondB.memberId, assignment: new Uint8Array([2]) },
        ],
      });
      expect([...syncA.assignment]).toEqual([1]);
      expect([...(await syncB).assignment]).toEqual([2]);
    } finally {
      a.close();
      b.close();
      await broker.stop();
    }
  }, 60_000);

  test("OffsetCommit v0-v7 and OffsetFetch v0-v5: simple commits, unknown partitions, -1 when nothing is committed", async () => {
    const broker = await startBroker({ args: ["--storage", "memory"] });
    dirs.push(broker.dataDir);
    const client = await RawClient.connect(broker.port);
    try {
      await createTopic(client, "orders", 2);
      const commit = (version: number, offset: bigint, partitions = [0, 1, 5]) =>
        client.request(8, version, {
          groupId: "simple",
          generationIdOrMemberEpoch: -1,
          memberId: "",
          groupInstanceId: null,
          retentionTimeMs: -1n,
          topics: [
            {
              name: "orders",
              partitions: partitions.map((partitionIndex) => ({
                partitionIndex,
                committedOffset: offset + BigInt(partitionIndex),
                committedLeaderEpoch: 3,
                commitTimestamp: -1n,
                committedMetadata: `v${version}`,
              })),
            },
            {
              name: "no-such-topic",
              partitions: [
                {
                  partitionIndex: 0,
                  committedOffset: 1n,
                  committedLeaderEpoch: -1,
                  commitTimestamp: -1n,
                  committedMetadata: null,
                },
              ],
            },
          ],
        });
      for (const version of [0, 1, 2, 3, 4, 5, 6, 7]) {
        const answer = await commit(version, BigInt(version * 10));
        expect(
          answer.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
        ).toEqual([
          [
            "orders",
            [
              [0, ErrorCode.NONE],
              [1, ErrorCode.NONE],
              [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
            ],
          ],
          ["no-such-topic", [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
        ]);
        const fetchVersion = Math.min(version, 5);
        const fetched = await client.request(9, fetchVersion, {
          groupId: "simple",
          topics: [
            { name: "orders", partitionIndexes: [0, 1, 5] },
            { name: "other", partitionIndexes: [0] },
          ],
        });
        expect(
          fetched.topics.map((t) => [
            t.name,
            t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata]),
          ]),
        ).toEqual([
          [
            "orders",
            [
              [0, BigInt(version * 10), `v${version}`],
              [1, BigInt(version * 10 + 1), `v${version}`],
              [5, -1n, ""],
            ],
          ],
          ["other", [[0, -1n, ""]]],
        ]);
        // The leader epoch is sent from v6 and read back from v5.
        if (fetchVersion === 5) {
          expect(fetched.topics[0]?.partitions[0]?.committedLeaderEpoch).toBe(version >= 6 ? 3 : -1);
        }
      }
      // v2+ can ask for everything the group committed.
      const all = await client.request(9, 2, { groupId: "simple", topics: null });
      expect(all.errorCode).toBe(ErrorCode.NONE);
      expect(all.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([
        ["orders", [70n, 71n]],
      ]);
      // A member commit to a group that does not exist is refused (generation >= 0).
      const stray = await client.request(8, 2, {
        groupId: "nobody-here",
        generationIdOrMemberEpoch: 3,
        memberId: "m",
        retentionTimeMs: -1n,
        topics: [
          {
            name: "orders",
            partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }],
          },
        ],
      });
      expect(stray.topics[0]?.partitions[0]?.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
      // DeleteGroups removes an Empty group with its offsets; a second delete finds nothing.
      const deleted = await client.request(42, 1, { groupsNames: ["simple", "nobody-here"] });
      expect(deleted.results.map((r) => [r.groupId, r.errorCode])).toEqual([
        ["simple", ErrorCode.NONE],
        ["nobody-here", ErrorCode.GROUP_ID_NOT_FOUND],
      ]);
      const gone = await client.request(9, 1, {
        groupId: "simple",
        topics: [{ name: "orders", partitionIndexes: [0] }],
      });
      expect(gone.topics[0]?.partitions[0]?.committedOffset).toBe(-1n);
    } finally {
      client.close();
      await broker.stop();
    }
  }, 60_000);

  test("committed offsets and a Stable group survive a restart on the same data directory", async () => {
    const dataDir = tempDir("groups-restart");
    dirs.push(dataDir);
    let broker = await startBroker({ dataDir, args: fastGroups });
    let client = await RawClient.connect(broker.port);
    let memberId = "";
    try {
      await createTopic(client, "events", 3);
      const joined = await client.request(11, 5, {
        groupId: "durable",
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: 30_000,
        memberId: "",
        groupInstanceId: "instance-1",
        protocolType: "consumer",
        protocols: [{ name: "roundrobin", metadata: subscription("events") }],
      });
      expect(joined.errorCode).toBe(ErrorCode.NONE);
      memberId = joined.memberId;
      const synced = await client.request(14, 3, {
        groupId: "durable",
        generationId: joined.generationId,
        memberId,
        groupInstanceId: "instance-1",
        assignments: [{ memberId, assignment: new Uint8Array([4, 2]) }],
      });
      expect(synced.errorCode).toBe(ErrorCode.NONE);
      const committed = await client.request(8, 7, {
        groupId: "durable",
        generationIdOrMemberEpoch: joined.generationId,
        memberId,
        groupInstanceId: "instance-1",
        topics: [
          {
            name: "events",
            partitions: [0, 1, 2].map((partitionIndex) => ({
              partitionIndex,
              committedOffset: BigInt(100 + partitionIndex),
              committedLeaderEpoch: 0,
              committedMetadata: "m",
            })),
          },
        ],
      });
      expect(committed.topics[0]?.partitions.map((p) => p.errorCode)).toEqual([0, 0, 0]);
    } finally {
      client.close();
      expect(await broker.stop("SIGTERM")).toBe(0);
    }
    broker = await startBroker({ dataDir, args: fastGroups });
    client = await RawClient.connect(broker.port);
    try {
      expect(broker.output()).toContain("groups: loaded 1 group(s) with 3 committed offset(s)");
      const fetched = await client.request(9, 5, { groupId: "durable", topics: null });
      expect(
        fetched.topics.map((t) => [t.name, t.partitions.map((p) => [p.committedOffset, p.metadata])]),
      ).toEqual([
        [
          "events",
          [
            [100n, "m"],
            [101n, "m"],
            [102n, "m"],
          ],
        ],
      ]);
      // The member is still known: it heartbeats in its generation without rejoining.
      const described = await client.request(15, 4, {
        groups: ["durable"],
        includeAuthorizedOperations: false,
      });
      expect(described.groups[0]?.groupState).toBe("Stable");
      expect(described.groups[0]?.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([
        [memberId, "instance-1"],
      ]);
      expect([...(described.groups[0]?.members[0]?.memberAssignment ?? [])]).toEqual([4, 2]);
      const beat = await client.request(12, 3, {
        groupId: "durable",
        generationId: 1,
        memberId,
        groupInstanceId: "instance-1",
      });
      expect(beat.errorCode).toBe(ErrorCode.NONE);
    } finally {
      client.close();
      expect(await broker.stop("SIGTERM")).toBe(0);
    }
  }, 90_000);
});
