/**
 * The shared producer-id allocator, driven by a hand-run environment whose block source is a durable
 * cursor that outlives the allocator (a restart is a new allocator over the same cursor): the first
 * request after a start gets an id once the block it waited for arrives, the next block is asked for
 * ahead of exhaustion, waiting requests are bounded, a failed reservation is retried, a restart never
 * hands out an id twice, and the environment may never answer inside the call that asked.
 */
import { describe, expect, test } from "bun:test";
import { producer } from "@eddy/core";
import {
  ProducerIdAllocator,
  type ProducerIdAllocatorOptions,
} from "../src/producer-ids/producer-id-allocator.ts";
import type { ProducerIdEnv } from "../src/producer-ids/producer-id-env.ts";

const { NONE, COORDINATOR_LOAD_IN_PROGRESS } = producer.errorCode;
const blockSize = 1000;

/** What a disk keeps across restarts: the first id not yet reserved. */
class DurableCursor {
  nextProducerId = 0;
}

/** Block requests are held until the test completes them, as a disk or a controller answers later. */
class TestEnv implements ProducerIdEnv {
  clockMs = 1_000;
  readonly asked: ProducerIdAllocator[] = [];
  readonly persisted: producer.TransactionalIdEntry[] = [];
  readonly lines: string[] = [];
  answerInside = false;

  constructor(readonly cursor: DurableCursor = new DurableCursor()) {}

  nowMs(): number {
    return this.clockMs;
  }
  requestBlock(allocator: ProducerIdAllocator): void {
    this.asked.push(allocator);
    if (this.answerInside) allocator.onBlock(this.reserve());
  }
  persistTransactionalIds(_a: ProducerIdAllocator, entries: readonly producer.TransactionalIdEntry[]): void {
    this.persisted.push(...entries);
  }
  log(line: string): void {
    this.lines.push(line);
  }

  /** Reserves the next block durably, as the broker's state store and the simulator's disk do. */
  reserve(): producer.ProducerIdBlock {
    const first = this.cursor.nextProducerId;
    this.cursor.nextProducerId += blockSize;
    return { firstProducerId: first, size: blockSize };
  }

  /** Completes every block request made so far. */
  completeBlocks(): number {
    const asked = this.asked.splice(0);
    for (const a of asked) a.onBlock(this.reserve());
    return asked.length;
  }

  failBlocks(): void {
    for (const a of this.asked.splice(0)) a.onBlockFailed("injected EIO");
  }
}

interface Answered {
  response: producer.InitProducerIdResponse | null;
}

function ask(a: ProducerIdAllocator, transactionalId: string | null = null): Answered {
  const out: Answered = { response: null };
  a.initProducerId(
    { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 },
    (r) => {
      expect(out.response).toBeNull();
      out.response = r;
    },
  );
  return out;
}

/** Asks `count` times, completing blocks whenever a request waits; returns the ids handed out. */
function idsFrom(env: TestEnv, a: ProducerIdAllocator, count: number): number[] {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const answered = ask(a);
    if (answered.response === null) env.completeBlocks();
    expect(answered.response?.errorCode).toBe(NONE);
    ids.push(answered.response!.producerId);
  }
  return ids;
}

function start(env: TestEnv, options: ProducerIdAllocatorOptions = {}): ProducerIdAllocator {
  return new ProducerIdAllocator(env, options);
}

describe("producer-id allocator", () => {
  test("the first request after a start waits for the block it asked for, then gets an id", () => {
    const env = new TestEnv();
    const a = start(env);
    // Nothing is reserved before a request needs an id.
    expect(env.asked.length).toBe(0);
    const first = ask(a);
    expect(first.response).toBeNull();
    expect(a.waitingCount).toBe(1);
    expect(env.asked.length).toBe(1);
    env.completeBlocks();
    expect(first.response).toEqual({ requestId: 1, errorCode: NONE, producerId: 0, producerEpoch: 0 });
    expect(a.waitingCount).toBe(0);
    expect(a.waitedAnswers).toBe(1);
  });

  test("every request waiting for the first block gets an id from it, in arrival order", () => {
    const env = new TestEnv();
    const a = start(env);
    const waiting = [ask(a), ask(a), ask(a)];
    // One block request serves them all.
    expect(env.asked.length).toBe(1);
    env.completeBlocks();
    expect(waiting.map((w) => w.response?.producerId)).toEqual([0, 1, 2]);
  });

  test("the next block is asked for before the current one runs out, and ids run on across it", () => {
    const env = new TestEnv();
    const a = start(env);
    idsFrom(env, a, 1);
    // 10% of the block left (Kafka's prefetch): the next block is asked for while ids remain.
    const before = idsFrom(env, a, 899);
    expect(env.asked.length).toBe(1);
    expect(before[before.length - 1]).toBe(899);
    // Ids keep coming from the current block while the next one is being reserved.
    const meanwhile = ask(a);
    expect(meanwhile.response?.producerId).toBe(900);
    env.completeBlocks();
    const after = idsFrom(env, a, 1100);
    expect(after[0]).toBe(901);
    expect(after[after.length - 1]).toBe(2000);
    // The first request waited, and so did id 2000: the block asked for at 1900 was only completed
    // once a request needed it.
    expect(a.waitedAnswers).toBe(2);
    expect(a.blocksReceived).toBe(3);
  });

  test("waiting requests are bounded: beyond the bound a request is answered COORDINATOR_LOAD_IN_PROGRESS", () => {
    const env = new TestEnv();
    const a = start(env, { waitersMax: 2 });
    const waiting = [ask(a), ask(a)];
    const turnedAway = ask(a);
    expect(turnedAway.response?.errorCode).toBe(COORDINATOR_LOAD_IN_PROGRESS);
    expect(a.waitingCount).toBe(2);
    expect(a.refusedFull).toBe(1);
    env.completeBlocks();
    expect(waiting.map((w) => w.response?.producerId)).toEqual([0, 1]);
    // The client's retry gets the next id; nothing was spent on the request turned away.
    expect(ask(a).response?.producerId).toBe(2);
  });

  test("requests beyond a block's ids keep waiting for the next block", () => {
    const env = new TestEnv();
    const a = start(env, { waitersMax: 1_500 });
    const waiting = Array.from({ length: 1_200 }, () => ask(a));
    env.completeBlocks();
    expect(waiting.filter((w) => w.response !== null).length).toBe(1_000);
    expect(a.waitingCount).toBe(200);
    env.completeBlocks();
    expect(waiting.map((w) => w.response?.producerId)).toEqual(waiting.map((_, i) => i));
  });

  test("a failed reservation answers the waiting requests with a retriable error and is asked again", () => {
    const env = new TestEnv();
    const a = start(env);
    const first = ask(a);
    env.failBlocks();
    expect(first.response?.errorCode).toBe(COORDINATOR_LOAD_IN_PROGRESS);
    expect(env.lines.join("\n")).toContain("injected EIO");
    // The retry sends the block request again (the core's request is still outstanding).
    const retry = ask(a);
    expect(env.asked.length).toBe(1);
    env.completeBlocks();
    expect(retry.response?.producerId).toBe(0);
  });

  test("a restart never hands out an id reserved before it, whatever the earlier run handed out", () => {
    const cursor = new DurableCursor();
    const seen = new Set<number>();
    for (let run = 0; run < 5; run++) {
      const env = new TestEnv(cursor);
      const a = start(env);
      // Each run stops at a different point: in a block, just after asking ahead, with a block pending.
      const ids = idsFrom(env, a, 150 + run * 400);
      // Every other run also leaves a request behind, answered at once or waiting for a block.
      const left = run % 2 === 1 ? ask(a) : null;
      if (left?.response?.errorCode === NONE) ids.push(left.response.producerId);
      a.close();
      // A reservation that completes after the stop is durable but never used.
      env.completeBlocks();
      for (const id of ids) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(150 * 5 + 400 * 10);
  });

  test("after close nothing is answered", () => {
    const env = new TestEnv();
    const a = start(env);
    const waiting = ask(a);
    a.close();
    env.completeBlocks();
    expect(waiting.response).toBeNull();
    expect(ask(a).response).toBeNull();
  });

  test("an environment that answers inside the call that asked for a block is a bug", () => {
    const env = new TestEnv();
    env.answerInside = true;
    const a = start(env);
    expect(() => ask(a)).toThrow("inside the call");
  });

  test("a transactional id's entry is persisted before its answer leaves, and its epoch goes up", () => {
    const env = new TestEnv();
    const a = start(env);
    const first = ask(a, "tx-1");
    env.completeBlocks();
    expect(first.response?.producerEpoch).toBe(0);
    expect(env.persisted.map((e) => [e.transactionalId, e.producerId, e.producerEpoch])).toEqual([
      ["tx-1", 0, 0],
    ]);
    let persistedAtAnswer = -1;
    a.initProducerId(
      { transactionalId: "tx-1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 },
      () => {
        persistedAtAnswer = env.persisted.length;
      },
    );
    expect(persistedAtAnswer).toBe(2);
    expect(env.persisted[1]?.producerEpoch).toBe(1);
  });

  test("a clock set back never reaches the core", () => {
    const env = new TestEnv();
    const a = start(env);
    idsFrom(env, a, 1);
    env.clockMs = 10;
    expect(idsFrom(env, a, 1)).toEqual([1]);
  });
});
