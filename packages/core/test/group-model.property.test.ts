/**
 * Model test of the group coordinator: fast-check drives random sequences of joins, syncs, heartbeats,
 * leaves, commits, fetches, client restarts and ticks from a few simulated consumers (dynamic or static,
 * with or without the initial rebalance delay) against the real
 * coordinator, and a naive model built only from what the coordinator answered checks:
 *  - generations only grow, and one JoinGroup round hands every member the same generation;
 *  - within a generation each partition is owned by at most one member (invariant 15);
 *  - a commit, heartbeat or sync is accepted only for the newest generation, so a stale generation can
 *    never commit (invariant 15/16);
 *  - committed offsets equal a naive map of the accepted commits (OffsetFetch);
 *  - every request is answered exactly once, and after a long quiet time nothing stays held;
 *  - the persisted records rebuild the same offsets and generation through `load`;
 *  - the same seed and inputs give the same outputs (determinism).
 * The coordinator's own invariants run inside every step.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { group } from "../src/index.ts";

const groupId = "g";
const partitionsPerTopic = new Map([
  ["t1", 3],
  ["t2", 2],
]);
const sessionTimeoutMs = 10_000;
const rebalanceTimeoutMs = 15_000;

type Op =
  | { op: "join"; client: number; v4: boolean; assignor: "range" | "roundrobin" }
  | { op: "sync"; client: number }
  | { op: "heartbeat"; client: number }
  | { op: "leave"; client: number }
  | { op: "commit"; client: number; partition: number; offset: number; staleBy: number }
  | { op: "simpleCommit"; partition: number; offset: number }
  | { op: "fetch" }
  | { op: "restart"; client: number }
  | { op: "tick"; advanceMs: number }
  /** The natural next request of a well-behaved client (join, rejoin, sync, then commit or heartbeat). */
  | { op: "act"; client: number; offset: number };

const clientCount = 4;
const clientArb = fc.integer({ min: 0, max: clientCount - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 14,
    arbitrary: fc.record({
      op: fc.constant("act" as const),
      client: clientArb,
      offset: fc.integer({ min: 0, max: 1000 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("join" as const),
      client: clientArb,
      v4: fc.boolean(),
      assignor: fc.constantFrom("range" as const, "roundrobin" as const),
    }),
  },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("sync" as const), client: clientArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("heartbeat" as const), client: clientArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("leave" as const), client: clientArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("commit" as const),
      client: clientArb,
      partition: fc.integer({ min: 0, max: 4 }),
      offset: fc.integer({ min: 0, max: 1000 }),
      staleBy: fc.constantFrom(0, 0, 0, 1, 2),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("simpleCommit" as const),
      partition: fc.integer({ min: 0, max: 4 }),
      offset: fc.integer({ min: 0, max: 1000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("fetch" as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("restart" as const), client: clientArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("tick" as const),
      advanceMs: fc.constantFrom(0, 500, 3_000, 7_000, 11_000, 16_000),
    }),
  },
);

/** The five partitions as (topic, partition), numbered 0..4. */
function topicPartition(index: number): { topic: string; partition: number } {
  return index < 3 ? { topic: "t1", partition: index } : { topic: "t2", partition: index - 3 };
}

type Phase = "join" | "sync" | "stable";

interface Client {
  /** What a well-behaved client would do next. */
  phase: Phase;
  memberId: string;
  generationId: number;
  roster: group.JoinGroupResponse["members"];
  owned: readonly group.assignors.TopicPartitions[];
  assignor: "range" | "roundrobin";
}

interface Model {
  /** Highest generation any JoinGroup answer carried. */
  generation: number;
  /** generation -> "topic/partition" -> owning member, from SyncGroup answers. */
  owners: Map<number, Map<string, string>>;
  /** The naive offset store: "topic/partition" -> offset, from accepted commits. */
  offsets: Map<string, number>;
  sent: Set<number>;
  answered: Set<number>;
}

function subscription(): Uint8Array {
  return group.assignors.encodeSubscription({
    topics: ["t1", "t2"],
    userData: null,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  });
}

/** Variations of a run: static members (group.instance.id per client) and the initial rebalance delay. */
interface RunConfig {
  readonly statics: boolean;
  readonly delayMs: number;
}

const configArb = fc.record({ statics: fc.boolean(), delayMs: fc.constantFrom(0, 0, 3_000) });

/** Runs the ops; returns every Ready in order (for the determinism check) and the final model. */
function run(seed: number, ops: readonly Op[], config: RunConfig = { statics: false, delayMs: 0 }) {
  let state = group.initialState({ seed, initialRebalanceDelayMs: config.delayMs, membersPerGroupMax: 8 });
  const instanceOf = (client: number): string | null => (config.statics ? `i${client}` : null);
  /** instance id -> the member id it last joined as, to follow ownership across static restarts. */
  const memberOfInstance = new Map<string, string>();
  const clients: Client[] = Array.from({ length: clientCount }, () => ({
    phase: "join" as Phase,
    memberId: "",
    generationId: -1,
    roster: [],
    owned: [],
    assignor: "range" as const,
  }));
  const model: Model = {
    generation: 0,
    owners: new Map(),
    offsets: new Map(),
    sent: new Set(),
    answered: new Set(),
  };
  const readies: group.Ready[] = [];
  const persisted: group.PersistRecord[] = [];
  /** requestId -> what was asked, to interpret the answer. */
  const requests = new Map<number, { client: number; input: group.Input }>();
  let nextRequestId = 1;
  const metadata = subscription();

  const apply = (input: group.Input, client = -1) => {
    if (input.type !== "tick" && input.type !== "load") {
      expect(model.sent.has(input.requestId)).toBe(false);
      model.sent.add(input.requestId);
      requests.set(input.requestId, { client, input });
    }
    const result = group.step(state, input);
    state = result.state;
    readies.push(result.ready);
    persisted.push(...result.ready.persist);
    check(result.ready);
  };

  const check = (ready: group.Ready) => {
    const joinGenerations = new Set<number>();
    for (const response of ready.respond) {
      // Exactly once.
      expect(model.answered.has(response.requestId)).toBe(false);
      expect(model.sent.has(response.requestId)).toBe(true);
      model.answered.add(response.requestId);
      const request = requests.get(response.requestId)!;
      const client = request.client >= 0 ? clients[request.client]! : null;
      const fenced = "errorCode" in response && response.errorCode === group.ErrorCode.FENCED_INSTANCE_ID;
      if (
        fenced &&
        client !== null &&
        (request.input as { memberId?: string }).memberId === client.memberId
      ) {
        // A fenced static incarnation gives up its id; the client restarts with a fresh join.
        client.memberId = "";
        client.phase = "join";
        continue;
      }
      switch (response.kind) {
        case "joinGroup": {
          if (response.errorCode === group.ErrorCode.NONE) {
            expect(response.generationId).toBeGreaterThanOrEqual(model.generation);
            model.generation = response.generationId;
            joinGenerations.add(response.generationId);
            if (response.memberId === response.leaderId) {
              expect(response.members.some((m) => m.memberId === response.memberId)).toBe(true);
            }
            const instance = (request.input as group.JoinGroupInput).groupInstanceId;
            if (instance !== null) {
              const previous = memberOfInstance.get(instance);
              if (previous !== undefined && previous !== response.memberId) {
                // A static restart: the new id takes over what the fenced one owned in this generation.
                const owners = model.owners.get(response.generationId);
                for (const [key, owner] of owners ?? [])
                  if (owner === previous) owners!.set(key, response.memberId);
              }
              memberOfInstance.set(instance, response.memberId);
            }
            if (client !== null) {
              client.memberId = response.memberId;
              client.generationId = response.generationId;
              client.roster = response.members;
              client.phase = "sync";
            }
          } else if (response.errorCode === group.ErrorCode.MEMBER_ID_REQUIRED) {
            const input = request.input as group.JoinGroupInput;
            expect(input.apiVersion).toBeGreaterThanOrEqual(4);
            if (client !== null) client.memberId = response.memberId;
          } else if (response.errorCode === group.ErrorCode.UNKNOWN_MEMBER_ID && client !== null) {
            client.memberId = "";
            client.generationId = -1;
          } else if (client !== null) {
            client.phase = "join";
          }
          break;
        }
        case "syncGroup": {
          const input = request.input as group.SyncGroupInput;
          if (response.errorCode === group.ErrorCode.NONE) {
            // Only the newest generation settles assignments.
            expect(input.generationId).toBe(model.generation);
            const owned = group.assignors.decodeAssignment(response.assignment).assignedPartitions;
            let owners = model.owners.get(input.generationId);
            if (owners === undefined) {
              owners = new Map();
              model.owners.set(input.generationId, owners);
            }
            for (const { topic, partitions } of owned) {
              for (const partition of partitions) {
                const key = `${topic}/${partition}`;
                const owner = owners.get(key);
                // Exclusivity: one owner per partition per generation.
                if (owner !== undefined) expect(owner).toBe(input.memberId);
                owners.set(key, input.memberId);
              }
            }
            if (client !== null) {
              client.phase = "stable";
              client.owned = owned;
            }
          } else if (response.errorCode === group.ErrorCode.UNKNOWN_MEMBER_ID && client !== null) {
            client.memberId = "";
            client.phase = "join";
          } else if (client !== null) {
            client.phase = "join";
          }
          break;
        }
        case "heartbeat": {
          const input = request.input as group.HeartbeatInput;
          if (response.errorCode === group.ErrorCode.NONE) expect(input.generationId).toBe(model.generation);
          if (response.errorCode === group.ErrorCode.UNKNOWN_MEMBER_ID && client !== null)
            client.memberId = "";
          if (response.errorCode !== group.ErrorCode.NONE && client !== null) client.phase = "join";
          break;
        }
        case "offsetCommit": {
          const input = request.input as group.OffsetCommitInput;
          response.partitions.forEach((p, i) => {
            if (p.errorCode !== group.ErrorCode.NONE) return;
            // A stale generation can never commit.
            if (input.generationId >= 0) expect(input.generationId).toBe(model.generation);
            model.offsets.set(`${p.topic}/${p.partition}`, input.offsets[i]!.offset);
          });
          if (input.generationId >= 0 && input.generationId < model.generation) {
            expect(response.partitions.every((p) => p.errorCode !== group.ErrorCode.NONE)).toBe(true);
          }
          break;
        }
        case "offsetFetch": {
          const fetched = new Map(
            response.partitions.map((p) => [`${p.topic}/${p.partition}`, p.committedOffset]),
          );
          expect(fetched).toEqual(model.offsets);
          break;
        }
        case "leaveGroup":
          if (client !== null && response.members[0]?.errorCode === group.ErrorCode.NONE)
            client.memberId = "";
          break;
        default:
          break;
      }
    }
    // One JoinGroup round answers everyone with the same generation.
    expect(joinGenerations.size).toBeLessThanOrEqual(1);
  };

  const natural = (op: Extract<Op, { op: "act" }>): Op => {
    const client = clients[op.client]!;
    if (client.phase === "join")
      return { op: "join", client: op.client, v4: op.offset % 2 === 0, assignor: client.assignor };
    if (client.phase === "sync") return { op: "sync", client: op.client };
    const first = client.owned[0];
    if (first === undefined || op.offset % 3 === 0) return { op: "heartbeat", client: op.client };
    const index = first.topic === "t1" ? first.partitions[0]! : 3 + first.partitions[0]!;
    return { op: "commit", client: op.client, partition: index, offset: op.offset, staleBy: 0 };
  };

  for (const original of ops) {
    const op = original.op === "act" ? natural(original) : original;
    const requestId = nextRequestId;
    switch (op.op) {
      case "act":
        throw new Error("act is translated above");
      case "join": {
        const client = clients[op.client]!;
        client.assignor = op.assignor;
        const protocols =
          op.assignor === "range"
            ? [
                { name: "range", metadata },
                { name: "roundrobin", metadata },
              ]
            : [
                { name: "roundrobin", metadata },
                { name: "range", metadata },
              ];
        nextRequestId++;
        apply(
          {
            type: "joinGroup",
            requestId,
            groupId,
            memberId: client.memberId,
            groupInstanceId: instanceOf(op.client),
            protocolType: "consumer",
            protocols,
            sessionTimeoutMs,
            rebalanceTimeoutMs,
            apiVersion: op.v4 ? 5 : 3,
            clientId: `c${op.client}`,
            clientHost: "/h",
          },
          op.client,
        );
        break;
      }
      case "sync": {
        const client = clients[op.client]!;
        const isLeader = client.roster.length > 0;
        let assignments: { memberId: string; assignment: Uint8Array }[] = [];
        if (isLeader) {
          const assign =
            client.assignor === "range" ? group.assignors.rangeAssign : group.assignors.roundRobinAssign;
          const members = client.roster.map((m) => ({
            memberId: m.memberId,
            topics: group.assignors.decodeSubscription(m.metadata).topics,
          }));
          assignments = [...assign(members, partitionsPerTopic)].map(([memberId, owned]) => ({
            memberId,
            assignment: group.assignors.encodeAssignment({ assignedPartitions: owned, userData: null }),
          }));
        }
        nextRequestId++;
        apply(
          {
            type: "syncGroup",
            requestId,
            groupId,
            generationId: client.generationId,
            memberId: client.memberId,
            groupInstanceId: instanceOf(op.client),
            protocolType: null,
            protocolName: null,
            assignments,
          },
          op.client,
        );
        break;
      }
      case "heartbeat": {
        const client = clients[op.client]!;
        nextRequestId++;
        apply(
          {
            type: "heartbeat",
            requestId,
            groupId,
            generationId: client.generationId,
            memberId: client.memberId,
            groupInstanceId: instanceOf(op.client),
          },
          op.client,
        );
        break;
      }
      case "leave": {
        const client = clients[op.client]!;
        nextRequestId++;
        apply(
          {
            type: "leaveGroup",
            requestId,
            groupId,
            members: [{ memberId: client.memberId, groupInstanceId: instanceOf(op.client) }],
          },
          op.client,
        );
        break;
      }
      case "commit": {
        const client = clients[op.client]!;
        nextRequestId++;
        apply(
          {
            type: "offsetCommit",
            requestId,
            groupId,
            generationId: Math.max(0, client.generationId - op.staleBy),
            memberId: client.memberId,
            groupInstanceId: instanceOf(op.client),
            apiVersion: 7,
            offsets: [
              { ...topicPartition(op.partition), offset: op.offset, leaderEpoch: -1, metadata: null },
            ],
          },
          op.client,
        );
        break;
      }
      case "simpleCommit":
        nextRequestId++;
        apply({
          type: "offsetCommit",
          requestId,
          groupId,
          generationId: -1,
          memberId: "",
          groupInstanceId: null,
          apiVersion: 7,
          offsets: [{ ...topicPartition(op.partition), offset: op.offset, leaderEpoch: -1, metadata: null }],
        });
        break;
      case "fetch":
        nextRequestId++;
        apply({ type: "offsetFetch", requestId, groupId, partitions: null });
        break;
      case "restart":
        clients[op.client] = {
          phase: "join" as Phase,
          memberId: "",
          generationId: -1,
          roster: [],
          owned: [],
          assignor: "range" as const,
        };
        break;
      case "tick":
        apply({ type: "tick", nowMs: state.nowMs + op.advanceMs });
        break;
    }
  }
  // A long quiet time: sessions, rebalance, pending-member and new-member timeouts all run out.
  for (let i = 0; i < 4; i++) apply({ type: "tick", nowMs: state.nowMs + 400_000 });
  expect([...model.sent].filter((id) => !model.answered.has(id))).toEqual([]);
  const finalGroup = state.groups.get(groupId);
  if (finalGroup !== undefined) expect(finalGroup.members.size).toBe(0);

  // Replaying the persisted records rebuilds the same offsets and generation.
  if (finalGroup !== undefined) {
    const rebuilt = group.step(group.initialState({ seed }, state.nowMs), {
      type: "load",
      records: persisted,
    }).state;
    const loaded = rebuilt.groups.get(groupId);
    expect(loaded?.generationId).toBe(finalGroup.generationId);
    expect(loaded?.offsets).toEqual(finalGroup.offsets);
  }
  return { readies, model };
}

describe("group coordinator model", () => {
  test("random client runs keep exclusivity, fencing, offsets and liveness", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(opArb, { minLength: 20, maxLength: 200 }),
        configArb,
        (seed, ops, config) => {
          run(seed, ops, config);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("the same seed and inputs replay to the same outputs", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(opArb, { minLength: 1, maxLength: 60 }),
        configArb,
        (seed, ops, config) => {
          const first = run(seed, ops, config).readies;
          const second = run(seed, ops, config).readies;
          expect(second).toEqual(first);
        },
      ),
      { numRuns: 50 },
    );
  });
});
