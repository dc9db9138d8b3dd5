/**
 * Producer-id blocks from the metadata controller (Kafka's AllocateProducerIds and ProducerIdsRecord).
 * Goal: a block is never handed out twice, whichever controller answers, so idempotent producers on
 * different brokers never share an id. Method: unit tests pin the answers (blocks of 1000 in order,
 * stale and unknown brokers refused, a standby refusing, exhaustion) and that the image gains its
 * cursor only with the first block; a fast-check model runs three controllers over one committed log
 * through random registrations, allocations (stale ones too), commits, failovers that keep or drop
 * the uncommitted tail, restarts from a JSON snapshot and installed snapshots, and checks that every
 * block a broker could have been told of is disjoint from every other.
 */
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import * as controller from "../src/controller/index.ts";
import { InvariantError } from "../src/invariant.ts";
import { prngFromSeed } from "../src/prng.ts";
import { Driver } from "./controller-driver.ts";

const blockSize = controller.producerIdBlockSize;

function allocate(d: Driver, brokerId: number, brokerEpoch: number): controller.Ready {
  return d.send({ type: "allocateProducerIds", brokerId, brokerEpoch });
}

describe("controller: producer-id blocks", () => {
  test("hands out blocks of 1000 in order, each committed as a ProducerIds record first", () => {
    const d = new Driver();
    const epoch1 = d.register(1, 0);
    const epoch2 = d.register(2, 0);
    expect("nextProducerId" in d.image).toBe(false);
    const first = allocate(d, 1, epoch1);
    expect(first.response).toEqual({
      type: "allocateProducerIds",
      error: "NONE",
      firstProducerId: 0,
      size: 1000,
    });
    expect(first.records).toEqual([
      { type: "ProducerIds", brokerId: 1, brokerEpoch: epoch1, nextProducerId: 1000 },
    ]);
    expect(d.image.nextProducerId).toBe(1000);
    const second = allocate(d, 2, epoch2);
    expect(second.response).toMatchObject({ error: "NONE", firstProducerId: 1000, size: blockSize });
    expect(d.image.nextProducerId).toBe(2000);
  });

  test("refuses an unknown broker and a stale broker epoch, recording nothing", () => {
    const d = new Driver();
    const epoch = d.register(1, 0);
    const unknown = allocate(d, 7, 1);
    expect(unknown.response).toEqual({
      type: "allocateProducerIds",
      error: "BROKER_ID_NOT_REGISTERED",
      firstProducerId: -1,
      size: 0,
    });
    expect(unknown.records).toEqual([]);
    // The broker restarted: its next registration has a new epoch, and the old one is stale.
    d.heartbeat(1, 0);
    const newer = d.register(1, 1);
    expect(newer).toBe(epoch + 1);
    const stale = allocate(d, 1, epoch);
    expect(stale.response).toMatchObject({ error: "STALE_BROKER_EPOCH", firstProducerId: -1, size: 0 });
    expect(stale.records).toEqual([]);
    expect("nextProducerId" in d.image).toBe(false);
    expect(allocate(d, 1, newer).response).toMatchObject({ error: "NONE", firstProducerId: 0 });
  });

  test("a standby answers NOT_CONTROLLER and proposes nothing", () => {
    const state = controller.initialState({ prng: prngFromSeed(3) });
    const { ready } = controller.step(state, { type: "allocateProducerIds", brokerId: 1, brokerEpoch: 1 });
    expect(ready).toEqual({
      records: [],
      response: { type: "allocateProducerIds", error: "NOT_CONTROLLER", firstProducerId: -1, size: 0 },
    });
  });

  test("two requests decided before either commits get different blocks", () => {
    let state = controller.step(controller.initialState({ prng: prngFromSeed(4) }), {
      type: "activate",
      nowMs: 0,
    }).state;
    const registered = controller.step(state, {
      type: "registerBroker",
      nowMs: 0,
      brokerId: 1,
      host: "h",
      port: 1,
      rack: null,
    });
    state = registered.state;
    const a = controller.step(state, { type: "allocateProducerIds", brokerId: 1, brokerEpoch: 1 });
    const b = controller.step(a.state, { type: "allocateProducerIds", brokerId: 1, brokerEpoch: 1 });
    expect(a.ready.response).toMatchObject({ firstProducerId: 0 });
    expect(b.ready.response).toMatchObject({ firstProducerId: 1000 });
    expect(b.state.pending.length).toBe(3);
    // Nothing committed yet: the image brokers act on has no cursor.
    expect("nextProducerId" in b.state.image).toBe(false);
  });

  test("an exhausted id space is answered UNKNOWN_SERVER_ERROR, as Kafka does", () => {
    const d = new Driver();
    const epoch = d.register(1, 0);
    const last = controller.producerIdEndMax - blockSize;
    d.state = controller.initialState({ prng: prngFromSeed(5), image: { ...d.image, nextProducerId: last } });
    d.state = controller.step(d.state, { type: "activate", nowMs: 0 }).state;
    expect(allocate(d, 1, epoch).response).toMatchObject({ error: "NONE", firstProducerId: last });
    expect(d.image.nextProducerId).toBe(controller.producerIdEndMax);
    const refused = allocate(d, 1, epoch);
    expect(refused.response).toMatchObject({ error: "UNKNOWN_SERVER_ERROR", size: 0 });
    expect(refused.records).toEqual([]);
  });

  test("applying a ProducerIds record that moves the cursor back fails loudly", () => {
    const d = new Driver();
    const epoch = d.register(1, 0);
    allocate(d, 1, epoch);
    const back = { type: "ProducerIds", brokerId: 1, brokerEpoch: epoch, nextProducerId: 1000 } as const;
    expect(() => controller.applyRecord(d.image, back)).toThrow(InvariantError);
    const otherIncarnation = { ...back, brokerEpoch: epoch + 1, nextProducerId: 2000 };
    expect(() => controller.applyRecord(d.image, otherIncarnation)).toThrow(InvariantError);
  });
});

// ---- The model: three controllers over one committed log ----

const nodeCount = 3;
const brokerIdsModel = [1, 2, 3, 4];
/** Proposals one active controller may hold before the model commits or drops them. */
const pendingMax = 6;

type Op =
  | { readonly kind: "register"; readonly brokerId: number }
  | { readonly kind: "allocate"; readonly brokerId: number; readonly stale: boolean }
  | { readonly kind: "commit" }
  | { readonly kind: "failover"; readonly to: number; readonly keep: number }
  | { readonly kind: "restart"; readonly node: number }
  | { readonly kind: "install"; readonly node: number; readonly from: number };

/** Allocations and commits dominate, so most runs hand out several blocks between the faults. */
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("register" as const),
      brokerId: fc.constantFrom(...brokerIdsModel),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("allocate" as const),
      brokerId: fc.constantFrom(1, 2, ...brokerIdsModel, 9),
      // One request in four carries the previous incarnation's epoch.
      stale: fc.nat(3).map((k) => k === 0),
    }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("commit" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("failover" as const),
      to: fc.nat(nodeCount - 1),
      keep: fc.nat(pendingMax),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("restart" as const), node: fc.nat(nodeCount - 1) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("install" as const),
      node: fc.nat(nodeCount - 1),
      from: fc.nat(nodeCount - 1),
    }),
  },
);

interface Proposal {
  readonly records: readonly controller.MetadataRecord[];
  readonly response: controller.Response | null;
}

class Cluster {
  readonly nodes: controller.ControllerState[] = [];
  /** Committed batches; batch k is at offset k + 1. */
  readonly log: (readonly controller.MetadataRecord[])[] = [];
  active = 0;
  /** The active controller's proposals not committed yet, oldest first. */
  proposals: Proposal[] = [];
  /** Blocks whose answer a broker received (their records committed), in the order answered. */
  readonly answered: { first: number; size: number }[] = [];

  constructor() {
    for (let n = 0; n < nodeCount; n++)
      this.nodes.push(controller.initialState({ prng: prngFromSeed(100 + n) }));
    this.nodes[0] = controller.step(this.nodes[0]!, { type: "activate", nowMs: 0 }).state;
  }

  /** Feeds node `n` every committed batch it has not applied. */
  catchUp(n: number): void {
    let state = this.nodes[n]!;
    for (let offset = state.image.offset + 1; offset <= this.log.length; offset++)
      state = controller.step(state, { type: "committed", offset, records: this.log[offset - 1]! }).state;
    this.nodes[n] = state;
  }

  request(input: controller.Input): controller.Response | null {
    const { state, ready } = controller.step(this.nodes[this.active]!, input);
    this.nodes[this.active] = state;
    if (ready.records.length > 0) this.proposals.push({ records: ready.records, response: ready.response });
    return ready.response;
  }

  /** The oldest proposal commits; its answer reaches the broker. */
  commitOldest(): void {
    const proposal = this.proposals.shift();
    if (proposal === undefined) return;
    this.log.push(proposal.records);
    this.catchUp(this.active);
    const r = proposal.response;
    if (r?.type === "allocateProducerIds" && r.error === "NONE")
      this.answered.push({ first: r.firstProducerId, size: r.size });
  }

  /**
   * The quorum's leadership moves to node `to`: the old leader's first `keep` proposals commit (a new
   * Raft leader may commit them) but their answers are lost with the old leader; the rest are dropped.
   */
  failover(to: number, keep: number): void {
    this.nodes[this.active] = controller.step(this.nodes[this.active]!, { type: "deactivate" }).state;
    for (const p of this.proposals.slice(0, keep)) this.log.push(p.records);
    this.proposals = [];
    this.active = to;
    this.catchUp(to);
    this.nodes[to] = controller.step(this.nodes[to]!, { type: "activate", nowMs: 0 }).state;
  }

  /** A standby restarts from a JSON snapshot of its own image, then replays the log after it. */
  restart(n: number): void {
    if (n === this.active) return;
    const image = JSON.parse(JSON.stringify(this.nodes[n]!.image)) as controller.MetadataImage;
    this.nodes[n] = controller.initialState({ prng: prngFromSeed(200 + n), image });
    this.catchUp(n);
  }

  /** A standby installs another node's newer snapshot, as a lagging Raft follower does. */
  install(n: number, from: number): void {
    if (n === this.active) return;
    const image = JSON.parse(JSON.stringify(this.nodes[from]!.image)) as controller.MetadataImage;
    if (image.offset < this.nodes[n]!.image.offset) return;
    this.nodes[n] = controller.step(this.nodes[n]!, { type: "restore", image }).state;
  }
}

function runOp(c: Cluster, op: Op): void {
  switch (op.kind) {
    case "register":
      if (c.proposals.length >= pendingMax) c.commitOldest();
      c.request({
        type: "registerBroker",
        nowMs: 0,
        brokerId: op.brokerId,
        host: "h",
        port: 9092,
        rack: null,
      });
      return;
    case "allocate": {
      if (c.proposals.length >= pendingMax) c.commitOldest();
      const broker = controller.findBroker(c.nodes[c.active]!.latest, op.brokerId);
      const epoch = broker === undefined ? 1 : op.stale ? broker.brokerEpoch - 1 : broker.brokerEpoch;
      const response = c.request({ type: "allocateProducerIds", brokerId: op.brokerId, brokerEpoch: epoch });
      const expected =
        broker === undefined ? "BROKER_ID_NOT_REGISTERED" : op.stale ? "STALE_BROKER_EPOCH" : "NONE";
      expect(response).toMatchObject({ type: "allocateProducerIds", error: expected });
      return;
    }
    case "commit":
      c.commitOldest();
      return;
    case "failover":
      c.failover(op.to, op.keep);
      return;
    case "restart":
      c.restart(op.node);
      return;
    case "install":
      c.install(op.node, op.from);
      return;
  }
}

/** Every committed ProducerIds record's block and every answered block is disjoint from the others. */
function checkBlocks(c: Cluster): void {
  const committed: { first: number; size: number }[] = [];
  let cursor = 0;
  for (const batch of c.log) {
    for (const r of batch) {
      if (r.type !== "ProducerIds") continue;
      // Each record moves the cursor by exactly one block, starting where the last one ended.
      expect(r.nextProducerId).toBe(cursor + blockSize);
      committed.push({ first: cursor, size: blockSize });
      cursor = r.nextProducerId;
    }
  }
  const firsts = new Set<number>();
  for (const block of c.answered) {
    expect(block.size).toBe(blockSize);
    expect(firsts.has(block.first)).toBe(false);
    firsts.add(block.first);
    // An answered block is one the log recorded: a later controller knows it was handed out.
    expect(committed.some((k) => k.first === block.first)).toBe(true);
  }
  for (let n = 0; n < nodeCount; n++) {
    const image = c.nodes[n]!.image;
    let expectedNext: number | undefined;
    let at = 0;
    for (const batch of c.log.slice(0, image.offset)) {
      for (const r of batch) if (r.type === "ProducerIds") expectedNext = r.nextProducerId;
      at++;
    }
    expect(at).toBe(image.offset);
    // The cursor appears with the first block and not before, whatever path the image took.
    expect(image.nextProducerId).toBe(expectedNext);
    expect("nextProducerId" in image).toBe(expectedNext !== undefined);
  }
}

test("blocks never overlap across registrations, allocations, failovers, restarts and snapshots", () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 10, maxLength: 80, size: "max" }), (ops) => {
      const c = new Cluster();
      // Two brokers registered and committed first, so most allocations have someone to serve.
      runOp(c, { kind: "register", brokerId: 1 });
      runOp(c, { kind: "register", brokerId: 2 });
      c.commitOldest();
      c.commitOldest();
      for (const op of ops) {
        runOp(c, op);
        checkBlocks(c);
      }
      // Once every node has applied the whole log, they hold the same image.
      for (let n = 0; n < nodeCount; n++) c.catchUp(n);
      const images = c.nodes.map((s) => JSON.stringify(s.image));
      for (const image of images) expect(image).toBe(images[0]!);
    }),
    { numRuns: 300 },
  );
});
