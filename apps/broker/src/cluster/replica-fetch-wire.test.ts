/**
 * Replication over Kafka's Fetch, both directions of the mapping and the leader's side, without a
 * socket. Goal: what a follower's core sends arrives at the leader's core as the same fetch, and
 * what the leader's core answers (batches, high watermark, log start, divergence, errors, its end
 * offset) arrives at the follower's core as the answer to the fetch it has in flight, through real
 * Fetch v16 bytes (encoded and decoded by the generated codec). Method: encode the request the
 * fetcher builds, decode it as the broker does, serve it with `ReplicaFetchServer` over a fake
 * replica that answers as the core would, encode the response and decode it as the follower does.
 * Also: a fetch from a broker that is not a replica never reaches the replica, and a parked fetch
 * is answered in the follower's next Fetch.
 */
import { describe, expect, test } from "bun:test";
import type { controller } from "@eddy/core";
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  ErrorCode,
  encodeRecordBatch,
  encodeRequestFrame,
  encodeResponseFrame,
  type FetchRequest,
  type FetchResponse,
  type FetchResponseInput,
  Writer,
} from "@eddy/protocol";
import fc from "fast-check";
import { ReplicaFetchServer } from "./replica-fetch-server.ts";
import {
  eddyLeaderEndOffsetTag,
  type PeerFetch,
  type PeerFetchResponse,
  peerFetchResponseOf,
  replicaFetchRequest,
  replicaFetchVersion,
  wireTopicId,
} from "./replica-fetch-wire.ts";

const topicId = "0f8e2c1a-1234-4abc-8def-0123456789ab";
const image: controller.MetadataImage = {
  offset: 10,
  brokers: [],
  topics: {
    orders: {
      name: "orders",
      topicId,
      configs: {},
      partitions: [
        { partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 7 },
        { partition: 1, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 7 },
        { partition: 2, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 4, partitionEpoch: 7 },
      ],
    },
  },
};

function followerFetch(partition: number, fields: Partial<PeerFetch> = {}): PeerFetch {
  return {
    type: "fetch",
    topic: "orders",
    partition,
    replicaId: 3,
    incarnation: 42,
    fetchId: 9,
    currentLeaderEpoch: 4,
    fetchOffset: 5,
    lastFetchedEpoch: 4,
    ...fields,
  };
}

/** The request as the leader's handler sees it: encoded by the follower, decoded by the broker. */
function overTheWire(fetches: readonly PeerFetch[]): FetchRequest {
  const body = replicaFetchRequest(
    fetches.map((message) => ({ message, topicId: wireTopicId(topicId)!, logStartOffset: 2 })),
  );
  const frame = encodeRequestFrame(new Writer(), ApiKey.Fetch, replicaFetchVersion, 1, "eddy-node-3", body);
  const decoded = decodeRequest(frame.subarray(4));
  expect(decoded.header.requestApiVersion).toBe(replicaFetchVersion);
  return decoded.body as FetchRequest;
}

/** The response as the follower sees it: encoded by the leader's broker, decoded by the peer client. */
function backOverTheWire(body: FetchResponseInput): FetchResponse {
  const frame = encodeResponseFrame(new Writer(), ApiKey.Fetch, replicaFetchVersion, 1, body);
  return decodeResponse(frame.subarray(4), ApiKey.Fetch, replicaFetchVersion).body as FetchResponse;
}

const batch = (baseOffset: number, count: number, epoch: number): Uint8Array =>
  encodeRecordBatch({
    baseOffset: BigInt(baseOffset),
    partitionLeaderEpoch: epoch,
    records: Array.from({ length: count }, (_, i) => ({ value: new TextEncoder().encode(`r${i}`) })),
  });

/**
 * A leader whose replicas answer like the core: at once with `answerOf(fetch)` unless it returns
 * null (parked, answered later by `release`).
 */
function leader(answerOf: (fetch: PeerFetch) => { message: PeerFetchResponse; records: Uint8Array } | null) {
  const received: PeerFetch[] = [];
  const parked: PeerFetch[] = [];
  const logs: string[] = [];
  let nowMs = 1_000;
  const server: ReplicaFetchServer = new ReplicaFetchServer({
    image: () => image,
    replica: () => ({
      onPeerMessage(message) {
        received.push(message);
        const answer = answerOf(message);
        if (answer === null) parked.push(message);
        else server.answer(message.replicaId, answer.message, answer.records);
      },
    }),
    nowMs: () => nowMs,
    log: (line) => logs.push(line),
  });
  return {
    server,
    received,
    logs,
    advanceMs: (ms: number) => {
      nowMs += ms;
    },
    release(answer: (fetch: PeerFetch) => { message: PeerFetchResponse; records: Uint8Array }) {
      for (const fetch of parked.splice(0)) {
        const a = answer(fetch);
        server.answer(fetch.replicaId, a.message, a.records);
      }
    },
  };
}

/** The core's answer to `fetch` on the leader (broker 1, epoch 4). */
function coreAnswer(fetch: PeerFetch, fields: Partial<PeerFetchResponse> = {}): PeerFetchResponse {
  return {
    type: "fetchResponse",
    topic: fetch.topic,
    partition: fetch.partition,
    leaderId: 1,
    incarnation: fetch.incarnation,
    fetchId: fetch.fetchId,
    leaderEpoch: 4,
    errorCode: ErrorCode.NONE,
    highWatermark: 6,
    logStartOffset: 0,
    leaderEndOffset: 8,
    readFromOffset: fetch.fetchOffset,
    readToOffset: 8,
    divergingEpoch: null,
    ...fields,
  };
}

describe("replica Fetch on the wire", () => {
  test("a follower's fetch reaches the leader's core with its replica id, epoch, offsets and epochs", async () => {
    const l = leader((f) => ({ message: coreAnswer(f), records: batch(5, 3, 4) }));
    const request = overTheWire([followerFetch(0)]);
    expect(request.replicaState).toMatchObject({ replicaId: 3, replicaEpoch: 42n });
    expect(request.replicaId).toBe(-1);
    expect(request.topics[0]!.partitions[0]).toMatchObject({
      partition: 0,
      currentLeaderEpoch: 4,
      fetchOffset: 5n,
      lastFetchedEpoch: 4,
      logStartOffset: 2n,
    });
    await l.server.serve(request, replicaFetchVersion);
    expect(l.received).toHaveLength(1);
    // The leader numbers the fetch itself (Kafka's wire has no fetch id); the rest is the follower's.
    expect({ ...l.received[0]!, fetchId: 0 }).toEqual({ ...followerFetch(0), fetchId: 0 });
  });

  test("the leader's answer arrives as the answer to the fetch the follower has in flight, batches as stored", async () => {
    const records = new Uint8Array([...batch(5, 2, 4), ...batch(7, 1, 4)]);
    const l = leader((f) => ({ message: coreAnswer(f, { highWatermark: 6, leaderEndOffset: 9 }), records }));
    const sent = followerFetch(0);
    const response = backOverTheWire(await l.server.serve(overTheWire([sent]), replicaFetchVersion));
    const data = response.responses[0]!.partitions[0]!;
    expect(response.responses[0]!.topicId).toBe(wireTopicId(topicId)!);
    expect(data._unknownTaggedFields?.map((f) => f.tag)).toEqual([eddyLeaderEndOffsetTag]);
    const mapped = peerFetchResponseOf(1, sent, data);
    if (typeof mapped === "string") throw new Error(mapped);
    expect([...mapped.records]).toEqual([...records]);
    expect(mapped.message).toEqual({
      type: "fetchResponse",
      topic: "orders",
      partition: 0,
      leaderId: 1,
      // Recovered from the follower's own fetch, not the leader's numbering.
      incarnation: 42,
      fetchId: 9,
      leaderEpoch: 4,
      errorCode: ErrorCode.NONE,
      highWatermark: 6,
      logStartOffset: 0,
      leaderEndOffset: 9,
      readFromOffset: 5,
      readToOffset: 8,
      divergingEpoch: null,
    });
  });

  test("divergence (KIP-320) and an error round-trip; without Eddy's tag the follower never truncates by it", async () => {
    const l = leader((f) =>
      f.partition === 0
        ? {
            message: coreAnswer(f, { divergingEpoch: { epoch: 3, endOffset: 4 }, readToOffset: 5 }),
            records: new Uint8Array(0),
          }
        : {
            message: coreAnswer(f, {
              errorCode: ErrorCode.FENCED_LEADER_EPOCH,
              leaderEpoch: 5,
              readToOffset: 5,
            }),
            records: new Uint8Array(0),
          },
    );
    const sent = [followerFetch(0), followerFetch(1)];
    const response = backOverTheWire(await l.server.serve(overTheWire(sent), replicaFetchVersion));
    const [p0, p1] = response.responses[0]!.partitions;
    expect(p0!.divergingEpoch).toMatchObject({ epoch: 3, endOffset: 4n });
    const diverged = peerFetchResponseOf(1, sent[0]!, p0!);
    if (typeof diverged === "string") throw new Error(diverged);
    expect(diverged.message.divergingEpoch).toEqual({ epoch: 3, endOffset: 4 });
    expect(diverged.message.readToOffset).toBe(5);
    // FENCED_LEADER_EPOCH names the leader this broker's metadata knows (KIP-951).
    expect(p1!.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(p1!.currentLeader).toMatchObject({ leaderId: 1, leaderEpoch: 4 });
    const fenced = peerFetchResponseOf(1, sent[1]!, { ...p1!, _unknownTaggedFields: undefined });
    if (typeof fenced === "string") throw new Error(fenced);
    expect(fenced.message.errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect(fenced.message.divergingEpoch).toBeNull();
    expect(fenced.message.leaderEndOffset).toBe(Number.MAX_SAFE_INTEGER);
  });

  test("a fetch from a broker that is not a replica is refused NOT_LEADER_OR_FOLLOWER and never reaches the replica", async () => {
    const l = leader((f) => ({ message: coreAnswer(f), records: new Uint8Array(0) }));
    // Broker 3 replicates partition 0 but not partition 2 (replicas 1, 2).
    const response = backOverTheWire(
      await l.server.serve(overTheWire([followerFetch(0), followerFetch(2)]), replicaFetchVersion),
    );
    const byPartition = new Map(response.responses[0]!.partitions.map((p) => [p.partitionIndex, p]));
    expect(byPartition.get(0)!.errorCode).toBe(ErrorCode.NONE);
    expect(byPartition.get(2)!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect(l.received.map((f) => f.partition)).toEqual([0]);
    expect(l.logs.join("\n")).toContain(
      "replica fetch from broker 3 for orders-2 refused: it is not a replica",
    );
  });

  test("an unknown topic id is UNKNOWN_TOPIC_ID", async () => {
    const l = leader((f) => ({ message: coreAnswer(f), records: new Uint8Array(0) }));
    const request = overTheWire([followerFetch(0)]);
    const other = {
      ...request,
      topics: [{ ...request.topics[0]!, topicId: wireTopicId("11111111-2222-4333-8444-555555555555")! }],
    };
    const response = backOverTheWire(await l.server.serve(other, replicaFetchVersion));
    expect(response.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect(l.received).toHaveLength(0);
  });

  test("a parked fetch is answered at once when another partition is, and its answer comes with the next Fetch", async () => {
    // Partition 1 has nothing new: the core parks it. Partition 0 answers at once.
    const l = leader((f) => (f.partition === 0 ? { message: coreAnswer(f), records: batch(5, 1, 4) } : null));
    const first = await l.server.serve(
      overTheWire([followerFetch(0), followerFetch(1)]),
      replicaFetchVersion,
    );
    expect(first.responses![0]!.partitions!.map((p) => p.partitionIndex)).toEqual([0]);
    expect(l.server.outstandingCount).toBe(1);
    // The core releases the parked fetch while no request waits; the follower asks again for it
    // (same offset and epochs), and gets that answer without the core being asked a second time.
    l.release((f) => ({ message: coreAnswer(f, { highWatermark: 7 }), records: new Uint8Array(0) }));
    const second = await l.server.serve(overTheWire([followerFetch(1)]), replicaFetchVersion);
    expect(second.responses![0]!.partitions![0]).toMatchObject({ partitionIndex: 1, highWatermark: 7n });
    expect(l.received.map((f) => f.partition)).toEqual([0, 1]);
    expect(l.server.outstandingCount).toBe(0);
  });

  test("answers past the response's MaxBytes are kept for the next Fetch, the first one whatever its size", async () => {
    const records = batch(5, 50, 4);
    const l = leader((f) => ({ message: coreAnswer(f), records }));
    const request = { ...overTheWire([followerFetch(0), followerFetch(1)]), maxBytes: records.length + 10 };
    const first = await l.server.serve(request, replicaFetchVersion);
    expect(first.responses![0]!.partitions!.map((p) => p.partitionIndex)).toEqual([0]);
    const tiny = { ...overTheWire([followerFetch(1)]), maxBytes: 1 };
    const second = await l.server.serve(tiny, replicaFetchVersion);
    expect(second.responses![0]!.partitions!.map((p) => p.partitionIndex)).toEqual([1]);
    // The second answer is the one the core gave at first: it was asked once per partition.
    expect(l.received.map((f) => f.partition)).toEqual([0, 1]);
  });

  test("a Fetch whose partitions are all parked waits for the first answer, not its whole wait", async () => {
    const l = leader(() => null);
    const request = { ...overTheWire([followerFetch(0)]), maxWaitMs: 30_000 };
    const pending = l.server.serve(request, replicaFetchVersion);
    l.release((f) => ({ message: coreAnswer(f), records: batch(5, 1, 4) }));
    const response = await pending;
    expect(response.responses![0]!.partitions![0]!.partitionIndex).toBe(0);
  });

  test("property: any answer the core can give maps back to itself through the wire", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          errorCode: fc.constantFrom(
            ErrorCode.NONE,
            ErrorCode.OFFSET_OUT_OF_RANGE,
            ErrorCode.NOT_LEADER_OR_FOLLOWER,
            ErrorCode.UNKNOWN_LEADER_EPOCH,
          ),
          highWatermark: fc.integer({ min: 0, max: 2 ** 40 }),
          logStartOffset: fc.integer({ min: 0, max: 2 ** 40 }),
          leaderEndOffset: fc.integer({ min: 0, max: 2 ** 50 }),
          diverging: fc.option(
            fc.record({
              epoch: fc.integer({ min: -1, max: 1_000 }),
              endOffset: fc.integer({ min: 0, max: 2 ** 40 }),
            }),
          ),
          fetchOffset: fc.integer({ min: 0, max: 2 ** 40 }),
          fetchId: fc.integer({ min: 1, max: 2 ** 31 }),
          incarnation: fc.integer({ min: 0, max: 2 ** 40 }),
        }),
        async (a) => {
          const sent = followerFetch(0, {
            fetchOffset: a.fetchOffset,
            fetchId: a.fetchId,
            incarnation: a.incarnation,
          });
          const answer = coreAnswer(sent, {
            errorCode: a.errorCode,
            highWatermark: a.highWatermark,
            logStartOffset: a.logStartOffset,
            leaderEndOffset: a.leaderEndOffset,
            divergingEpoch: a.diverging,
            readToOffset: a.fetchOffset,
          });
          // The leader's core echoes the fetch id the leader's side gave it.
          const l = leader((f) => ({
            message: { ...answer, fetchId: f.fetchId },
            records: new Uint8Array(0),
          }));
          const response = backOverTheWire(await l.server.serve(overTheWire([sent]), replicaFetchVersion));
          const mapped = peerFetchResponseOf(1, sent, response.responses[0]!.partitions[0]!);
          if (typeof mapped === "string") throw new Error(mapped);
          const expected = { ...answer, leaderEpoch: sent.currentLeaderEpoch };
          expect(mapped.message).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
