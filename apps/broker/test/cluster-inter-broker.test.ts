/**
 * The inter-broker listener (issue 14) in a cluster of three processes: clients on PLAINTEXT and SSL,
 * nodes replicating to each other over a SASL_SSL listener (PLAIN as User:broker), ACLs on
 * (`StandardAuthorizer`, `super.users=User:broker;User:ANONYMOUS`: the controller listener is
 * PLAINTEXT, see the fixture). Fixture: test/inter-broker-fixture.ts.
 *
 * Goals, each against real processes:
 * - Metadata answers each listener with that listener's ports: kcat -L on SSL lists the SSL ports,
 *   on PLAINTEXT the PLAINTEXT ports, kafkajs on INTERNAL the INTERNAL (proxy) ports; DescribeCluster
 *   on PLAINTEXT the PLAINTEXT ports.
 * - kafkajs produces with acks=all to a topic of RF 3 (min.insync.replicas 2) over PLAINTEXT; the
 *   leader is killed with SIGKILL; every acknowledged record is read back from the survivors.
 *   Replication flowed over the SASL_SSL listener: every connection a node opened to a peer
 *   authenticated on INTERNAL at its proxy port (the nodes' log), each proxy relayed connections, and
 *   no node opened a connection to a PLAINTEXT or SSL port.
 * - An internal message sent by alice, authenticated on INTERNAL but no broker, is refused (she lacks
 *   CLUSTER_ACTION and is no super user).
 * - The same cluster with a wrong inter-broker password: the followers log the refused authentication
 *   and retry, the leader logs each refusal; acks=all is refused or times out and nothing is
 *   acknowledged.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ApiKey } from "@eddy/protocol";
import { Kafka, logLevel } from "kafkajs";
import { encodeInternalFrame } from "../src/cluster/internal-message.ts";
import { PeerClient, peerClientDefaults } from "../src/net/peer-client.ts";
import { type AckedRecord, ackProblems, type ClusterMetadata, readBack } from "./cluster-harness.ts";
import { kcat, until } from "./harness.ts";
import { interBrokerPassword, SecureCluster } from "./inter-broker-fixture.ts";
import { RawClient } from "./raw-client.ts";
import { kcatTls } from "./tls-fixture.ts";

let cluster: SecureCluster | undefined;
afterAll(async () => {
  await cluster?.close();
});

function metadataOf(bootstrap: string, extra: string[] = [], topic?: string): ClusterMetadata {
  const args = ["-L", "-J", "-b", bootstrap, "-m", "5", ...extra];
  if (topic !== undefined) args.push("-t", topic);
  return JSON.parse(kcat(args)) as ClusterMetadata;
}

/** kafkajs as the inter-broker user over INTERNAL (a super user): it creates the topics. */
function superClient(c: SecureCluster): Kafka {
  return new Kafka({
    clientId: "inter-broker-test-admin",
    brokers: c.nodes.map((n) => `127.0.0.1:${n.proxy.port}`),
    ssl: { ca: [readFileSync(c.certs.caPem, "utf8")] },
    sasl: { mechanism: "plain", username: "broker", password: interBrokerPassword },
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
}

/** Makes `topic` (replication factor 3) as the inter-broker user, over INTERNAL. */
async function prepare(c: SecureCluster, topic: string): Promise<void> {
  const admin = superClient(c).admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 3 }],
      waitForLeaders: true,
    });
    // The INTERNAL listener's Metadata names the INTERNAL (proxy) ports.
    const described = await admin.describeCluster();
    expect(described.brokers.map((b) => b.port).sort()).toEqual(c.nodes.map((n) => n.proxy.port).sort());
  } finally {
    await admin.disconnect();
  }
}

const producerOf = (bootstrap: string, retries: number) =>
  new Kafka({
    clientId: "inter-broker-test",
    brokers: bootstrap.split(","),
    logLevel: logLevel.NOTHING,
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1_000 },
  }).producer();

/** The ports every "peer N (host:port)" line of a node's log names. */
function peerPorts(output: string): Set<number> {
  return new Set([...output.matchAll(/peer \d+ \(127\.0\.0\.1:(\d+)\)/g)].map((m) => Number(m[1])));
}

describe("a SASL_SSL inter-broker listener", () => {
  test("Metadata per listener; acks=all over PLAINTEXT survives the leader's death; replication went over INTERNAL", async () => {
    const c = await SecureCluster.start();
    cluster = c;
    try {
      const portsOf = (m: ClusterMetadata) => m.brokers.map((b) => Number(b.name.split(":")[1])).sort();
      // kcat asks one node of the bootstrap list, and a node's image may not list the last registration
      // yet: each node is asked until it lists all three.
      for (const node of c.nodes) {
        await until(
          `three brokers listed on PLAINTEXT by the node on ${node.plaintextPort}`,
          () => metadataOf(`127.0.0.1:${node.plaintextPort}`).brokers.length === 3,
          30_000,
        );
      }
      expect(portsOf(metadataOf(c.plaintextBootstrap()))).toEqual(c.nodes.map((n) => n.plaintextPort).sort());
      // Asked of another node, whose image may not list the last registration yet: wait for it there too.
      const sslOf = () => metadataOf(`127.0.0.1:${c.nodes[0]!.sslPort}`, kcatTls(c.certs));
      await until("three brokers listed on SSL", () => sslOf().brokers.length === 3, 30_000);
      expect(portsOf(sslOf())).toEqual(c.nodes.map((n) => n.sslPort).sort());
      // DescribeCluster answers the same way: PLAINTEXT ports to a PLAINTEXT client.
      const raw = await RawClient.connect(c.nodes[1]!.plaintextPort);
      try {
        const described = await raw.request(ApiKey.DescribeCluster, 1, {
          includeClusterAuthorizedOperations: false,
          endpointType: 1,
        });
        expect(described.errorCode).toBe(0);
        expect(described.brokers.map((b) => b.port).sort()).toEqual(
          c.nodes.map((n) => n.plaintextPort).sort(),
        );
      } finally {
        raw.close();
      }

      const topic = "secured";
      await prepare(c, topic);
      const isrFull = () => {
        const t = metadataOf(c.plaintextBootstrap(), [], topic).topics[0] as {
          partitions?: { isrs: unknown[]; leader: number }[];
        };
        return t.partitions?.[0]?.isrs.length === 3 ? t.partitions[0].leader : null;
      };
      const leader = await until("the ISR to hold all three replicas", isrFull, 30_000);

      const acked: AckedRecord[] = [];
      const produce = async (bootstrap: string, from: number, count: number) => {
        const producer = producerOf(bootstrap, 30);
        await producer.connect();
        try {
          for (let i = from; i < from + count; i++) {
            const value = `r-${i}`;
            const [meta] = await producer.send({ topic, acks: -1, messages: [{ value }] });
            acked.push({ partition: meta!.partition, value, offset: Number(meta!.baseOffset) });
          }
        } finally {
          await producer.disconnect();
        }
      };
      await produce(c.plaintextBootstrap(), 0, 40);
      await c.stopNode(leader);
      const survivors = c.liveNodeIds;
      await produce(c.plaintextBootstrap(survivors), 40, 40);
      const stored = readBack(c.plaintextBootstrap(survivors), topic);
      expect(acked.length).toBe(80);
      expect(ackProblems(stored, acked)).toEqual([]);

      // The proof that replication flowed over INTERNAL: the nodes' peer connections authenticated
      // there, at the proxy ports, and none went to a client listener.
      // The followers of the first leader fetched from it: each authenticated at its INTERNAL proxy.
      const proxyPorts = new Set(c.nodes.map((n) => n.proxy.port));
      const clientPorts = new Set(c.nodes.flatMap((n) => [n.plaintextPort, n.sslPort, n.internalPort]));
      const leaderProxy = c.nodes.find((n) => n.nodeId === leader)!.proxy;
      for (const n of c.nodes) {
        const output = c.output(n.nodeId);
        const authenticated = [
          ...output.matchAll(
            /peer \d+ \(127\.0\.0\.1:(\d+)\): authenticated as broker with PLAIN on the INTERNAL listener over TLS/g,
          ),
        ].map((m) => Number(m[1]));
        if (n.nodeId !== leader) expect(authenticated).toContain(leaderProxy.port);
        for (const port of authenticated) expect(proxyPorts.has(port)).toBe(true);
        for (const port of peerPorts(output)) expect(clientPorts.has(port)).toBe(false);
      }
      expect(leaderProxy.acceptedCount).toBeGreaterThanOrEqual(2);

      // alice authenticates on INTERNAL but is no broker: her internal message is refused.
      const target = survivors[0]!;
      const targetNode = c.nodes.find((n) => n.nodeId === target)!;
      const alice = new PeerClient(
        { nodeId: target, host: "127.0.0.1", port: targetNode.internalPort },
        {
          ...peerClientDefaults,
          clientId: "alice",
          security: {
            listenerName: "INTERNAL",
            tls: {
              certificateChainPem: readFileSync(c.certs.clientCertPem, "utf8"),
              privateKeyPem: readFileSync(c.certs.clientKey, "utf8"),
              privateKeyPassword: null,
              trustedCertificatesPem: readFileSync(c.certs.caPem, "utf8"),
            },
            sasl: { mechanism: "PLAIN", username: "alice", password: "alice-secret" },
          },
        },
      );
      try {
        const frame = encodeInternalFrame(99, {
          kind: "metadataImage",
          from: 99,
          image: { offset: 0, brokers: [], topics: {} },
        });
        expect(alice.post(frame)).toBe(true);
        await until(
          "the refusal in the log",
          () => c.output(target).includes("User:alice on listener INTERNAL refused: it needs CLUSTER_ACTION"),
          10_000,
        );
      } finally {
        alice.close();
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${c.outputs()}`);
    } finally {
      await c.close();
      cluster = undefined;
    }
  }, 180_000);

  test("a wrong inter-broker password: the nodes log why and retry; acks=all acknowledges nothing", async () => {
    const c = await SecureCluster.start("wrong-secret");
    cluster = c;
    try {
      await until(
        "three brokers listed on PLAINTEXT",
        () => metadataOf(c.plaintextBootstrap()).brokers.length === 3,
        30_000,
      );
      const topic = "unreplicated";
      await prepare(c, topic);
      const producer = producerOf(c.plaintextBootstrap(), 0);
      await producer.connect();
      const acknowledged: string[] = [];
      const refusals: string[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          await producer.send({ topic, acks: -1, timeout: 4_000, messages: [{ value: `w-${i}` }] }).then(
            () => acknowledged.push(`w-${i}`),
            (e: Error) => refusals.push(e.message),
          );
        }
      } finally {
        await producer.disconnect();
      }
      expect(acknowledged).toEqual([]);
      expect(refusals.length).toBe(3);
      // Followers open the connections (they fetch from the leader): each logs why it was refused
      // and retries; the leader logs each refused authentication.
      const t = metadataOf(c.plaintextBootstrap(), [], topic).topics[0] as unknown as {
        partitions: { leader: number }[];
      };
      const leader = t.partitions[0]!.leader;
      for (const n of c.nodes) {
        const why =
          n.nodeId === leader
            ? /closing connection \d+ from 127\.0\.0\.1: PLAIN authentication failed/
            : /SASL authentication as broker with PLAIN on the INTERNAL listener failed: .*retry after/;
        await until(
          `node ${n.nodeId} to log the refused authentication`,
          () => why.test(c.output(n.nodeId)),
          20_000,
        );
        expect(c.output(n.nodeId)).not.toMatch(/authenticated as broker/);
      }
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${c.outputs()}`);
    } finally {
      await c.close();
      cluster = undefined;
    }
  }, 180_000);
});
