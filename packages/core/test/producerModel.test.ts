/**
 * Producer state for idempotence, tested twice: a fast-check comparison of `checkBatch`/`recordBatch`
 * with a naive model that keeps every batch ever appended, and the no-duplicates rule (each
 * (producerId, epoch, sequence) appended at most once, no gaps). Then the InitProducerId allocator:
 * unique ids across blocks, epoch bumps that fence, exhaustion, KIP-360 checks and bounds.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { producer } from "../src/index.ts";

const E = producer.errorCode;

interface ModelBatch {
  readonly epoch: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

/** The naive model: the whole history per producer, searched from scratch on every batch. */
function modelVerdict(
  history: Map<number, ModelBatch[]>,
  batch: producer.BatchProducerInfo,
): producer.BatchVerdict {
  const all = history.get(batch.producerId);
  if (all === undefined || all.length === 0) return { kind: "append" };
  const current = all[all.length - 1]!.epoch;
  const lastSeq = batch.baseSequence + batch.recordCount - 1;
  if (batch.producerEpoch === current) {
    const recent = all.filter((b) => b.epoch === current).slice(-5);
    const hit = recent.find((b) => b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq);
    if (hit !== undefined)
      return { kind: "duplicate", firstOffset: hit.firstOffset, lastOffset: hit.lastOffset };
  }
  if (batch.producerEpoch < current) return { kind: "reject", errorCode: E.INVALID_PRODUCER_EPOCH };
  if (batch.producerEpoch > current) {
    return batch.baseSequence === 0
      ? { kind: "append" }
      : { kind: "reject", errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER };
  }
  const previous = all[all.length - 1]!;
  return batch.baseSequence === previous.lastSeq + 1
    ? { kind: "append" }
    : { kind: "reject", errorCode: E.OUT_OF_ORDER_SEQUENCE_NUMBER };
}

const attempt = fc.record({
  producerId: fc.constantFrom(1, 2, 3),
  epochStep: fc.constantFrom(-1, 0, 0, 0, 0, 1),
  seqDelta: fc.integer({ min: -7, max: 2 }),
  recordCount: fc.integer({ min: 1, max: 3 }),
});

describe("per-partition producer state", () => {
  test("checkBatch and recordBatch agree with a model that keeps the whole history", () => {
    fc.assert(
      fc.property(fc.array(attempt, { minLength: 1, maxLength: 200, size: "max" }), (attempts) => {
        let state = producer.emptyPartitionProducers();
        const history = new Map<number, ModelBatch[]>();
        const appended = new Set<string>();
        let nextOffset = 0;
        let nowMs = 0;
        for (const a of attempts) {
          const all = history.get(a.producerId) ?? [];
          const last = all[all.length - 1];
          const producerEpoch = Math.max(0, (last?.epoch ?? 0) + a.epochStep);
          const expectedSeq = last !== undefined && last.epoch === producerEpoch ? last.lastSeq + 1 : 0;
          const baseSequence = Math.max(0, expectedSeq + a.seqDelta);
          const batch = { producerId: a.producerId, producerEpoch, baseSequence, recordCount: a.recordCount };
          const verdict = producer.checkBatch(state, batch);
          expect(verdict).toEqual(modelVerdict(history, batch));
          if (verdict.kind !== "append") continue;
          const firstOffset = nextOffset;
          const lastOffset = nextOffset + a.recordCount - 1;
          nextOffset = lastOffset + 1;
          state = producer.recordBatch(state, batch, firstOffset, lastOffset, nowMs++, 1_000);
          const key = `${a.producerId}/${producerEpoch}/${baseSequence}`;
          // Invariant 11: each (producerId, epoch, sequence) is appended at most once...
          expect(appended.has(key)).toBe(false);
          appended.add(key);
          // ...and without gaps: a known producer continues its sequence or starts a new epoch at 0.
          if (last !== undefined) {
            expect(baseSequence).toBe(producerEpoch === last.epoch ? last.lastSeq + 1 : 0);
          }
          history.set(a.producerId, [
            ...all,
            {
              epoch: producerEpoch,
              firstSeq: baseSequence,
              lastSeq: baseSequence + a.recordCount - 1,
              firstOffset,
              lastOffset,
            },
          ]);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("sequences wrap from the int32 maximum to zero", () => {
    expect(producer.lastSequenceOf(producer.sequenceMax, 1)).toBe(producer.sequenceMax);
    expect(producer.lastSequenceOf(producer.sequenceMax, 3)).toBe(1);
    const state = producer.recordBatch(
      producer.emptyPartitionProducers(),
      { producerId: 9, producerEpoch: 0, baseSequence: producer.sequenceMax - 1, recordCount: 2 },
      0,
      1,
      0,
      10,
    );
    expect(
      producer.checkBatch(state, { producerId: 9, producerEpoch: 0, baseSequence: 0, recordCount: 1 }),
    ).toEqual({
      kind: "append",
    });
  });

  test("the map is bounded: the least recently used producer is evicted, then accepted as new", () => {
    let state = producer.emptyPartitionProducers();
    for (let id = 1; id <= 3; id++) {
      state = producer.recordBatch(
        state,
        { producerId: id, producerEpoch: 0, baseSequence: 0, recordCount: 1 },
        id,
        id,
        id,
        3,
      );
    }
    state = producer.recordBatch(
      state,
      { producerId: 4, producerEpoch: 0, baseSequence: 0, recordCount: 1 },
      4,
      4,
      4,
      3,
    );
    expect(state.entries.map((e) => e.producerId)).toEqual([2, 3, 4]);
    expect(
      producer.checkBatch(state, { producerId: 1, producerEpoch: 0, baseSequence: 7, recordCount: 1 }).kind,
    ).toBe("append");
  });

  test("truncation forgets batches at or above the offset; expiry forgets idle producers", () => {
    let state = producer.emptyPartitionProducers();
    state = producer.recordBatch(
      state,
      { producerId: 1, producerEpoch: 0, baseSequence: 0, recordCount: 2 },
      0,
      1,
      0,
      10,
    );
    state = producer.recordBatch(
      state,
      { producerId: 1, producerEpoch: 0, baseSequence: 2, recordCount: 1 },
      2,
      2,
      5,
      10,
    );
    const cut = producer.truncateProducers(state, 2);
    expect(cut.entries[0]!.batches.map((b) => b.lastSeq)).toEqual([1]);
    expect(
      producer.checkBatch(cut, { producerId: 1, producerEpoch: 0, baseSequence: 2, recordCount: 1 }).kind,
    ).toBe("append");
    expect(producer.expireProducers(state, 100, 96).entries.length).toBe(1);
    expect(producer.expireProducers(state, 100, 90).entries.length).toBe(0);
  });
});

describe("InitProducerId allocator", () => {
  const init = (requestId: number, transactionalId: string | null, producerId = -1, producerEpoch = -1) =>
    ({
      type: "initProducerId",
      requestId,
      transactionalId,
      transactionTimeoutMs: 60_000,
      producerId,
      producerEpoch,
    }) as const;

  test("idempotent producers get fresh ids across blocks, with the next block requested ahead of need", () => {
    let state = producer.initialAllocatorState({}, { firstProducerId: 1000, size: 10 });
    const ids: number[] = [];
    const sends: number[] = [];
    for (let i = 0; i < 25; i++) {
      const { state: next, ready } = producer.step(state, init(i, null));
      state = next;
      sends.push(ready.send.length);
      const response = ready.respond[0]!;
      if (response.errorCode === E.NONE) {
        expect(response.producerEpoch).toBe(0);
        ids.push(response.producerId);
      } else {
        expect(response.errorCode).toBe(E.COORDINATOR_LOAD_IN_PROGRESS);
        // The controller answers the block request; the next attempt succeeds.
        state = producer.step(state, {
          type: "producerIdBlock",
          block: { firstProducerId: 2000 + i * 100, size: 10 },
        }).state;
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 10)).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009]);
    // The next block is asked for while the first (ids 1000..1009, request i takes id 1000 + i) still
    // has an id left to hand out, not once the tenth request has emptied it.
    const firstRequest = sends.findIndex((n) => n > 0);
    expect(firstRequest).toBeGreaterThanOrEqual(0);
    expect(firstRequest).toBeLessThan(9);
    // A replayed, older block never hands out ids twice.
    const replay = producer.step(state, {
      type: "producerIdBlock",
      block: { firstProducerId: 1000, size: 10 },
    });
    const after = producer.step(replay.state, init(99, null)).ready.respond[0]!;
    expect(ids).not.toContain(after.producerId);
  });

  test("a transactional id keeps its producer id and bumps the epoch, which fences the old one", () => {
    let state = producer.initialAllocatorState({}, { firstProducerId: 0, size: 100 });
    let r = producer.step(state, init(1, "tx"));
    expect(r.ready.respond[0]).toEqual({ requestId: 1, errorCode: E.NONE, producerId: 0, producerEpoch: 0 });
    expect(r.ready.persist).toHaveLength(1);
    state = r.state;
    r = producer.step(state, init(2, "tx"));
    expect(r.ready.respond[0]).toMatchObject({ producerId: 0, producerEpoch: 1 });
    state = r.state;
    // KIP-360: a caller naming an old (id, epoch) is a zombie.
    expect(producer.step(state, init(3, "tx", 0, 0)).ready.respond[0]!.errorCode).toBe(E.PRODUCER_FENCED);
    expect(producer.step(state, init(4, "tx", 0, 1)).ready.respond[0]).toMatchObject({
      errorCode: E.NONE,
      producerEpoch: 2,
    });
    // An exhausted epoch moves to a new producer id at epoch 0.
    const exhausted = producer.initialAllocatorState({}, { firstProducerId: 50, size: 10 }, [
      {
        transactionalId: "old",
        producerId: 7,
        producerEpoch: producer.producerEpochBumpMax,
        transactionTimeoutMs: 1,
        lastUsedMs: 0,
      },
    ]);
    expect(producer.step(exhausted, init(5, "old")).ready.respond[0]).toMatchObject({
      producerId: 50,
      producerEpoch: 0,
    });
  });

  test("bad requests get typed errors and change nothing", () => {
    const state = producer.initialAllocatorState(
      { transactionTimeoutMsMax: 1_000 },
      { firstProducerId: 0, size: 10 },
    );
    const tooLong = producer.step(state, { ...init(1, "tx"), transactionTimeoutMs: 5_000 });
    expect(tooLong.ready.respond[0]!.errorCode).toBe(E.INVALID_TRANSACTION_TIMEOUT);
    expect(tooLong.state).toBe(state);
    expect(producer.step(state, init(2, "")).ready.respond[0]!.errorCode).toBe(E.INVALID_REQUEST);
  });

  test("transactional ids are bounded and expire", () => {
    let state = producer.initialAllocatorState(
      { transactionalIdsMax: 2, transactionalIdExpirationMs: 1_000 },
      { firstProducerId: 0, size: 100 },
    );
    state = producer.step(state, init(1, "a")).state;
    state = producer.step(state, { type: "tick", nowMs: 10 }).state;
    state = producer.step(state, init(2, "b")).state;
    state = producer.step(state, init(3, "c")).state;
    expect(state.transactionalIds.map((e) => e.transactionalId)).toEqual(["b", "c"]);
    state = producer.step(state, { type: "tick", nowMs: 5_000 }).state;
    expect(state.transactionalIds).toEqual([]);
  });
});
