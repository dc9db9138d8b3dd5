/**
 * Model tests of the metadata controller with fast-check. A random sequence of broker registrations,
 * heartbeats, session expiries, topic and partition creations, deletions, ISR changes and elections
 * runs against the controller (through a one-voter shell that commits every batch at once) and
 * against a naive model written independently from the rules of the product's documents and KRaft.
 * After every operation the committed image must equal the model, and the election rules must hold:
 * a new leader always comes from the ISR (unless the change is flagged unclean and allowed), two
 * leaders never share a (partition, leader epoch), and epochs never go back.
 */
import { expect, test } from "bun:test";
import fc from "fast-check";
import * as controller from "../src/controller/index.ts";
import { Driver } from "./controller-driver.ts";

const brokerIds = [1, 2, 3, 4, 5];
const topicNames = ["a", "b", "c"];
const sessionTimeoutMs = 9000;

interface ModelPartition {
  replicas: number[];
  isr: number[];
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
}
interface ModelTopic {
  unclean: boolean;
  partitions: ModelPartition[];
}
interface Model {
  brokers: Map<number, { epoch: number; fenced: boolean }>;
  topics: Map<string, ModelTopic>;
}

const live = (m: Model, id: number) => m.brokers.get(id)?.fenced === false;

/** The naive placement formula, straight from the product's documents. */
function naivePlacement(ids: number[], first: number, count: number, rf: number): number[][] | null {
  const sorted = [...ids].sort((x, y) => x - y);
  if (rf < 1 || rf > sorted.length || count < 1) return null;
  const out: number[][] = [];
  for (let i = first; i < first + count; i++) {
    out.push(Array.from({ length: rf }, (_, j) => sorted[(i + j) % sorted.length]!));
  }
  return out;
}

function setLeader(p: ModelPartition, leader: number, isr: number[]): void {
  if (leader !== p.leader) p.leaderEpoch++;
  p.leader = leader;
  p.isr = isr;
  p.partitionEpoch++;
}

function modelFence(m: Model, b: number): void {
  for (const t of m.topics.values()) {
    for (const p of t.partitions) {
      if (!p.isr.includes(b) && p.leader !== b) continue;
      let isr = p.isr.filter((r) => r !== b);
      if (isr.length === 0) isr = [...p.isr];
      let leader = p.leader;
      if (p.leader === b || p.leader === -1) {
        leader = -1;
        for (const r of p.replicas) {
          if (r !== b && p.isr.includes(r) && live(m, r)) {
            leader = r;
            break;
          }
        }
        if (leader === -1 && t.unclean) {
          for (const r of p.replicas) {
            if (r !== b && live(m, r)) {
              leader = r;
              isr = [r];
              break;
            }
          }
        }
      }
      const same = leader === p.leader && isr.length === p.isr.length && isr.every((r) => p.isr.includes(r));
      if (!same) setLeader(p, leader, isr);
    }
  }
  m.brokers.get(b)!.fenced = true;
}

function modelUnfence(m: Model, b: number): void {
  m.brokers.get(b)!.fenced = false;
  for (const t of m.topics.values()) {
    for (const p of t.partitions) {
      if (p.leader !== -1 || !p.replicas.includes(b)) continue;
      const clean = p.replicas.find((r) => p.isr.includes(r) && live(m, r));
      if (clean !== undefined) setLeader(p, clean, p.isr);
      else if (t.unclean) {
        const any = p.replicas.find((r) => live(m, r))!;
        setLeader(p, any, [any]);
      }
    }
  }
}

const opArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("register" as const), b: fc.constantFrom(...brokerIds) }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("heartbeat" as const),
      b: fc.constantFrom(...brokerIds),
      fence: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("expire" as const), b: fc.constantFrom(...brokerIds) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("create" as const),
      name: fc.constantFrom(...topicNames),
      partitions: fc.integer({ min: 0, max: 4 }),
      rf: fc.integer({ min: 0, max: 6 }),
      unclean: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant("delete" as const), name: fc.constantFrom(...topicNames) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("grow" as const),
      name: fc.constantFrom(...topicNames),
      more: fc.nat(3),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("alter" as const),
      name: fc.constantFrom(...topicNames),
      p: fc.nat(6),
      mask: fc.nat(31),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("elect" as const),
      name: fc.constantFrom(...topicNames),
      p: fc.nat(6),
      kind: fc.constantFrom("preferred" as const, "unclean" as const),
    }),
  },
);

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

const setupArb = fc.record({
  brokers: fc.integer({ min: 3, max: 5 }),
  partitions: fc.integer({ min: 1, max: 4 }),
  rf: fc.integer({ min: 2, max: 3 }),
  unclean: fc.boolean(),
});

/** How often the interesting paths ran, so a test that exercises nothing fails. */
const coverage = { leaderChanges: 0, offline: 0, unclean: 0, runs: 0 };

function compare(d: Driver, m: Model): void {
  const image = d.image;
  expect(image.brokers.map((b) => [b.brokerId, b.brokerEpoch, b.fenced])).toEqual(
    [...m.brokers.entries()].sort(([x], [y]) => x - y).map(([id, b]) => [id, b.epoch, b.fenced]),
  );
  expect(Object.keys(image.topics).sort()).toEqual([...m.topics.keys()].sort());
  for (const [name, t] of m.topics) {
    const actual = image.topics[name]!.partitions.map((p) => ({
      replicas: p.replicas,
      isr: [...p.isr].sort(),
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
    }));
    const expected = t.partitions.map((p) => ({ ...p, isr: [...p.isr].sort() }));
    expect(actual).toEqual(expected);
    for (const p of image.topics[name]!.partitions) {
      // A leader is live and in the ISR, or there is none.
      if (p.leader !== -1) {
        expect(p.isr).toContain(p.leader);
        expect(controller.isLive(image, p.leader)).toBe(true);
      }
    }
  }
}

type Setup = typeof setupArb extends fc.Arbitrary<infer T> ? T : never;

const opsArb = fc.array(opArb, { minLength: 30, maxLength: 150 });
const runs = Number(process.env.CONTROLLER_RUNS ?? 300);

/** Runs the operations against the controller and the naive model, comparing after each one. */
function runAgainstModel(setup: Setup, ops: readonly Op[]): Driver {
  const d = new Driver({ sessionTimeoutMs });
  const m: Model = { brokers: new Map(), topics: new Map() };
  let now = 0;
  const lastBeat = new Map<number, number>();
  // Start from a healthy cluster with one topic, so most operations act on real partitions.
  const prelude: Op[] = [];
  for (let b = 1; b <= setup.brokers; b++) prelude.push({ op: "register", b });
  for (let b = 1; b <= setup.brokers; b++) prelude.push({ op: "heartbeat", b, fence: false });
  prelude.push({
    op: "create",
    name: "a",
    partitions: setup.partitions,
    rf: setup.rf,
    unclean: setup.unclean,
  });
  for (const o of [...prelude, ...ops]) {
    try {
      runOp(o);
    } catch (e) {
      // bun does not print a failed property's cause; name the operation that broke.
      console.log(`failed at ${JSON.stringify(o)}: ${String(e)}`);
      throw e;
    }
  }
  function runOp(o: Op): void {
    switch (o.op) {
      case "register": {
        const prior = m.brokers.get(o.b);
        if (prior !== undefined && !prior.fenced) modelFence(m, o.b);
        m.brokers.set(o.b, { epoch: (prior?.epoch ?? 0) + 1, fenced: true });
        d.register(o.b, now);
        lastBeat.set(o.b, now);
        break;
      }
      case "heartbeat": {
        const b = m.brokers.get(o.b);
        if (b === undefined) {
          const r = d.send({
            type: "brokerHeartbeat",
            nowMs: now,
            brokerId: o.b,
            brokerEpoch: 1,
            wantFence: false,
          });
          expect(r.response).toMatchObject({ error: "BROKER_ID_NOT_REGISTERED" });
          break;
        }
        if (b.fenced && !o.fence) modelUnfence(m, o.b);
        else if (!b.fenced && o.fence) modelFence(m, o.b);
        expect(d.heartbeat(o.b, now, o.fence)).toEqual({
          type: "brokerHeartbeat",
          error: "NONE",
          isFenced: o.fence,
        });
        lastBeat.set(o.b, now);
        break;
      }
      case "expire": {
        // Everyone else live heartbeats; time passes beyond o.b's session.
        now = Math.max(now, (lastBeat.get(o.b) ?? now) + sessionTimeoutMs + 1);
        for (const [id, b] of [...m.brokers.entries()].sort(([x], [y]) => x - y)) {
          if (id !== o.b && !b.fenced) {
            d.heartbeat(id, now);
            lastBeat.set(id, now);
          }
        }
        if (live(m, o.b)) modelFence(m, o.b);
        d.send({ type: "tick", nowMs: now });
        break;
      }
      case "create": {
        const exists = m.topics.has(o.name);
        const ids = [...m.brokers.entries()].filter(([, b]) => !b.fenced).map(([id]) => id);
        const placement = naivePlacement(ids, 0, o.partitions, o.rf);
        const configs = { "unclean.leader.election.enable": String(o.unclean) };
        const r = d.send({
          type: "createTopics",
          topics: [{ name: o.name, partitions: o.partitions, replicationFactor: o.rf, configs }],
        });
        const error = exists
          ? "TOPIC_ALREADY_EXISTS"
          : o.partitions < 1
            ? "INVALID_PARTITIONS"
            : placement === null
              ? "INVALID_REPLICATION_FACTOR"
              : "NONE";
        expect(r.response).toMatchObject({ topics: [{ error }] });
        if (error === "NONE") {
          m.topics.set(o.name, {
            unclean: o.unclean,
            partitions: placement!.map((replicas) => ({
              replicas,
              isr: [...replicas],
              leader: replicas[0]!,
              leaderEpoch: 0,
              partitionEpoch: 0,
            })),
          });
        }
        break;
      }
      case "delete": {
        const r = d.send({ type: "deleteTopics", names: [o.name] });
        expect(r.response).toMatchObject({
          topics: [{ error: m.topics.has(o.name) ? "NONE" : "UNKNOWN_TOPIC_OR_PARTITION" }],
        });
        m.topics.delete(o.name);
        break;
      }
      case "grow": {
        const t = m.topics.get(o.name);
        const current = t?.partitions.length ?? 0;
        const r = d.send({
          type: "createPartitions",
          topics: [{ name: o.name, count: current + o.more }],
        });
        if (t === undefined) {
          expect(r.response).toMatchObject({ topics: [{ error: "UNKNOWN_TOPIC_OR_PARTITION" }] });
          break;
        }
        const ids = [...m.brokers.entries()].filter(([, b]) => !b.fenced).map(([id]) => id);
        const placement = naivePlacement(ids, current, o.more, t.partitions[0]!.replicas.length);
        const error =
          o.more < 1 ? "INVALID_PARTITIONS" : placement === null ? "INVALID_REPLICATION_FACTOR" : "NONE";
        expect(r.response).toMatchObject({ topics: [{ error }] });
        if (error === "NONE") {
          for (const replicas of placement!) {
            t.partitions.push({
              replicas,
              isr: [...replicas],
              leader: replicas[0]!,
              leaderEpoch: 0,
              partitionEpoch: 0,
            });
          }
        }
        break;
      }
      case "alter": {
        const t = m.topics.get(o.name);
        const p = t?.partitions[o.p % Math.max(1, t.partitions.length)];
        if (t === undefined || p === undefined || p.leader === -1) break;
        const leader = p.leader;
        const isr = p.replicas.filter((r, k) => r === leader || (o.mask >> k) & 1);
        const r = d.send({
          type: "alterPartition",
          brokerId: leader,
          brokerEpoch: m.brokers.get(leader)!.epoch,
          topic: o.name,
          partition: o.p % t.partitions.length,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          isr,
        });
        const eligible = isr.every((x) => p.isr.includes(x) || live(m, x));
        expect(r.response).toMatchObject({ error: eligible ? "NONE" : "INELIGIBLE_REPLICA" });
        const changed = isr.length !== p.isr.length || !isr.every((x) => p.isr.includes(x));
        if (eligible && changed) {
          p.isr = isr;
          p.partitionEpoch++;
        }
        break;
      }
      case "elect": {
        const t = m.topics.get(o.name);
        const index = o.p % Math.max(1, t?.partitions.length ?? 1);
        const p = t?.partitions[index];
        const r = d.send({
          type: "electLeaders",
          electionType: o.kind,
          partitions: [{ topic: o.name, partition: index }],
        });
        if (p === undefined) {
          expect(r.response).toMatchObject({ partitions: [{ error: "UNKNOWN_TOPIC_OR_PARTITION" }] });
          break;
        }
        let error: controller.ControllerError;
        if (o.kind === "preferred") {
          const preferred = p.replicas[0]!;
          if (p.leader === preferred) error = "ELECTION_NOT_NEEDED";
          else if (!p.isr.includes(preferred) || !live(m, preferred))
            error = "PREFERRED_LEADER_NOT_AVAILABLE";
          else {
            error = "NONE";
            setLeader(p, preferred, p.isr);
          }
        } else if (p.leader !== -1) error = "ELECTION_NOT_NEEDED";
        else {
          const clean = p.replicas.find((x) => p.isr.includes(x) && live(m, x));
          const any = p.replicas.find((x) => live(m, x));
          if (clean !== undefined) {
            error = "NONE";
            setLeader(p, clean, p.isr);
          } else if (any !== undefined) {
            error = "NONE";
            setLeader(p, any, [any]);
          } else error = "ELIGIBLE_LEADERS_NOT_AVAILABLE";
        }
        expect(r.response).toMatchObject({ partitions: [{ error }] });
        break;
      }
    }
    compare(d, m);
  }
  return d;
}

test("controller: matches a naive model (placement, fencing, elections, ISR changes, errors)", () => {
  fc.assert(
    fc.property(setupArb, opsArb, (setup, ops) => {
      const d = runAgainstModel(setup, ops);
      coverage.runs++;
      for (const r of d.batches.flat()) {
        if (r.type !== "PartitionChange") continue;
        if (r.unclean) coverage.unclean++;
        if (r.leader === -1) coverage.offline++;
        else if (r.leaderEpoch > 0) coverage.leaderChanges++;
      }
    }),
    { numRuns: runs },
  );
  // The schedules must reach the interesting paths, or the comparison checks little.
  expect(coverage.leaderChanges).toBeGreaterThan(coverage.runs);
  expect(coverage.offline).toBeGreaterThan(coverage.runs / 10);
  expect(coverage.unclean).toBeGreaterThan(coverage.runs / 20);
});

/** Replays committed batches, calling `visit` with each PartitionChange and the partition before it. */
function replayChanges(
  batches: readonly (readonly controller.MetadataRecord[])[],
  visit: (
    change: controller.MetadataRecord & { type: "PartitionChange" },
    prior: controller.PartitionState,
  ) => void,
): void {
  let image = controller.emptyImage;
  batches.forEach((batch, k) => {
    for (const r of batch) {
      if (r.type === "PartitionChange") visit(r, image.topics[r.topic]!.partitions[r.partition]!);
      image = controller.applyRecord(image, r);
    }
    image = { ...image, offset: k + 1 };
  });
}

test("pin: with unclean election off, a new leader always comes from the ISR", () => {
  const cleanSetup = setupArb.map((s) => ({ ...s, unclean: false }));
  const cleanOps = opsArb.map((ops) => ops.map((o) => (o.op === "create" ? { ...o, unclean: false } : o)));
  fc.assert(
    fc.property(cleanSetup, cleanOps, (setup, ops) => {
      // Explicit unclean ElectLeaders requests are the documented switch; leave them out here.
      const d = runAgainstModel(
        setup,
        ops.filter((o) => o.op !== "elect" || o.kind === "preferred"),
      );
      replayChanges(d.batches, (change, prior) => {
        expect(change.unclean).toBe(false);
        if (change.leader !== prior.leader && change.leader !== controller.noLeader) {
          expect(prior.isr).toContain(change.leader);
          expect(change.leaderEpoch).toBeGreaterThan(prior.leaderEpoch);
        }
      });
    }),
    { numRuns: Math.ceil(runs / 3) },
  );
});

test("pin: two leaders never share a (partition, leader epoch)", () => {
  fc.assert(
    fc.property(setupArb, opsArb, (setup, ops) => {
      const d = runAgainstModel(setup, ops);
      const leaders = new Map<string, Set<number>>();
      const note = (topicId: string, partition: number, epoch: number, leader: number) => {
        if (leader === controller.noLeader) return;
        const key = `${topicId}/${partition}/${epoch}`;
        leaders.set(key, (leaders.get(key) ?? new Set()).add(leader));
      };
      for (const r of d.batches.flat()) {
        if (r.type === "CreateTopic" || r.type === "CreatePartitions") {
          for (const p of r.partitions) note(r.topicId, p.partition, p.leaderEpoch, p.leader);
        } else if (r.type === "PartitionChange") note(r.topicId, r.partition, r.leaderEpoch, r.leader);
      }
      for (const set of leaders.values()) expect(set.size).toBe(1);
    }),
    { numRuns: Math.ceil(runs / 3) },
  );
});

test("controller: placement matches the naive formula for any broker set", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.nat(1000), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 12 }),
      fc.nat(20),
      (ids, count, rf, first) => {
        const result = controller.placeReplicas(ids, count, rf, first);
        const naive = naivePlacement(ids, first, count, rf);
        if (naive === null) expect(result).toEqual({ ok: false, error: "INVALID_REPLICATION_FACTOR" });
        else {
          expect(result).toEqual({ ok: true, assignment: naive });
          // Never more replicas than brokers, and never two replicas on one broker.
          for (const replicas of naive) expect(new Set(replicas).size).toBe(replicas.length);
        }
      },
    ),
  );
});
