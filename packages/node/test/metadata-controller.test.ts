/**
 * The shared metadata controller, three voters in one process over a hand-run network and in-memory
 * stores: an election activates exactly one controller, requests are answered only once committed,
 * a store that completes later holds everything back until it does, and a crashed leader's successor
 * answers while the old leader restarts from its store.
 */
import { describe, expect, test } from "bun:test";
import { controller, prngFromSeed, prngJump, type quorum } from "@eddy/core";
import {
  type ControllerStore,
  MetadataController,
  type QuorumEntry,
  type QuorumMessage,
  type QuorumSnapshot,
} from "../src/index.ts";

type Durable = {
  hardState: quorum.HardState;
  snapshot: QuorumSnapshot;
  entries: QuorumEntry[];
};

/** A store kept in memory; `deferred` makes each sync wait until the test releases it. */
class MemoryStore implements ControllerStore {
  readonly durable: Durable = {
    hardState: { term: 0, votedFor: null, commitIndex: 0 },
    snapshot: { index: 0, term: 0, data: controller.emptyImage },
    entries: [],
  };
  readonly pending: (() => void)[] = [];
  deferred = false;
  syncs = 0;

  saveHardState(hardState: quorum.HardState): void {
    this.durable.hardState = hardState;
  }
  installSnapshot(snapshot: QuorumSnapshot, keepEntriesAfter: boolean): void {
    this.durable.snapshot = snapshot;
    this.durable.entries = keepEntriesAfter
      ? this.durable.entries.filter((e) => e.index > snapshot.index)
      : [];
  }
  truncateFrom(index: number): void {
    this.durable.entries = this.durable.entries.filter((e) => e.index < index);
  }
  appendEntries(entries: readonly QuorumEntry[]): void {
    this.durable.entries.push(...entries);
  }
  compact(snapshot: QuorumSnapshot): void {
    this.durable.snapshot = snapshot;
    this.durable.entries = this.durable.entries.filter((e) => e.index > snapshot.index);
  }
  sync(done: (error: Error | null) => void): void {
    this.syncs++;
    if (this.deferred) this.pending.push(() => done(null));
    else done(null);
  }
  release(): void {
    for (let n = 0; n < 1000 && this.pending.length > 0; n++) this.pending.shift()!();
  }
}

class Cluster {
  readonly stores = [new MemoryStore(), new MemoryStore(), new MemoryStore()];
  readonly nodes: (MetadataController | null)[] = [null, null, null];
  readonly inflight: QuorumMessage[] = [];
  clockMs = 1_000;
  readonly images: number[] = [0, 0, 0];

  start(id: number): MetadataController {
    const store = this.stores[id]!;
    const root = prngJump(prngFromSeed(id + 1));
    const node = MetadataController.open(
      {
        nodeId: id,
        voters: [0, 1, 2],
        quorumPrng: root,
        controllerPrng: prngJump(root),
        quorumConfig: { electionTicks: 10, heartbeatTicks: 2, checkQuorum: true },
        durable: { ...store.durable, entries: [...store.durable.entries] },
        compactEntriesAt: 4,
      },
      {
        nowMs: () => this.clockMs,
        send: (m) => this.inflight.push(m),
        store,
        imageCommitted: () => {
          this.images[id]!++;
        },
        storeFailed: () => {},
        log: () => {},
      },
    );
    this.nodes[id] = node;
    return node;
  }

  crash(id: number): void {
    this.nodes[id] = null;
  }

  /** Delivers messages (to live nodes) until none are left. */
  deliver(): void {
    for (let n = 0; n < 100_000 && this.inflight.length > 0; n++) {
      const m = this.inflight.shift()!;
      this.nodes[m.to]?.onMessage(m);
    }
  }

  /** Ticks every live node `ticks` times, 100 ms apart, delivering messages after each. */
  run(ticks: number): void {
    for (let t = 0; t < ticks; t++) {
      this.clockMs += 100;
      for (const node of this.nodes) node?.tick();
      this.deliver();
    }
  }

  active(): number[] {
    return this.nodes.flatMap((n, i) => (n?.isActive ? [i] : []));
  }
}

function request(node: MetadataController, input: controller.Input) {
  const box: { response: controller.Response | null; committed: boolean; done: boolean } = {
    response: null,
    committed: false,
    done: false,
  };
  node.request(input, (response, committed) => {
    box.response = response;
    box.committed = committed;
    box.done = true;
  });
  return box;
}

describe("metadata controller", () => {
  test("one controller becomes active; a registration is answered once committed on a majority", () => {
    const c = new Cluster();
    for (const id of [0, 1, 2]) c.start(id);
    c.nodes[0]!.campaign();
    c.deliver();
    c.run(3);
    expect(c.active()).toEqual([0]);
    const answer = request(c.nodes[0]!, {
      type: "registerBroker",
      nowMs: c.clockMs,
      brokerId: 7,
      host: "h",
      port: 1,
      rack: null,
    });
    // Not answered until the followers acknowledged the entry.
    expect(answer.done).toBe(false);
    c.deliver();
    c.run(1);
    expect(answer.done).toBe(true);
    expect(answer.committed).toBe(true);
    expect(answer.response).toMatchObject({ type: "registerBroker", error: "NONE" });
    // Every voter applied it.
    c.run(2);
    for (const node of c.nodes) expect(node!.image.brokers.map((b) => b.brokerId)).toEqual([7]);
  });

  test("a store that completes later holds back sends, applies and answers until it is durable", () => {
    const c = new Cluster();
    for (const id of [0, 1, 2]) c.start(id);
    c.nodes[0]!.campaign();
    c.deliver();
    c.run(3);
    const leader = c.stores[0]!;
    leader.deferred = true;
    const answer = request(c.nodes[0]!, {
      type: "registerBroker",
      nowMs: c.clockMs,
      brokerId: 3,
      host: "h",
      port: 1,
      rack: null,
    });
    // The entry was handed to the store, but nothing was sent for it yet: the append waits for durability.
    expect(c.inflight.length).toBe(0);
    // Later inputs queue behind the Ready in flight.
    const second = request(c.nodes[0]!, {
      type: "registerBroker",
      nowMs: c.clockMs,
      brokerId: 4,
      host: "h",
      port: 1,
      rack: null,
    });
    c.run(2);
    expect(answer.done || second.done).toBe(false);
    leader.deferred = false;
    leader.release();
    c.deliver();
    c.run(3);
    expect(answer.committed && second.committed).toBe(true);
    expect(c.nodes[0]!.image.brokers.map((b) => b.brokerId)).toEqual([3, 4]);
  });

  test("a crashed leader's successor becomes active, restarts from its store and answers", () => {
    const c = new Cluster();
    for (const id of [0, 1, 2]) c.start(id);
    c.nodes[0]!.campaign();
    c.deliver();
    c.run(3);
    for (let i = 0; i < 6; i++) {
      request(c.nodes[0]!, {
        type: "registerBroker",
        nowMs: c.clockMs,
        brokerId: 10 + i,
        host: "h",
        port: 1,
        rack: null,
      });
      c.deliver();
      c.run(1);
    }
    // Six entries past a compaction threshold of four: every store holds a snapshot now.
    expect(c.stores[1]!.durable.snapshot.index).toBeGreaterThan(0);
    c.crash(0);
    c.run(40);
    const active = c.active();
    expect(active.length).toBe(1);
    expect(active[0]).not.toBe(0);
    const next = c.nodes[active[0]!]!;
    expect(next.image.brokers.length).toBe(6);
    // The old leader restarts from its store and catches up as a follower.
    c.start(0);
    c.run(10);
    expect(c.nodes[0]!.isActive).toBe(false);
    expect(c.nodes[0]!.image.brokers.length).toBe(6);
  });
});
