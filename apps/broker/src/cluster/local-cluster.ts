/**
 * A cluster of broker processes on this machine: the properties of each node (KRaft's names: every
 * node is a broker and a voter of the controller quorum), the `bun run broker` line that starts it,
 * and the processes themselves, each started exactly as a user would start it, with its output
 * prefixed by its node id. `bun run cluster` and the multi-process tests both use it.
 *
 * Owns: the layout of a local cluster (ports, data folders, one shared cluster id kept in the nodes'
 * meta.properties) and its processes' lives. Must never start a node in a way a user could not copy
 * to another machine: everything a node needs is on its command line.
 */

import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { newClusterId, readMetaProperties } from "../node/meta-properties.ts";

/** The most nodes one local cluster runs (each is a process with its own memory). */
export const localNodesMax = 9;

export interface LocalNodeSpec {
  readonly nodeId: number;
  readonly host: string;
  /** The client listener (PLAINTEXT) and the controller listener (CONTROLLER). */
  readonly port: number;
  readonly controllerPort: number;
  /** The admin HTTP listener (metrics, health); 0 turns it off. */
  readonly adminPort: number;
  readonly dataDir: string;
}

export interface LocalClusterSpec {
  readonly clusterId: string;
  readonly nodes: readonly LocalNodeSpec[];
  /** Extra broker properties every node gets (`min.insync.replicas=2`, ...). */
  readonly properties: Readonly<Record<string, string>>;
  /**
   * Where a node dials a peer's controller listener when that is not the peer's own address: a
   * test's TCP proxy between two nodes, so it can cut the link. Absent: every node dials its peers
   * directly. The node's own voter entry always names its own listener.
   */
  readonly peerAddresses?: readonly PeerAddress[];
  /**
   * The address a node advertises for its PLAINTEXT listener (what it registers, where the other
   * nodes replicate from and clients are sent) when that is not its own: a test's tap in front of it.
   * Absent: every node advertises its own listener.
   */
  readonly advertisedAddresses?: readonly AdvertisedAddress[];
}

/** Node `nodeId` advertises its PLAINTEXT listener as `host:port` (a tap in the replication test). */
export interface AdvertisedAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/** Node `from` reaches node `to`'s controller listener at `host:port` (a proxy in the split test). */
export interface PeerAddress {
  readonly from: number;
  readonly to: number;
  readonly host: string;
  readonly port: number;
}

/** Lays a cluster out: node i (from 1) on `ports[i-1]`, its controller on `controllerPorts[i-1]`, data in `dataDir/node-i`. */
export function layoutCluster(options: {
  readonly ports: readonly number[];
  readonly controllerPorts: readonly number[];
  /** Admin HTTP ports, one per node; none (0, off) when not given. */
  readonly adminPorts?: readonly number[];
  readonly dataDir: string;
  readonly host?: string;
  readonly clusterId?: string;
  readonly properties?: Readonly<Record<string, string>>;
  readonly peerAddresses?: readonly PeerAddress[];
  readonly advertisedAddresses?: readonly AdvertisedAddress[];
}): LocalClusterSpec {
  const { ports, controllerPorts } = options;
  if (ports.length < 1 || ports.length > localNodesMax) {
    throw new RangeError(`a local cluster has 1 to ${localNodesMax} nodes, not ${ports.length}`);
  }
  if (controllerPorts.length !== ports.length) {
    throw new RangeError(`${ports.length} client ports but ${controllerPorts.length} controller ports`);
  }
  const host = options.host ?? "127.0.0.1";
  const nodes = ports.map((port, i) => ({
    nodeId: i + 1,
    host,
    port,
    controllerPort: controllerPorts[i]!,
    adminPort: options.adminPorts?.[i] ?? 0,
    dataDir: resolve(join(options.dataDir, `node-${i + 1}`)),
  }));
  // A cluster formatted before keeps its id: every node's meta.properties names it.
  const stored = nodes
    .map((n) => readMetaProperties(n.dataDir)?.["cluster.id"])
    .find((id) => id !== undefined);
  return {
    clusterId: options.clusterId ?? stored ?? newClusterId(),
    nodes,
    properties: options.properties ?? {},
    ...(options.peerAddresses === undefined ? {} : { peerAddresses: options.peerAddresses }),
    ...(options.advertisedAddresses === undefined
      ? {}
      : { advertisedAddresses: options.advertisedAddresses }),
  };
}

/** The broker properties of one node of the cluster. */
export function nodeProperties(spec: LocalClusterSpec, node: LocalNodeSpec): Record<string, string> {
  // Each node has its own view of the voters' addresses: its peers may be reached through proxies.
  const voters = spec.nodes
    .map((n) => {
      const via = spec.peerAddresses?.find((a) => a.from === node.nodeId && a.to === n.nodeId);
      return via === undefined || n.nodeId === node.nodeId
        ? `${n.nodeId}@${n.host}:${n.controllerPort}`
        : `${n.nodeId}@${via.host}:${via.port}`;
    })
    .join(",");
  const advertised = spec.advertisedAddresses?.find((a) => a.nodeId === node.nodeId);
  return {
    "node.id": String(node.nodeId),
    "process.roles": "broker,controller",
    "controller.quorum.voters": voters,
    listeners: `PLAINTEXT://${node.host}:${node.port},CONTROLLER://${node.host}:${node.controllerPort}`,
    ...(advertised === undefined
      ? {}
      : { "advertised.listeners": `PLAINTEXT://${advertised.host}:${advertised.port}` }),
    "controller.listener.names": "CONTROLLER",
    "log.dirs": node.dataDir,
    "admin.port": String(node.adminPort),
    "default.replication.factor": String(Math.min(3, spec.nodes.length)),
    "offsets.topic.replication.factor": String(Math.min(3, spec.nodes.length)),
    ...spec.properties,
  };
}

/** The arguments after `bun run broker --` that start one node. */
export function nodeArgs(spec: LocalClusterSpec, node: LocalNodeSpec): string[] {
  // One argument: a cluster id may start with "-" (base64url), which the parser would take for a flag.
  const args = [`--cluster-id=${spec.clusterId}`];
  for (const [key, value] of Object.entries(nodeProperties(spec, node)))
    args.push("--override", `${key}=${value}`);
  return args;
}

/** The line a user types to start the node by hand (on this machine or another). */
export function nodeCommandLine(spec: LocalClusterSpec, node: LocalNodeSpec): string {
  return ["bun run broker --", ...nodeArgs(spec, node)].join(" ");
}

const mainPath = resolve(import.meta.dir, "../main.ts");

export interface NodeProcessOptions {
  /** Each line the node prints (stdout and stderr), without its newline. */
  readonly onLine?: (line: string) => void;
  readonly env?: Readonly<Record<string, string>>;
}

/** One running node: its process, and a promise that resolves once it printed `ready`. */
export interface NodeProcess {
  readonly node: LocalNodeSpec;
  readonly process: Subprocess<"ignore", "pipe", "pipe">;
  readonly ready: Promise<void>;
  readonly exited: Promise<number>;
}

/** Starts a node as `bun run broker` starts it (the same entry point, the same arguments). */
export function startNode(
  spec: LocalClusterSpec,
  node: LocalNodeSpec,
  options: NodeProcessOptions = {},
): NodeProcess {
  const proc = Bun.spawn([process.execPath, mainPath, ...nodeArgs(spec, node)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...options.env },
  });
  let markReady: () => void = () => {};
  let markFailed: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolvePromise, reject) => {
    markReady = resolvePromise;
    markFailed = reject;
  });
  // A caller that never awaits `ready` must not see an unhandled rejection when the node exits early.
  ready.catch(() => {});
  const lines = (stream: ReadableStream<Uint8Array>) =>
    (async () => {
      const decoder = new TextDecoder();
      let rest = "";
      for await (const chunk of stream) {
        rest += decoder.decode(chunk, { stream: true });
        let at = rest.indexOf("\n");
        while (at >= 0) {
          const line = rest.slice(0, at);
          rest = rest.slice(at + 1);
          if (line === "ready") markReady();
          options.onLine?.(line);
          at = rest.indexOf("\n");
        }
      }
      if (rest.length > 0) options.onLine?.(rest);
    })();
  void lines(proc.stdout);
  void lines(proc.stderr);
  const exited = proc.exited.then((code) => {
    markFailed(new Error(`node ${node.nodeId} exited with code ${code} before it was ready`));
    return code;
  });
  return { node, process: proc, ready, exited };
}
