/**
 * Binds the shared node's replicas to the real world: the node's clock (the wall clock made
 * monotonic), `setTimeout` wake-ups, fsyncs on the thread pool through the log's group commit, and the
 * node's `replication-offset-checkpoint`. It owns nothing the replicas decide; a single node has no
 * peers, so replication messages are refused loudly; a cluster's node hands its own (`ReplicaPeers`).
 */
import { HwCheckpoint, LogDir, type PartitionReplica, type ReplicaEnv } from "@eddy/node";
import type { LogConfig } from "@eddy/storage";
import { nodeFiles } from "@eddy/storage-fs";
import { MemoryDisk } from "@eddy/storage-memory";
import type { BrokerConfig } from "../config/broker-config.ts";

/** The node's log directory and high-watermark checkpoint over the chosen storage (`--storage fs|memory`). */
export function openLogDir(
  config: BrokerConfig,
  defaults: LogConfig,
  log: (line: string) => void,
): { logs: LogDir; hw: HwCheckpoint } {
  const files = config.storageEngine === "memory" ? new MemoryDisk() : nodeFiles;
  const dataDir = config.storageEngine === "memory" ? "/data" : config.dataDir.replace(/\/+$/, "") || "/";
  const logs = new LogDir({
    files,
    dataDir,
    defaults,
    // `eddy.log.tail.cache.bytes` bounds the hot tails of all partitions together; one partition may
    // use all of it.
    tailCacheBytesMax: config.tailCacheBytesMax,
    tailCacheBytesTotalMax: config.tailCacheBytesMax,
    // `eddy.log.index.cache.bytes` bounds the loaded indexes of every partition's inactive segments.
    indexCacheBytesMax: config.indexCacheBytesMax,
    logLine: log,
  });
  // A malformed checkpoint throws HwCheckpointError naming the file and line: the broker refuses to
  // start rather than guess a high watermark.
  const hw = HwCheckpoint.open(files, dataDir);
  return { logs, hw };
}

/** Where a replica's messages go in a cluster: the other brokers, and the active controller. */
export type ReplicaPeers = Pick<ReplicaEnv, "sendPeer" | "sendAlterPartition">;

/** The environment every replica of this broker shares; `peers` is null for a cluster of one. */
export function brokerReplicaEnv(
  clock: () => number,
  hw: HwCheckpoint,
  log: (line: string) => void,
  peers: ReplicaPeers | null,
): ReplicaEnv {
  return {
    nowMs: clock,
    wakeAfter: (replica: PartitionReplica, delayMs: number) => {
      // An unref'd timer: a stopped broker does not wait for a replica's next wake-up to exit.
      setTimeout(() => replica.onWakeTimer(), Math.max(0, delayMs)).unref();
    },
    // The log's own flush is asynchronous and shares one fsync among the appends waiting for it.
    flush: (replica) => replica.completeFlushAsync(),
    ...(peers ?? {
      sendPeer: (replica, to, message) => {
        log(`${replica.topic}-${replica.partitionIndex}: no transport to broker ${to} for ${message.type}`);
      },
      sendAlterPartition: (replica) => {
        log(`${replica.topic}-${replica.partitionIndex}: no controller transport for AlterPartition`);
      },
    }),
    recordHighWatermark: (replica, offset) => hw.record(replica.topic, replica.partitionIndex, offset),
    storageFailed: (replica, error) => {
      log(`partition ${replica.topic}-${replica.partitionIndex} is offline: ${error.message}`);
    },
    log,
  };
}
