/**
 * `bun run cluster`: starts N brokers on this machine, each its own process started as
 * `bun run broker` with KRaft's properties (every node a broker and a controller voter), prints each
 * node's address, data folder and the line that starts it by hand, and stops them all on Ctrl-C.
 * Owns only the command line and the processes' lives; what a node does is the broker's.
 */
import { parseArgs } from "node:util";
import {
  layoutCluster,
  localNodesMax,
  type NodeProcess,
  nodeCommandLine,
  startNode,
} from "./cluster/local-cluster.ts";

const usage = `Usage: bun run cluster [options]

Starts a cluster of brokers on this machine, each in its own process (every node is a broker and a
voter of the controller quorum), and stops them all on Ctrl-C.

Options:
  --nodes N                 how many nodes (1 to ${localNodesMax})          default 3
  --ports P1,P2,...         client ports, one per node           default 9092,9093,...
  --controller-ports C1,... controller ports, one per node       default 19092,19093,...
  --data-dir DIR            each node's data goes in DIR/node-i   default ./data-cluster
  --override KEY=VALUE      a broker property for every node (repeatable), e.g. min.insync.replicas=2
  -h, --help                show this help`;

function fail(message: string): never {
  console.error(`eddy cluster: ${message}`);
  process.exit(2);
}

function portList(text: string, flag: string): number[] {
  return text.split(",").map((part) => {
    const port = Number(part.trim());
    if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`${flag}: "${part}" is not a port`);
    return port;
  });
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: {
        nodes: { type: "string" },
        ports: { type: "string" },
        "controller-ports": { type: "string" },
        "data-dir": { type: "string" },
        override: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${usage}`);
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  if (v.help === true) {
    console.log(usage);
    return 0;
  }
  const ports = typeof v.ports === "string" ? portList(v.ports, "--ports") : null;
  const count = typeof v.nodes === "string" ? Number(v.nodes) : (ports?.length ?? 3);
  if (!Number.isInteger(count) || count < 1 || count > localNodesMax) {
    fail(`--nodes: expected 1 to ${localNodesMax}, got ${v.nodes}`);
  }
  const clientPorts = ports ?? Array.from({ length: count }, (_, i) => 9092 + i);
  if (clientPorts.length !== count) fail(`--ports names ${clientPorts.length} ports for ${count} nodes`);
  const controllerPorts =
    typeof v["controller-ports"] === "string"
      ? portList(v["controller-ports"], "--controller-ports")
      : clientPorts.map((p) => p + 10_000);
  const properties: Record<string, string> = {};
  for (const item of (v.override as string[] | undefined) ?? []) {
    const at = item.indexOf("=");
    if (at <= 0) fail(`--override: expected KEY=VALUE, got "${item}"`);
    properties[item.slice(0, at)] = item.slice(at + 1);
  }
  let spec: ReturnType<typeof layoutCluster>;
  try {
    spec = layoutCluster({
      ports: clientPorts,
      controllerPorts,
      // Redpanda's admin port and the next ones, one per node.
      adminPorts: clientPorts.map((_, i) => 9644 + i),
      dataDir: typeof v["data-dir"] === "string" ? v["data-dir"] : "./data-cluster",
      properties,
    });
  } catch (error) {
    fail((error as Error).message);
  }
  console.log(`Eddy cluster ${spec.clusterId}: ${count} node(s), each a broker and a controller voter`);
  for (const node of spec.nodes) {
    console.log(
      `  node ${node.nodeId}  ${node.host}:${node.port}  controller ${node.host}:${node.controllerPort}  admin http://${node.host}:${node.adminPort}/  data ${node.dataDir}`,
    );
  }
  console.log("Each node runs as (copy a line to start it by hand, here or on another machine):");
  for (const node of spec.nodes) console.log(`  ${nodeCommandLine(spec, node)}`);
  const running: NodeProcess[] = spec.nodes.map((node) =>
    startNode(spec, node, { onLine: (line) => console.log(`[node ${node.nodeId}] ${line}`) }),
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping ${running.length} node(s)`);
    for (const r of running) r.process.kill("SIGTERM");
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  void Promise.all(running.map((r) => r.ready)).then(
    () => console.log(`cluster ready: bootstrap ${spec.nodes.map((n) => `${n.host}:${n.port}`).join(",")}`),
    () => {},
  );
  const codes = await Promise.all(
    running.map((r) =>
      r.exited.then((code) => {
        if (!stopping) console.log(`[node ${r.node.nodeId}] exited with code ${code}`);
        return code;
      }),
    ),
  );
  return codes.every((code) => code === 0) ? 0 : 1;
}

process.exit(await main());
