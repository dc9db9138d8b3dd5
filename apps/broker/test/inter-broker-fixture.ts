/**
 * A cluster of three processes (each a broker and a controller voter) whose nodes talk to each other
 * over a SASL_SSL inter-broker listener while clients use PLAINTEXT or SSL, with ACLs on: what the
 * inter-broker tests share. Each node listens on PLAINTEXT (clients), SSL (clients with TLS),
 * INTERNAL (SASL_SSL with PLAIN, `inter.broker.listener.name=INTERNAL`) and CONTROLLER (the quorum).
 * INTERNAL is advertised at a TCP proxy in front of the node's own INTERNAL port, so the test sees
 * every connection made to it (`acceptedCount`). `StandardAuthorizer` with no allow-everyone, and
 * `super.users=User:broker;User:ANONYMOUS`: the inter-broker user, and the principal every node has on
 * the PLAINTEXT controller listener, where the brokers' registrations and heartbeats need CLUSTER_ACTION
 * (Kafka's own advice for a PLAINTEXT controller listener). INTERNAL also knows `alice`, an ordinary
 * user, so a test can show that an authenticated non-broker cannot pose as a node.
 */
import {
  type LocalClusterSpec,
  layoutCluster,
  type NodeProcess,
  startNode,
} from "../src/cluster/local-cluster.ts";
import { freePorts } from "./cluster-harness.ts";
import { removeDir, tempDir } from "./harness.ts";
import { TcpProxy } from "./tcp-proxy.ts";
import { type Certificates, makeCertificates } from "./tls-fixture.ts";

export interface SecureNode {
  readonly nodeId: number;
  readonly plaintextPort: number;
  readonly sslPort: number;
  /** The node's own INTERNAL port, behind `proxy`. */
  readonly internalPort: number;
  readonly proxy: TcpProxy;
}

export const interBrokerPassword = "broker-secret";

export class SecureCluster {
  private readonly running = new Map<number, NodeProcess>();
  private readonly logs = new Map<number, string[]>();

  private constructor(
    readonly spec: LocalClusterSpec,
    readonly nodes: readonly SecureNode[],
    readonly certs: Certificates,
    readonly dir: string,
    private readonly password: string,
  ) {}

  /**
   * Lays out and starts three nodes; `password` is what each node authenticates to its peers with.
   * `adminPorts` turns each node's admin HTTP listener on (`spec.nodes[i].adminPort`).
   */
  static async start(
    password = interBrokerPassword,
    options: { adminPorts?: boolean } = {},
  ): Promise<SecureCluster> {
    const dir = tempDir("inter-broker");
    const certs = makeCertificates(dir);
    const count = 3;
    const ports = freePorts((options.adminPorts === true ? 5 : 4) * count);
    const spec = layoutCluster({
      ...(options.adminPorts === true ? { adminPorts: ports.slice(4 * count) } : {}),
      ports: ports.slice(0, count),
      controllerPorts: ports.slice(count, 2 * count),
      dataDir: dir,
      // A fixed id: a random one may start with "-", which the command line takes for an option.
      clusterId: "MkU3OEVBNTcwNTJENDM2Qg",
      properties: { "broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500" },
    });
    const nodes = spec.nodes.map((n, i) => {
      const internalPort = ports[3 * count + i]!;
      return {
        nodeId: n.nodeId,
        plaintextPort: n.port,
        sslPort: ports[2 * count + i]!,
        internalPort,
        proxy: proxyBesides(internalPort, `INTERNAL of node ${n.nodeId}`, ports),
      };
    });
    const cluster = new SecureCluster(spec, nodes, certs, dir, password);
    for (const n of nodes) void cluster.startNode(n.nodeId).catch(() => {});
    try {
      await Promise.all([...cluster.running.values()].map((r) => r.ready));
    } catch (error) {
      const outputs = cluster.outputs();
      await cluster.close();
      throw new Error(`${(error as Error).message}\n${outputs}`);
    }
    return cluster;
  }

  /** The properties of node `nodeId`, as a user would write them. */
  properties(nodeId: number): Record<string, string> {
    const n = this.nodes.find((x) => x.nodeId === nodeId)!;
    const controllerPort = this.spec.nodes.find((x) => x.nodeId === nodeId)!.controllerPort;
    return {
      listeners: `PLAINTEXT://127.0.0.1:${n.plaintextPort},SSL://127.0.0.1:${n.sslPort},INTERNAL://127.0.0.1:${n.internalPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      "advertised.listeners": `PLAINTEXT://127.0.0.1:${n.plaintextPort},SSL://127.0.0.1:${n.sslPort},INTERNAL://127.0.0.1:${n.proxy.port}`,
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SSL:SSL,INTERNAL:SASL_SSL,CONTROLLER:PLAINTEXT",
      "inter.broker.listener.name": "INTERNAL",
      "sasl.mechanism.inter.broker.protocol": "PLAIN",
      "sasl.enabled.mechanisms": "PLAIN",
      "listener.name.internal.plain.sasl.jaas.config": `org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="${this.password}" user_broker="${interBrokerPassword}" user_alice="alice-secret";`,
      "ssl.keystore.type": "PEM",
      "ssl.keystore.location": this.certs.serverKeystore,
      "ssl.truststore.type": "PEM",
      "ssl.truststore.location": this.certs.caPem,
      "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      "super.users": "User:broker;User:ANONYMOUS",
      "min.insync.replicas": "2",
      "replica.lag.time.max.ms": "3000",
    };
  }

  startNode(nodeId: number): Promise<void> {
    const node = this.spec.nodes.find((n) => n.nodeId === nodeId)!;
    const lines = this.logs.get(nodeId) ?? [];
    this.logs.set(nodeId, lines);
    const spec = { ...this.spec, properties: { ...this.spec.properties, ...this.properties(nodeId) } };
    const started = startNode(spec, node, {
      onLine: (line) => {
        lines.push(line);
        if (lines.length > 4_000) lines.splice(0, 2_000);
      },
    });
    this.running.set(nodeId, started);
    return started.ready;
  }

  async stopNode(nodeId: number): Promise<number> {
    const r = this.running.get(nodeId);
    if (r === undefined) throw new Error(`node ${nodeId} is not running`);
    this.running.delete(nodeId);
    r.process.kill("SIGKILL");
    return r.exited;
  }

  get liveNodeIds(): number[] {
    return [...this.running.keys()].sort((a, b) => a - b);
  }

  /** The PLAINTEXT addresses of `nodeIds` (every live node by default). */
  plaintextBootstrap(nodeIds: readonly number[] = this.liveNodeIds): string {
    return this.nodes
      .filter((n) => nodeIds.includes(n.nodeId))
      .map((n) => `127.0.0.1:${n.plaintextPort}`)
      .join(",");
  }

  output(nodeId: number): string {
    return (this.logs.get(nodeId) ?? []).join("\n");
  }

  outputs(chars = 4_000): string {
    return this.nodes.map((n) => `--- node ${n.nodeId}\n${this.output(n.nodeId).slice(-chars)}`).join("\n");
  }

  async close(): Promise<void> {
    await Promise.all(this.liveNodeIds.map((id) => this.stopNode(id)));
    for (const n of this.nodes) n.proxy.stop();
    removeDir(this.dir);
  }
}

/**
 * A proxy to `targetPort` whose own (ephemeral) port is none of `reserved`: the cluster's ports are
 * picked free and released before the nodes bind them, so the system may hand a proxy one of them, and
 * the node that later binds it fails to listen (seen in CI).
 */
function proxyBesides(targetPort: number, name: string, reserved: readonly number[]): TcpProxy {
  for (let attempt = 0; attempt < 20; attempt++) {
    const proxy = new TcpProxy("127.0.0.1", targetPort, name);
    if (!reserved.includes(proxy.port)) return proxy;
    proxy.stop();
  }
  throw new Error(`no proxy port outside the cluster's ${reserved.length} ports after 20 tries`);
}
