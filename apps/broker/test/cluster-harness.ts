/**
 * Real clusters for tests: N broker processes started exactly as `bun run cluster` starts them
 * (`src/cluster/local-cluster.ts`), on free ports, in a temporary folder, with helpers to kill a node
 * with SIGKILL or SIGTERM, start it again, and read the cluster's metadata through kcat.
 */
import {
  type AdvertisedAddress,
  type LocalClusterSpec,
  layoutCluster,
  type NodeProcess,
  type PeerAddress,
  startNode,
} from "../src/cluster/local-cluster.ts";
import { kcat, kcatReadAll, removeDir, tempDir } from "./harness.ts";
import { RawClient } from "./raw-client.ts";

/** Ports the OS says are free now (each bound to port 0 and released). */
export function freePorts(count: number): number[] {
  const listeners = Array.from({ length: count }, () =>
    Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }),
  );
  const ports = listeners.map((l) => l.port);
  for (const l of listeners) l.stop(true);
  return ports;
}

export interface PartitionInfo {
  readonly partition: number;
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isrs: readonly number[];
}

export interface ClusterMetadata {
  readonly controllerid: number;
  readonly brokers: readonly { id: number; name: string }[];
  readonly topics: readonly { topic: string; error?: string }[];
}

export class TestCluster {
  private readonly running = new Map<number, NodeProcess>();
  private readonly logs = new Map<number, string[]>();

  private constructor(
    readonly spec: LocalClusterSpec,
    readonly dir: string,
  ) {}

  /** Starts `nodes` brokers (each a controller voter too) and waits until every one printed `ready`. */
  static async start(
    options: {
      nodes?: number;
      properties?: Record<string, string>;
      /**
       * Where node `from` dials node `to`'s controller listener (at `targetPort`) instead of dialling
       * it directly: the port of a proxy the test started, so it can cut the link. Called once per
       * ordered pair of nodes before any node starts; undefined keeps that pair direct.
       */
      peerPort?: (from: number, to: number, targetPort: number) => number | undefined;
      /**
       * The port node `nodeId` advertises for its PLAINTEXT listener (at `targetPort`) instead of its
       * own: a tap the test started, which then carries replication to it and its clients' requests.
       */
      brokerPort?: (nodeId: number, targetPort: number) => number | undefined;
      /**
       * Kafka's default session timeout and heartbeat interval (9 s, 2 s) instead of the tests'
       * shorter ones; the failover benchmark measures with the defaults users get.
       */
      defaultSessionTimeout?: boolean;
      /** Turns each node's admin HTTP listener on, at a port just found free (`spec.nodes[i].adminPort`). */
      adminPorts?: boolean;
    } = {},
  ): Promise<TestCluster> {
    const count = options.nodes ?? 3;
    const dir = tempDir("cluster");
    // Client and controller ports, then admin ports when asked, found free together so none repeats.
    const ports = freePorts((options.adminPorts === true ? 3 : 2) * count);
    const peerAddresses: PeerAddress[] = [];
    if (options.peerPort !== undefined) {
      for (let from = 1; from <= count; from++) {
        for (let to = 1; to <= count; to++) {
          if (from === to) continue;
          const port = options.peerPort(from, to, ports[count + to - 1]!);
          if (port !== undefined) peerAddresses.push({ from, to, host: "127.0.0.1", port });
        }
      }
    }
    const advertisedAddresses: AdvertisedAddress[] = [];
    for (let nodeId = 1; nodeId <= count && options.brokerPort !== undefined; nodeId++) {
      const port = options.brokerPort(nodeId, ports[nodeId - 1]!);
      if (port !== undefined) advertisedAddresses.push({ nodeId, host: "127.0.0.1", port });
    }
    const spec = layoutCluster({
      advertisedAddresses,
      ...(options.adminPorts === true ? { adminPorts: ports.slice(2 * count) } : {}),
      peerAddresses,
      ports: ports.slice(0, count),
      controllerPorts: ports.slice(count, 2 * count),
      dataDir: dir,
      properties: {
        // Failover in seconds rather than Kafka's 9 s, so the tests run several rounds.
        ...(options.defaultSessionTimeout === true
          ? {}
          : { "broker.session.timeout.ms": "3000", "broker.heartbeat.interval.ms": "500" }),
        ...options.properties,
      },
    });
    const cluster = new TestCluster(spec, dir);
    for (const node of spec.nodes) void cluster.startNode(node.nodeId).catch(() => {});
    try {
      await Promise.all([...cluster.running.values()].map((r) => r.ready));
      // `ready` means a node serves; the cluster is formed once Metadata lists every node unfenced
      // and names an active controller among them. Before that, Metadata may name a controller it
      // does not list (the quorum's leader is known before its broker registration is committed),
      // and kafkajs's admin then fails at once with "Broker N not found in the cached metadata".
      await waitFormed(cluster, count);
    } catch (error) {
      const outputs = spec.nodes.map((n) => `--- node ${n.nodeId}\n${cluster.output(n.nodeId)}`).join("\n");
      await cluster.close();
      throw new Error(`${(error as Error).message}\n${outputs}`);
    }
    return cluster;
  }

  /** Every node's client address, for a client's bootstrap list. */
  get bootstrap(): string {
    return this.spec.nodes.map((n) => `${n.host}:${n.port}`).join(",");
  }

  /** The client addresses of the nodes that are running. */
  bootstrapOf(nodeIds: readonly number[]): string {
    return this.spec.nodes
      .filter((n) => nodeIds.includes(n.nodeId))
      .map((n) => `${n.host}:${n.port}`)
      .join(",");
  }

  get liveNodeIds(): number[] {
    return [...this.running.keys()].sort((a, b) => a - b);
  }

  /** Starts node `nodeId` (again); resolves once it printed `ready`. */
  startNode(nodeId: number): Promise<void> {
    const node = this.spec.nodes.find((n) => n.nodeId === nodeId);
    if (node === undefined) throw new Error(`no node ${nodeId}`);
    if (this.running.has(nodeId)) throw new Error(`node ${nodeId} is already running`);
    const lines = this.logs.get(nodeId) ?? [];
    this.logs.set(nodeId, lines);
    const started = startNode(this.spec, node, {
      onLine: (line) => {
        // The last lines are enough to explain a failure; the rest would only fill memory.
        lines.push(line);
        if (lines.length > 2_000) lines.splice(0, 1_000);
      },
    });
    this.running.set(nodeId, started);
    return started.ready;
  }

  /** Stops a node with `signal` (SIGKILL: no clean shutdown at all) and resolves with its exit code. */
  async stopNode(nodeId: number, signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<number> {
    const r = this.running.get(nodeId);
    if (r === undefined) throw new Error(`node ${nodeId} is not running`);
    this.running.delete(nodeId);
    r.process.kill(signal);
    return r.exited;
  }

  /** What node `nodeId` printed lately. */
  output(nodeId: number): string {
    return (this.logs.get(nodeId) ?? []).join("\n");
  }

  /** The last `chars` characters each node printed, for a failing test's report. */
  outputs(chars = 3_000): string {
    return this.spec.nodes
      .map((n) => `--- node ${n.nodeId}\n${this.output(n.nodeId).slice(-chars)}`)
      .join("\n");
  }

  /** Node `nodeId`'s data folder. */
  nodeDataDir(nodeId: number): string {
    const node = this.spec.nodes.find((n) => n.nodeId === nodeId);
    if (node === undefined) throw new Error(`no node ${nodeId}`);
    return node.dataDir;
  }

  /** Runs `run` on a raw connection to node `nodeId`'s client listener, closed afterwards whatever happens. */
  async onNode<T>(nodeId: number, run: (client: RawClient) => Promise<T>): Promise<T> {
    const node = this.spec.nodes.find((n) => n.nodeId === nodeId);
    if (node === undefined) throw new Error(`no node ${nodeId}`);
    const client = await RawClient.connect(node.port);
    try {
      return await run(client);
    } finally {
      client.close();
    }
  }

  /** The cluster's metadata as kcat reads it from the running nodes (or from `nodeIds` only). */
  metadata(topic?: string, nodeIds: readonly number[] = this.liveNodeIds): ClusterMetadata {
    const args = ["-L", "-J", "-b", this.bootstrapOf(nodeIds), "-m", "5"];
    if (topic !== undefined) args.push("-t", topic);
    return JSON.parse(kcat(args)) as ClusterMetadata;
  }

  /** A topic's partitions from a listing of all topics (asking for it by name may create it). */
  partitions(topic: string): PartitionInfo[] {
    return this.partitionsFrom(this.liveNodeIds, topic);
  }

  /** A topic's partitions as the nodes `nodeIds` see them (one side of a split). */
  partitionsFrom(nodeIds: readonly number[], topic: string): PartitionInfo[] {
    const t = this.metadata(undefined, nodeIds).topics.find((x) => x.topic === topic) as
      | {
          partitions?: {
            partition: number;
            leader: number;
            replicas: { id: number }[];
            isrs: { id: number }[];
          }[];
        }
      | undefined;
    // kcat -J lists replicas and ISR members as objects with an id.
    return (t?.partitions ?? [])
      .map((p) => ({
        partition: p.partition,
        leader: p.leader,
        replicas: p.replicas.map((r) => r.id),
        isrs: p.isrs.map((r) => r.id),
      }))
      .sort((a, b) => a.partition - b.partition);
  }

  async close(): Promise<void> {
    await Promise.all(this.liveNodeIds.map((id) => this.stopNode(id, "SIGKILL")));
    removeDir(this.dir);
  }
}

/** How long a started cluster may take to list every node in its metadata. */
const formedMsMax = 30_000;

async function waitFormed(cluster: TestCluster, count: number): Promise<void> {
  const deadline = Date.now() + formedMsMax;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const m = cluster.metadata();
      const ids = m.brokers.map((b) => b.id);
      if (ids.length === count && ids.includes(m.controllerid)) return;
      last = `brokers ${ids.join(",")}, controller ${m.controllerid}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await Bun.sleep(100);
  }
  throw new Error(`the cluster did not list all ${count} nodes and its controller: ${last}`);
}

/** A record a producer saw acknowledged: its partition, its value and, when the client told it, its offset. */
export interface AckedRecord {
  readonly partition: number;
  readonly value: string;
  readonly offset?: number;
}

/** A record as kcat reads it back. */
export interface StoredRecord {
  readonly partition: number;
  readonly offset: number;
  readonly value: string;
}

/** Every record of `topic` read back by kcat from the beginning of each partition. */
export function readBack(bootstrap: string, topic: string): StoredRecord[] {
  return kcatReadAll(bootstrap, topic, "%p %o %s\n").map((line) => {
    const [partition, offset, value] = line.split(" ");
    return { partition: Number(partition), offset: Number(offset), value: value ?? "" };
  });
}

/**
 * What is wrong with `stored` given what was acknowledged: an acknowledged value that is missing, one
 * not at the offset its acknowledgement named, or acknowledged values of a partition that are not in
 * the order they were acknowledged (a retried record may be stored twice; its first copy counts).
 * Empty when every acknowledged record is there, in order.
 */
export function ackProblems(stored: readonly StoredRecord[], acked: readonly AckedRecord[]): string[] {
  const problems: string[] = [];
  const partitions = [...new Set(acked.map((r) => r.partition))].sort((a, b) => a - b);
  for (const partition of partitions) {
    const firstAt = new Map<string, number>();
    const atOffset = new Map<number, string>();
    for (const r of stored) {
      if (r.partition !== partition) continue;
      if (!firstAt.has(r.value)) firstAt.set(r.value, r.offset);
      atOffset.set(r.offset, r.value);
    }
    let previous = -1;
    for (const r of acked) {
      if (r.partition !== partition) continue;
      const offset = firstAt.get(r.value);
      if (offset === undefined) {
        problems.push(`partition ${partition}: acknowledged ${r.value} is missing`);
        continue;
      }
      if (r.offset !== undefined && atOffset.get(r.offset) !== r.value) {
        problems.push(
          `partition ${partition}: ${r.value} was acknowledged at offset ${r.offset}, which holds ${atOffset.get(r.offset)}`,
        );
      }
      if (offset <= previous)
        problems.push(`partition ${partition}: ${r.value} at ${offset} is out of order`);
      previous = offset;
    }
  }
  // The first few are enough to explain a failure.
  return problems.slice(0, 20);
}
