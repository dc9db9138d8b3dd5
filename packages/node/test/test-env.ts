/**
 * A hand-driven environment for replica tests: a clock the test sets (and may set back), timers and
 * flushes that run only when the test says, and a record of everything sent. It is the smallest
 * binding of `ReplicaEnv`, beside the broker's (real time, sockets, files) and the simulator's.
 */
import { encodeRecordBatch } from "@eddy/protocol";
import { PartitionLog as Log, logConfigMake, type PartitionLog } from "@eddy/storage";
import { MemoryDisk } from "@eddy/storage-memory";
import { HwCheckpoint } from "../src/replica/hw-checkpoint.ts";
import {
  PartitionReplica,
  type ProduceOutcome,
  type ReplicaOptions,
} from "../src/replica/partition-replica.ts";
import type { ReplicaEnv, ReplicaHooks } from "../src/replica/replica-env.ts";

export const dataDir = "/data";

export class TestEnv implements ReplicaEnv {
  clockMs = 1_000;
  readonly wakes: { replica: PartitionReplica; atMs: number }[] = [];
  readonly flushes: PartitionReplica[] = [];
  readonly sent: { to: number; type: string; records: Uint8Array }[] = [];
  readonly alters: { requestId: number; newIsr: readonly number[] }[] = [];
  readonly failures: string[] = [];
  readonly lines: string[] = [];
  readonly hw: HwCheckpoint;

  constructor(readonly disk: MemoryDisk = freshDisk()) {
    this.hw = HwCheckpoint.open(disk, dataDir);
  }

  nowMs(): number {
    return this.clockMs;
  }
  wakeAfter(replica: PartitionReplica, delayMs: number): void {
    this.wakes.push({ replica, atMs: this.clockMs + delayMs });
  }
  flush(replica: PartitionReplica): void {
    this.flushes.push(replica);
  }
  sendPeer(_r: PartitionReplica, to: number, message: { type: string }, records: Uint8Array): void {
    this.sent.push({ to, type: message.type, records });
  }
  sendAlterPartition(_r: PartitionReplica, requestId: number, message: { newIsr: readonly number[] }): void {
    this.alters.push({ requestId, newIsr: message.newIsr });
  }
  recordHighWatermark(r: PartitionReplica, offset: number): void {
    this.hw.record(r.topic, r.partitionIndex, offset);
  }
  storageFailed(_r: PartitionReplica, error: Error): void {
    this.failures.push(error.message);
  }
  log(line: string): void {
    this.lines.push(line);
  }

  /** Completes every flush asked for so far, as a simulated disk would after its latency. */
  runFlushes(): void {
    for (const r of this.flushes.splice(0)) r.completeFlushNow();
  }

  /** Moves the clock to `atMs` and fires every wake-up due by then. */
  advanceTo(atMs: number): void {
    this.clockMs = atMs;
    const due = this.wakes.filter((w) => w.atMs <= atMs);
    this.wakes.splice(0, this.wakes.length, ...this.wakes.filter((w) => w.atMs > atMs));
    for (const w of due) w.replica.onWakeTimer();
  }
}

export function freshDisk(): MemoryDisk {
  const disk = new MemoryDisk();
  disk.makeDir(dataDir);
  return disk;
}

/** Small segments, so a test of a few hundred records rolls several. */
export const testLogConfig = logConfigMake({ segmentBytesMax: 4 * 1024, indexIntervalBytes: 256 });

export function openLog(disk: MemoryDisk, nowMs: number, lines: string[] = []): PartitionLog {
  return Log.open({
    files: disk,
    dir: `${dataDir}/t-0`,
    name: "t-0",
    config: testLogConfig,
    tailCacheBytesMax: 1 << 20,
    logLine: (line) => lines.push(line),
    nowMs,
  });
}

export function openReplica(
  env: TestEnv,
  overrides: Partial<ReplicaOptions> = {},
  hooks: ReplicaHooks = {},
): PartitionReplica {
  return PartitionReplica.open(
    openLog(env.disk, env.clockMs, env.lines),
    {
      topic: "t",
      partition: 0,
      brokerId: 0,
      incarnation: 0,
      core: { minInsyncReplicas: 1, replicaLagTimeMaxMs: 1_000 },
      messageBytesMax: 1 << 20,
      replicaFetchBytesMax: 1 << 20,
      durableAppends: false,
      checkpointedHighWatermark: env.hw.stored("t", 0),
      ...overrides,
    },
    env,
    hooks,
  );
}

const encoder = new TextEncoder();

/** A producer's batch of `values` (offsets from 0; the leader assigns the real ones). */
export function batchOf(
  values: readonly string[],
  opts: { producerId?: number; producerEpoch?: number; baseSequence?: number; timestampMs?: number } = {},
): Uint8Array {
  return encodeRecordBatch({
    baseOffset: 0n,
    partitionLeaderEpoch: -1,
    baseTimestamp: BigInt(opts.timestampMs ?? 1_000),
    producerId: BigInt(opts.producerId ?? -1),
    producerEpoch: opts.producerEpoch ?? -1,
    baseSequence: opts.baseSequence ?? -1,
    records: values.map((v) => ({ value: encoder.encode(v) })),
  });
}

/** Produces and returns the answer (null while it has not come). */
export function produce(
  replica: PartitionReplica,
  batch: Uint8Array,
  acks = 1,
  timeoutMs = 5_000,
): { outcome: ProduceOutcome | null } {
  const box: { outcome: ProduceOutcome | null } = { outcome: null };
  replica.produce(batch, acks, timeoutMs, (o) => {
    box.outcome = o;
  });
  return box;
}

/** A single-node leadership: this broker leads epoch `epoch` with ISR [0]. */
export function leadAlone(replica: PartitionReplica, epoch = 0): void {
  replica.applyLeadership({ leader: 0, leaderEpoch: epoch, partitionEpoch: epoch, isr: [0], replicas: [0] });
}
