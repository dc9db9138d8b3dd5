/**
 * Properties of the client-side assignors and the ConsumerProtocol codec:
 *  - every partition of a subscribed topic goes to exactly one member subscribed to that topic;
 *  - round-robin with equal subscriptions is balanced within one, range is per topic;
 *  - more members than partitions leaves members idle (and present in the result);
 *  - subscriptions and assignments round-trip through bytes at every version, and arbitrary bytes either
 *    decode or raise ConsumerProtocolError, nothing else.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { group } from "../src/index.ts";

const { assignors } = group;

const topicNames = ["a", "b", "c", "d"];

const scenarioArb = fc
  .record({
    memberCount: fc.integer({ min: 1, max: 12 }),
    partitions: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 4, maxLength: 4 }),
    subscriptions: fc.array(fc.subarray(topicNames, { minLength: 1 }), { minLength: 12, maxLength: 12 }),
    static: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  })
  .map(({ memberCount, partitions, subscriptions, static: isStatic }) => ({
    members: Array.from({ length: memberCount }, (_, i) => ({
      memberId: `member-${(i * 7919) % 101}`,
      groupInstanceId: isStatic[i] ? `instance-${i}` : null,
      topics: subscriptions[i]!,
    })),
    partitionsPerTopic: new Map(topicNames.map((t, i) => [t, partitions[i]!])),
  }));

const both = [assignors.rangeAssignor, assignors.roundRobinAssignor];

function ownedCount(owned: readonly group.assignors.TopicPartitions[]): number {
  return owned.reduce((n, tp) => n + tp.partitions.length, 0);
}

describe("assignors", () => {
  for (const assignor of both) {
    test(`${assignor.name}: every subscribed partition has exactly one owner, a subscriber`, () => {
      fc.assert(
        fc.property(scenarioArb, ({ members, partitionsPerTopic }) => {
          const result = assignor.assign(members, partitionsPerTopic);
          expect([...result.keys()].sort()).toEqual(members.map((m) => m.memberId).sort());
          expect(assignors.assignmentConflicts(result)).toEqual([]);
          const owners = new Map<string, string>();
          for (const [memberId, owned] of result) {
            const member = members.find((m) => m.memberId === memberId)!;
            for (const { topic, partitions } of owned) {
              expect(member.topics).toContain(topic);
              for (const p of partitions) owners.set(`${topic}/${p}`, memberId);
            }
          }
          for (const [topic, count] of partitionsPerTopic) {
            const subscribed = members.some((m) => m.topics.includes(topic));
            for (let p = 0; p < count; p++) expect(owners.has(`${topic}/${p}`)).toBe(subscribed);
          }
        }),
        { numRuns: 300 },
      );
    });

    test(`${assignor.name}: more members than partitions leaves members idle`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 5 }),
          fc.integer({ min: 1, max: 10 }),
          (partitionCount, extra) => {
            const members = Array.from({ length: partitionCount + extra }, (_, i) => ({
              memberId: `m${String(i).padStart(2, "0")}`,
              topics: ["t"],
            }));
            const result = assignor.assign(members, new Map([["t", partitionCount]]));
            const idle = [...result.values()].filter((owned) => ownedCount(owned) === 0).length;
            expect(idle).toBe(extra);
            expect([...result.values()].every((owned) => ownedCount(owned) <= 1)).toBe(true);
          },
        ),
      );
    });
  }

  test("roundrobin: equal subscriptions are balanced within one", () => {
    fc.assert(
      fc.property(scenarioArb, ({ members, partitionsPerTopic }) => {
        const equal = members.map((m) => ({ ...m, topics: topicNames }));
        const counts = [...assignors.roundRobinAssign(equal, partitionsPerTopic).values()].map(ownedCount);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  test("range: within each topic the subscribers' shares differ by at most one, in contiguous ranges", () => {
    fc.assert(
      fc.property(scenarioArb, ({ members, partitionsPerTopic }) => {
        const result = assignors.rangeAssign(members, partitionsPerTopic);
        for (const topic of topicNames) {
          const shares = members
            .filter((m) => m.topics.includes(topic))
            .map((m) => result.get(m.memberId)!.find((tp) => tp.topic === topic)?.partitions ?? []);
          if (shares.length === 0) continue;
          const sizes = shares.map((s) => s.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          for (const share of shares) {
            share.forEach((p, i) => {
              if (i > 0) expect(p).toBe(share[i - 1]! + 1);
            });
          }
        }
      }),
    );
  });

  test("range follows Kafka's example: 2 members, 2 topics of 3 partitions", () => {
    const result = assignors.rangeAssign(
      [
        { memberId: "C0", topics: ["t0", "t1"] },
        { memberId: "C1", topics: ["t0", "t1"] },
      ],
      new Map([
        ["t0", 3],
        ["t1", 3],
      ]),
    );
    expect(result.get("C0")).toEqual([
      { topic: "t0", partitions: [0, 1] },
      { topic: "t1", partitions: [0, 1] },
    ]);
    expect(result.get("C1")).toEqual([
      { topic: "t0", partitions: [2] },
      { topic: "t1", partitions: [2] },
    ]);
  });

  test("roundrobin follows Kafka's example: 2 members, 2 topics of 3 partitions", () => {
    const result = assignors.roundRobinAssign(
      [
        { memberId: "C1", topics: ["t0", "t1"] },
        { memberId: "C0", topics: ["t0", "t1"] },
      ],
      new Map([
        ["t0", 3],
        ["t1", 3],
      ]),
    );
    expect(result.get("C0")).toEqual([
      { topic: "t0", partitions: [0, 2] },
      { topic: "t1", partitions: [1] },
    ]);
    expect(result.get("C1")).toEqual([
      { topic: "t0", partitions: [1] },
      { topic: "t1", partitions: [0, 2] },
    ]);
  });

  test("assignForLeader turns a JoinGroup roster into SyncGroup assignments", () => {
    const metadata = (topics: string[]) =>
      assignors.encodeSubscription({
        topics,
        userData: null,
        ownedPartitions: [],
        generationId: -1,
        rackId: null,
      });
    const roster = [
      { memberId: "b", groupInstanceId: null, metadata: metadata(["t"]) },
      { memberId: "a", groupInstanceId: null, metadata: metadata(["t"]) },
      { memberId: "z", groupInstanceId: null, metadata: new Uint8Array([1]) },
    ];
    const result = assignors.assignForLeader(
      roster,
      assignors.assignorsByName.get("range")!,
      new Map([["t", 3]]),
    );
    expect(
      result.map((r) => [r.memberId, assignors.decodeAssignment(r.assignment).assignedPartitions]),
    ).toEqual([
      ["b", [{ topic: "t", partitions: [2] }]],
      ["a", [{ topic: "t", partitions: [0, 1] }]],
      ["z", []],
    ]);
  });

  test("assignmentConflicts names every doubly owned partition", () => {
    const conflicts = assignors.assignmentConflicts(
      new Map([
        ["m1", [{ topic: "t", partitions: [0, 1] }]],
        ["m2", [{ topic: "t", partitions: [1, 2] }]],
        ["m3", [{ topic: "t", partitions: [1] }]],
      ]),
    );
    expect(conflicts).toEqual([{ topic: "t", partition: 1, memberIds: ["m1", "m2", "m3"] }]);
  });
});

describe("ConsumerProtocol codec", () => {
  const topicPartitionsArb = fc.array(
    fc.record({
      topic: fc.string({ minLength: 1, maxLength: 20 }),
      partitions: fc.array(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { maxLength: 8 }),
    }),
    { maxLength: 5 },
  );
  const userDataArb = fc.option(fc.uint8Array({ maxLength: 32 }), { nil: null });

  test("subscriptions round-trip at every version, dropping fields the version lacks", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.string({ maxLength: 30 }), { maxLength: 6 }),
        userDataArb,
        topicPartitionsArb,
        fc.integer({ min: -1, max: 1000 }),
        fc.option(fc.string({ maxLength: 10 }), { nil: null }),
        (version, topics, userData, ownedPartitions, generationId, rackId) => {
          const bytes = assignors.encodeSubscription(
            { topics, userData, ownedPartitions, generationId, rackId },
            version,
          );
          const decoded = assignors.decodeSubscription(bytes);
          expect(decoded).toEqual({
            version,
            topics,
            userData,
            ownedPartitions: version >= 1 ? ownedPartitions : [],
            generationId: version >= 2 ? generationId : -1,
            rackId: version >= 3 ? rackId : null,
          });
        },
      ),
    );
  });

  test("assignments round-trip", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        topicPartitionsArb,
        userDataArb,
        (version, assignedPartitions, userData) => {
          const decoded = assignors.decodeAssignment(
            assignors.encodeAssignment({ assignedPartitions, userData }, version),
          );
          expect(decoded).toEqual({ version, assignedPartitions, userData });
        },
      ),
    );
  });

  test("the v0 subscription layout matches Kafka's bytes", () => {
    const bytes = assignors.encodeSubscription(
      { topics: ["ab"], userData: null, ownedPartitions: [], generationId: -1, rackId: null },
      0,
    );
    expect([...bytes]).toEqual([0, 0, 0, 0, 0, 1, 0, 2, 0x61, 0x62, 0xff, 0xff, 0xff, 0xff]);
  });

  test("a newer version decodes as the newest known one, ignoring trailing fields", () => {
    const v3 = assignors.encodeSubscription(
      { topics: ["t"], userData: null, ownedPartitions: [], generationId: 4, rackId: "r" },
      3,
    );
    const v9 = new Uint8Array([...v3, 1, 2, 3]);
    v9[1] = 9;
    expect(assignors.decodeSubscription(v9)).toMatchObject({
      version: 3,
      topics: ["t"],
      generationId: 4,
      rackId: "r",
    });
  });

  test("arbitrary bytes decode or raise ConsumerProtocolError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        for (const decode of [assignors.decodeSubscription, assignors.decodeAssignment]) {
          try {
            decode(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(assignors.ConsumerProtocolError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  test("a hostile array count is refused before allocating", () => {
    const bytes = new Uint8Array([0, 0, 0x7f, 0xff, 0xff, 0xff]);
    expect(() => assignors.decodeSubscription(bytes)).toThrow(assignors.ConsumerProtocolError);
    expect(assignors.tryDecodeSubscription(bytes)).toBeNull();
  });
});
