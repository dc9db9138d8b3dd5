/**
 * The coordinator against a naive reference, in the style of etcd raft's quorum/quick_test: for the
 * untimed core of the classic protocol (JoinGroup v3, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, no
 * ticks, one protocol, dynamic members), a straightforward model written from Kafka's rules predicts every
 * answer (request id, error, generation) and the group's state, generation, members and leader after every
 * step. fast-check generates the request sequences; the two must agree exactly.
 *
 * The model takes the member ids the coordinator generates from the coordinator (they are random by
 * design); everything else it derives on its own.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { group } from "../src/index.ts";

const { ErrorCode } = group;
const groupId = "g";
const clientsCount = 4;
const membersMax = 3;

type Op =
  | { op: "join"; client: number }
  | { op: "sync"; client: number }
  | { op: "heartbeat"; client: number }
  | { op: "leave"; client: number }
  | { op: "commit"; client: number; staleBy: number }
  | { op: "adminCommit" }
  | { op: "forget"; client: number };

const clientArb = fc.integer({ min: 0, max: clientsCount - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("join" as const), client: clientArb }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("sync" as const), client: clientArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("heartbeat" as const), client: clientArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("leave" as const), client: clientArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("commit" as const),
      client: clientArb,
      staleBy: fc.constantFrom(0, 0, 1),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("adminCommit" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("forget" as const), client: clientArb }) },
);

type Phase = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable";

/** What the naive model expects one answer to be. */
interface Expected {
  readonly requestId: number;
  readonly kind: string;
  readonly errorCode: number;
  /** For successful JoinGroup answers. */
  readonly generationId?: number;
}

/** The naive model: lists and maps, recomputed freely, Kafka's rules spelled out one by one. */
class NaiveGroup {
  exists = false;
  phase: Phase = "Empty";
  generation = 0;
  members: string[] = [];
  leader: string | null = null;
  awaitingJoin = new Map<string, number>();
  awaitingSync = new Map<string, number>();
  assignment = new Map<string, Uint8Array>();
  out: Expected[] = [];

  private answerJoinsIfComplete(): void {
    if (this.phase !== "PreparingRebalance") return;
    if (!this.members.every((m) => this.awaitingJoin.has(m))) return;
    this.generation += 1;
    if (this.members.length === 0) {
      this.phase = "Empty";
      return;
    }
    this.phase = "CompletingRebalance";
    for (const m of this.members) {
      this.out.push({
        requestId: this.awaitingJoin.get(m)!,
        kind: "joinGroup",
        errorCode: 0,
        generationId: this.generation,
      });
    }
    this.awaitingJoin.clear();
  }

  private startRebalance(): void {
    if (this.phase === "CompletingRebalance") {
      for (const [, requestId] of this.awaitingSync)
        this.out.push({ requestId, kind: "syncGroup", errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
      this.awaitingSync.clear();
      this.assignment.clear();
    }
    this.phase = "PreparingRebalance";
    this.answerJoinsIfComplete();
  }

  private hold(memberId: string, requestId: number): void {
    const previous = this.awaitingJoin.get(memberId);
    if (previous !== undefined)
      this.out.push({ requestId: previous, kind: "joinGroup", errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
    this.awaitingJoin.set(memberId, requestId);
  }

  join(requestId: number, memberId: string, newMemberId: () => string): void {
    if (memberId === "") {
      if (this.members.length >= membersMax) {
        this.out.push({ requestId, kind: "joinGroup", errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED });
        return;
      }
      this.exists = true;
      const id = newMemberId();
      this.members.push(id);
      this.leader ??= id;
      this.awaitingJoin.set(id, requestId);
      if (this.phase === "PreparingRebalance") this.answerJoinsIfComplete();
      else this.startRebalance();
      return;
    }
    if (!this.members.includes(memberId)) {
      this.out.push({ requestId, kind: "joinGroup", errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
      return;
    }
    if (this.phase === "PreparingRebalance") {
      this.hold(memberId, requestId);
      this.answerJoinsIfComplete();
    } else if (this.phase === "CompletingRebalance" || memberId !== this.leader) {
      // Same metadata (the only protocol here): the current generation again, without a rebalance.
      this.out.push({ requestId, kind: "joinGroup", errorCode: 0, generationId: this.generation });
    } else {
      this.hold(memberId, requestId);
      this.startRebalance();
    }
  }

  sync(
    requestId: number,
    memberId: string,
    generationId: number,
    assignments: Map<string, Uint8Array>,
  ): void {
    let immediate: number | null = null; // an answer given now rather than held
    if (!this.members.includes(memberId)) immediate = ErrorCode.UNKNOWN_MEMBER_ID;
    else if (generationId !== this.generation) immediate = ErrorCode.ILLEGAL_GENERATION;
    else if (this.phase === "PreparingRebalance") immediate = ErrorCode.REBALANCE_IN_PROGRESS;
    else if (this.phase === "Stable") immediate = 0;
    if (immediate !== null) {
      this.out.push({ requestId, kind: "syncGroup", errorCode: immediate });
      return;
    }
    const previous = this.awaitingSync.get(memberId);
    if (previous !== undefined)
      this.out.push({ requestId: previous, kind: "syncGroup", errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
    this.awaitingSync.set(memberId, requestId);
    if (memberId !== this.leader) return;
    this.phase = "Stable";
    for (const m of this.members) this.assignment.set(m, assignments.get(m) ?? new Uint8Array());
    for (const [, id] of this.awaitingSync) this.out.push({ requestId: id, kind: "syncGroup", errorCode: 0 });
    this.awaitingSync.clear();
  }

  heartbeat(requestId: number, memberId: string, generationId: number): void {
    let errorCode: number = 0;
    if (!this.members.includes(memberId)) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
    else if (generationId !== this.generation) errorCode = ErrorCode.ILLEGAL_GENERATION;
    else if (this.phase === "PreparingRebalance") errorCode = ErrorCode.REBALANCE_IN_PROGRESS;
    this.out.push({ requestId, kind: "heartbeat", errorCode });
  }

  leave(requestId: number, memberId: string): void {
    if (!this.members.includes(memberId)) {
      this.out.push({ requestId, kind: "leaveGroup", errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
      return;
    }
    for (const [map, kind] of [
      [this.awaitingJoin, "joinGroup"],
      [this.awaitingSync, "syncGroup"],
    ] as const) {
      const held = map.get(memberId);
      if (held !== undefined)
        this.out.push({ requestId: held, kind, errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
      map.delete(memberId);
    }
    this.members = this.members.filter((m) => m !== memberId);
    if (this.leader === memberId) this.leader = this.members[0] ?? null;
    if (this.phase === "PreparingRebalance") this.answerJoinsIfComplete();
    else this.startRebalance();
    this.out.push({ requestId, kind: "leaveGroup", errorCode: 0 });
  }

  commit(requestId: number, memberId: string, generationId: number): void {
    let errorCode: number = 0;
    if (!this.exists) {
      if (generationId >= 0) errorCode = ErrorCode.ILLEGAL_GENERATION;
      else this.exists = true;
    } else if (generationId < 0 && this.phase === "Empty") {
      errorCode = 0;
    } else if (generationId >= 0 || memberId !== "") {
      if (!this.members.includes(memberId)) errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
      else if (generationId !== this.generation) errorCode = ErrorCode.ILLEGAL_GENERATION;
      else if (this.phase === "CompletingRebalance") errorCode = ErrorCode.REBALANCE_IN_PROGRESS;
    } else {
      errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
    }
    this.out.push({ requestId, kind: "offsetCommit", errorCode });
  }
}

interface Client {
  memberId: string;
  generationId: number;
  roster: string[];
}

function runBoth(seed: number, ops: readonly Op[]): void {
  let state = group.initialState({ seed, initialRebalanceDelayMs: 0, membersPerGroupMax: membersMax });
  const naive = new NaiveGroup();
  const clients: Client[] = Array.from({ length: clientsCount }, () => ({
    memberId: "",
    generationId: -1,
    roster: [],
  }));
  let requestId = 0;
  const clientOf = new Map<number, number>();

  for (const op of ops) {
    if (op.op === "forget") {
      clients[op.client] = { memberId: "", generationId: -1, roster: [] };
      continue;
    }
    const id = ++requestId;
    const client = op.op === "adminCommit" ? null : clients[op.client]!;
    if (op.op !== "adminCommit") clientOf.set(id, op.client);
    let input: group.Input;
    let assignments = new Map<string, Uint8Array>();
    switch (op.op) {
      case "join":
        input = {
          type: "joinGroup",
          requestId: id,
          groupId,
          memberId: client!.memberId,
          groupInstanceId: null,
          protocolType: "consumer",
          protocols: [{ name: "range", metadata: new Uint8Array([1]) }],
          sessionTimeoutMs: 10_000,
          rebalanceTimeoutMs: 30_000,
          apiVersion: 3,
          clientId: `c${op.client}`,
          clientHost: "/h",
        };
        break;
      case "sync":
        assignments = new Map(client!.roster.map((m, i) => [m, new Uint8Array([i])]));
        input = {
          type: "syncGroup",
          requestId: id,
          groupId,
          generationId: client!.generationId,
          memberId: client!.memberId,
          groupInstanceId: null,
          protocolType: null,
          protocolName: null,
          assignments: [...assignments].map(([memberId, assignment]) => ({ memberId, assignment })),
        };
        break;
      case "heartbeat":
        input = {
          type: "heartbeat",
          requestId: id,
          groupId,
          generationId: client!.generationId,
          memberId: client!.memberId,
          groupInstanceId: null,
        };
        break;
      case "leave":
        input = {
          type: "leaveGroup",
          requestId: id,
          groupId,
          members: [{ memberId: client!.memberId, groupInstanceId: null }],
        };
        break;
      case "commit":
        input = {
          type: "offsetCommit",
          requestId: id,
          groupId,
          generationId: Math.max(0, client!.generationId - op.staleBy),
          memberId: client!.memberId,
          groupInstanceId: null,
          apiVersion: 7,
          offsets: [{ topic: "t", partition: 0, offset: id, leaderEpoch: -1, metadata: null }],
        };
        break;
      case "adminCommit":
        input = {
          type: "offsetCommit",
          requestId: id,
          groupId,
          generationId: -1,
          memberId: "",
          groupInstanceId: null,
          apiVersion: 7,
          offsets: [{ topic: "t", partition: 0, offset: id, leaderEpoch: -1, metadata: null }],
        };
        break;
    }
    const before = new Set(state.groups.get(groupId)?.members.keys() ?? []);
    const result = group.step(state, input);
    state = result.state;
    const real = state.groups.get(groupId);

    naive.out = [];
    const newMemberId = () => {
      const added = [...(real?.members.keys() ?? [])].filter((m) => !before.has(m));
      expect(added.length).toBe(1);
      return added[0]!;
    };
    switch (op.op) {
      case "join":
        naive.join(id, client!.memberId, newMemberId);
        break;
      case "sync":
        naive.sync(id, client!.memberId, client!.generationId, assignments);
        break;
      case "heartbeat":
        naive.heartbeat(id, client!.memberId, client!.generationId);
        break;
      case "leave":
        naive.leave(id, client!.memberId);
        break;
      case "commit":
        naive.commit(id, client!.memberId, Math.max(0, client!.generationId - op.staleBy));
        break;
      case "adminCommit":
        naive.commit(id, "", -1);
        break;
    }

    // Every answer, as the naive model predicts it.
    const actual = result.ready.respond
      .map((r): Expected => {
        const errorCode =
          r.kind === "offsetCommit" ? r.partitions[0]!.errorCode : "errorCode" in r ? r.errorCode : -1;
        const leaveError = r.kind === "leaveGroup" ? r.members[0]!.errorCode : errorCode;
        return r.kind === "joinGroup" && r.errorCode === 0
          ? { requestId: r.requestId, kind: r.kind, errorCode, generationId: r.generationId }
          : { requestId: r.requestId, kind: r.kind, errorCode: leaveError };
      })
      .sort((a, b) => a.requestId - b.requestId);
    expect(actual).toEqual([...naive.out].sort((a, b) => a.requestId - b.requestId));

    // The group as the naive model sees it.
    expect(real !== undefined).toBe(naive.exists);
    if (real !== undefined) {
      expect(real.state).toBe(naive.phase);
      expect(real.generationId).toBe(naive.generation);
      expect([...real.members.keys()]).toEqual(naive.members);
      expect(real.leaderId).toBe(naive.leader);
    }

    // Clients learn from their answers.
    for (const r of result.ready.respond) {
      const owner = clientOf.get(r.requestId);
      if (owner === undefined) continue;
      const c = clients[owner]!;
      if (r.kind === "joinGroup" && r.errorCode === 0) {
        c.memberId = r.memberId;
        c.generationId = r.generationId;
        c.roster = r.members.map((m) => m.memberId);
      } else if ("errorCode" in r && r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        c.memberId = "";
      } else if (r.kind === "leaveGroup" && r.members[0]!.errorCode === 0) {
        c.memberId = "";
      }
    }
    // A new member's id becomes known to its client only through its JoinGroup answer; until then the
    // client keeps sending "" and is a different (new) member each time, as in Kafka before v4.
  }
}

describe("group coordinator against a naive model", () => {
  test("answers, states, generations, members and leaders agree", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(opArb, { minLength: 10, maxLength: 150 }),
        (seed, ops) => {
          runBoth(seed, ops);
        },
      ),
      { numRuns: 400 },
    );
  });
});
