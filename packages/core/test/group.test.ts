/**
 * Pinned behaviours of the classic group coordinator, each as a small scenario: fencing of stale
 * generations, one owner per partition per generation, MEMBER_ID_REQUIRED only from JoinGroup v4, the
 * bounds on groups, offsets and requests, held requests released by other requests, and rebuilding from
 * persisted records.
 */
import { describe, expect, test } from "bun:test";
import { group, InvariantError } from "../src/index.ts";

const { ErrorCode, assignors } = group;

/** A tiny harness: one coordinator, request ids counted, every response kept by request id. */
function harness(options: Partial<group.CoordinatorOptions> = {}) {
  let state = group.initialState({ seed: 42, initialRebalanceDelayMs: 0, ...options });
  let requestId = 0;
  const responses = new Map<number, group.Response>();
  const persisted: group.PersistRecord[] = [];
  const step = (input: group.Input) => {
    const result = group.step(state, input);
    state = result.state;
    for (const r of result.ready.respond) {
      expect(responses.has(r.requestId)).toBe(false);
      responses.set(r.requestId, r);
    }
    persisted.push(...result.ready.persist);
    return result.ready;
  };
  const subscription = (topics: string[]) =>
    assignors.encodeSubscription({
      topics,
      userData: null,
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
  const join = (clientId: string, memberId = "", extra: Partial<group.JoinGroupInput> = {}) => {
    const id = ++requestId;
    step({
      type: "joinGroup",
      requestId: id,
      groupId: "g",
      memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: subscription(["t"]) }],
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      apiVersion: 3,
      clientId,
      clientHost: "/h",
      ...extra,
    });
    return id;
  };
  const sync = (
    memberId: string,
    generationId: number,
    assignments: group.SyncGroupInput["assignments"] = [],
  ) => {
    const id = ++requestId;
    step({
      type: "syncGroup",
      requestId: id,
      groupId: "g",
      memberId,
      generationId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments,
    });
    return id;
  };
  const commit = (memberId: string, generationId: number, offset: number, partition = 0) => {
    const id = ++requestId;
    step({
      type: "offsetCommit",
      requestId: id,
      groupId: "g",
      memberId,
      generationId,
      groupInstanceId: null,
      apiVersion: 7,
      offsets: [{ topic: "t", partition, offset, leaderEpoch: -1, metadata: null }],
    });
    return id;
  };
  const fetch = () => {
    const id = ++requestId;
    step({ type: "offsetFetch", requestId: id, groupId: "g", partitions: [{ topic: "t", partition: 0 }] });
    return (responses.get(id) as group.OffsetFetchResponse).partitions[0]!.committedOffset;
  };
  const joined = (id: number) => responses.get(id) as group.JoinGroupResponse | undefined;
  const synced = (id: number) => responses.get(id) as group.SyncGroupResponse | undefined;
  const commitError = (id: number) =>
    (responses.get(id) as group.OffsetCommitResponse).partitions[0]!.errorCode;
  return {
    get state() {
      return state;
    },
    step,
    join,
    sync,
    commit,
    fetch,
    joined,
    synced,
    commitError,
    responses,
    persisted,
    nextId: () => ++requestId,
  };
}

/** Runs the leader's side of a generation with an assignor over the roster it received. */
function leaderAssignments(
  roster: group.JoinGroupResponse["members"],
  assign: typeof assignors.rangeAssign,
  partitionsPerTopic: Map<string, number>,
) {
  const members = roster.map((m) => ({
    memberId: m.memberId,
    topics: assignors.decodeSubscription(m.metadata).topics,
  }));
  return [...assign(members, partitionsPerTopic)].map(([memberId, owned]) => ({
    memberId,
    assignment: assignors.encodeAssignment({ assignedPartitions: owned, userData: null }),
  }));
}

describe("generation fencing", () => {
  test("a stale generation cannot commit offsets", () => {
    const h = harness();
    const m1 = h.joined(h.join("c1"))!;
    expect(m1.generationId).toBe(1);
    h.sync(m1.memberId, 1, [{ memberId: m1.memberId, assignment: new Uint8Array() }]);
    expect(h.commitError(h.commit(m1.memberId, 1, 10))).toBe(ErrorCode.NONE);

    // A second member forces generation 2; m1 takes part in it.
    const joinM2 = h.join("c2");
    const rejoinM1 = h.join("c1", m1.memberId);
    expect(h.joined(rejoinM1)!.generationId).toBe(2);
    const m2 = h.joined(joinM2)!;
    expect(m2.generationId).toBe(2);

    // m1 still acting on generation 1 (a zombie that missed the rebalance) cannot move the offset.
    expect(h.commitError(h.commit(m1.memberId, 1, 99))).toBe(ErrorCode.ILLEGAL_GENERATION);
    // Nor can a member of the new generation before the assignment is settled.
    expect(h.commitError(h.commit(m2.memberId, 2, 98))).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(h.fetch()).toBe(10);
    // Nor can a member that is gone, whatever generation it names.
    expect(h.commitError(h.commit("someone-else", 2, 97))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // A generation from the future is as illegal as one from the past.
    h.sync(m1.memberId, 2, []);
    expect(h.commitError(h.commit(m1.memberId, 3, 96))).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.fetch()).toBe(10);
    expect(h.commitError(h.commit(m1.memberId, 2, 11))).toBe(ErrorCode.NONE);
    expect(h.fetch()).toBe(11);
    // The persisted commit records carry the generation they were accepted in.
    const commits = h.persisted.filter((r) => r.kind === "offsetCommit");
    expect(commits.map((r) => (r.kind === "offsetCommit" ? [r.offset, r.generationId] : []))).toEqual([
      [10, 1],
      [11, 2],
    ]);
  });

  test("each partition is owned by one member per generation", () => {
    const partitions = new Map([
      ["t", 5],
      ["u", 3],
    ]);
    for (const assign of [assignors.rangeAssign, assignors.roundRobinAssign]) {
      const h = harness();
      const ids: string[] = [];
      const topics = (i: number) => (i % 2 === 0 ? ["t", "u"] : ["t"]);
      const protocols = (i: number) => [
        {
          name: "range",
          metadata: assignors.encodeSubscription({
            topics: topics(i),
            userData: null,
            ownedPartitions: [],
            generationId: -1,
            rackId: null,
          }),
        },
      ];
      // Generations 1..4: one more member each time; everyone rejoins, syncs and reports what it owns.
      for (let size = 1; size <= 4; size++) {
        // The newcomer first: a rejoining leader alone would complete a generation without it.
        const joins: number[] = [];
        joins[size - 1] = h.join(`c${size - 1}`, "", { protocols: protocols(size - 1) });
        for (let i = 0; i < size - 1; i++) joins[i] = h.join(`c${i}`, ids[i]!, { protocols: protocols(i) });
        const answers = joins.map((id) => h.joined(id)!);
        answers.forEach((a, i) => {
          ids[i] = a.memberId;
        });
        const generationId = answers[0]!.generationId;
        expect(answers.every((a) => a.errorCode === ErrorCode.NONE && a.generationId === generationId)).toBe(
          true,
        );
        expect(generationId).toBe(size);
        const leader = answers.find((a) => a.members.length > 0)!;
        const syncs = answers.map((a) =>
          h.sync(
            a.memberId,
            generationId,
            a === leader ? leaderAssignments(leader.members, assign, partitions) : [],
          ),
        );
        const owned = new Map(
          syncs.map((id, i) => [
            ids[i]!,
            assignors.decodeAssignment(h.synced(id)!.assignment).assignedPartitions,
          ]),
        );
        expect(assignors.assignmentConflicts(owned)).toEqual([]);
        const total = [...owned.values()].flat().reduce((n, tp) => n + tp.partitions.length, 0);
        expect(total).toBe(8);
      }
    }
  });

  test("heartbeats: REBALANCE_IN_PROGRESS while rebalancing, ILLEGAL_GENERATION when stale", () => {
    const h = harness();
    const m1 = h.joined(h.join("c1"))!;
    h.sync(m1.memberId, 1, []);
    const beat = (generationId: number) => {
      const id = h.nextId();
      h.step({
        type: "heartbeat",
        requestId: id,
        groupId: "g",
        generationId,
        memberId: m1.memberId,
        groupInstanceId: null,
      });
      return (h.responses.get(id) as group.HeartbeatResponse).errorCode;
    };
    expect(beat(1)).toBe(ErrorCode.NONE);
    h.join("c2");
    expect(beat(1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(beat(0)).toBe(ErrorCode.ILLEGAL_GENERATION);
  });
});

describe("JoinGroup", () => {
  test("MEMBER_ID_REQUIRED only from v4, and never for static members", () => {
    for (const apiVersion of [0, 1, 2, 3]) {
      const h = harness();
      expect(h.joined(h.join("c1", "", { apiVersion }))!.errorCode).toBe(ErrorCode.NONE);
    }
    for (const apiVersion of [4, 5, 6, 9]) {
      const h = harness();
      const first = h.joined(h.join("c1", "", { apiVersion }))!;
      expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
      expect(first.memberId.startsWith("c1-")).toBe(true);
      const second = h.joined(h.join("c1", first.memberId, { apiVersion }))!;
      expect(second.errorCode).toBe(ErrorCode.NONE);
      expect(second.memberId).toBe(first.memberId);
    }
    const h = harness();
    expect(h.joined(h.join("c1", "", { apiVersion: 5, groupInstanceId: "i" }))!.errorCode).toBe(
      ErrorCode.NONE,
    );
  });

  test("member ids are uuid-shaped and replay from the seed", () => {
    const ids = (seed: number) => {
      const h = harness({ seed });
      return [
        h.joined(h.join("c1", "", { apiVersion: 4 }))!.memberId,
        h.joined(h.join("c2", "", { apiVersion: 4 }))!.memberId,
      ];
    };
    expect(ids(1)).toEqual(ids(1));
    expect(ids(1)).not.toEqual(ids(2));
    expect(ids(1)[0]).toMatch(/^c1-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test("a new member during CompletingRebalance sends held followers back to rejoin", () => {
    const h = harness();
    const j1 = h.join("c1");
    const m1 = h.joined(j1)!;
    h.sync(m1.memberId, 1, []);
    const j2 = h.join("c2");
    h.join("c1", m1.memberId);
    const m2 = h.joined(j2)!;
    expect(m2.generationId).toBe(2);
    const held = h.sync(m2.memberId, 2);
    expect(h.synced(held)).toBeUndefined();
    h.join("c3");
    expect(h.synced(held)!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(h.state.groups.get("g")!.state).toBe("PreparingRebalance");
  });

  test("a leader's rejoin in Stable starts a rebalance; a follower's unchanged rejoin does not", () => {
    const h = harness();
    const j1 = h.join("c1");
    const j2 = h.join("c2");
    const m1 = h.joined(j1)!;
    h.join("c1", m1.memberId);
    const m2 = h.joined(j2)!;
    h.sync(m1.memberId, 2, []);
    h.sync(m2.memberId, 2, []);
    const again = h.joined(h.join("c2", m2.memberId))!;
    expect(again.generationId).toBe(2);
    expect(h.state.groups.get("g")!.state).toBe("Stable");
    h.join("c1", m1.memberId);
    expect(h.state.groups.get("g")!.state).toBe("PreparingRebalance");
  });

  test("bad requests get typed errors and leave no group behind", () => {
    const h = harness({ protocolsPerMemberMax: 2 });
    const tooMany = [1, 2, 3].map((i) => ({ name: `p${i}`, metadata: new Uint8Array() }));
    expect(h.joined(h.join("c1", "", { protocols: tooMany }))!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(h.joined(h.join("c1", "", { protocols: [] }))!.errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect(h.joined(h.join("c1", "", { sessionTimeoutMs: 1_800_001 }))!.errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect(h.joined(h.join("c1", "", { groupId: "" }))!.errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    const dup = [
      { name: "p", metadata: new Uint8Array() },
      { name: "p", metadata: new Uint8Array() },
    ];
    expect(h.joined(h.join("c1", "", { protocols: dup }))!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(h.state.groups.size).toBe(0);
  });

  test("an empty group id is INVALID_GROUP_ID for every membership API", () => {
    const h = harness();
    const ids = [h.nextId(), h.nextId(), h.nextId()];
    h.step({
      type: "syncGroup",
      requestId: ids[0]!,
      groupId: "",
      generationId: 1,
      memberId: "m",
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    h.step({
      type: "heartbeat",
      requestId: ids[1]!,
      groupId: "",
      generationId: 1,
      memberId: "m",
      groupInstanceId: null,
    });
    h.step({
      type: "leaveGroup",
      requestId: ids[2]!,
      groupId: "",
      members: [{ memberId: "m", groupInstanceId: null }],
    });
    const codes = ids.map((id) => (h.responses.get(id) as { errorCode: number }).errorCode);
    expect(codes).toEqual([
      ErrorCode.INVALID_GROUP_ID,
      ErrorCode.INVALID_GROUP_ID,
      ErrorCode.INVALID_GROUP_ID,
    ]);
  });
});

describe("bounds", () => {
  test("groupsMax: one group too many is refused with a retriable error", () => {
    const h = harness({ groupsMax: 2 });
    expect(h.joined(h.join("c1", "", { groupId: "a" }))!.errorCode).toBe(ErrorCode.NONE);
    expect(h.joined(h.join("c1", "", { groupId: "b" }))!.errorCode).toBe(ErrorCode.NONE);
    expect(h.joined(h.join("c1", "", { groupId: "c" }))!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(h.state.groups.size).toBe(2);
  });

  test("offsetsPerGroupMax and offset metadata size", () => {
    const h = harness({ offsetsPerGroupMax: 2, offsetMetadataBytesMax: 4 });
    const id = h.nextId();
    h.step({
      type: "offsetCommit",
      requestId: id,
      groupId: "g",
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      apiVersion: 7,
      offsets: [
        { topic: "t", partition: 0, offset: 1, leaderEpoch: -1, metadata: "ok" },
        { topic: "t", partition: 1, offset: 1, leaderEpoch: -1, metadata: "too long" },
        { topic: "t", partition: 2, offset: 1, leaderEpoch: -1, metadata: null },
        { topic: "t", partition: 3, offset: 1, leaderEpoch: -1, metadata: null },
        { topic: "t", partition: 0, offset: 2, leaderEpoch: 5, metadata: null },
      ],
    });
    expect((h.responses.get(id) as group.OffsetCommitResponse).partitions.map((p) => p.errorCode)).toEqual([
      ErrorCode.NONE,
      ErrorCode.OFFSET_METADATA_TOO_LARGE,
      ErrorCode.NONE,
      ErrorCode.INVALID_COMMIT_OFFSET_SIZE,
      ErrorCode.NONE,
    ]);
    expect(h.state.groups.get("g")!.offsetCount).toBe(2);
  });

  test("membersPerGroupMax counts pending members too", () => {
    const h = harness({ membersPerGroupMax: 2 });
    expect(h.joined(h.join("c1", "", { apiVersion: 4 }))!.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(h.joined(h.join("c2", "", { apiVersion: 4 }))!.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(h.joined(h.join("c3", "", { apiVersion: 4 }))!.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });

  test("time never goes backwards", () => {
    const h = harness();
    h.step({ type: "tick", nowMs: 100 });
    expect(() => h.step({ type: "tick", nowMs: 99 })).toThrow(InvariantError);
  });
});

describe("persistence", () => {
  test("load rebuilds a Stable group whose members keep their generation and assignment", () => {
    const h = harness();
    const j1 = h.join("c1");
    const j2 = h.join("c2");
    const m1 = h.joined(j1)!;
    h.join("c1", m1.memberId);
    const m2 = h.joined(j2)!;
    const assignment = assignors.encodeAssignment({
      assignedPartitions: [{ topic: "t", partitions: [1] }],
      userData: null,
    });
    h.sync(m1.memberId, 2, [{ memberId: m2.memberId, assignment }]);
    h.sync(m2.memberId, 2);
    h.commit(m1.memberId, 2, 77);

    const restored = group.step(group.initialState({ seed: 1, initialRebalanceDelayMs: 0 }, 5_000), {
      type: "load",
      records: h.persisted,
    }).state;
    const g = restored.groups.get("g")!;
    expect(g.state).toBe("Stable");
    expect(g.generationId).toBe(2);
    expect(g.leaderId).toBe(m1.memberId);
    expect(g.offsets.get("t")?.get(0)?.offset).toBe(77);

    // The follower's SyncGroup after the failover gets its assignment back, and its session restarted.
    const result = group.step(restored, {
      type: "syncGroup",
      requestId: 1,
      groupId: "g",
      generationId: 2,
      memberId: m2.memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: "range",
      assignments: [],
    });
    const answer = result.ready.respond[0] as group.SyncGroupResponse;
    expect(answer.errorCode).toBe(ErrorCode.NONE);
    expect(assignors.decodeAssignment(answer.assignment).assignedPartitions).toEqual([
      { topic: "t", partitions: [1] },
    ]);
    expect(result.ready.nextTickAtMs).toBe(15_000);
  });

  test("responses that depend on a write come in the same Ready as the write", () => {
    const h = harness();
    const m1 = h.joined(h.join("c1"))!;
    const ready = h.step({
      type: "syncGroup",
      requestId: 100,
      groupId: "g",
      generationId: 1,
      memberId: m1.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
    });
    expect(ready.persist.map((r) => r.kind)).toEqual(["groupMetadata"]);
    expect(ready.respond.map((r) => r.kind)).toEqual(["syncGroup"]);
  });
});

describe("plain data", () => {
  test("a structuredClone of the state is an equal, independent coordinator", () => {
    const h = harness({ initialRebalanceDelayMs: 3_000 });
    h.join("c1");
    h.join("c2");
    const snapshot = structuredClone(h.state);
    expect(snapshot).toEqual(h.state);
    const tick: group.Input = { type: "tick", nowMs: 60_000 };
    const fromOriginal = group.step(h.state, tick).ready;
    const fromClone = group.step(snapshot, tick).ready;
    expect(fromClone).toEqual(fromOriginal);
    expect(fromOriginal.respond.map((r) => r.kind)).toEqual(["joinGroup", "joinGroup"]);
  });
});

describe("admin", () => {
  test("describe, list with a state filter, delete", () => {
    const h = harness();
    const m1 = h.joined(h.join("c1"))!;
    h.sync(m1.memberId, 1, [{ memberId: m1.memberId, assignment: new Uint8Array([7]) }]);
    const d = h.nextId();
    h.step({ type: "describeGroups", requestId: d, groupIds: ["g", "absent"] });
    const described = (h.responses.get(d) as group.DescribeGroupsResponse).groups;
    expect(described.map((g) => [g.groupId, g.state, g.protocolData, g.generationId])).toEqual([
      ["g", "Stable", "range", 1],
      ["absent", "Dead", "", 0],
    ]);
    expect([...described[0]!.members[0]!.assignment]).toEqual([7]);
    const l = h.nextId();
    h.step({ type: "listGroups", requestId: l, statesFilter: ["Empty"] });
    expect((h.responses.get(l) as group.ListGroupsResponse).groups).toEqual([]);
    const del = h.nextId();
    h.step({ type: "deleteGroups", requestId: del, groupIds: ["g"] });
    expect((h.responses.get(del) as group.DeleteGroupsResponse).results[0]!.errorCode).toBe(
      ErrorCode.NON_EMPTY_GROUP,
    );
  });
});
