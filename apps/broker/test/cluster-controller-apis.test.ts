/**
 * Brokers speak to the controller in Kafka's own APIs (issue 12): a controller-only node and two
 * broker-only nodes in separate processes, each broker dialling the controller through a relay that
 * reads every request frame going its way (`frame-tap-proxy.ts`). Registration, heartbeats, an ISR
 * change and a producer-id block must be seen there as BrokerRegistration v4 (62), BrokerHeartbeat v1
 * (63), AlterPartition v3 (56) and AllocateProducerIds v0 (67), and never as Eddy's internal
 * `controllerRequest` (api 32000), which still carries what Kafka forwards otherwise (topic creation).
 *
 * Then the controller's refusals: a request of a version it does not serve, a truncated one, one of
 * another cluster, one on a broker listener, each answered with a clear error (or the connection
 * closed with the reason logged) and each leaving the cluster's brokers as they were. ApiVersions
 * lists the four on the controller listener only.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApiKey, decodeRequest, ErrorCode, encodeRequestFrame, Writer } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { freePorts } from "./cluster-harness.ts";
import { FrameTapProxy } from "./frame-tap-proxy.ts";
import { kcat, removeDir, tempDir, until } from "./harness.ts";
import { type NodeProcess, startNodeProcess } from "./node-process.ts";
import { RawClient } from "./raw-client.ts";

const clusterId = "MkU3OEVBNTcwNTJENDM2Qk";

type Node = NodeProcess;

const dir = tempDir("controller-apis");
const [controllerPort, port2, port3] = freePorts(3) as [number, number, number];
const tap = new FrameTapProxy("127.0.0.1", controllerPort);
const common = (id: number, voterPort: number) => [
  "--cluster-id",
  clusterId,
  "--admin-port",
  "0",
  "--override",
  `node.id=${id}`,
  "--override",
  `controller.quorum.voters=1@127.0.0.1:${voterPort}`,
  "--override",
  "controller.listener.names=CONTROLLER",
  "--override",
  `log.dirs=${dir}/node-${id}`,
  "--override",
  "broker.session.timeout.ms=6000",
  "--override",
  "broker.heartbeat.interval.ms=300",
  "--override",
  "replica.lag.time.max.ms=1500",
];
const nodes: Node[] = [
  {
    id: 1,
    args: [
      ...common(1, controllerPort),
      "--override",
      "process.roles=controller",
      "--override",
      `listeners=CONTROLLER://127.0.0.1:${controllerPort}`,
    ],
    proc: null,
    output: "",
  },
  ...[
    [2, port2],
    [3, port3],
  ].map(([id, port]) => ({
    id: id!,
    // The brokers reach the controller only through the tap.
    args: [
      ...common(id!, tap.port),
      "--override",
      "process.roles=broker",
      "--override",
      `listeners=PLAINTEXT://127.0.0.1:${port}`,
    ],
    proc: null,
    output: "",
  })),
];
const node = (id: number) => nodes.find((n) => n.id === id)!;
const bootstrap = `127.0.0.1:${port2},127.0.0.1:${port3}`;

const startNode = (node: Node) => startNodeProcess(node, 50_000);

/** The brokers the cluster's metadata lists, and topic `t`'s ISRs, as kcat reads them from broker 2. */
function listing(): { brokers: number[]; isrs: number[][] } {
  const json = JSON.parse(kcat(["-L", "-J", "-b", `127.0.0.1:${port2}`, "-m", "5"])) as {
    brokers: { id: number }[];
    topics: { topic: string; partitions: { partition: number; isrs: { id: number }[] }[] }[];
  };
  const t = json.topics.find((x) => x.topic === "t");
  return {
    brokers: json.brokers.map((b) => b.id).sort(),
    isrs: (t?.partitions ?? [])
      .sort((a, b) => a.partition - b.partition)
      .map((p) => p.isrs.map((r) => r.id).sort()),
  };
}

beforeAll(async () => {
  await startNode(node(1));
  await Promise.all([startNode(node(2)), startNode(node(3))]);
}, 90_000);

afterAll(async () => {
  for (const n of nodes) n.proc?.kill("SIGKILL");
  await Promise.all(nodes.map((n) => n.proc?.exited));
  tap.stop();
  removeDir(dir);
});

describe("brokers to the controller over Kafka's APIs", () => {
  test("registration, heartbeats, AlterPartition and producer ids travel as APIs 62, 63, 56, 67", async () => {
    await until("both brokers listed", () => listing().brokers.join() === "2,3");
    const kafka = new Kafka({
      clientId: "eddy-controller-apis",
      brokers: bootstrap.split(","),
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2, replicationFactor: 2 }] });
    await admin.disconnect();
    await until("a full ISR", () => {
      const { isrs } = listing();
      return isrs.length === 2 && isrs.every((isr) => isr.join() === "2,3");
    });
    // An idempotent producer's InitProducerId makes its broker ask the controller for a block.
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await producer.connect();
    await producer.send({ topic: "t", acks: -1, messages: [{ partition: 0, value: "one" }] });
    await producer.disconnect();

    // Broker 3 goes and comes back: its partitions' leader on broker 2 changes their ISR (AlterPartition).
    node(3).proc?.kill("SIGKILL");
    await node(3).proc?.exited;
    await until("the ISR without broker 3", () => listing().isrs.every((isr) => isr.join() === "2"), 30_000);
    await startNode(node(3));
    await until(
      "broker 3 back in every ISR",
      () => listing().isrs.every((isr) => isr.join() === "2,3"),
      30_000,
    );

    const keys = tap.apiKeys();
    for (const key of [
      ApiKey.AlterPartition,
      ApiKey.BrokerRegistration,
      ApiKey.BrokerHeartbeat,
      ApiKey.AllocateProducerIds,
    ])
      expect(keys).toContain(key);
    // Each at the version Kafka 3.7+ brokers send, and each decodes as Kafka's message.
    const versions = new Map<number, Set<number>>();
    for (const f of tap.frames) {
      if (f.apiKey === 32_000) continue;
      const decoded = decodeRequest(f.payload);
      expect(decoded.apiKey).toBe(f.apiKey as typeof decoded.apiKey);
      versions.set(f.apiKey, (versions.get(f.apiKey) ?? new Set()).add(f.apiVersion));
    }
    expect([...versions.get(ApiKey.BrokerRegistration)!]).toEqual([4]);
    expect([...versions.get(ApiKey.BrokerHeartbeat)!]).toEqual([1]);
    expect([...versions.get(ApiKey.AlterPartition)!]).toEqual([3]);
    expect([...versions.get(ApiKey.AllocateProducerIds)!]).toEqual([0]);
    // No internal controllerRequest carries any of the four; topic creation still does.
    const internal = tap.frames.filter((f) => f.internalKind === "controllerRequest").map((f) => f.inputType);
    expect(internal).toContain("createTopics");
    for (const type of ["registerBroker", "brokerHeartbeat", "alterPartition", "allocateProducerIds"])
      expect(internal).not.toContain(type);
  }, 150_000);

  test("ApiVersions lists the four on the controller listener only", async () => {
    const keysOn = async (port: number) => {
      const client = await RawClient.connect(port);
      const answer = await client.request(ApiKey.ApiVersions, 3, {
        clientSoftwareName: "t",
        clientSoftwareVersion: "1",
      });
      client.close();
      return answer.apiKeys.map((k) => k.apiKey);
    };
    const controllerOnly = [56, 62, 63, 67];
    const onController = await keysOn(controllerPort);
    for (const key of controllerOnly) expect(onController).toContain(key);
    const onBroker = await keysOn(port2);
    for (const key of controllerOnly) expect(onBroker).not.toContain(key);
    expect(onBroker).toContain(ApiKey.Produce);
  });

  test("a wrong version, a truncated body, another cluster or a broker listener is refused and changes nothing", async () => {
    await until("both brokers listed", () => listing().brokers.join() === "2,3", 30_000);
    const registration = {
      brokerId: 9,
      clusterId,
      incarnationId: "AAAAAAAAAAAAAAAAAAAAAQ",
      listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 1, securityProtocol: 0 }],
      features: [],
      rack: null,
    };
    // A version the controller does not serve: the connection closes and the log says why.
    const v2 = await RawClient.connect(controllerPort);
    // Rewrite the version field (bytes 6-7, after the size prefix and the key) to 2, which Kafka's specs lack.
    const frame = encodeRequestFrame(new Writer(), ApiKey.BrokerHeartbeat, 1, 99, "raw-test", {
      brokerId: 2,
    }).slice();
    new DataView(frame.buffer).setInt16(6, 2);
    v2.writeRaw(frame);
    expect(await v2.nextFrame()).toBeNull();
    await until("the refusal logged", () =>
      node(1).output.includes("BrokerHeartbeat v2 is not supported (served: v0-v1)"),
    );

    // A body cut short: closed, with the field named.
    const cut = await RawClient.connect(controllerPort);
    const whole = encodeRequestFrame(
      new Writer(),
      ApiKey.BrokerRegistration,
      4,
      5,
      "raw-test",
      registration,
    ).slice();
    const truncated = whole.slice(0, whole.length - 6);
    new DataView(truncated.buffer).setInt32(0, truncated.length - 4);
    cut.writeRaw(truncated);
    expect(await cut.nextFrame()).toBeNull();
    await until("the malformed request logged", () =>
      /malformed BrokerRegistration v4 request/.test(node(1).output),
    );

    // Another cluster's broker: INCONSISTENT_CLUSTER_ID, and no broker 9.
    const other = await RawClient.connect(controllerPort);
    const refused = await other.request(ApiKey.BrokerRegistration, 4, {
      ...registration,
      clusterId: "AnotherClusterIdAAAAAA",
    });
    expect(refused.errorCode).toBe(ErrorCode.INCONSISTENT_CLUSTER_ID);
    expect(refused.brokerEpoch).toBe(-1n);
    // No listeners: INVALID_REQUEST.
    const none = await other.request(ApiKey.BrokerRegistration, 4, { ...registration, listeners: [] });
    expect(none.errorCode).toBe(ErrorCode.INVALID_REQUEST);
    // A heartbeat of a broker that never registered: BROKER_ID_NOT_REGISTERED; a stale epoch of a real one: STALE_BROKER_EPOCH.
    const unknown = await other.request(ApiKey.BrokerHeartbeat, 1, {
      brokerId: 9,
      brokerEpoch: 1n,
      currentMetadataOffset: 0n,
    });
    expect(unknown.errorCode).toBe(ErrorCode.BROKER_ID_NOT_REGISTERED);
    expect(unknown.isFenced).toBe(true);
    const stale = await other.request(ApiKey.BrokerHeartbeat, 1, {
      brokerId: 2,
      brokerEpoch: 1_000n,
      currentMetadataOffset: 0n,
    });
    expect(stale.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    const block = await other.request(ApiKey.AllocateProducerIds, 0, { brokerId: 2, brokerEpoch: 1_000n });
    expect(block.errorCode).toBe(ErrorCode.STALE_BROKER_EPOCH);
    expect(block.producerIdStart).toBe(-1n);
    other.close();

    // The controller's APIs on a broker listener: closed, with the reason logged.
    const onBroker = await RawClient.connect(port2);
    onBroker.send(ApiKey.BrokerRegistration, 4, registration);
    expect(await onBroker.nextFrame()).toBeNull();
    await until("the listener refusal logged", () =>
      node(2).output.includes("BrokerRegistration is served on a controller listener only"),
    );

    // Nothing changed: the same brokers, both still serving.
    expect(listing().brokers).toEqual([2, 3]);
    expect(node(1).output).toContain("refused the registration of broker 9");
  });
});
