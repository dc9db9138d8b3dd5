/**
 * Binds the partition replicas' replication messages to Kafka's Fetch: a replica's "fetch" goes to
 * the fetcher (this node follows), a replica's "fetchResponse" to the server (this node leads, and
 * a follower's Fetch waits for it). One fetcher and one server per node, over the cluster link's
 * fetch connections.
 *
 * Owns: the wiring only. Must never route a message by anything but its type and its partition.
 */
import type { controller, partition } from "@eddy/core";
import type { PartitionReplica } from "@eddy/node";
import type { ClusterLink } from "./cluster-link.ts";
import { ReplicaFetchServer } from "./replica-fetch-server.ts";
import { replicaFetchVersion, wireTopicId } from "./replica-fetch-wire.ts";
import { ReplicaFetcher } from "./replica-fetcher.ts";

export interface ReplicaFetching {
  readonly fetcher: ReplicaFetcher;
  readonly server: ReplicaFetchServer;
  /** A replica's message for broker `to` (its `ReplicaEnv.sendPeer`). */
  send(replica: PartitionReplica, to: number, message: partition.PeerMessage, records: Uint8Array): void;
  close(): void;
}

export function replicaFetching(
  cluster: ClusterLink,
  node: {
    image(): controller.MetadataImage;
    partition(topic: string, index: number): PartitionReplica | undefined;
    nowMs(): number;
    log(line: string): void;
  },
): ReplicaFetching {
  const fetcher = new ReplicaFetcher({
    request: (leaderId, body, timeoutMs) => cluster.fetch(leaderId, replicaFetchVersion, body, timeoutMs),
    topicId: (topic) => {
      const id = node.image().topics[topic]?.topicId;
      return id === undefined ? undefined : (wireTopicId(id) ?? undefined);
    },
    deliver: (message, records) =>
      node.partition(message.topic, message.partition)?.onPeerMessage(message, records),
    nowMs: node.nowMs,
    log: node.log,
  });
  const server = new ReplicaFetchServer({
    image: node.image,
    replica: (topic, index) => node.partition(topic, index),
    nowMs: node.nowMs,
    log: node.log,
  });
  return {
    fetcher,
    server,
    send(replica, to, message, records) {
      if (message.type === "fetch") fetcher.send(to, message, replica.logStartOffset);
      else if (message.type === "fetchResponse") server.answer(to, message, records);
    },
    close() {
      fetcher.close();
    },
  };
}
