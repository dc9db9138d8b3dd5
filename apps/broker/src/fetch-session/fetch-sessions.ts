/**
 * The node's one fetch session cache (KIP-227), made on first use from the node's settings, and its
 * metrics under the names Kafka's JMX exporter gives the FetchSessionCache MBeans. Owns where the
 * cache lives and how session ids are drawn (crypto-random, so a client cannot guess another's);
 * it must never decide what a fetch means (`fetch-context.ts`) or write to a node.
 */
import type { Exposition } from "../admin/exposition.ts";
import type { BrokerNode } from "../node/broker-node.ts";
import { FetchSessionCache } from "./fetch-session-cache.ts";

/** The node's sessions and the counts the request path moves. */
export interface NodeFetchSessions {
  readonly cache: FetchSessionCache;
  /** Fetches answered from a session (incremental ones), since the start. */
  incrementalFetchCount: number;
}

const byNode = new WeakMap<BrokerNode, NodeFetchSessions>();

/** A session id drawn uniformly from [1, 2^31 - 1]. */
function randomSessionId(): number {
  const draw = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(draw);
    const id = draw[0]! & 0x7fff_ffff;
    if (id !== 0) return id;
  }
}

export function fetchSessionsOf(node: BrokerNode, partitionsPerSessionMax: number): NodeFetchSessions {
  let sessions = byNode.get(node);
  if (sessions === undefined) {
    const cache = new FetchSessionCache(
      {
        slotsMax: node.config.fetchSessionCacheSlotsMax,
        evictionMs: node.config.fetchSessionEvictionMs,
        partitionsPerSessionMax,
      },
      randomSessionId,
    );
    sessions = { cache, incrementalFetchCount: 0 };
    byNode.set(node, sessions);
  }
  return sessions;
}

/** The scrape's families for the node's session cache; all 0 before the first fetch made it. */
export function writeFetchSessionMetrics(out: Exposition, node: BrokerNode): void {
  const sessions = byNode.get(node);
  out
    .family(
      "kafka_server_fetchsessioncache_numincrementalfetchsessions",
      "gauge",
      "Incremental fetch sessions cached (Kafka's FetchSessionCache NumIncrementalFetchSessions).",
    )
    .sample([], sessions?.cache.size ?? 0);
  out
    .family(
      "kafka_server_fetchsessioncache_numincrementalfetchpartitionscached",
      "gauge",
      "Partitions over all cached fetch sessions (Kafka's NumIncrementalFetchPartitionsCached).",
    )
    .sample([], sessions?.cache.partitionCount ?? 0);
  out
    .family(
      "kafka_server_fetchsessioncache_incrementalfetchsessionevictions_total",
      "counter",
      "Fetch sessions evicted to make room for another (Kafka's IncrementalFetchSessionEvictionsPerSec).",
    )
    .sample([], sessions?.cache.evictionCount ?? 0);
  out
    .family(
      "eddy_fetchsession_incremental_fetches_total",
      "counter",
      "Fetches answered from a session, carrying only what changed (KIP-227 incremental fetches).",
    )
    .sample([], sessions?.incrementalFetchCount ?? 0);
}
