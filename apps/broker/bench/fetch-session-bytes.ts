/**
 * The bytes an idle consumer of many partitions costs per fetch, without and with a fetch session
 * (KIP-227), measured in the same run against one broker: Fetch v11 of 1,000 empty partitions at
 * their end, sent sessionless (epoch -1, every partition named and answered) and then incremental
 * (the session's id and epoch, no partitions named, none answered). Prints request and response
 * bytes per fetch (whole frames, size prefix included) and the mean round trip of each.
 *
 * Owns its broker and its connection. Must never count a fetch that was not idle: every answer is
 * checked (no error, no records; the incremental one carries no partition at all).
 *
 * `bun bench/fetch-session-bytes.ts` alone, or from `bun bench/index.ts`.
 */
import {
  decodeResponse,
  ErrorCode,
  encodeRequestFrame,
  type RequestInputByKey,
  Writer,
} from "@eddy/protocol";
import { removeDir, startBroker } from "../test/harness.ts";
import { RawClient } from "../test/raw-client.ts";

const partitionCount = 1000;
const topic = "fetch-session-bench";
/** Fetches of each kind measured; their bytes are equal, their round trips are averaged. */
const fetchCount = 50;
/** Polls for the topic's partitions to be led before the bench gives up. */
const readyPollsMax = 200;
const fetchVersion = 11;
/** The Metadata request that creates the topic may take this long to be answered. */
const createMsMax = 120_000;

export interface FetchSessionFigures {
  readonly fullRequestBytes: number;
  readonly fullResponseBytes: number;
  readonly incrementalRequestBytes: number;
  readonly incrementalResponseBytes: number;
  readonly fullRoundTripMs: number;
  readonly incrementalRoundTripMs: number;
}

/** One Fetch on `client`: its frame's bytes, the answer's frame bytes and its decoded body. */
async function fetchOnce(client: RawClient, correlationId: number, body: RequestInputByKey[1]) {
  const frame = encodeRequestFrame(new Writer(), 1, fetchVersion, correlationId, "fetch-session-bench", body);
  const started = performance.now();
  client.writeRaw(frame);
  const answer = await client.nextFrame(10_000);
  const roundTripMs = performance.now() - started;
  if (answer === null) throw new Error("the broker closed the connection");
  const decoded = decodeResponse(answer, 1, fetchVersion);
  if (decoded.correlationId !== correlationId)
    throw new Error(`answer to ${decoded.correlationId}, not ${correlationId}`);
  // A response frame is its 4-byte size and then the payload nextFrame returns.
  return { requestBytes: frame.length, responseBytes: answer.length + 4, body: decoded.body, roundTripMs };
}

function fetchBody(sessionId: number, sessionEpoch: number, named: boolean): RequestInputByKey[1] {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 50 << 20,
    isolationLevel: 0,
    sessionId,
    sessionEpoch,
    topics: named
      ? [
          {
            topic,
            partitions: Array.from({ length: partitionCount }, (_, partition) => ({
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: 0n,
              logStartOffset: -1n,
              partitionMaxBytes: 1 << 20,
            })),
          },
        ]
      : [],
    forgottenTopicsData: [],
    rackId: "",
  };
}

function mustBeIdle(
  body: {
    errorCode: number;
    responses: { partitions: { errorCode: number; records: Uint8Array | null }[] }[];
  },
  partitionsExpected: number,
): void {
  if (body.errorCode !== ErrorCode.NONE) throw new Error(`fetch answered error ${body.errorCode}`);
  const partitions = body.responses.flatMap((t) => t.partitions);
  if (partitions.length !== partitionsExpected)
    throw new Error(`fetch answered ${partitions.length} partitions, expected ${partitionsExpected}`);
  for (const p of partitions) {
    if (p.errorCode !== ErrorCode.NONE) throw new Error(`a partition answered error ${p.errorCode}`);
    if ((p.records?.length ?? 0) > 0) throw new Error("an idle fetch carried records");
  }
}

export async function runFetchSessionBytes(): Promise<FetchSessionFigures> {
  const broker = await startBroker({ args: ["--override", `num.partitions=${partitionCount}`] });
  let client: RawClient | null = null;
  try {
    client = await RawClient.connect(broker.port);
    // Making 1,000 partitions takes seconds on a loaded machine: the answer gets a long wait.
    client.send(3, 8, {
      topics: [{ name: topic }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    if ((await client.nextFrame(createMsMax)) === null) throw new Error("the broker closed the connection");
    let correlationId = 1000;
    // The topic is made by the Metadata request; its partitions answer once they are led here.
    for (let poll = 0; ; poll++) {
      if (poll >= readyPollsMax) throw new Error(`${topic}'s partitions were not all led in time`);
      const probe = await fetchOnce(client, correlationId++, fetchBody(0, -1, true));
      const partitions = probe.body.responses.flatMap((t) => t.partitions);
      if (partitions.length === partitionCount && partitions.every((p) => p.errorCode === ErrorCode.NONE))
        break;
      await Bun.sleep(50);
    }
    let full = { requestBytes: 0, responseBytes: 0, roundTripMs: 0 };
    for (let i = 0; i < fetchCount; i++) {
      const f = await fetchOnce(client, correlationId++, fetchBody(0, -1, true));
      mustBeIdle(f.body, partitionCount);
      full = {
        requestBytes: f.requestBytes,
        responseBytes: f.responseBytes,
        roundTripMs: full.roundTripMs + f.roundTripMs,
      };
    }
    const opened = await fetchOnce(client, correlationId++, fetchBody(0, 0, true));
    mustBeIdle(opened.body, partitionCount);
    const sessionId = opened.body.sessionId;
    if (sessionId === 0) throw new Error("the broker made no fetch session");
    let incremental = { requestBytes: 0, responseBytes: 0, roundTripMs: 0 };
    for (let epoch = 1; epoch <= fetchCount; epoch++) {
      const f = await fetchOnce(client, correlationId++, fetchBody(sessionId, epoch, false));
      mustBeIdle(f.body, 0);
      if (f.body.sessionId !== sessionId)
        throw new Error(`session ${f.body.sessionId} answered, not ${sessionId}`);
      incremental = {
        requestBytes: f.requestBytes,
        responseBytes: f.responseBytes,
        roundTripMs: incremental.roundTripMs + f.roundTripMs,
      };
    }
    const figures: FetchSessionFigures = {
      fullRequestBytes: full.requestBytes,
      fullResponseBytes: full.responseBytes,
      incrementalRequestBytes: incremental.requestBytes,
      incrementalResponseBytes: incremental.responseBytes,
      fullRoundTripMs: full.roundTripMs / fetchCount,
      incrementalRoundTripMs: incremental.roundTripMs / fetchCount,
    };
    console.log(
      `\nIdle Fetch v${fetchVersion} of ${partitionCount.toLocaleString("en")} partitions, this machine, one run (${fetchCount} fetches each):`,
    );
    console.log("what                               request B   response B   round trip ms");
    const row = (what: string, request: number, response: number, ms: number) =>
      console.log(
        `${what.padEnd(34)} ${request.toLocaleString("en").padStart(9)} ${response.toLocaleString("en").padStart(12)} ${ms.toFixed(2).padStart(15)}`,
      );
    row(
      "full (sessionless, epoch -1)",
      figures.fullRequestBytes,
      figures.fullResponseBytes,
      figures.fullRoundTripMs,
    );
    row(
      "incremental (session, KIP-227)",
      figures.incrementalRequestBytes,
      figures.incrementalResponseBytes,
      figures.incrementalRoundTripMs,
    );
    return figures;
  } finally {
    client?.close();
    await broker.stop();
    removeDir(broker.dataDir);
  }
}

if (import.meta.main) await runFetchSessionBytes();
