/**
 * Follower fetch sessions (KIP-227) end to end without a socket: the follower's `ReplicaFetcher`
 * and the leader's `ReplicaFetchServer` with the node's session cache, joined by real Fetch v16 bytes.
 * Goal: the first Fetch to a leader is full and gets a session; while idle the follower's Fetches are
 * incremental and name no partition, yet the leader's replicas are asked about every partition each
 * time; a partition the answer leaves out stays in flight and takes its answer when it has news
 * (records, or a high watermark that moved alone); changed partitions are named, moved ones
 * forgotten; a lost session or a failed request makes the next Fetch full. Method: the fetcher's
 * requests are held in a queue the test serves one at a time, so every step is in order; the
 * leader's replica answers like the core (at once with news, else with nothing new), and the
 * follower's replica fetches again from the answer's end, as the core does.
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
  Writer,
} from "@eddy/protocol";
import { FetchSessionCache } from "../fetch-session/fetch-session-cache.ts";
import type { NodeFetchSessions } from "../fetch-session/fetch-sessions.ts";
import { ReplicaFetchServer } from "./replica-fetch-server.ts";
import {
  type PeerFetch,
  type PeerFetchResponse,
  replicaFetchVersion,
  wireTopicId,
} from "./replica-fetch-wire.ts";
import { ReplicaFetcher } from "./replica-fetcher.ts";

const topicId = "0f8e2c1a-1234-4abc-8def-0123456789ab";
const image: controller.MetadataImage = {
  offset: 10,
  brokers: [],
  topics: {
    orders: {
      name: "orders",
      topicId,
      configs: {},
      partitions: [0, 1, 2].map((partition) => ({
        partition,
        replicas: [1, 3],
        isr: [1, 3],
        leader: 1,
        leaderEpoch: 4,
        partitionEpoch: 7,
      })),
    },
  },
};
/** How long a test waits for the fetcher's next request (it backs off 200 ms after an empty answer). */
const requestWaitMsMax = 5_000;

interface Held {
  readonly leaderId: number;
  readonly request: FetchRequest;
  resolve(response: FetchResponse): void;
  reject(error: Error): void;
}

/** A leader partition as the core keeps it: its log end and high watermark. */
interface LeaderPartition {
  endOffset: number;
  highWatermark: number;
  /** The high watermark the follower was last told, so an answer is "news" when it moved. */
  highWatermarkSent: number;
}

function setUp() {
  let nowMs = 1_000;
  let nextSessionId = 500;
  const sessions: NodeFetchSessions = {
    cache: new FetchSessionCache(
      { slotsMax: 10, evictionMs: 120_000, partitionsPerSessionMax: 10_000 },
      () => nextSessionId++,
    ),
    incrementalFetchCount: 0,
  };
  const partitions = new Map<number, LeaderPartition>(
    [0, 1, 2].map((p) => [p, { endOffset: 5, highWatermark: 5, highWatermarkSent: -1 }]),
  );
  /** Every fetch the leader's replicas were handed. */
  const leaderReceived: PeerFetch[] = [];
  const server: ReplicaFetchServer = new ReplicaFetchServer({
    image: () => image,
    replica: () => ({
      onPeerMessage(fetch) {
        leaderReceived.push(fetch);
        const state = partitions.get(fetch.partition)!;
        const hasRecords = fetch.fetchOffset < state.endOffset;
        const records = hasRecords
          ? encodeRecordBatch({
              baseOffset: BigInt(fetch.fetchOffset),
              partitionLeaderEpoch: 4,
              records: Array.from({ length: state.endOffset - fetch.fetchOffset }, () => ({
                value: new TextEncoder().encode("r"),
              })),
            })
          : new Uint8Array(0);
        // Answered at once, news or not (the core would park one with no news and answer it the same
        // way when its wait ends): the session decides what the response carries.
        state.highWatermarkSent = state.highWatermark;
        const answer: PeerFetchResponse = {
          type: "fetchResponse",
          topic: fetch.topic,
          partition: fetch.partition,
          leaderId: 1,
          incarnation: fetch.incarnation,
          fetchId: fetch.fetchId,
          leaderEpoch: 4,
          errorCode: ErrorCode.NONE,
          highWatermark: state.highWatermark,
          logStartOffset: 0,
          leaderEndOffset: state.endOffset,
          readFromOffset: fetch.fetchOffset,
          readToOffset: Math.max(fetch.fetchOffset, state.endOffset),
          divergingEpoch: null,
        };
        server.answer(fetch.replicaId, answer, records);
      },
    }),
    nowMs: () => nowMs,
    log: () => {},
  });

  const held: Held[] = [];
  const delivered: PeerFetchResponse[] = [];
  /** The follower's fetch id per partition, as its core numbers them. */
  let fetchIdNext = 1;
  const followerFetch = (partition: number, fetchOffset: number): PeerFetch => ({
    type: "fetch",
    topic: "orders",
    partition,
    replicaId: 3,
    incarnation: 42,
    fetchId: fetchIdNext++,
    currentLeaderEpoch: 4,
    fetchOffset,
    lastFetchedEpoch: 4,
  });
  const fetcher: ReplicaFetcher = new ReplicaFetcher({
    request: (leaderId, body) =>
      new Promise<FetchResponse>((resolve, reject) => {
        const frame = encodeRequestFrame(
          new Writer(),
          ApiKey.Fetch,
          replicaFetchVersion,
          1,
          "eddy-node-3",
          body,
        );
        const request = decodeRequest(frame.subarray(4)).body as FetchRequest;
        held.push({ leaderId, request, resolve, reject });
      }),
    topicId: () => wireTopicId(topicId)!,
    deliver: (message) => {
      delivered.push(message);
      // The follower's core fetches again from where the answer ends.
      fetcher.send(1, followerFetch(message.partition, message.readToOffset), 0);
    },
    nowMs: () => nowMs,
    log: () => {},
  });

  /** The fetcher's next request, once it has sent one. */
  async function nextRequest(): Promise<Held> {
    const deadline = Date.now() + requestWaitMsMax;
    while (held.length === 0) {
      if (Date.now() > deadline) throw new Error("the fetcher sent no request");
      await Bun.sleep(5);
    }
    return held.shift()!;
  }

  /** Serves the fetcher's next request on the leader and returns what went both ways. */
  async function exchange() {
    const h = await nextRequest();
    const before = leaderReceived.length;
    const served = await server.serve({ ...h.request, maxWaitMs: 0 }, replicaFetchVersion, sessions);
    const frame = encodeResponseFrame(new Writer(), ApiKey.Fetch, replicaFetchVersion, 1, served);
    const response = decodeResponse(frame.subarray(4), ApiKey.Fetch, replicaFetchVersion)
      .body as FetchResponse;
    h.resolve(response);
    await Bun.sleep(0);
    return {
      request: h.request,
      response,
      named: h.request.topics.flatMap((t) => t.partitions.map((p) => p.partition)),
      answered: response.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex)),
      leaderAsked: leaderReceived.slice(before).map((f) => f.partition),
    };
  }

  return {
    sessions,
    partitions,
    fetcher,
    delivered,
    followerFetch,
    nextRequest,
    exchange,
    advanceMs: (ms: number) => {
      nowMs += ms;
    },
  };
}

/** A follower of partitions 0-2 at offset 5 whose first (full) Fetch was answered with a session. */
async function following() {
  const s = setUp();
  for (const p of [0, 1, 2]) s.fetcher.send(1, s.followerFetch(p, 5), 0);
  const first = await s.exchange();
  return { ...s, first };
}

describe("follower fetch sessions", () => {
  test("idle: one full Fetch, then incremental ones that name no partition while the leader still reads them all", async () => {
    const s = await following();
    expect(s.first.request).toMatchObject({ sessionId: 0, sessionEpoch: 0 });
    expect(s.first.named).toEqual([0, 1, 2]);
    // The full answer carries all three (their high watermark is news) and a session id.
    expect(s.first.answered).toEqual([0, 1, 2]);
    const sessionId = s.first.response.sessionId;
    expect(sessionId).not.toBe(0);
    expect(s.sessions.cache.get(sessionId)?.privileged).toBe(true);
    expect(s.delivered.map((d) => d.partition)).toEqual([0, 1, 2]);
    for (let epoch = 1; epoch <= 3; epoch++) {
      const idle = await s.exchange();
      expect(idle.request).toMatchObject({ sessionId, sessionEpoch: epoch, forgottenTopicsData: [] });
      expect(idle.named).toEqual([]);
      expect(idle.answered).toEqual([]);
      expect(idle.response.sessionId).toBe(sessionId);
      expect(idle.leaderAsked.sort()).toEqual([0, 1, 2]);
    }
    // Nothing new was handed to the follower's replicas, whose fetches stay in flight.
    expect(s.delivered).toHaveLength(3);
    expect(s.sessions.incrementalFetchCount).toBe(3);
  });

  test("records and a high watermark that moves alone reach the follower; only the changed partition is named next", async () => {
    const s = await following();
    await s.exchange();
    // Partition 1 gets two records; partition 2's high watermark moves with no record for it.
    s.partitions.get(1)!.endOffset = 7;
    s.partitions.get(2)!.highWatermark = 6;
    const busy = await s.exchange();
    expect(busy.named).toEqual([]);
    expect(busy.answered.sort()).toEqual([1, 2]);
    const last = s.delivered.slice(3);
    expect(last.find((d) => d.partition === 1)).toMatchObject({ readFromOffset: 5, readToOffset: 7 });
    expect(last.find((d) => d.partition === 2)).toMatchObject({ highWatermark: 6, readToOffset: 5 });
    // The follower's replica of partition 1 now fetches from 7: the only partition the next Fetch names.
    const next = await s.exchange();
    expect(next.named).toEqual([1]);
    expect(next.request.topics[0]!.partitions[0]!.fetchOffset).toBe(7n);
    expect(next.answered).toEqual([]);
  });

  test("an answer left out keeps the fetch in flight; a newer fetch of the same state takes the later answer", async () => {
    const s = await following();
    await s.exchange();
    // The follower's core times out its fetch of partition 0 and sends another for the same offset.
    s.fetcher.send(1, s.followerFetch(0, 5), 0);
    const newest = s.followerFetch(0, 5);
    s.fetcher.send(1, newest, 0);
    s.partitions.get(0)!.endOffset = 6;
    const x = await s.exchange();
    expect(x.named).toEqual([]);
    expect(x.answered).toEqual([0]);
    expect(s.delivered.at(-1)).toMatchObject({ partition: 0, fetchId: newest.fetchId, readToOffset: 6 });
  });

  test("a partition that moves to another leader is forgotten in the old leader's session", async () => {
    const s = await following();
    s.fetcher.send(2, { ...s.followerFetch(2, 5), currentLeaderEpoch: 5 }, 0);
    // The Fetch to broker 1 built before the move still reads partition 2; its answer does not reach it.
    const before = await s.exchange();
    expect(before.request.forgottenTopicsData).toEqual([]);
    const [a, b] = [await s.nextRequest(), await s.nextRequest()];
    const toOld = a.leaderId === 1 ? a : b;
    expect(toOld.request.forgottenTopicsData).toEqual([
      { topic: "", topicId: wireTopicId(topicId)!, partitions: [2] },
    ]);
    // The new leader's first Fetch is full.
    const toNew = a.leaderId === 2 ? a : b;
    expect(toNew.request).toMatchObject({ sessionId: 0, sessionEpoch: 0 });
  });

  test("a session the leader lost makes the next Fetch full at once; a failed Fetch closes the session", async () => {
    const s = await following();
    const sessionId = s.first.response.sessionId;
    // The leader restarted (or evicted the session): FETCH_SESSION_ID_NOT_FOUND.
    s.sessions.cache.remove(sessionId);
    const lost = await s.exchange();
    expect(lost.response.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(s.fetcher.sessionResetCount).toBe(1);
    const full = await s.exchange();
    expect(full.request).toMatchObject({ sessionId: 0, sessionEpoch: 0 });
    expect(full.named.sort()).toEqual([0, 1, 2]);
    const newId = full.response.sessionId;
    expect(newId).not.toBe(0);
    expect(newId).not.toBe(sessionId);
    // A Fetch that gets no answer: the next one is full and names the old id, which the leader drops.
    (await s.nextRequest()).reject(new Error("connection closed"));
    const after = await s.exchange();
    expect(after.request).toMatchObject({ sessionId: newId, sessionEpoch: 0 });
    expect(after.named.sort()).toEqual([0, 1, 2]);
    expect(s.sessions.cache.get(newId)).toBeUndefined();
    expect(after.response.sessionId).not.toBe(0);
  });
});
