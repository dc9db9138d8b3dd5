/**
 * What a fetch means for its session (KIP-227), against Kafka's FetchManager rules: scenario tests
 * for each kind of fetch and each session error, then a fast-check model test. The model runs two
 * consumers over the same changing logs and assignment: one follows Kafka's FetchSessionHandler
 * (a full fetch, then incremental fetches naming only partitions whose position moved, and
 * ForgottenTopicsData for dropped ones), the other sends sessionless full fetches. After every
 * step both must know the same offsets, high watermarks and log starts, and have received the same
 * records, while the session consumer's responses carry only partitions that changed.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "@eddy/protocol";
import fc from "fast-check";
import {
  closeFetchContext,
  type FetchContext,
  type FetchRequestSession,
  openFetchContext,
  type PartitionRead,
  type PartitionWanted,
} from "./fetch-context.ts";
import { FetchSessionCache, sessionIdNone } from "./fetch-session-cache.ts";

const cacheOf = (slotsMax = 10, partitionsPerSessionMax = 1000) => {
  let next = 100;
  return new FetchSessionCache({ slotsMax, evictionMs: 1000, partitionsPerSessionMax }, () => ++next);
};

const wanted = (topic: string, partition: number, fetchOffset = 0n): PartitionWanted => ({
  topic,
  partition,
  fetchOffset,
  partitionMaxBytes: 1000,
  currentLeaderEpoch: -1,
  lastFetchedEpoch: -1,
  logStartOffset: -1n,
});

const request = (
  sessionId: number,
  sessionEpoch: number,
  partitions: PartitionWanted[],
  forgotten: FetchRequestSession["forgotten"] = [],
  usesTopicIds = false,
): FetchRequestSession => ({
  sessionId,
  sessionEpoch,
  partitions,
  forgotten,
  usesTopicIds,
  privileged: false,
});

const idle = (hw = 5n): PartitionRead => ({
  errorCode: ErrorCode.NONE,
  highWatermark: hw,
  logStartOffset: 0n,
  recordBytes: 0,
  preferredReadReplica: -1,
});

/** Opens and closes a fetch, each partition read as `read` says. */
function fetch(
  cache: FetchSessionCache,
  req: FetchRequestSession,
  read: (p: PartitionWanted) => PartitionRead = () => idle(),
  nowMs = 0,
) {
  const context = openFetchContext(cache, req, nowMs);
  const partitions = context.kind === "error" ? [] : context.partitions;
  const outcome = closeFetchContext(cache, context, partitions.map(read), nowMs);
  return {
    context,
    ...outcome,
    answered: partitions.filter((_, i) => outcome.included[i]).map((p) => `${p.topic}-${p.partition}`),
  };
}

describe("fetch sessions: scenarios", () => {
  test("a full fetch gets a session; an idle incremental fetch of many partitions answers none", () => {
    const cache = cacheOf();
    const all = Array.from({ length: 200 }, (_, p) => wanted("t", p));
    const full = fetch(cache, request(0, 0, all));
    expect(full.errorCode).toBe(ErrorCode.NONE);
    expect(full.sessionId).not.toBe(sessionIdNone);
    expect(full.answered.length).toBe(200);
    const next = fetch(cache, request(full.sessionId, 1, []));
    expect(next.context.kind).toBe("incremental");
    expect(next.context.kind === "incremental" && next.context.partitions.length).toBe(200);
    expect(next.sessionId).toBe(full.sessionId);
    expect(next.answered).toEqual([]);
    expect(fetch(cache, request(full.sessionId, 2, [])).answered).toEqual([]);
  });

  test("an incremental fetch answers records, a moved high watermark or log start, and errors", () => {
    const cache = cacheOf();
    const { sessionId } = fetch(
      cache,
      request(0, 0, [wanted("t", 0), wanted("t", 1), wanted("t", 2), wanted("t", 3)]),
    );
    const reads: Record<number, PartitionRead> = {
      0: { ...idle(), recordBytes: 70, highWatermark: 5n },
      1: idle(6n),
      2: { ...idle(), logStartOffset: 2n },
      3: idle(),
    };
    const next = fetch(cache, request(sessionId, 1, [wanted("t", 0, 5n)]), (p) => reads[p.partition]!);
    // Answered partitions move to the back of the session; the unchanged one is read first next time.
    expect(next.answered).toEqual(["t-0", "t-1", "t-2"]);
    const after = openFetchContext(cache, request(sessionId, 2, []), 0);
    expect(after.kind === "incremental" && after.partitions.map((p) => p.partition)).toEqual([3, 0, 1, 2]);
    expect(after.kind === "incremental" && after.partitions[1]!.fetchOffset).toBe(5n);
  });

  test("a partition in error is answered every time, and once more when the error is gone", () => {
    const cache = cacheOf();
    const { sessionId } = fetch(cache, request(0, 0, [wanted("t", 0)]));
    const failing = { ...idle(), errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    expect(fetch(cache, request(sessionId, 1, []), () => failing).answered).toEqual(["t-0"]);
    expect(fetch(cache, request(sessionId, 2, []), () => failing).answered).toEqual(["t-0"]);
    // Same high watermark as before the error, yet answered: the fetcher must learn the error is gone.
    expect(fetch(cache, request(sessionId, 3, [])).answered).toEqual(["t-0"]);
    expect(fetch(cache, request(sessionId, 4, [])).answered).toEqual([]);
  });

  test("wrong epoch, unknown id and a change of topic naming are refused without touching the session", () => {
    const cache = cacheOf();
    const { sessionId } = fetch(cache, request(0, 0, [wanted("t", 0)]));
    const wrong = fetch(cache, request(sessionId, 7, [wanted("t", 9)]));
    expect(wrong.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    expect(wrong.sessionId).toBe(sessionIdNone);
    expect(fetch(cache, request(sessionId + 1, 1, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(fetch(cache, request(0, 1, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    const byId = fetch(cache, request(sessionId, 1, [], [], true));
    expect(byId.errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    // The refused fetches changed nothing: epoch 1 still works and the session holds one partition.
    const ok = fetch(cache, request(sessionId, 1, []));
    expect(ok.errorCode).toBe(ErrorCode.NONE);
    expect(cache.get(sessionId)?.partitions.size).toBe(1);
  });

  test("a session made by Fetch v13+ is keyed by topic id and refuses a v7-v12 fetch", () => {
    const cache = cacheOf();
    const id = "AAAAAAAAAAAAAAAAAAAAAQ";
    const { sessionId } = fetch(cache, request(0, 0, [wanted(id, 0)], [], true));
    expect(fetch(cache, request(sessionId, 1, [], [], true)).errorCode).toBe(ErrorCode.NONE);
    expect(fetch(cache, request(sessionId, 2, [])).errorCode).toBe(ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    const forget = fetch(
      cache,
      request(sessionId, 2, [wanted(id, 1)], [{ topic: id, partitions: [0] }], true),
    );
    expect(
      forget.context.kind === "incremental" && forget.context.partitions.map((p) => p.partition),
    ).toEqual([1]);
  });

  test("a full fetch naming a session ends it; epoch -1 makes no new one", () => {
    const cache = cacheOf();
    const first = fetch(cache, request(0, 0, [wanted("t", 0)]));
    const second = fetch(cache, request(first.sessionId, 0, [wanted("t", 1)]));
    expect(cache.get(first.sessionId)).toBeUndefined();
    expect(second.sessionId).not.toBe(sessionIdNone);
    const last = fetch(cache, request(second.sessionId, -1, [wanted("t", 1)]));
    expect(last.context.kind).toBe("sessionless");
    expect(last.sessionId).toBe(sessionIdNone);
    expect(cache.size).toBe(0);
    // A full fetch of nothing gets no session.
    expect(fetch(cache, request(0, 0, [])).sessionId).toBe(sessionIdNone);
  });

  test("forgetting every partition ends the session and is answered sessionless", () => {
    const cache = cacheOf();
    const { sessionId } = fetch(cache, request(0, 0, [wanted("t", 0), wanted("u", 0)]));
    const forget = fetch(
      cache,
      request(
        sessionId,
        1,
        [],
        [
          { topic: "t", partitions: [0] },
          { topic: "u", partitions: [0] },
        ],
      ),
    );
    expect(forget.context.kind).toBe("sessionless");
    expect(forget.sessionId).toBe(sessionIdNone);
    expect(cache.get(sessionId)).toBeUndefined();
  });

  test("a session grown past its partition limit is ended with INVALID_REQUEST", () => {
    const cache = cacheOf(10, 64);
    const { sessionId } = fetch(cache, request(0, 0, [wanted("t", 0)]));
    const more = Array.from({ length: 64 }, (_, p) => wanted("u", p));
    expect(fetch(cache, request(sessionId, 1, more)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(cache.get(sessionId)).toBeUndefined();
  });

  test("a second fetch of the session during a long poll fails the first at its answer", () => {
    const cache = cacheOf();
    const { sessionId } = fetch(cache, request(0, 0, [wanted("t", 0)]));
    const parked = openFetchContext(cache, request(sessionId, 1, []), 0);
    const second = fetch(cache, request(sessionId, 2, []));
    expect(second.errorCode).toBe(ErrorCode.NONE);
    const late = closeFetchContext(cache, parked, [idle()], 0);
    expect(late.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    expect(late.sessionId).toBe(sessionId);
    expect(late.included).toEqual([]);
  });

  test("a diverging epoch is always answered, even with nothing else new (KIP-320)", () => {
    const cache = cacheOf();
    const { sessionId } = fetch(cache, request(0, 0, [wanted("t", 0), wanted("t", 1)]));
    const next = fetch(cache, request(sessionId, 1, []), (p) =>
      p.partition === 1 ? { ...idle(), divergingEpoch: true } : idle(),
    );
    expect(next.answered).toEqual(["t-1"]);
  });

  test("a partition with no answer yet (a follower's parked fetch) is left out and its state kept", () => {
    const cache = cacheOf();
    const full = openFetchContext(
      cache,
      { ...request(0, 0, [wanted("t", 0), wanted("t", 1)]), privileged: true },
      0,
    );
    const opened = closeFetchContext(cache, full, [idle(), null], 0);
    expect(opened.included).toEqual([true, false]);
    expect(cache.get(opened.sessionId)?.privileged).toBe(true);
    // Its high watermark is unknown to the fetcher: the first answer it gets, idle or not, is sent.
    const first = openFetchContext(cache, request(opened.sessionId, 1, []), 0);
    expect(closeFetchContext(cache, first, [idle(), null], 0).included).toEqual([false, false]);
    const second = openFetchContext(cache, request(opened.sessionId, 2, []), 0);
    expect(closeFetchContext(cache, second, [idle(), idle()], 0).included).toEqual([false, true]);
  });
});

// ---------------------------------------------------------------------------------------------
// Model test: a session consumer and a sessionless consumer over the same logs see the same data.

/** A partition's log: offsets [start, end). Topic "gone" has no log: its partitions read in error. */
interface Log {
  start: number;
  end: number;
}

/** Each read returns at most this many records, so catching up takes several fetches. */
const recordsPerReadMax = 3;

function readLog(logs: Map<string, Log>, p: PartitionWanted): PartitionRead & { offsets: number[] } {
  const log = logs.get(`${p.topic}-${p.partition}`);
  if (log === undefined)
    return {
      ...idle(-1n),
      logStartOffset: -1n,
      errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      offsets: [],
    };
  const from = Number(p.fetchOffset);
  if (from < log.start || from > log.end)
    return {
      ...idle(BigInt(log.end)),
      logStartOffset: BigInt(log.start),
      errorCode: ErrorCode.OFFSET_OUT_OF_RANGE,
      offsets: [],
    };
  const offsets: number[] = [];
  for (let o = from; o < Math.min(log.end, from + recordsPerReadMax); o++) offsets.push(o);
  return {
    errorCode: ErrorCode.NONE,
    highWatermark: BigInt(log.end),
    logStartOffset: BigInt(log.start),
    recordBytes: offsets.length * 10,
    preferredReadReplica: -1,
    offsets,
  };
}

/** What a consumer knows of one partition. */
interface Known {
  offset: number;
  hw: number;
  start: number;
  lastError: number;
  received: number[];
}

/** A consumer: its positions, and (for the session one) what its session holds, as FetchSessionHandler keeps it. */
class Consumer {
  readonly known = new Map<string, Known>();
  session: { id: number; epoch: number; sent: Map<string, number> } | null = null;
  /** Partitions the responses carried, over the run. */
  answeredCount = 0;

  constructor(readonly usesSessions: boolean) {}

  fetch(cache: FetchSessionCache, logs: Map<string, Log>, assigned: readonly string[], nowMs: number): void {
    for (const key of assigned)
      if (!this.known.has(key))
        this.known.set(key, { offset: 0, hw: -1, start: -1, lastError: 0, received: [] });
    for (const key of [...this.known.keys()]) if (!assigned.includes(key)) this.known.delete(key);
    const asWanted = (key: string) => {
      const [topic, partition] = key.split("-") as [string, string];
      return wanted(topic, Number(partition), BigInt(this.known.get(key)!.offset));
    };
    let req: FetchRequestSession;
    const session = this.session;
    if (!this.usesSessions) req = request(0, -1, assigned.map(asWanted));
    else if (session === null) req = request(0, 0, assigned.map(asWanted));
    else {
      const changed = assigned.filter((key) => session.sent.get(key) !== this.known.get(key)!.offset);
      const gone = [...session.sent.keys()].filter((key) => !assigned.includes(key));
      req = request(
        session.id,
        session.epoch,
        changed.map(asWanted),
        gone.map((key) => ({ topic: key.split("-")[0]!, partitions: [Number(key.split("-")[1])] })),
      );
    }
    const context: FetchContext = openFetchContext(cache, req, nowMs);
    const partitions = context.kind === "error" ? [] : context.partitions;
    const reads = partitions.map((p) => readLog(logs, p));
    const outcome = closeFetchContext(cache, context, reads, nowMs);
    if (outcome.errorCode !== ErrorCode.NONE) {
      // The session is gone or out of step: start again with a full fetch, at once, as the client does.
      expect(this.session).not.toBeNull();
      this.session = null;
      this.fetch(cache, logs, assigned, nowMs);
      return;
    }
    if (this.usesSessions) {
      this.session =
        outcome.sessionId === sessionIdNone
          ? null
          : {
              id: outcome.sessionId,
              epoch: this.session?.id === outcome.sessionId ? this.session.epoch + 1 : 1,
              sent: new Map(assigned.map((key) => [key, this.known.get(key)!.offset])),
            };
    }
    for (const [i, p] of partitions.entries()) {
      if (!outcome.included[i]) continue;
      this.answeredCount++;
      const key = `${p.topic}-${p.partition}`;
      const known = this.known.get(key);
      if (known === undefined) continue;
      const read = reads[i]!;
      // Kafka's rule, seen from the client: an incremental response carries a partition only for
      // records, an error, or a high watermark or log start the consumer has not been told.
      if (context.kind === "incremental") {
        const news =
          read.offsets.length > 0 ||
          read.errorCode !== ErrorCode.NONE ||
          known.lastError !== ErrorCode.NONE ||
          Number(read.highWatermark) !== known.hw ||
          Number(read.logStartOffset) !== known.start;
        expect(news).toBe(true);
      }
      known.lastError = read.errorCode;
      known.hw = Number(read.highWatermark);
      known.start = Number(read.logStartOffset);
      if (read.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) known.offset = known.start;
      known.received.push(...read.offsets);
      if (read.offsets.length > 0) known.offset = read.offsets[read.offsets.length - 1]! + 1;
    }
  }
}

type Step =
  | { kind: "produce"; partition: number; count: number }
  | { kind: "trim"; partition: number; count: number }
  | { kind: "assign"; keys: string[] }
  | { kind: "fetch"; advanceMs: number }
  | { kind: "evict" };

const keys = ["a-0", "a-1", "a-2", "b-0", "b-1", "gone-0"];
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("produce" as const),
      partition: fc.nat(4),
      count: fc.integer({ min: 1, max: 5 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("trim" as const),
      partition: fc.nat(4),
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("assign" as const), keys: fc.subarray(keys, { minLength: 1 }) }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("fetch" as const), advanceMs: fc.nat(600) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "evict" as const }) },
);

describe("fetch sessions: model", () => {
  test("incremental fetches give the consumer exactly what full fetches give", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 80 }), (steps) => {
        const logs = new Map<string, Log>(
          keys.filter((k) => !k.startsWith("gone")).map((k) => [k, { start: 0, end: 0 }]),
        );
        const logKeys = [...logs.keys()];
        // One slot: a privileged full fetch ("evict") takes it from the session consumer now and then.
        const cache = cacheOf(1);
        const withSession = new Consumer(true);
        const without = new Consumer(false);
        let assigned = keys.slice(0, 5);
        let nowMs = 0;
        let incrementalSeen = false;
        for (const step of steps) {
          if (step.kind === "produce") logs.get(logKeys[step.partition]!)!.end += step.count;
          else if (step.kind === "trim") {
            const log = logs.get(logKeys[step.partition]!)!;
            log.start = Math.min(log.end, log.start + step.count);
          } else if (step.kind === "assign") assigned = step.keys;
          else if (step.kind === "evict") {
            const ctx = openFetchContext(
              cache,
              { ...request(0, 0, [wanted("a", 0)]), privileged: true },
              nowMs,
            );
            closeFetchContext(cache, ctx, [idle()], nowMs);
          } else {
            nowMs += step.advanceMs;
            withSession.fetch(cache, logs, assigned, nowMs);
            without.fetch(cache, logs, assigned, nowMs);
            expect(withSession.known).toEqual(without.known);
            incrementalSeen ||= withSession.session !== null && withSession.session.epoch > 1;
          }
        }
        expect(withSession.known).toEqual(without.known);
        // The session consumer answered fewer partitions whenever it fetched incrementally.
        if (incrementalSeen) expect(withSession.answeredCount).toBeLessThanOrEqual(without.answeredCount);
        // Every record read was received once and in order.
        for (const known of withSession.known.values()) {
          for (let i = 1; i < known.received.length; i++)
            expect(known.received[i]!).toBeGreaterThan(known.received[i - 1]!);
        }
      }),
      { numRuns: 300 },
    );
  });

  test("an idle session consumer of many partitions is answered nothing", () => {
    const logs = new Map<string, Log>();
    const assigned: string[] = [];
    for (let p = 0; p < 500; p++) {
      logs.set(`t-${p}`, { start: 0, end: p % 7 });
      assigned.push(`t-${p}`);
    }
    const cache = cacheOf();
    const consumer = new Consumer(true);
    // Catch up: at most 3 records per read, so 3 fetches reach every end.
    for (let i = 0; i < 4; i++) consumer.fetch(cache, logs, assigned, 0);
    const before = consumer.answeredCount;
    for (let i = 0; i < 10; i++) consumer.fetch(cache, logs, assigned, 0);
    expect(consumer.answeredCount).toBe(before);
    expect(consumer.session).not.toBeNull();
    logs.get("t-42")!.end += 1;
    consumer.fetch(cache, logs, assigned, 0);
    expect(consumer.answeredCount).toBe(before + 1);
    expect(consumer.known.get("t-42")!.received.at(-1)).toBe(42 % 7);
  });
});
