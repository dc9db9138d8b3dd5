/**
 * The cluster models the CLI and tests can run: `kafka` (the real core machines) and `noop` (the
 * bare event loop, the benchmark's baseline).
 */
import { kafkaCluster } from "./cluster/kafka-cluster.ts";
import { noopCluster } from "./cluster/noop-cluster.ts";
import type { ClusterFactory } from "./run.ts";

export const models: Record<string, ClusterFactory> = {
  kafka: kafkaCluster,
  noop: noopCluster,
};
