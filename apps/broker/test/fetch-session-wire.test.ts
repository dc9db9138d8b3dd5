/**
 * Fetch sessions (KIP-227) on the wire against `bun run broker` with Kafka's StandardAuthorizer:
 * a full fetch (epoch 0) gets a session, an idle incremental fetch is answered with no partition, new
 * records on one partition bring back that partition only, a wrong epoch or unknown id is refused with
 * Kafka's error, and READ is checked on every partition of every fetch: once alice's ACL is deleted her
 * next incremental fetch answers TOPIC_AUTHORIZATION_FAILED for the whole session, and another
 * principal who names her session id reads nothing. A full fetch naming the session ends it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, ErrorCode, encodeRecordBatch } from "@eddy/protocol";
import { aclBrokerArgs, rawAs } from "./acl-fixture.ts";
import { type RunningBroker, removeDir, startBroker } from "./harness.ts";
import type { RawClient } from "./raw-client.ts";

let broker: RunningBroker;
let admin: RawClient;
const topic = "session-acl";
const partitionCount = 4;
/** Polls for an ACL change to reach the authorizer (it is committed through the metadata log). */
const aclPollsMax = 100;

const aclRead = {
  resourceType: 2,
  resourceName: topic,
  resourcePatternType: 3,
  principal: "User:alice",
  host: "*",
  operation: 3,
  permissionType: 3,
};

async function produce(partition: number, value: string): Promise<void> {
  const r = await admin.request(ApiKey.Produce, 7, {
    acks: 1,
    timeoutMs: 5000,
    topicData: [
      {
        name: topic,
        partitionData: [
          {
            index: partition,
            records: encodeRecordBatch({
              baseTimestamp: BigInt(Date.now()),
              records: [{ value: new TextEncoder().encode(value) }],
            }),
          },
        ],
      },
    ],
  });
  expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
}

/** Fetch v11 of `partitions` (each at `offset`) in session (`sessionId`, `sessionEpoch`), without waiting. */
function fetchV11(
  client: RawClient,
  sessionId: number,
  sessionEpoch: number,
  partitions: readonly { partition: number; offset: bigint }[],
) {
  return client.request(ApiKey.Fetch, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId,
    sessionEpoch,
    topics:
      partitions.length === 0
        ? []
        : [
            {
              topic,
              partitions: partitions.map((p) => ({
                partition: p.partition,
                currentLeaderEpoch: -1,
                fetchOffset: p.offset,
                logStartOffset: -1n,
                partitionMaxBytes: 1 << 20,
              })),
            },
          ],
    forgottenTopicsData: [],
    rackId: "",
  });
}

/** Partition index to [error code, record bytes] of a response, over all its topics. */
function answered(r: {
  responses: { partitions: { partitionIndex: number; errorCode: number; records: Uint8Array | null }[] }[];
}): Record<string, [number, number]> {
  return Object.fromEntries(
    r.responses.flatMap((t) =>
      t.partitions.map((p) => [p.partitionIndex, [p.errorCode, p.records?.length ?? 0] as [number, number]]),
    ),
  );
}

beforeAll(async () => {
  broker = await startBroker({ args: aclBrokerArgs });
  admin = await rawAs(broker.port, "admin");
  const created = await admin.request(ApiKey.CreateTopics, 3, {
    topics: [{ name: topic, numPartitions: partitionCount, replicationFactor: 1 }],
    timeoutMs: 10_000,
  });
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  await produce(0, "first");
  const acl = await admin.request(ApiKey.CreateAcls, 1, { creations: [aclRead] });
  expect(acl.results[0]!.errorCode).toBe(ErrorCode.NONE);
}, 60_000);

afterAll(async () => {
  admin?.close();
  expect(await broker.stop()).toBe(0);
  removeDir(broker.dataDir);
});

describe("fetch sessions on the wire", () => {
  test("full, idle, changed, refused, unauthorized and ended", async () => {
    const alice = await rawAs(broker.port, "alice");
    const mallory = await rawAs(broker.port, "mallory");
    try {
      const all = Array.from({ length: partitionCount }, (_, partition) => ({ partition, offset: 0n }));
      // The ACL reaches the authorizer through the metadata log: poll until a sessionless read is allowed.
      let allowed = false;
      for (let poll = 0; poll < aclPollsMax && !allowed; poll++) {
        allowed = answered(await fetchV11(alice, 0, -1, all))[0]?.[0] === ErrorCode.NONE;
        if (!allowed) await Bun.sleep(50);
      }
      expect(allowed).toBe(true);

      const full = await fetchV11(alice, 0, 0, all);
      expect(full.errorCode).toBe(ErrorCode.NONE);
      expect(full.sessionId).not.toBe(0);
      const first = answered(full);
      expect(Object.keys(first).length).toBe(partitionCount);
      expect(first[0]![1]).toBeGreaterThan(0);
      const sessionId = full.sessionId;

      // Partition 0 moves to offset 1; nothing else changed, so nothing is answered.
      const idle = await fetchV11(alice, sessionId, 1, [{ partition: 0, offset: 1n }]);
      expect(idle.errorCode).toBe(ErrorCode.NONE);
      expect(idle.sessionId).toBe(sessionId);
      expect(answered(idle)).toEqual({});
      expect(answered(await fetchV11(alice, sessionId, 2, []))).toEqual({});

      // A record on partition 2 brings back partition 2 alone, named by nobody in the request.
      await produce(2, "second");
      const changed = await fetchV11(alice, sessionId, 3, []);
      expect(Object.keys(answered(changed))).toEqual(["2"]);
      expect(answered(changed)[2]![1]).toBeGreaterThan(0);

      const wrongEpoch = await fetchV11(alice, sessionId, 9, []);
      expect(wrongEpoch.errorCode).toBe(ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      expect(wrongEpoch.responses).toEqual([]);
      const unknown = await fetchV11(alice, sessionId === 1 ? 2 : 1, 1, []);
      expect(unknown.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);

      // Another principal naming alice's session reads nothing of it.
      const stolen = await fetchV11(mallory, sessionId, 4, []);
      expect(stolen.errorCode).toBe(ErrorCode.NONE);
      for (const [code, bytes] of Object.values(answered(stolen)))
        expect([code, bytes]).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, 0]);
      expect(Object.keys(answered(stolen)).length).toBe(partitionCount);

      // Her ACL deleted, alice's next incremental fetch is refused for every partition of the session.
      const deleted = await admin.request(ApiKey.DeleteAcls, 1, {
        filters: [
          {
            resourceTypeFilter: 2,
            resourceNameFilter: topic,
            patternTypeFilter: 3,
            principalFilter: "User:alice",
            hostFilter: null,
            operation: 3,
            permissionType: 3,
          },
        ],
      });
      expect(deleted.filterResults[0]!.errorCode).toBe(ErrorCode.NONE);
      let epoch = 5;
      // Until the deletion reaches the authorizer the session may still answer partitions without error.
      let refused: Record<string, [number, number]> = {};
      for (let poll = 0; poll < aclPollsMax; poll++) {
        const r = await fetchV11(alice, sessionId, epoch++, []);
        expect(r.errorCode).toBe(ErrorCode.NONE);
        refused = answered(r);
        const codes = Object.values(refused).map(([code]) => code);
        if (codes.length === partitionCount && codes.every((c) => c === ErrorCode.TOPIC_AUTHORIZATION_FAILED))
          break;
        await Bun.sleep(50);
      }
      for (const p of Array.from({ length: partitionCount }, (_, i) => i))
        expect(refused[p]).toEqual([ErrorCode.TOPIC_AUTHORIZATION_FAILED, 0]);

      // A full fetch naming the session ends it.
      const ended = await fetchV11(alice, sessionId, -1, all);
      expect(ended.sessionId).toBe(0);
      expect((await fetchV11(alice, sessionId, epoch, [])).errorCode).toBe(
        ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
      );
    } finally {
      alice.close();
      mallory.close();
    }
  }, 60_000);
});
