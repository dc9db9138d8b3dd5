/**
 * `bun run broker -- --format --cluster-id <id>`: Kafka's `kafka-storage format` for one node. Writes
 * `meta.properties` (cluster id, node id) into the data directory and exits without starting the
 * broker. Owns what the command prints and its exit code (0 formatted, 1 refused); the file and its
 * rules belong to `node/meta-properties.ts`. It must never touch a directory formatted for another
 * cluster or node.
 */
import type { BrokerConfig } from "./config/broker-config.ts";
import { formatDataDir } from "./node/meta-properties.ts";

export function formatCommand(config: BrokerConfig, ignoreFormatted: boolean): number {
  const clusterId = config.clusterIdExpected;
  // The command line refuses --format without --cluster-id; this guards a caller that did not.
  if (clusterId === null) {
    console.error("eddy: --format needs --cluster-id");
    return 2;
  }
  try {
    const outcome = formatDataDir(config.dataDir, clusterId, config.nodeId, { ignoreFormatted });
    const what = outcome === "formatted" ? "Formatted" : "Already formatted";
    console.log(`${what} ${config.dataDir} for cluster ${clusterId}, node ${config.nodeId}`);
    return 0;
  } catch (error) {
    // A directory of another cluster, an undecodable meta.properties or a disk that refuses the write:
    // each is said in one line, never as a stack trace.
    const detail = error instanceof Error ? error.message : String(error);
    console.error(`eddy: cannot format: ${detail}`);
    return 1;
  }
}
