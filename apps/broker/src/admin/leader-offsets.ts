/**
 * The high watermarks of partitions this node does not host, asked of their leaders with ListOffsets
 * (latest, READ_UNCOMMITTED: the high watermark, as `eddy groups describe` and kafka-consumer-groups.sh
 * ask), so the lag of a group this node coordinates covers every partition the group committed, not
 * only the ones whose replicas live here. One request per leader, all leaders at once, each over a
 * connection opened for this read and closed after it, at the address the leader registered for
 * other nodes (its inter-broker listener).
 *
 * Owns only that read. It must never hold a scrape up for long (each leader has `leaderAnswerMsMax`)
 * nor guess: a partition whose leader is unknown, fenced, unreachable or answers an error is left out,
 * and its lag stays unknown. With an inter-broker listener configured (`inter.broker.listener.name`),
 * the connection presents that listener's TLS and SASL settings, as the replica fetchers do
 * (`config/inter-broker-settings.ts`), since the registered address is that listener's.
 */
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { interBrokerSecurity } from "../config/inter-broker-settings.ts";
import { PeerClient, peerClientDefaults } from "../net/peer-client.ts";
import type { BrokerNode } from "../node/broker-node.ts";

/** How long one leader may take to connect and answer before its partitions are left out. */
const leaderAnswerMsMax = 3_000;
/** Partitions asked in one read; a scrape already bounds its series below this. */
export const leaderOffsetsPartitionsMax = 100_000;
const listOffsetsVersion = 5;
const latestTimestamp = -1n;

export interface PartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** The key a result is found under. */
export const partitionRefKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The high watermark of each partition in `wanted` whose leader is another live broker, by
 * `partitionRefKey`. Partitions this node leads, or whose leader is unknown, are not asked.
 */
export async function leaderHighWatermarks(
  node: BrokerNode,
  wanted: readonly PartitionRef[],
): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (wanted.length === 0) return found;
  if (wanted.length > leaderOffsetsPartitionsMax)
    throw new RangeError(`more than ${leaderOffsetsPartitionsMax} partitions in one leader read`);
  const image = node.image;
  const byLeader = new Map<number, Map<string, number[]>>();
  for (const { topic, partition } of wanted) {
    const leader = image.topics[topic]?.partitions[partition]?.leader ?? -1;
    if (leader < 0 || leader === node.config.nodeId) continue;
    const topics = byLeader.get(leader) ?? new Map<string, number[]>();
    byLeader.set(leader, topics);
    const partitions = topics.get(topic) ?? [];
    topics.set(topic, partitions);
    if (!partitions.includes(partition)) partitions.push(partition);
  }
  const security = interBrokerSecurity(node.config.interBroker);
  await Promise.all(
    [...byLeader].map(async ([leader, topics]) => {
      const broker = image.brokers.find((b) => b.brokerId === leader && !b.fenced);
      if (broker === undefined) return;
      const client = new PeerClient(
        { nodeId: leader, host: broker.host, port: broker.port },
        {
          ...peerClientDefaults,
          clientId: `eddy-${node.config.nodeId}-lag`,
          requestTimeoutMs: leaderAnswerMsMax,
          connectTimeoutMs: leaderAnswerMsMax,
          ...(security === undefined ? {} : { security }),
        },
      );
      try {
        const answer = await client.request(ApiKey.ListOffsets, listOffsetsVersion, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [...topics].map(([name, partitions]) => ({
            name,
            partitions: partitions.map((partitionIndex) => ({
              partitionIndex,
              currentLeaderEpoch: -1,
              timestamp: latestTimestamp,
            })),
          })),
        });
        for (const t of answer.topics) {
          for (const p of t.partitions) {
            if (p.errorCode === ErrorCode.NONE && p.offset >= 0n)
              found.set(partitionRefKey(t.name, p.partitionIndex), Number(p.offset));
          }
        }
      } catch {
        // Unreachable or silent: this leader's partitions keep an unknown lag in this read.
      } finally {
        client.close();
      }
    }),
  );
  return found;
}
