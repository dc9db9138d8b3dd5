/**
 * The follower's fetch session (KIP-227) against Kafka's FetchSessionHandler rules. Goal: the first
 * request is full, later ones name only what was added or changed and forget what left; a response
 * may leave partitions out; session errors and failed requests make the next request full. Method:
 * scenario tests of `ReplicaFetchSession` alone, then a fast-check model test that runs it against
 * the leader's own session code (`fetch-session/fetch-context.ts` over a real `FetchSessionCache`)
 * through random partition sets, lost requests, lost answers and evictions, and checks that after
 * every request the leader reads exactly the partitions, at exactly the fetch state, the follower
 * wants.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import fc from "fast-check";
import { closeFetchContext, openFetchContext } from "../fetch-session/fetch-context.ts";
import { FetchSessionCache } from "../fetch-session/fetch-session-cache.ts";
import {
  ReplicaFetchSession,
  type SessionPartition,
  type SessionRequest,
  sessionPartitionKey,
  sessionPartitionsMax,
} from "./replica-fetch-session.ts";

const topicA = "AAAAAAAAAAAAAAAAAAAAAQ";
const topicB = "AAAAAAAAAAAAAAAAAAAAAg";

function part(topicId: string, partition: number, fetchOffset = 0, fields: Partial<SessionPartition> = {}) {
  return {
    topicId,
    partition,
    fetchOffset,
    currentLeaderEpoch: 3,
    lastFetchedEpoch: 3,
    logStartOffset: 0,
    ...fields,
  } satisfies SessionPartition;
}

const key = (p: SessionPartition) => sessionPartitionKey(p.topicId, p.partition);

/** A session that has had its full request answered with session id 77. */
function established(wanted: SessionPartition[]): ReplicaFetchSession {
  const session = new ReplicaFetchSession();
  const full = session.build(wanted, 5);
  expect(session.onResponse(full, ErrorCode.NONE, 77, [])).toBe(true);
  return session;
}

describe("ReplicaFetchSession", () => {
  test("the first request is full with no id; the leader's id and epoch 1 follow; then the epoch counts up", () => {
    const session = new ReplicaFetchSession();
    const wanted = [part(topicA, 0), part(topicA, 1), part(topicB, 0)];
    const full = session.build(wanted, 5);
    expect(full).toMatchObject({ sessionId: 0, sessionEpoch: 0, full: true, toForget: [] });
    expect(full.toSend).toEqual(wanted.map(key));
    expect(session.onResponse(full, ErrorCode.NONE, 77, wanted.map(key))).toBe(true);
    expect(session.next).toEqual({ sessionId: 77, sessionEpoch: 1 });
    const idle = session.build(wanted, 5);
    // Nothing changed: the request names no partition and forgets none, yet the leader reads all three.
    expect(idle).toMatchObject({ sessionId: 77, sessionEpoch: 1, full: false, toSend: [], toForget: [] });
    expect([...idle.readState.keys()]).toEqual(wanted.map(key));
    expect(session.onResponse(idle, ErrorCode.NONE, 77, [])).toBe(true);
    expect(session.next).toEqual({ sessionId: 77, sessionEpoch: 2 });
    expect(session.fullCount).toBe(1);
    expect(session.incrementalCount).toBe(1);
  });

  test("an incremental request names added and changed partitions and forgets removed ones", () => {
    const session = established([part(topicA, 0, 10), part(topicA, 1, 10), part(topicB, 0, 10)]);
    const moved = part(topicA, 1, 12);
    const newEpoch = part(topicB, 0, 10, { currentLeaderEpoch: 4 });
    const logStart = part(topicA, 0, 10, { logStartOffset: 3 });
    const added = part(topicB, 7, 0);
    const request = session.build([logStart, moved, newEpoch, added], 5);
    expect(request.full).toBe(false);
    expect(request.toSend).toEqual([key(logStart), key(moved), key(newEpoch), key(added)]);
    expect(request.toForget).toEqual([]);
    expect(session.onResponse(request, ErrorCode.NONE, 77, [])).toBe(true);
    const next = session.build([moved, added], 5);
    expect(next.toSend).toEqual([]);
    expect(next.toForget).toEqual([
      { topicId: topicA, partition: 0 },
      { topicId: topicB, partition: 0 },
    ]);
    expect([...next.readState.values()]).toEqual([moved, added]);
  });

  test("a response may leave partitions out; one naming a partition outside the session is dropped and the next request is full", () => {
    const wanted = [part(topicA, 0), part(topicA, 1)];
    const session = established(wanted);
    const request = session.build(wanted, 5);
    expect(session.onResponse(request, ErrorCode.NONE, 77, [key(wanted[1]!)])).toBe(true);
    const stray = session.build(wanted, 5);
    expect(session.onResponse(stray, ErrorCode.NONE, 77, [sessionPartitionKey(topicB, 9)])).toBe(false);
    // Kafka's nextCloseExistingAttemptNew: full, naming the old id so the leader drops it.
    const full = session.build(wanted, 5);
    expect(full).toMatchObject({ sessionId: 77, sessionEpoch: 0, full: true });
    expect(full.toSend).toEqual(wanted.map(key));
  });

  test("FETCH_SESSION_ID_NOT_FOUND and INVALID_FETCH_SESSION_EPOCH start a new session with a full request", () => {
    for (const code of [ErrorCode.FETCH_SESSION_ID_NOT_FOUND, ErrorCode.INVALID_FETCH_SESSION_EPOCH]) {
      const wanted = [part(topicA, 0), part(topicA, 1)];
      const session = established(wanted);
      const request = session.build(wanted, 5);
      expect(session.onResponse(request, code, 0, [])).toBe(false);
      const full = session.build(wanted, 5);
      expect(full).toMatchObject({ sessionId: 0, sessionEpoch: 0, full: true, toForget: [] });
      expect(full.toSend).toEqual(wanted.map(key));
    }
  });

  test("another error, a failed request or another incarnation closes the session and starts anew", () => {
    const wanted = [part(topicA, 0)];
    const errored = established(wanted);
    expect(errored.onResponse(errored.build(wanted, 5), ErrorCode.INVALID_REQUEST, 0, [])).toBe(false);
    expect(errored.build(wanted, 5)).toMatchObject({ sessionId: 77, sessionEpoch: 0, full: true });

    const failed = established(wanted);
    failed.onFailure(failed.build(wanted, 5));
    expect(failed.build(wanted, 5)).toMatchObject({ sessionId: 77, sessionEpoch: 0, full: true });

    const restarted = established(wanted);
    expect(restarted.build(wanted, 6)).toMatchObject({ sessionId: 77, sessionEpoch: 0, full: true });
  });

  test("a leader that answers a full request with no session id gets full requests until it gives one", () => {
    const wanted = [part(topicA, 0)];
    const session = new ReplicaFetchSession();
    expect(session.onResponse(session.build(wanted, 5), ErrorCode.NONE, 0, [])).toBe(true);
    expect(session.build(wanted, 5)).toMatchObject({ sessionId: 0, sessionEpoch: 0, full: true });
  });

  test("epochs wrap from 2^31 - 1 to 1, never to 0", () => {
    const wanted = [part(topicA, 0)];
    const session = established(wanted);
    const state = session as unknown as { epoch: number };
    state.epoch = 0x7fff_ffff;
    expect(session.onResponse(session.build(wanted, 5), ErrorCode.NONE, 77, [])).toBe(true);
    expect(session.next).toEqual({ sessionId: 77, sessionEpoch: 1 });
  });

  test("bad input is refused: a partition twice, more than the session may hold", () => {
    const session = new ReplicaFetchSession();
    expect(() => session.build([part(topicA, 0), part(topicA, 0, 4)], 5)).toThrow(/twice/);
    const many = Array.from({ length: sessionPartitionsMax + 1 }, (_, i) => part(topicA, i));
    expect(() => session.build(many, 5)).toThrow(/at most/);
  });

  test("property: after every request the leader's session reads exactly what the follower wants", () => {
    const universe = [part(topicA, 0), part(topicA, 1), part(topicA, 2), part(topicB, 0), part(topicB, 1)];
    const stepArb = fc.record({
      present: fc.array(fc.boolean(), { minLength: universe.length, maxLength: universe.length }),
      offsets: fc.array(fc.integer({ min: 0, max: 3 }), {
        minLength: universe.length,
        maxLength: universe.length,
      }),
      fate: fc.constantFrom("ok", "ok", "ok", "lostRequest", "lostAnswer", "evicted"),
    });
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 40 }), (steps) => {
        let nextId = 100;
        const cache = new FetchSessionCache(
          { slotsMax: 4, evictionMs: 1000, partitionsPerSessionMax: 100 },
          () => nextId++,
        );
        const session = new ReplicaFetchSession();
        for (const [n, step] of steps.entries()) {
          const wanted = universe
            .filter((_, i) => step.present[i])
            .map((p, i) => ({ ...p, fetchOffset: step.offsets[i]! }));
          if (wanted.length === 0) continue;
          const request = session.build(wanted, 5);
          if (step.fate === "lostRequest") {
            session.onFailure(request);
            continue;
          }
          if (step.fate === "evicted") cache.remove(session.next.sessionId);
          const context = openFetchContext(cache, leaderView(request, wanted), n);
          let errorCode: number = ErrorCode.NONE;
          let sessionId = 0;
          if (context.kind === "error") errorCode = context.errorCode;
          else {
            // What the leader reads is the follower's wanted set, partition for partition.
            const read = context.partitions.map((p) => ({
              key: sessionPartitionKey(p.topic, p.partition),
              fetchOffset: Number(p.fetchOffset),
            }));
            expect(new Set(read.map((r) => r.key))).toEqual(new Set(wanted.map(key)));
            for (const r of read)
              expect(r.fetchOffset).toBe(wanted.find((w) => key(w) === r.key)!.fetchOffset);
            const reads = context.partitions.map(() => ({
              errorCode: ErrorCode.NONE,
              highWatermark: 5n,
              logStartOffset: 0n,
              recordBytes: 0,
              preferredReadReplica: -1,
            }));
            const outcome = closeFetchContext(cache, context, reads, n);
            sessionId = outcome.sessionId;
          }
          if (step.fate === "lostAnswer") session.onFailure(request);
          else session.onResponse(request, errorCode, sessionId, []);
          // Only an evicted session may answer with an error, and the follower then starts anew.
          if (errorCode !== ErrorCode.NONE) {
            expect(step.fate).toBe("evicted");
            expect(session.next.sessionEpoch).toBe(0);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** The follower's request as the leader's session code takes it. */
function leaderView(request: SessionRequest, wanted: readonly SessionPartition[]) {
  const byKey = new Map(wanted.map((p) => [key(p), p]));
  return {
    sessionId: request.sessionId,
    sessionEpoch: request.sessionEpoch,
    partitions: request.toSend.map((k) => {
      const p = byKey.get(k)!;
      return {
        topic: p.topicId,
        partition: p.partition,
        fetchOffset: BigInt(p.fetchOffset),
        partitionMaxBytes: 1 << 20,
        currentLeaderEpoch: p.currentLeaderEpoch,
        lastFetchedEpoch: p.lastFetchedEpoch,
        logStartOffset: BigInt(p.logStartOffset),
      };
    }),
    forgotten: request.toForget.map((f) => ({ topic: f.topicId, partitions: [f.partition] })),
    usesTopicIds: true,
    privileged: true,
  };
}
