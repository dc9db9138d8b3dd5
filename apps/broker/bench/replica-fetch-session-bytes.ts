/**
 * The bytes an idle follower of many partitions costs per replica Fetch (v16) to one leader, before
 * follower fetch sessions (every request sessionless, naming and answering every partition) and with
 * them (KIP-227: incremental requests naming none, answers carrying none), measured in the same run.
 * Uses the broker's own code end to end without sockets: the follower's `ReplicaFetchSession` and
 * `replicaFetchRequest` build each request, the generated codec encodes and decodes it, the leader's
 * `ReplicaFetchServer` serves it (with the node's kind of session cache, or none) over replicas that
 * answer as the core does when its wait ends with nothing new (no records, the same high watermark),
 * and the response is encoded as the broker sends it. Prints whole frames, size prefix included.
 *
 * Owns nothing but its in-process objects. Must never count a fetch that was not idle: every answer
 * is checked (no error, no records; the sessionless one answers every partition, the incremental one
 * none) and every incremental request names no partition.
 *
 * `bun bench/replica-fetch-session-bytes.ts` alone, or from `bun bench/index.ts`.
 */
import type { controller } from "@eddy/core";
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  ErrorCode,
  encodeRequestFrame,
  encodeResponseFrame,
  type FetchRequest,
  type FetchResponse,
  type FetchResponseInput,
  Writer,
} from "@eddy/protocol";
import { ReplicaFetchServer } from "../src/cluster/replica-fetch-server.ts";
import { ReplicaFetchSession } from "../src/cluster/replica-fetch-session.ts";
import {
  type OutgoingFetch,
  type PeerFetch,
  replicaFetchRequest,
  replicaFetchVersion,
  sessionlessFetch,
  wireTopicId,
} from "../src/cluster/replica-fetch-wire.ts";
import { FetchSessionCache } from "../src/fetch-session/fetch-session-cache.ts";
import type { NodeFetchSessions } from "../src/fetch-session/fetch-sessions.ts";

const partitionCount = 1000;
/** Fetches of each kind; their bytes are equal fetch to fetch, which the bench checks. */
const fetchCount = 20;
const topicId = "5b0c8d1e-7a2f-4c3d-9e8f-0a1b2c3d4e5f";
const offset = 1234;
const highWatermark = 1234;

export interface ReplicaFetchSessionFigures {
  readonly partitionCount: number;
  readonly sessionlessRequestBytes: number;
  readonly sessionlessResponseBytes: number;
  readonly incrementalRequestBytes: number;
  readonly incrementalResponseBytes: number;
}

const image: controller.MetadataImage = {
  offset: 1,
  brokers: [],
  topics: {
    replicated: {
      name: "replicated",
      topicId,
      configs: {},
      partitions: Array.from({ length: partitionCount }, (_, partition) => ({
        partition,
        replicas: [1, 2, 3],
        isr: [1, 2, 3],
        leader: 1,
        leaderEpoch: 7,
        partitionEpoch: 9,
      })),
    },
  },
};

function leader(): ReplicaFetchServer {
  const server: ReplicaFetchServer = new ReplicaFetchServer({
    image: () => image,
    replica: () => ({
      onPeerMessage(fetch) {
        // The core's answer when a parked fetch's wait ends with nothing new.
        server.answer(
          fetch.replicaId,
          {
            type: "fetchResponse",
            topic: fetch.topic,
            partition: fetch.partition,
            leaderId: 1,
            incarnation: fetch.incarnation,
            fetchId: fetch.fetchId,
            leaderEpoch: 7,
            errorCode: ErrorCode.NONE,
            highWatermark,
            logStartOffset: 0,
            leaderEndOffset: offset,
            readFromOffset: fetch.fetchOffset,
            readToOffset: fetch.fetchOffset,
            divergingEpoch: null,
          },
          new Uint8Array(0),
        );
      },
    }),
    nowMs: () => 1_000,
    log: () => {},
  });
  return server;
}

const fetches: OutgoingFetch[] = Array.from({ length: partitionCount }, (_, partition) => {
  const message: PeerFetch = {
    type: "fetch",
    topic: "replicated",
    partition,
    replicaId: 2,
    incarnation: 11,
    fetchId: partition + 1,
    currentLeaderEpoch: 7,
    fetchOffset: offset,
    lastFetchedEpoch: 7,
  };
  return { message, topicId: wireTopicId(topicId)!, logStartOffset: 0 };
});

/** One request through the codec and the leader: the frames' bytes and the decoded answer. */
async function exchange(
  server: ReplicaFetchServer,
  body: ReturnType<typeof replicaFetchRequest>,
  sessions: NodeFetchSessions | undefined,
) {
  const request = encodeRequestFrame(
    new Writer(),
    ApiKey.Fetch,
    replicaFetchVersion,
    1,
    "eddy-replica-fetcher-2",
    body,
  );
  const decoded = decodeRequest(request.subarray(4)).body as FetchRequest;
  const served: FetchResponseInput = await server.serve(
    { ...decoded, maxWaitMs: 0 },
    replicaFetchVersion,
    sessions,
  );
  const response = encodeResponseFrame(new Writer(), ApiKey.Fetch, replicaFetchVersion, 1, served);
  const answer = decodeResponse(response.subarray(4), ApiKey.Fetch, replicaFetchVersion)
    .body as FetchResponse;
  if (answer.errorCode !== ErrorCode.NONE) throw new Error(`the leader answered error ${answer.errorCode}`);
  const partitions = answer.responses.flatMap((t) => t.partitions);
  for (const p of partitions) {
    if (p.errorCode !== ErrorCode.NONE) throw new Error(`a partition answered error ${p.errorCode}`);
    if ((p.records?.length ?? 0) > 0) throw new Error("an idle fetch carried records");
  }
  return {
    requestBytes: request.length,
    responseBytes: response.length,
    named: decoded.topics.reduce((n, t) => n + t.partitions.length, 0),
    answered: partitions.length,
    sessionId: answer.sessionId,
  };
}

/** The same bytes every time, or the figure means nothing. */
function steady(what: string, values: readonly number[]): number {
  if (values.some((v) => v !== values[0])) throw new Error(`${what} varied: ${values.join(", ")}`);
  return values[0]!;
}

export async function runReplicaFetchSessionBytes(): Promise<ReplicaFetchSessionFigures> {
  // Before: every Fetch sessionless, naming and answering every partition.
  const before = leader();
  const sessionless = [];
  for (let i = 0; i < fetchCount; i++) {
    const x = await exchange(before, replicaFetchRequest(fetches, 0, sessionlessFetch), undefined);
    if (x.named !== partitionCount || x.answered !== partitionCount)
      throw new Error(`a sessionless fetch named ${x.named} and answered ${x.answered}`);
    sessionless.push(x);
  }
  // After: a full Fetch opens the session, then incremental ones.
  const after = leader();
  let nextId = 1;
  const sessions: NodeFetchSessions = {
    cache: new FetchSessionCache(
      { slotsMax: 1000, evictionMs: 120_000, partitionsPerSessionMax: 10_000 },
      () => nextId++,
    ),
    incrementalFetchCount: 0,
  };
  const session = new ReplicaFetchSession();
  const wanted = fetches.map((f) => ({
    topicId: f.topicId,
    partition: f.message.partition,
    fetchOffset: f.message.fetchOffset,
    currentLeaderEpoch: f.message.currentLeaderEpoch,
    lastFetchedEpoch: f.message.lastFetchedEpoch,
    logStartOffset: f.logStartOffset,
  }));
  const incremental = [];
  for (let i = 0; i <= fetchCount; i++) {
    const built = session.build(wanted, 11);
    const byKey = new Map(fetches.map((f) => [`${f.topicId}:${f.message.partition}`, f]));
    const body = replicaFetchRequest(
      built.toSend.map((k) => byKey.get(k)!),
      0,
      { sessionId: built.sessionId, sessionEpoch: built.sessionEpoch, forgotten: built.toForget },
      { replicaId: 2, incarnation: 11 },
    );
    const x = await exchange(after, body, sessions);
    if (!session.onResponse(built, ErrorCode.NONE, x.sessionId, []))
      throw new Error("the session was refused");
    if (i === 0) {
      if (x.sessionId === 0) throw new Error("the leader made no session");
      continue;
    }
    if (built.full || x.named !== 0 || x.answered !== 0)
      throw new Error(`an incremental fetch named ${x.named} and answered ${x.answered}`);
    incremental.push(x);
  }
  const figures: ReplicaFetchSessionFigures = {
    partitionCount,
    sessionlessRequestBytes: steady(
      "sessionless requests",
      sessionless.map((x) => x.requestBytes),
    ),
    sessionlessResponseBytes: steady(
      "sessionless responses",
      sessionless.map((x) => x.responseBytes),
    ),
    incrementalRequestBytes: steady(
      "incremental requests",
      incremental.map((x) => x.requestBytes),
    ),
    incrementalResponseBytes: steady(
      "incremental responses",
      incremental.map((x) => x.responseBytes),
    ),
  };
  console.log(
    `\nIdle follower Fetch v${replicaFetchVersion} to one leader, ${partitionCount.toLocaleString("en")} partitions (${fetchCount} fetches each):`,
  );
  console.log("what                                   request B   response B");
  const row = (what: string, request: number, response: number) =>
    console.log(
      `${what.padEnd(38)} ${request.toLocaleString("en").padStart(9)} ${response.toLocaleString("en").padStart(12)}`,
    );
  row("before: sessionless (epoch -1)", figures.sessionlessRequestBytes, figures.sessionlessResponseBytes);
  row(
    "after: incremental session (KIP-227)",
    figures.incrementalRequestBytes,
    figures.incrementalResponseBytes,
  );
  return figures;
}

if (import.meta.main) await runReplicaFetchSessionBytes();
