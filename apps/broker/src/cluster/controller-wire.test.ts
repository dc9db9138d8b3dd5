/**
 * The mappings between the core controller's inputs and responses and Kafka's BrokerRegistration,
 * BrokerHeartbeat, AlterPartition and AllocateProducerIds (`controller-wire.ts`), both ways and through
 * the real codec at the versions a broker sends: what the broker's input says arrives as the same input
 * on the controller, what the controller answers arrives as the same response on the broker, and every
 * refusal (on either side) carries Kafka's error. fast-check drives the round trips.
 */
import { describe, expect, test } from "bun:test";
import { controller } from "@eddy/core";
import {
  ApiKey,
  decodeRequest,
  decodeResponse,
  ErrorCode,
  encodeRequest,
  encodeResponse,
  type RequestByKey,
  type RequestInputByKey,
  type ResponseByKey,
  type ResponseInputByKey,
  Writer,
} from "@eddy/protocol";
import fc from "fast-check";
import {
  type AlterPartitionResult,
  allocationBody,
  allocationInputOf,
  alterPartitionBody,
  alterPartitionItemsOf,
  type ControllerResponseBody,
  ControllerWireError,
  controllerRequestOf,
  controllerResponseOf,
  heartbeatBody,
  heartbeatInputOf,
  isWireInput,
  registrationBody,
  registrationInputOf,
  type SenderContext,
  sentVersions,
  topicIdFromWire,
  topicIdToWire,
  type WireInput,
} from "./controller-wire.ts";

const clusterId = "MkU3OEVBNTcwNTJENDM2Qk";
const topicId = "0b7a6c3e-1f2d-4e5a-8b9c-0d1e2f3a4b5c";

/** A committed image with brokers 1-3 (epochs 5, 6, 7) and topic "t" with partition 0 led by 1. */
const image: controller.MetadataImage = {
  offset: 42,
  brokers: [1, 2, 3].map((brokerId) => ({
    brokerId,
    brokerEpoch: brokerId + 4,
    host: "127.0.0.1",
    port: 9090 + brokerId,
    rack: null,
    fenced: false,
  })),
  topics: {
    t: {
      name: "t",
      topicId,
      configs: {},
      partitions: [
        { partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1, leaderEpoch: 4, partitionEpoch: 9 },
      ],
    },
  },
};

const context: SenderContext = {
  clusterId,
  incarnationId: "AAAAAAAAAAAAAAAAAAAAAQ",
  listener: { name: "PLAINTEXT", securityProtocol: "PLAINTEXT" },
  image,
};

/** Encodes a request at the version a broker sends and decodes it as the controller's handler gets it. */
function overTheWire<K extends keyof typeof sentVersions>(
  apiKey: K,
  body: RequestInputByKey[K],
): RequestByKey[K] {
  const w = new Writer();
  encodeRequest(w, apiKey, sentVersions[apiKey], 7, "eddy-node-1", body);
  const decoded = decodeRequest(w.finish());
  expect(decoded.apiKey).toBe(apiKey);
  expect(decoded.apiVersion).toBe(sentVersions[apiKey]);
  return decoded.body as RequestByKey[K];
}

/** Encodes a response body as the controller does and decodes it as the broker's client does. */
function answerOverTheWire<K extends keyof typeof sentVersions>(
  apiKey: K,
  body: ResponseInputByKey[K],
  version: number = sentVersions[apiKey],
): ResponseByKey[K] {
  const w = new Writer();
  encodeResponse(w, apiKey, version, 7, body);
  return decodeResponse(w.finish(), apiKey, version).body;
}

function requestOf(input: WireInput) {
  const request = controllerRequestOf(input, context);
  // biome-ignore lint/suspicious/noExplicitAny: the key and body travel together.
  return overTheWire(request.apiKey, request.body as any);
}

const nowMs = 1_000_000;

describe("topic ids", () => {
  test("the core's hyphenated text and Kafka's base64url name the same 16 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
        const text = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
        const wire = topicIdToWire(text);
        expect(wire).toHaveLength(22);
        expect(topicIdFromWire(wire)).toBe(text);
      }),
    );
  });

  test("anything else is refused with the reason", () => {
    expect(() => topicIdToWire("not-a-uuid")).toThrow(ControllerWireError);
    expect(() => topicIdToWire(topicId.toUpperCase())).toThrow(/is not a UUID/);
    expect(() => topicIdFromWire("short")).toThrow(/22 base64url/);
  });
});

describe("BrokerRegistration", () => {
  const register = (over: Partial<Extract<controller.Input, { type: "registerBroker" }>> = {}) =>
    ({
      type: "registerBroker",
      nowMs: 1,
      brokerId: 4,
      host: "10.0.0.4",
      port: 9092,
      rack: null,
      ...over,
    }) as const;

  test("an input without listeners arrives as itself, its address named by the broker's listener", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 65_535 }),
        fc.option(fc.string({ maxLength: 20 }), { nil: null }),
        (brokerId, host, port, rack) => {
          const sent = register({ brokerId, host, port, rack });
          const request = requestOf(sent) as RequestByKey[typeof ApiKey.BrokerRegistration];
          expect(request.clusterId).toBe(clusterId);
          expect(request.incarnationId).toBe(context.incarnationId);
          const got = registrationInputOf(request, clusterId, nowMs);
          expect(got).toEqual({
            ...sent,
            nowMs,
            listeners: [{ name: "PLAINTEXT", host, port, securityProtocol: "PLAINTEXT" }],
          });
        },
      ),
    );
  });

  test("an input with listeners carries them all, the one at its address first", () => {
    const listeners: controller.BrokerListener[] = [
      { name: "EXTERNAL", host: "broker4.example", port: 19092, securityProtocol: "SASL_SSL" },
      { name: "INTERNAL", host: "10.0.0.4", port: 9092, securityProtocol: "PLAINTEXT" },
      { name: "TLS", host: "10.0.0.4", port: 9093, securityProtocol: "SSL" },
    ];
    const request = requestOf(register({ listeners })) as RequestByKey[typeof ApiKey.BrokerRegistration];
    expect(request.listeners.map((l) => [l.name, l.securityProtocol])).toEqual([
      ["INTERNAL", 0],
      ["EXTERNAL", 3],
      ["TLS", 1],
    ]);
    const got = registrationInputOf(request, clusterId, nowMs);
    expect(got).toEqual({ ...register(), nowMs, listeners: [listeners[1]!, listeners[0]!, listeners[2]!] });
    // No listener at the registered address: the input cannot be said, and the broker is told why.
    expect(() => controllerRequestOf(register({ port: 1, listeners }), context)).toThrow(/no listener is at/);
  });

  test("every refusal carries Kafka's error", () => {
    const good = requestOf(register()) as RequestByKey[typeof ApiKey.BrokerRegistration];
    const refusedWith = (request: RequestByKey[typeof ApiKey.BrokerRegistration]) => {
      const got = registrationInputOf(request, clusterId, nowMs);
      return "refused" in got ? got.refused : ErrorCode.NONE;
    };
    expect(refusedWith(good)).toBe(ErrorCode.NONE);
    expect(refusedWith({ ...good, clusterId: "another-cluster-id-000" })).toBe(
      ErrorCode.INCONSISTENT_CLUSTER_ID,
    );
    expect(refusedWith({ ...good, brokerId: -1 })).toBe(ErrorCode.INVALID_REQUEST);
    expect(refusedWith({ ...good, listeners: [] })).toBe(ErrorCode.INVALID_REQUEST);
    const l = good.listeners[0]!;
    expect(refusedWith({ ...good, listeners: [l, l] })).toBe(ErrorCode.INVALID_REQUEST);
    expect(refusedWith({ ...good, listeners: [{ ...l, securityProtocol: 9 }] })).toBe(
      ErrorCode.INVALID_REQUEST,
    );
    expect(refusedWith({ ...good, listeners: [{ ...l, port: 0 }] })).toBe(ErrorCode.INVALID_REQUEST);
    expect(refusedWith({ ...good, listeners: [{ ...l, host: "" }] })).toBe(ErrorCode.INVALID_REQUEST);
    const many = Array.from({ length: 17 }, (_, i) => ({ ...l, name: `L${i}` }));
    expect(refusedWith({ ...good, listeners: many })).toBe(ErrorCode.INVALID_REQUEST);
  });

  test("the answer: the epoch on success, -1 with every error, NOT_CONTROLLER to ask another", () => {
    const input = register();
    const back = (response: controller.Response | null, error: number) =>
      controllerResponseOf(
        input,
        answerOverTheWire(ApiKey.BrokerRegistration, registrationBody(response, error)),
      );
    expect(back({ type: "registerBroker", error: "NONE", brokerEpoch: 12 }, ErrorCode.NONE)).toEqual({
      notController: false,
      errorName: "NONE",
      response: { type: "registerBroker", error: "NONE", brokerEpoch: 12 },
    });
    expect(back(null, ErrorCode.NOT_CONTROLLER)).toEqual({
      notController: true,
      errorName: "NOT_CONTROLLER",
    });
    expect(
      back({ type: "registerBroker", error: "INVALID_REQUEST", brokerEpoch: -1 }, ErrorCode.INVALID_REQUEST),
    ).toEqual({
      notController: false,
      errorName: "INVALID_REQUEST",
      response: { type: "registerBroker", error: "INVALID_REQUEST", brokerEpoch: -1 },
    });
    // A code the core has no name for reaches it as UNKNOWN_SERVER_ERROR, with Kafka's name kept for the log.
    expect(back(null, ErrorCode.INCONSISTENT_CLUSTER_ID)).toEqual({
      notController: false,
      errorName: "INCONSISTENT_CLUSTER_ID",
      response: { type: "registerBroker", error: "UNKNOWN_SERVER_ERROR", brokerEpoch: -1 },
    });
  });
});

describe("BrokerHeartbeat", () => {
  const beat = (wantFence: boolean, brokerEpoch = 6) =>
    ({ type: "brokerHeartbeat", nowMs: 1, brokerId: 2, brokerEpoch, wantFence }) as const;

  test("an input arrives as itself, timed on the controller's clock", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x7fffffff }),
        fc.nat(),
        fc.boolean(),
        (brokerId, brokerEpoch, wantFence) => {
          const sent = { ...beat(wantFence, brokerEpoch), brokerId };
          const request = requestOf(sent) as RequestByKey[typeof ApiKey.BrokerHeartbeat];
          expect(request.currentMetadataOffset).toBe(42n);
          expect(request.wantShutDown).toBe(wantFence);
          expect(heartbeatInputOf(request, nowMs)).toEqual({ ...sent, nowMs });
        },
      ),
    );
  });

  test("Kafka's WantShutDown alone fences too (the broker's controlled shutdown)", () => {
    const request = requestOf(beat(false)) as RequestByKey[typeof ApiKey.BrokerHeartbeat];
    expect(heartbeatInputOf({ ...request, wantShutDown: true }, nowMs)).toMatchObject({ wantFence: true });
  });

  test("a negative broker id or an epoch below -1 is INVALID_REQUEST", () => {
    const request = requestOf(beat(false)) as RequestByKey[typeof ApiKey.BrokerHeartbeat];
    expect(heartbeatInputOf({ ...request, brokerId: -3 }, nowMs)).toMatchObject({
      refused: ErrorCode.INVALID_REQUEST,
    });
    expect(heartbeatInputOf({ ...request, brokerEpoch: -2n }, nowMs)).toMatchObject({
      refused: ErrorCode.INVALID_REQUEST,
    });
  });

  test("IsFenced, IsCaughtUp and ShouldShutDown, and every error back to the core", () => {
    const request = requestOf(beat(true)) as RequestByKey[typeof ApiKey.BrokerHeartbeat];
    const body = heartbeatBody(
      request,
      { type: "brokerHeartbeat", error: "NONE", isFenced: true },
      ErrorCode.NONE,
      42,
    );
    expect(body).toMatchObject({ isFenced: true, isCaughtUp: true, shouldShutDown: true });
    const behind = heartbeatBody(
      request,
      { type: "brokerHeartbeat", error: "NONE", isFenced: false },
      ErrorCode.NONE,
      43,
    );
    expect(behind).toMatchObject({ isFenced: false, isCaughtUp: false, shouldShutDown: false });
    const back = (error: controller.ControllerError) => {
      const code = (ErrorCode as Record<string, number>)[error]!;
      const wire = heartbeatBody(request, { type: "brokerHeartbeat", error, isFenced: true }, code, 0);
      expect(wire).toMatchObject({
        isFenced: true,
        isCaughtUp: error === "NONE",
        shouldShutDown: error === "NONE",
      });
      return controllerResponseOf(beat(true), answerOverTheWire(ApiKey.BrokerHeartbeat, wire));
    };
    for (const error of ["NONE", "STALE_BROKER_EPOCH", "BROKER_ID_NOT_REGISTERED"] as const) {
      expect(back(error)).toEqual({
        notController: false,
        errorName: error,
        response: { type: "brokerHeartbeat", error, isFenced: true },
      });
    }
    expect(back("NOT_CONTROLLER")).toEqual({ notController: true, errorName: "NOT_CONTROLLER" });
  });
});

describe("AllocateProducerIds", () => {
  const allocate = { type: "allocateProducerIds", brokerId: 3, brokerEpoch: 7 } as const;

  test("an input arrives as itself; a bad broker id or epoch is INVALID_REQUEST", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7fffffff }), fc.nat(), (brokerId, brokerEpoch) => {
        const sent = { ...allocate, brokerId, brokerEpoch };
        expect(allocationInputOf(requestOf(sent) as RequestByKey[typeof ApiKey.AllocateProducerIds])).toEqual(
          sent,
        );
      }),
    );
    expect(allocationInputOf({ brokerId: -1, brokerEpoch: 1n })).toMatchObject({
      refused: ErrorCode.INVALID_REQUEST,
    });
    expect(allocationInputOf({ brokerId: 1, brokerEpoch: -5n })).toMatchObject({
      refused: ErrorCode.INVALID_REQUEST,
    });
  });

  test("ProducerIdStart and ProducerIdLen on success, -1 and 0 with every error", () => {
    const back = (response: controller.Response | null, error: number) =>
      controllerResponseOf(
        allocate,
        answerOverTheWire(ApiKey.AllocateProducerIds, allocationBody(response, error)),
      );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1000 }), (first) => {
        const block = {
          type: "allocateProducerIds",
          error: "NONE",
          firstProducerId: first,
          size: 1000,
        } as const;
        expect(back(block, ErrorCode.NONE)).toEqual({
          notController: false,
          errorName: "NONE",
          response: block,
        });
      }),
    );
    for (const error of ["STALE_BROKER_EPOCH", "BROKER_ID_NOT_REGISTERED", "UNKNOWN_SERVER_ERROR"] as const) {
      const code = (ErrorCode as Record<string, number>)[error]!;
      const failed = { type: "allocateProducerIds", error, firstProducerId: -1, size: 0 } as const;
      expect(back(failed, code)).toEqual({ notController: false, errorName: error, response: failed });
    }
    expect(back(null, ErrorCode.NOT_CONTROLLER)).toEqual({
      notController: true,
      errorName: "NOT_CONTROLLER",
    });
  });
});

describe("AlterPartition", () => {
  const alter = (isr: number[], over: Partial<controller.AlterPartitionRequest> = {}) =>
    ({
      type: "alterPartition",
      brokerId: 1,
      brokerEpoch: 5,
      topic: "t",
      partition: 0,
      leaderEpoch: 4,
      partitionEpoch: 9,
      isr,
      ...over,
    }) as const;
  const wireOf = (input: WireInput) => requestOf(input) as RequestByKey[typeof ApiKey.AlterPartition];

  test("an input arrives as itself: v3 names the topic by id and the ISR with epochs", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        (isr, leaderEpoch, partitionEpoch) => {
          const sent = alter(isr, { leaderEpoch, partitionEpoch });
          const request = wireOf(sent);
          expect(request.topics[0]!.topicId).toBe(topicIdToWire(topicId));
          expect(request.topics[0]!.partitions[0]!.newIsrWithEpochs.map((m) => m.brokerEpoch)).toEqual(
            isr.map(() => -1n),
          );
          const items = alterPartitionItemsOf(request, 3, image);
          expect(items).toEqual([
            { topicKey: topicIdToWire(topicId), partition: 0, error: ErrorCode.NONE, input: sent },
          ]);
        },
      ),
    );
  });

  test("older versions: topics by name (v0-1) and NewIsr (v0-2)", () => {
    const request = {
      brokerId: 1,
      brokerEpoch: 5n,
      topics: [
        {
          topicName: "t",
          topicId: "AAAAAAAAAAAAAAAAAAAAAA",
          partitions: [
            {
              partitionIndex: 0,
              leaderEpoch: 4,
              newIsr: [1, 2],
              newIsrWithEpochs: [],
              leaderRecoveryState: 0,
              partitionEpoch: 9,
            },
          ],
        },
      ],
    };
    expect(alterPartitionItemsOf(request, 1, image)).toEqual([
      { topicKey: "t", partition: 0, error: ErrorCode.NONE, input: alter([1, 2]) },
    ]);
    const unknown = { ...request, topics: [{ ...request.topics[0]!, topicName: "gone" }] };
    expect(alterPartitionItemsOf(unknown, 1, image)).toEqual([
      { topicKey: "gone", partition: 0, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, input: null },
    ]);
  });

  test("an unknown topic id is UNKNOWN_TOPIC_ID; a member whose epoch is not its registration's is INELIGIBLE_REPLICA", () => {
    const request = wireOf(alter([1, 2]));
    const otherId = topicIdToWire("11111111-2222-4333-8444-555555555555");
    const unknown = { ...request, topics: [{ ...request.topics[0]!, topicId: otherId }] };
    expect(alterPartitionItemsOf(unknown, 3, image)).toEqual([
      { topicKey: otherId, partition: 0, error: ErrorCode.UNKNOWN_TOPIC_ID, input: null },
    ]);
    const withEpochs = (epochs: bigint[]) => ({
      ...request,
      topics: [
        {
          ...request.topics[0]!,
          partitions: [
            {
              ...request.topics[0]!.partitions[0]!,
              newIsrWithEpochs: epochs.map((brokerEpoch, i) => ({ brokerId: i + 1, brokerEpoch })),
            },
          ],
        },
      ],
    });
    // Brokers 1 and 2 are registered with epochs 5 and 6.
    const ok = alterPartitionItemsOf(withEpochs([5n, 6n]), 3, image);
    expect(ok).toMatchObject([{ error: ErrorCode.NONE, input: { isr: [1, 2] } }]);
    const stale = alterPartitionItemsOf(withEpochs([5n, 3n]), 3, image);
    expect(stale).toMatchObject([{ error: ErrorCode.INELIGIBLE_REPLICA, input: null }]);
    const unregistered = { ...withEpochs([5n]), topics: [{ ...withEpochs([5n]).topics[0]! }] };
    unregistered.topics[0]!.partitions[0]!.newIsrWithEpochs = [{ brokerId: 9, brokerEpoch: 1n }];
    expect(alterPartitionItemsOf(unregistered, 3, image)).toMatchObject([
      { error: ErrorCode.INELIGIBLE_REPLICA },
    ]);
  });

  test("request-wide refusals: a bad broker id or epoch, too many partitions", () => {
    const request = wireOf(alter([1]));
    expect(alterPartitionItemsOf({ ...request, brokerId: -1 }, 3, image)).toMatchObject({
      refused: ErrorCode.INVALID_REQUEST,
    });
    expect(alterPartitionItemsOf({ ...request, brokerEpoch: -9n }, 3, image)).toMatchObject({
      refused: ErrorCode.INVALID_REQUEST,
    });
    const partitions = Array.from(
      { length: controller.requestItemsMax + 1 },
      () => request.topics[0]!.partitions[0]!,
    );
    expect(
      alterPartitionItemsOf({ ...request, topics: [{ ...request.topics[0]!, partitions }] }, 3, image),
    ).toMatchObject({
      refused: ErrorCode.INVALID_REQUEST,
    });
  });

  test("the answer: the partition's state after the change, or its error", () => {
    const key = topicIdToWire(topicId);
    const state: controller.PartitionState = {
      partition: 0,
      replicas: [1, 2, 3],
      isr: [1, 2],
      leader: 1,
      leaderEpoch: 4,
      partitionEpoch: 10,
    };
    const back = (results: AlterPartitionResult[]) =>
      controllerResponseOf(
        alter([1, 2]),
        answerOverTheWire(ApiKey.AlterPartition, alterPartitionBody(results, 3)),
      );
    expect(back([{ topicKey: key, partition: 0, error: ErrorCode.NONE, state }])).toEqual({
      notController: false,
      errorName: "NONE",
      response: { type: "alterPartition", error: "NONE", partition: { ...state, replicas: [] } },
    });
    for (const error of [
      "FENCED_LEADER_EPOCH",
      "INVALID_UPDATE_VERSION",
      "NOT_LEADER_OR_FOLLOWER",
      "INELIGIBLE_REPLICA",
      "UNKNOWN_TOPIC_OR_PARTITION",
      "BROKER_ID_NOT_REGISTERED",
      "INVALID_REQUEST",
      // Request-wide: answered at the top of the response, as Kafka does.
      "STALE_BROKER_EPOCH",
    ] as const) {
      const code = (ErrorCode as Record<string, number>)[error]!;
      expect(back([{ topicKey: key, partition: 0, error: code, state: null }])).toEqual({
        notController: false,
        errorName: error,
        response: { type: "alterPartition", error, partition: null },
      });
    }
    expect(back([{ topicKey: key, partition: 0, error: ErrorCode.NOT_CONTROLLER, state: null }])).toEqual({
      notController: true,
      errorName: "NOT_CONTROLLER",
    });
  });

  test("the response groups partitions by topic, by name before v2 and by id from v2", () => {
    const results: AlterPartitionResult[] = [
      { topicKey: "a", partition: 0, error: ErrorCode.NONE, state: null },
      { topicKey: "b", partition: 0, error: ErrorCode.FENCED_LEADER_EPOCH, state: null },
      { topicKey: "a", partition: 1, error: ErrorCode.INVALID_UPDATE_VERSION, state: null },
    ];
    const v1 = answerOverTheWire(ApiKey.AlterPartition, alterPartitionBody(results, 1), 1);
    expect(
      v1.topics.map((t) => [t.topicName, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
    ).toEqual([
      [
        "a",
        [
          [0, ErrorCode.NONE],
          [1, ErrorCode.INVALID_UPDATE_VERSION],
        ],
      ],
      ["b", [[0, ErrorCode.FENCED_LEADER_EPOCH]]],
    ]);
    const id = topicIdToWire(topicId);
    const v2 = answerOverTheWire(
      ApiKey.AlterPartition,
      alterPartitionBody([{ topicKey: id, partition: 0, error: ErrorCode.NONE, state: null }], 2),
      2,
    );
    expect(v2.topics[0]!.topicId).toBe(id);
    expect(
      alterPartitionBody([...results, { ...results[0]!, error: ErrorCode.STALE_BROKER_EPOCH }], 3),
    ).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.STALE_BROKER_EPOCH,
      topics: [],
    });
  });

  test("an answer that does not name the partition asked about is refused, not guessed", () => {
    const wire = alterPartitionBody([{ topicKey: "x", partition: 5, error: ErrorCode.NONE, state: null }], 3);
    const body = answerOverTheWire(ApiKey.AlterPartition, { ...wire, topics: [] });
    expect(() => controllerResponseOf(alter([1]), body as ControllerResponseBody)).toThrow(
      /does not name t-0/,
    );
  });

  test("a topic this broker's image lacks cannot be sent", () => {
    expect(() => controllerRequestOf(alter([1], { topic: "gone" }), context)).toThrow(
      /not in this broker's image/,
    );
  });
});

test("only the four inputs Kafka's brokers send travel as Kafka requests", () => {
  expect(isWireInput({ type: "registerBroker", nowMs: 0, brokerId: 1, host: "h", port: 1, rack: null })).toBe(
    true,
  );
  expect(isWireInput({ type: "allocateProducerIds", brokerId: 1, brokerEpoch: 1 })).toBe(true);
  expect(isWireInput({ type: "createTopics", topics: [] })).toBe(false);
  expect(isWireInput({ type: "deleteAcls", filters: [] })).toBe(false);
});
