/**
 * A controller-only node with broker-only nodes whose inter-broker listener is SASL_SSL. Goal: the
 * active controller, which binds no broker listener, still reaches the broker-only nodes on their
 * registered inter-broker listener, presenting the same TLS and SASL (`inter-broker-settings.ts`,
 * controller-only branch), so the brokers receive the images it pushes, get ready, and replicate to
 * each other over it. Without those credentials a broker-only node never sees an image naming
 * itself and never gets ready.
 * Method: one controller-only process (`process.roles=controller`, the quorum of one) and two
 * broker-only processes with PLAINTEXT for clients and INTERNAL (SASL_SSL, PLAIN) for nodes, all three
 * with `inter.broker.listener.name=INTERNAL`; kafkajs produces with acks=all to a topic of
 * replication factor 2 over PLAINTEXT and kcat reads every record back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Kafka, logLevel } from "kafkajs";
import { freePorts } from "./cluster-harness.ts";
import { kcat, kcatReadAll, removeDir, tempDir, until } from "./harness.ts";
import { type NodeProcess, startNodeProcess } from "./node-process.ts";
import { makeCertificates } from "./tls-fixture.ts";

const clusterId = "MkU3OEVBNTcwNTJENDM2Qg";

type Node = NodeProcess;

const dir = tempDir("roles-inter-broker");
const certs = makeCertificates(dir);
const [controllerPort, ...ports] = freePorts(5) as [number, ...number[]];
const plaintextPort = (id: number) => ports[id - 2]!;
const internalPort = (id: number) => ports[id]!;
const overrides = (lines: string[]) => lines.flatMap((l) => ["--override", l]);
const common = (id: number) => [
  "--cluster-id",
  clusterId,
  "--admin-port",
  "0",
  ...overrides([
    `node.id=${id}`,
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    "controller.listener.names=CONTROLLER",
    `log.dirs=${dir}/node-${id}`,
    "broker.session.timeout.ms=3000",
    "broker.heartbeat.interval.ms=500",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,INTERNAL:SASL_SSL",
    "inter.broker.listener.name=INTERNAL",
    "sasl.mechanism.inter.broker.protocol=PLAIN",
    "sasl.enabled.mechanisms=PLAIN",
    'listener.name.internal.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="broker-secret" user_broker="broker-secret";',
    "ssl.keystore.type=PEM",
    `ssl.keystore.location=${certs.serverKeystore}`,
    "ssl.truststore.type=PEM",
    `ssl.truststore.location=${certs.caPem}`,
  ]),
];
const nodes: Node[] = [
  {
    id: 1,
    args: [
      ...common(1),
      ...overrides(["process.roles=controller", `listeners=CONTROLLER://127.0.0.1:${controllerPort}`]),
    ],
    proc: null,
    output: "",
  },
  ...[2, 3].map((id) => ({
    id,
    args: [
      ...common(id),
      ...overrides([
        "process.roles=broker",
        `listeners=PLAINTEXT://127.0.0.1:${plaintextPort(id)},INTERNAL://127.0.0.1:${internalPort(id)}`,
        "default.replication.factor=2",
      ]),
    ],
    proc: null,
    output: "",
  })),
];
const bootstrap = [2, 3].map((id) => `127.0.0.1:${plaintextPort(id)}`).join(",");

const startNode = (node: Node) => startNodeProcess(node, 40_000);

const outputs = () => nodes.map((n) => `--- node ${n.id}\n${n.output.slice(-3_000)}`).join("\n");

beforeAll(async () => {
  try {
    await Promise.all(nodes.map((n) => startNode(n)));
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${outputs()}`);
  }
}, 60_000);
afterAll(async () => {
  for (const n of nodes) n.proc?.kill("SIGKILL");
  await Promise.all(nodes.map((n) => n.proc?.exited));
  removeDir(dir);
});

describe("a controller-only node and a SASL_SSL inter-broker listener", () => {
  test("the brokers get the controller's images over INTERNAL, serve, and replicate acks=all", async () => {
    try {
      const listing = JSON.parse(kcat(["-L", "-J", "-b", bootstrap, "-m", "5"])) as {
        brokers: { id: number; name: string }[];
      };
      expect(listing.brokers.map((b) => b.name).sort()).toEqual(
        [2, 3].map((id) => `127.0.0.1:${plaintextPort(id)}`).sort(),
      );
      // The controller-only node reached both brokers on INTERNAL with the inter-broker user.
      for (const id of [2, 3])
        expect(nodes[0]!.output).toContain(
          `(127.0.0.1:${internalPort(id)}): authenticated as broker with PLAIN on the INTERNAL listener over TLS`,
        );
      const producer = new Kafka({
        clientId: "roles-inter-broker",
        brokers: bootstrap.split(","),
        logLevel: logLevel.NOTHING,
        retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1_000 },
      }).producer();
      await producer.connect();
      const values = Array.from({ length: 20 }, (_, i) => `v-${i}`);
      try {
        for (const value of values) await producer.send({ topic: "roles", acks: -1, messages: [{ value }] });
      } finally {
        await producer.disconnect();
      }
      await until("both replicas in the ISR", () => {
        const t = JSON.parse(kcat(["-L", "-J", "-b", bootstrap, "-t", "roles", "-m", "5"])) as {
          topics: { partitions: { isrs: unknown[] }[] }[];
        };
        return t.topics[0]?.partitions[0]?.isrs.length === 2;
      });
      expect(kcatReadAll(bootstrap, "roles")).toEqual(values);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${outputs()}`);
    }
  }, 90_000);
});
