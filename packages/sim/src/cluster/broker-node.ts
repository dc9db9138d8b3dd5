/**
 * A simulated broker: the shared node's `PartitionReplica` (the broker's own replica code) for every
 * partition it hosts, each over the real log engine of @eddy/storage-memory on one `MemoryDisk` per
 * broker (which outlives crashes, as a disk does), the broker's view of the controller's metadata,
 * and (on the coordinator broker) the group coordinator. It binds the replicas' environment to the
 * simulator: the node's skewed local clock, simulator timers, the simulated network and disk latency,
 * with appends completing only once fsynced (`flush.messages=1`, because a simulated crash is a power
 * loss). The online checkers observe each step, and the broker-side switches of the known-bug corpus
 * wrap the core's step, both through the replica's hooks; it never steps the core itself.
 */
import { type partition as core, invariant, producer } from "@eddy/core";
import {
  type BrokerLiveness,
  controlledShutdownMsMax,
  HwCheckpoint,
  type LogDir,
  PartitionReplica,
  ProducerIdAllocator,
  type ProducerIdEnv,
  type ReplicaEnv,
  type ReplicaHooks,
} from "@eddy/node";
import { ErrorCode } from "@eddy/protocol";
import { segmentFileName, toStorageError } from "@eddy/storage";
import { MemoryDisk } from "@eddy/storage-memory";
import { retentionCheckIntervalMs, retentionOn } from "../run-config.ts";
import type { SimNode } from "../simulator.ts";
import {
  type BrokerExit,
  type BrokerStorageCounters,
  BrokerStorageTally,
  openBrokerLogDir,
} from "./broker-log-dir.ts";
import type { ControlMessage, PartitionMeta } from "./control.ts";
import { isControl } from "./control.ts";
import type { CoordinatorShell } from "./coordinator-shell.ts";
import { metadataHash } from "./online-checker.ts";
import { SimProducerIdBlocks } from "./producer-id-blocks.ts";
import type { ClientEnvelope, ClientRequest, ClientResponse } from "./protocol.ts";
import {
  batchSummaries,
  encodeValues,
  ReplicaStore,
  replicaReadBytesMax,
  simDataDir,
  simLogConfigFor,
  simTopic,
} from "./replica-store.ts";
import type { World } from "./world.ts";

type PState = core.PartitionState;
type PInput = core.PartitionInput;

export const brokerHeartbeatIntervalMs = 400;
export const produceTimeoutMs = 3_000;
/** Records one consumer fetch returns at most. */
export const consumerFetchRecordsMax = 50;
export const diskLatencyMsMax = 3;
/** A broker whose disk failed stays down this long before it restarts (an operator replacing it). */
export const diskFailureDowntimeMs = 1_000;

const tagHeartbeat = 1_000_000;
const tagCoordinator = 1_000_001;
const tagHwCheckpoint = 1_000_002;
/** A producer-id block asked for by the allocator is written to the disk (after its latency). */
const tagProducerIdBlock = 1_000_003;
/** The periodic retention check (runs whose workload sets retention only). */
const tagRetention = 1_000_004;
/** A clean stop's bound: the controller has not fenced this broker in time, so it exits anyway. */
const tagStopDeadline = 1_000_005;
/** A clean stop's end: the broker was fenced and has lingered; it flushes and exits. */
const tagStopExit = 1_000_006;
/**
 * How long a fenced broker keeps running before it exits. A real broker's replica fetchers run until
 * its close, so it may fetch at a new leader's end after the image that fenced it: a heartbeat
 * interval and a little more lets the new leaders hear of that image first, which is the sequence
 * that stalled acks=all before leaders took the ISR eligibility list (issue 12).
 */
export const cleanStopLingerMs = brokerHeartbeatIntervalMs + 100;
/** How often HW checkpoints reach the disk (Kafka's default is 5 s). */
export const hwCheckpointIntervalMs = 2_000;
const kindWake = 0;
const kindDisk = 1;
const kindConsumerWait = 2;
/** Kafka's fetch.max.wait.ms for consumer fetches (shortened for the simulation). */
export const consumerFetchWaitMs = 200;
export const parkedFetchesMax = 16;

/** What a peer message carries on the simulated wire: the core message plus the record batches it reads. */
export class PeerEnvelope {
  constructor(
    readonly peer: core.PeerMessage,
    readonly records: Uint8Array,
  ) {}

  /** In a recorded trace the batches show as their headers (offsets, epochs, producer), not as bytes. */
  toJSON(): unknown {
    return { peer: this.peer, batches: batchSummaries(this.records) };
  }
}

/** Bytes one consumer fetch reads at most (the simulated consumer's fetch.max.bytes). */
const consumerFetchBytesMax = replicaReadBytesMax;

const noProducer = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

export class BrokerNode implements SimNode {
  index = -1;
  readonly server = true;
  readonly brokerId: number;
  private replicas: PartitionReplica[] = [];
  /** Read-only views of the replicas' logs for the checkers and the final reads. */
  private views: ReplicaStore[] = [];
  /** The HW up to which the committed-prefix check has run in this incarnation, per partition. */
  private checkedHw: number[] = [];
  /** The broker's disk: it survives crashes (losing what was not fsynced) and restarts. */
  readonly disk = new MemoryDisk();
  /**
   * This process's log directory (the node's `LogDir` over the disk), through which every replica's
   * log is opened; null while the broker is down. A crash drops it as the process dies (nothing is
   * closed); a clean stop closes it (`closeAllNow`), which writes the clean-shutdown marker.
   */
  private logDir: LogDir | null = null;
  /** How the previous process ended, for the next start's count of trusted markers. */
  private lastExit: BrokerExit = "none";
  /**
   * A clean stop closed the log directory and wrote its marker: the crash that follows is the exit.
   * A close that failed to write the marker leaves the next start to recover as after a crash.
   */
  private closedCleanly = false;
  /** What this broker's log directories did, over all its incarnations. */
  private readonly storageTally = new BrokerStorageTally();
  /** The node's replication-offset-checkpoint (Kafka's lazily written high watermarks). */
  private hw: HwCheckpoint | null = null;
  private metadata: PartitionMeta[] = [];
  private controllerHint = -1;
  /** Highest metadata offset applied by this incarnation. */
  private metadataOffsetSeen = 0;
  private controllerRound = 0;
  /** The epoch the controller gave this incarnation's registration; -1 until registered. */
  private brokerEpoch = -1;
  /** The shared node's producer-id allocator of this incarnation, and the disk cursor feeding it. */
  private producerIds: ProducerIdAllocator | null = null;
  private producerIdBlocks: SimProducerIdBlocks | null = null;
  /** A torn-tail fault is armed: the process dies in the middle of its next log write. */
  private tearNextWrite = false;
  private incarnation = -1;
  /** When this incarnation's clean stop began (local ms), or -1: not stopping. */
  private stopStartedMs = -1;
  /** The controller has fenced this stopping broker: it lingers, then exits. */
  private stopFenced = false;
  private readonly env: ReplicaEnv;
  private readonly hooks: ReplicaHooks;
  private readonly producerIdEnv: ProducerIdEnv;

  constructor(
    private readonly w: World,
    readonly name: string,
    brokerId: number,
    readonly coordinator: CoordinatorShell | null,
    /**
     * Whether metadata images feed the replicas the ISR eligibility list (Kafka's KIP-841), as the
     * broker's do. Off only in the test that shows the clean-stop stall it prevents.
     */
    private readonly isrEligibilityFeed = true,
  ) {
    this.brokerId = brokerId;
    this.disk.makeDir(simDataDir);
    this.env = this.makeEnv();
    this.hooks = this.makeHooks();
    this.producerIdEnv = this.makeProducerIdEnv();
  }

  start(): void {
    this.boot();
  }

  /** This broker's local (possibly skewed) clock: the only time its replicas see. */
  get nowMs(): number {
    return this.w.sim.localNowMs(this.index);
  }

  private boot(): void {
    const w = this.w;
    // Durable restart counter: answers to fetches from an earlier incarnation are recognised as stale.
    this.incarnation++;
    // A restarted broker registers again (a new broker epoch), which makes the controller fence its
    // old incarnation and move its leaderships; the known bug skips that.
    if (!w.bug("restart-keeps-registration")) this.brokerEpoch = -1;
    this.metadata = [];
    this.metadataOffsetSeen = 0;
    this.stopStartedMs = -1;
    this.stopFenced = false;
    const partitions = w.config.workload.partitions;
    const replicas: PartitionReplica[] = [];
    const exit = this.lastExit;
    this.lastExit = "none";
    let logDir: LogDir | null = null;
    const opened = this.storage(() => {
      // A new process: a new log directory over what the disk kept. It takes the clean-shutdown
      // marker away, which only a clean stop's `closeAllNow` wrote (a crash leaves none).
      const dir = openBrokerLogDir(this.disk, () => w.probes.hit("storage-recovery"));
      logDir = dir;
      this.storageTally.started(dir, exit);
      const hw = HwCheckpoint.open(this.disk, simDataDir);
      this.hw = hw;
      this.producerIdBlocks = SimProducerIdBlocks.open(this.disk, this.brokerId);
      for (let p = 0; p < partitions; p++) {
        // Opening recovers each log from what the disk kept: a torn or lost tail is cut here, and the
        // replica rebuilds its epoch cache and producer state from the batches that survived (after a
        // clean stop the log trusts its clean close and the replica reads the producer snapshot).
        const log = dir.open(
          { topic: simTopic, partition: p },
          simLogConfigFor(w.config.workload),
          this.nowMs,
        );
        replicas.push(
          PartitionReplica.open(
            log,
            {
              topic: simTopic,
              partition: p,
              brokerId: this.brokerId,
              incarnation: this.incarnation,
              core: {
                minInsyncReplicas: w.config.workload.minInsyncReplicas,
                replicaLagTimeMaxMs: 1_000,
                replicaFetchWaitMaxMs: 500,
                replicaFetchBackoffMs: 50,
                replicaFetchTimeoutMs: 500,
                alterPartitionRetryMs: 300,
                alterPartitionMetadataWaitMs: 1_500,
              },
              messageBytesMax: 1 << 20,
              replicaFetchBytesMax: replicaReadBytesMax,
              durableAppends: true,
              checkpointedHighWatermark: hw.stored(simTopic, p),
            },
            this.env,
            this.hooks,
          ),
        );
      }
    });
    if (!opened) {
      // The start failed on the disk and the broker has fail-stopped: its half-opened directory is
      // dropped like a crashed one.
      if (logDir !== null) this.storageTally.drop(logDir);
      return;
    }
    this.logDir = logDir;
    this.producerIds = new ProducerIdAllocator(this.producerIdEnv);
    this.replicas = replicas;
    this.views = replicas.map((r) => new ReplicaStore(r.log));
    this.checkedHw = replicas.map(() => 0);
    this.sendHeartbeat();
    this.w.sim.timer(this.index, brokerHeartbeatIntervalMs, tagHeartbeat);
    this.w.sim.timer(this.index, hwCheckpointIntervalMs, tagHwCheckpoint);
    // Only a run that asks for retention checks it: the timer would change every other run's trace.
    if (retentionOn(w.config.workload)) this.w.sim.timer(this.index, retentionCheckIntervalMs, tagRetention);
    if (this.coordinator !== null) this.coordinator.boot(this);
  }

  onCrash(): void {
    // The process dies with its log directory: nothing is closed, and no marker is written. (A clean
    // stop has closed its directory already and left nothing unflushed; its views are closed too.)
    const logDir = this.logDir;
    if (logDir !== null) {
      for (const view of this.views)
        if (view.end > view.durableEnd) this.w.probes.hit("crash-lost-unflushed");
      this.storageTally.drop(logDir);
    }
    this.logDir = null;
    this.lastExit = this.closedCleanly ? "clean" : "crash";
    this.closedCleanly = false;
    // The replicas stop at once (a crash may come from inside one of their steps: a failed disk).
    for (const r of this.replicas) r.close();
    this.producerIds?.close();
    this.producerIds = null;
    // Power loss: the disk keeps what was fsynced (after a torn write it has already crashed, and this
    // second crash finds nothing unsynced).
    this.disk.crash({ _tag: "LoseUnsynced" });
    this.parkedFetches.clear();
    this.tearNextWrite = false;
    this.coordinator?.crash();
  }

  onRestart(): void {
    this.boot();
  }

  /**
   * A clean stop, the broker's sequence (its `controlledShutdown`, then `close`): heartbeats from now
   * on ask to be fenced (WantShutDown), which makes the controller move this broker's leaderships and
   * take it out of the ISRs in one image; the broker keeps running until an answer shows it fenced,
   * lingers (see `cleanStopLingerMs`), then flushes and exits. A broker not registered yet has nothing
   * to hand over and exits at once; one the controller never answers exits after the bound.
   */
  onStop(): void {
    const w = this.w;
    w.probes.hit("clean-stop");
    if (this.brokerEpoch < 0) {
      this.exitCleanly();
      return;
    }
    this.stopStartedMs = this.nowMs;
    this.sendHeartbeat();
    w.sim.timer(this.index, controlledShutdownMsMax, tagStopDeadline);
  }

  /** The end of a clean stop: every log flushed and the HW checkpoint written, as the broker's close. */
  private exitCleanly(): void {
    const w = this.w;
    const index = this.index;
    for (const r of this.replicas) r.completeFlushNow();
    // A failing flush or checkpoint write has already fail-stopped the broker (and it restarts).
    if (!w.sim.isUp(index)) return;
    const hw = this.hw;
    if (hw !== null && !this.storage(() => hw.write())) return;
    for (const view of this.views) invariant(view.end === view.durableEnd, "clean stop left unflushed bytes");
    // The broker's close: every log closed cleanly (indexes trimmed and fsynced, producer snapshots
    // written), then the clean-shutdown marker, so the next start trusts them. A failing disk here
    // leaves no marker, which costs only a longer recovery (the broker does not halt for it either).
    const logDir = this.logDir;
    if (logDir !== null) {
      this.closedCleanly = logDir.closeAllNow();
      w.probes.hit(this.closedCleanly ? "clean-shutdown-marker-written" : "clean-shutdown-marker-missing");
      this.storageTally.drop(logDir);
      this.logDir = null;
    }
    w.sim.crash(index);
  }

  onDiskFault(e: import("../faults.ts").FaultEvent): void {
    // The memory disk's own fault hooks: its next write or fsync fails with EIO.
    if (e.kind === "diskFail" && e.op === "write") this.disk.faults.failNextWrite = "Io";
    if (e.kind === "diskFail" && e.op === "flush") this.disk.faults.failNextSync = true;
    // A torn tail: the process dies in the middle of its next log write. The engine's recovery at the
    // next open must find and cut the partially written batch.
    if (e.kind === "tornTail") this.tearNextWrite = true;
  }

  /**
   * Runs storage calls outside the replicas (opening, the HW checkpoint); a failing disk (an Io or
   * NoSpace StorageError) makes the broker fail-stop, as Kafka halts when its only log directory fails.
   * A NotFound or Corrupt answer is not a disk fault the simulator injects, so it is a bug in the node
   * or the engine and propagates, like anything else.
   */
  private storage(op: () => void): boolean {
    try {
      op();
      return true;
    } catch (error) {
      this.storageFailed(toStorageError(error, this.name));
      return false;
    }
  }

  private storageFailed(failure: import("@eddy/storage").StorageError): void {
    if (failure.reason._tag !== "Io" && failure.reason._tag !== "NoSpace") throw failure;
    this.w.probes.hit(`disk-${failure.reason._tag}`);
    this.diskFailed();
  }

  /** Fail-stop after a failed write or flush, then come back after a while. */
  private diskFailed(): void {
    const w = this.w;
    w.probes.hit("disk-failure");
    const idx = this.index;
    w.sim.crash(idx);
    w.sim.at(w.sim.nowMs + diskFailureDowntimeMs, `restart-${this.name}`, () => w.sim.restart(idx));
  }

  // ------------------------------------------------------------------------------------------------
  // The replicas' environment and hooks
  // ------------------------------------------------------------------------------------------------

  private makeEnv(): ReplicaEnv {
    const w = this.w;
    return {
      nowMs: () => this.nowMs,
      wakeAfter: (r, delayMs) => {
        w.sim.timer(this.index, delayMs, r.partitionIndex * 8 + kindWake);
      },
      // An fsync completes after a drawn disk latency, as an event of its own.
      flush: (r) => {
        w.sim.timer(this.index, w.sim.streams.disk.int(0, diskLatencyMsMax), r.partitionIndex * 8 + kindDisk);
      },
      sendPeer: (_r, to, message, records) => {
        const node = w.brokers[to];
        invariant(node !== undefined, () => `no broker ${to}`);
        w.sim.send(this.index, node, new PeerEnvelope(message, records), message.type);
      },
      sendAlterPartition: (r, requestId, m) => {
        const ctl: ControlMessage = {
          ctl: "alterPartition",
          requestId,
          brokerId: this.brokerId,
          brokerEpoch: this.brokerEpoch,
          partition: r.partitionIndex,
          leaderEpoch: m.leaderEpoch,
          partitionEpoch: m.partitionEpoch,
          newIsr: m.newIsr,
        };
        w.sim.send(this.index, this.controllerTarget(), ctl, "AlterPartition");
      },
      recordHighWatermark: (r, offset) => this.hw?.record(simTopic, r.partitionIndex, offset),
      storageFailed: (_r, failure) => this.storageFailed(failure),
      log: () => {},
    };
  }

  private makeHooks(): ReplicaHooks {
    const w = this.w;
    return {
      step: (r, state, input, next) => this.stepWithBugs(r, state, input, next),
      truncateOffset: (_r, offset, before) => {
        // Historical bug: truncate to the replica's HW minus one instead of the epoch end offset.
        if (w.bug("truncate-below-hw") && before.highWatermark > 0)
          return Math.min(offset, before.highWatermark - 1);
        // Historical bug (before KIP-101): a diverged follower truncates to its own high watermark,
        // which lags the leader's, instead of to the leader's epoch end offset.
        if (w.bug("truncate-to-own-hw")) return Math.min(offset, before.highWatermark);
        return offset;
      },
      truncating: (r, offset, full, before) => {
        const o = w.online.at(w.sim.nowMs);
        o.truncation(r.partitionIndex, this.brokerId, offset, before.highWatermark);
        // A full truncation restarts the log at the leader's log start: nothing below it exists anywhere.
        if (!full)
          o.isrMemberTruncation(
            r.partitionIndex,
            this.brokerId,
            offset,
            // Membership as committed, not as this replica last heard: a shrink reaches it later.
            (w.committedIsr?.(r.partitionIndex) ?? before.isr).includes(this.brokerId),
          );
        if (full) w.probes.hit("follower-truncate-fully");
        else if (offset < r.log.info().logEndOffset) w.probes.hit("follower-truncation");
      },
      appended: (r, appended, bytes) => this.maybeTear(r, appended, bytes),
      stepped: (r, before, after) => this.observe(r.partitionIndex, before, after),
      produceAnswered: (r, resp) => {
        const after = r.coreState;
        if (resp.acks === -1 && resp.errorCode === 0) {
          w.online
            .at(w.sim.nowMs)
            .ackAll(
              r.partitionIndex,
              resp.baseOffset,
              after.isr.length,
              w.config.workload.minInsyncReplicas,
              after.highWatermark,
            );
        }
        if (resp.duplicate) w.probes.hit("idempotent-duplicate-answered");
        if (resp.errorCode !== 0) w.probes.hit(`produce-${producer.errorName(resp.errorCode)}`);
      },
      consumerRead: (r, highWatermark) => {
        w.online
          .at(w.sim.nowMs)
          .exposedHw(r.partitionIndex, this.brokerId, r.coreState.leaderEpoch, highWatermark);
      },
      exposeHwBelowEpochStart: () => w.bug("hw-regression"),
    };
  }

  /**
   * A torn-tail fault kills the process in the middle of this write: the disk keeps a prefix of the
   * batch, cut inside it. Returns false when it did.
   */
  private maybeTear(
    r: PartitionReplica,
    appended: import("@eddy/storage").AppendResult,
    bytes: Uint8Array,
  ): boolean {
    if (!this.tearNextWrite || bytes.length <= 1) return true;
    this.tearNextWrite = false;
    this.w.probes.hit("torn-tail");
    const path = `${simDataDir}/${simTopic}-${r.partitionIndex}/${segmentFileName(appended.segmentBaseOffset, ".log")}`;
    const durable = this.disk.fileInfos().find((f) => f.path === path)?.durableBytes ?? 0;
    const cut = this.w.sim.streams.disk.int(1, bytes.length - 1);
    this.disk.crash({
      _tag: "TornTail",
      keptUnsyncedBytes: Math.max(0, appended.position - durable) + cut,
    });
    this.diskFailed();
    return false;
  }

  private stepWithBugs(
    r: PartitionReplica,
    state: PState,
    input: PInput,
    next: (s: PState, i: PInput) => core.PartitionStepResult,
  ): core.PartitionStepResult {
    const w = this.w;
    if (input.type === "produce") {
      if (
        w.bug("ack-below-min-isr") &&
        input.acks === -1 &&
        state.isr.length < state.config.minInsyncReplicas
      ) {
        // Historical bug: the min.insync.replicas check is skipped; the leader acks with a shrunken ISR.
        const lax = { ...state, config: { ...state.config, minInsyncReplicas: 1 } };
        const res = next(lax, input);
        return { state: { ...res.state, config: state.config }, ready: res.ready };
      }
      if (w.bug("ack-all-as-leader-only") && input.acks === -1) {
        // Historical bug: acks=all answered as soon as the leader has the write (acks=1 semantics).
        const res = next(state, { ...input, acks: 1 });
        return {
          state: res.state,
          ready: { ...res.ready, respond: res.ready.respond.map((x) => ({ ...x, acks: -1 })) },
        };
      }
      if (w.bug("idempotence-no-dedup") && input.batch.producerId >= 0) {
        // Historical bug: the leader does not look at the producer state, so a retry is appended again.
        return next(state, {
          ...input,
          batch: { ...input.batch, producerId: -1, producerEpoch: -1, baseSequence: -1 },
        });
      }
    }
    if (input.type === "becomeLeader" && w.bug("hw-regression") && state.role !== "leader") {
      // Historical bug: a new leader starts from its (lazily written) HW checkpoint, not the HW it
      // learned as a follower, and exposes that lower HW to consumers.
      const stored = this.hw?.stored(simTopic, r.partitionIndex) ?? 0;
      return next(
        { ...state, highWatermark: Math.max(state.logStartOffset, Math.min(state.highWatermark, stored)) },
        input,
      );
    }
    return next(state, input);
  }

  /** Online checks after each step of replica `p`. */
  private observe(p: number, before: PState, after: PState): void {
    const o = this.w.online.at(this.w.sim.nowMs);
    const probes = this.w.probes;
    if (after.role === "leader" && before.role !== "leader" && after.leaderEpoch > 0)
      probes.hit("leader-failover");
    if (after.role === "leader" && before.role === "leader") {
      if (after.isr.length < before.isr.length) {
        probes.hit("isr-shrink");
        if (after.isr.length < after.config.minInsyncReplicas) probes.hit("isr-below-min");
      } else if (after.isr.length > before.isr.length) probes.hit("isr-expand");
    }
    if (after.role === "leader" && (before.role !== "leader" || before.leaderEpoch !== after.leaderEpoch)) {
      // Registered once per (partition, epoch) on this broker: a leader's epoch only changes here.
      o.partitionLeader(p, after.leaderEpoch, this.brokerId);
      o.leaderComplete(p, this.brokerId, after.leaderEpoch, after.logEndOffset);
    }
    if (after.leaderEpoch !== before.leaderEpoch) o.epoch(`leaderEpoch:${p}`, this.name, after.leaderEpoch);
    if (after.highWatermark !== before.highWatermark)
      o.hwMonotonic(p, this.brokerId, before.highWatermark, after.highWatermark);
    const view = this.views[p];
    // The first steps run while the replicas are opened, before the views exist.
    if (view === undefined) return;
    const hw = Math.min(after.highWatermark, view.durableEnd);
    if (after.highWatermark !== before.highWatermark || after.leaderEpoch !== before.leaderEpoch)
      o.committedAt(p, after.leaderEpoch, hw);
    const checked = this.checkedHw[p]!;
    if (hw > checked) {
      o.committedPrefix(p, this.brokerId, checked, view.values(checked, hw, false));
      this.checkedHw[p] = hw;
    } else if (hw < checked) {
      this.checkedHw[p] = hw;
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Events
  // ------------------------------------------------------------------------------------------------

  onTimer(tag: number): void {
    if (tag === tagHeartbeat) {
      this.sendHeartbeat();
      this.w.sim.timer(this.index, brokerHeartbeatIntervalMs, tagHeartbeat);
      return;
    }
    if (tag === tagHwCheckpoint) {
      const hw = this.hw;
      if (hw !== null && !this.storage(() => hw.write())) return;
      this.w.sim.timer(this.index, hwCheckpointIntervalMs, tagHwCheckpoint);
      return;
    }
    if (tag === tagCoordinator) {
      this.coordinator?.onTimer();
      return;
    }
    if (tag === tagRetention) {
      // Each replica deletes whole old segments itself, never past its high watermark, and its core
      // learns the new log start (the shared node's PartitionReplica.applyRetention, as the broker's).
      for (const r of this.replicas) r.applyRetention();
      this.w.sim.timer(this.index, retentionCheckIntervalMs, tagRetention);
      return;
    }
    if (tag === tagProducerIdBlock) {
      this.reserveProducerIdBlock();
      return;
    }
    if (tag === tagStopDeadline) {
      if (this.stopStartedMs < 0 || this.stopFenced) return;
      this.w.probes.hit("clean-stop-unanswered");
      this.exitCleanly();
      return;
    }
    if (tag === tagStopExit) {
      this.exitCleanly();
      return;
    }
    const p = tag >> 3;
    const kind = tag & 7;
    const r = this.replicas[p];
    if (r === undefined) return;
    if (kind === kindConsumerWait) this.releaseFetches(p, true);
    else if (kind === kindDisk) r.completeFlushNow();
    else r.onWakeTimer();
  }

  timerName(tag: number): string {
    if (tag === tagHeartbeat) return "broker-heartbeat";
    if (tag === tagCoordinator) return "group-coordinator-tick";
    if (tag === tagHwCheckpoint) return "hw-checkpoint-flush";
    if (tag === tagRetention) return "retention-check";
    if (tag === tagProducerIdBlock) return "producer-id-block-written";
    if (tag === tagStopDeadline) return "controlled-shutdown-deadline";
    if (tag === tagStopExit) return "clean-stop-exit";
    const kinds = ["replica-wake", "disk-write-done", "consumer-fetch-wait"];
    return `${kinds[tag & 7] ?? "timer"} p${tag >> 3}`;
  }

  /** Arms the coordinator's timer (called by the coordinator shell). */
  armCoordinatorTimer(delayMs: number): void {
    this.w.sim.timer(this.index, delayMs, tagCoordinator);
  }

  private controllerTarget(): number {
    const cs = this.w.controllers;
    if (this.controllerHint >= 0) return this.controllerHint;
    this.controllerRound = (this.controllerRound + 1) % cs.length;
    return cs[this.controllerRound]!;
  }

  private sendHeartbeat(): void {
    // While stopping, every heartbeat asks to be fenced: a plain one would unfence the broker again.
    const msg: ControlMessage = {
      ctl: "heartbeat",
      brokerId: this.brokerId,
      brokerEpoch: this.brokerEpoch,
      wantShutDown: this.stopStartedMs >= 0,
    };
    this.w.sim.send(this.index, this.controllerTarget(), msg, "BrokerHeartbeat");
    // Without an answer by the next beat, try the next controller.
    this.controllerHint = -1;
  }

  onMessage(from: number, msg: unknown): void {
    if (isControl(msg)) {
      this.onControl(from, msg);
      return;
    }
    if ((msg as ClientEnvelope).request !== undefined) {
      this.onClient(from, (msg as ClientEnvelope).request);
      return;
    }
    const env = msg as PeerEnvelope;
    const m = env.peer;
    const r = this.replicas[m.partition];
    if (r === undefined) return;
    r.onPeerMessage(m, env.records);
  }

  private onControl(from: number, m: ControlMessage): void {
    switch (m.ctl) {
      case "heartbeatResponse":
        // Only a registered incarnation acts on metadata (its registration fenced the previous one).
        if (this.brokerEpoch < 0 || m.brokerEpoch !== this.brokerEpoch) return;
        // Never step back to an older image (a deposed controller may still answer).
        if (m.metadataOffset < this.metadataOffsetSeen) return;
        this.metadataOffsetSeen = m.metadataOffset;
        this.controllerHint = m.controller;
        this.w.online
          .at(this.w.sim.nowMs)
          .metadataAppliedByBroker(this.name, this.incarnation, m.metadataOffset, metadataHash(m.partitions));
        this.applyMetadata(m.partitions, m.brokers);
        if (this.stopStartedMs >= 0 && m.fenced && !this.stopFenced) {
          // Fenced: the image just applied moved this broker's leaderships elsewhere.
          this.stopFenced = true;
          this.w.probes.hit("clean-stop-fenced");
          this.w.sim.timer(this.index, cleanStopLingerMs, tagStopExit);
        }
        return;
      case "registered":
        this.brokerEpoch = m.brokerEpoch;
        this.controllerHint = m.controller;
        return;
      case "notController":
        // Follow the hint at once instead of waiting a heartbeat interval.
        if (m.leader >= 0 && m.leader !== this.controllerHint) {
          this.controllerHint = m.leader;
          this.sendHeartbeat();
          this.controllerHint = m.leader;
        }
        return;
      case "alterPartitionResponse":
        // Only the answer to the latest request counts; Kafka drops a timed-out request's connection.
        this.replicas[m.partition]?.onAlterPartitionResponse(m.requestId, {
          errorCode: m.errorCode,
          leaderEpoch: m.leaderEpoch,
          partitionEpoch: m.partitionEpoch,
          isr: m.isr,
        });
        return;
      default:
        invariant(from >= 0, "unexpected control message at a broker");
    }
  }

  /**
   * Applies a committed metadata image: leadership and ISR changes reach the replicas, each told first
   * which of its replicas the image shows fenced (the broker's applyImage does the same, with the same
   * shared rule), so a new leader never proposes a stopping broker for its ISR.
   */
  private applyMetadata(parts: readonly PartitionMeta[], brokers: readonly BrokerLiveness[]): void {
    this.metadata = [...parts];
    for (const meta of parts) {
      const replica = this.replicas[meta.partition];
      if (replica === undefined) continue;
      replica.applyPartitionImage(meta, this.isrEligibilityFeed ? brokers : null);
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Client requests
  // ------------------------------------------------------------------------------------------------

  reply(client: number, response: ClientResponse): void {
    this.w.sim.send(this.index, client, { client: true, response }, `${response.api}Response`);
  }

  /**
   * InitProducerId through the shared node's allocator: answered at once from the current block, or
   * once the block it waits for is on the disk (the first request after a start). Every id handed out
   * is registered with the online checker (26).
   */
  private initProducerId(from: number, corr: number): void {
    const w = this.w;
    const ids = this.producerIds;
    if (ids === null) return;
    const incarnation = this.incarnation;
    let waited = false;
    const request = {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1,
      producerEpoch: -1,
    };
    ids.initProducerId(request, (answer) => {
      if (waited) w.probes.hit("producer-id-waited-for-block");
      if (answer.errorCode === ErrorCode.NONE)
        w.online
          .at(w.sim.nowMs)
          .producerIdGranted(this.brokerId, incarnation, answer.producerId, answer.producerEpoch);
      this.reply(from, {
        api: "InitProducerId",
        corr,
        error: producer.errorName(answer.errorCode),
        producerId: answer.producerId,
        producerEpoch: answer.producerEpoch,
      });
    });
    waited = true;
  }

  /** The allocator's environment: blocks are reserved on this broker's disk after a drawn latency. */
  private makeProducerIdEnv(): ProducerIdEnv {
    const w = this.w;
    return {
      nowMs: () => this.nowMs,
      requestBlock: () => {
        w.sim.timer(this.index, w.sim.streams.disk.int(0, diskLatencyMsMax), tagProducerIdBlock);
      },
      persistTransactionalIds: () => {
        // The simulated producers are idempotent only, so no transactional id reaches the allocator.
        invariant(false, "producer ids: the simulator has no transactional producers");
      },
      log: () => {},
    };
  }

  /**
   * Writes the block the allocator asked for and hands it over. A failing write is a disk failure
   * like the others: the broker fail-stops, and its allocator with it.
   */
  private reserveProducerIdBlock(): void {
    const blocks = this.producerIdBlocks;
    const ids = this.producerIds;
    if (blocks === null || ids === null) return;
    // One slot: the write runs inside `storage`, which turns a failing disk into a fail-stop.
    const reserved: producer.ProducerIdBlock[] = [];
    if (!this.storage(() => reserved.push(blocks.reserveNow()))) return;
    const block = reserved[0];
    invariant(block !== undefined, "producer ids: no block after a successful write");
    this.w.probes.hit("producer-id-block-reserved");
    ids.onBlock(block);
  }

  private onClient(from: number, req: ClientRequest): void {
    const w = this.w;
    switch (req.api) {
      case "Metadata":
        this.reply(from, {
          api: "Metadata",
          corr: req.corr,
          coordinator: w.brokers[0]!,
          partitions: this.metadata.map((m) => ({
            partition: m.partition,
            leader: m.leader < 0 ? -1 : w.brokers[m.leader]!,
            leaderEpoch: m.leaderEpoch,
          })),
        });
        return;
      case "InitProducerId":
        this.initProducerId(from, req.corr);
        return;
      case "Produce": {
        const r = this.replicas[req.partition];
        if (r === undefined) return;
        // The client's batch, as a producer encodes it: offsets from 0, the leader assigns the rest.
        const producerFields = {
          producerId: req.producerId,
          producerEpoch: req.producerEpoch,
          baseSequence: req.baseSequence,
        };
        const batch = encodeValues(
          req.records.map((x) => x.value),
          0,
          -1,
          req.producerId < 0 ? noProducer : producerFields,
          this.nowMs,
        );
        r.produce(batch, req.acks, produceTimeoutMs, (outcome) => {
          if (req.acks === 0) return;
          this.reply(from, {
            api: "Produce",
            corr: req.corr,
            error: producer.errorName(outcome.errorCode),
            baseOffset: outcome.baseOffset,
          });
        });
        return;
      }
      case "Fetch":
        this.consumerFetch(from, req);
        return;
      default:
        if (this.coordinator === null) {
          this.reply(from, notCoordinator(req));
          return;
        }
        this.coordinator.onRequest(from, req);
    }
  }

  /** Consumer fetches with nothing to return, held until data arrives or their wait ends. */
  private readonly parkedFetches = new Map<
    number,
    { from: number; req: Extract<ClientRequest, { api: "Fetch" }>; deadlineMs: number }[]
  >();

  /** Answers parked fetches of `p` (all of them, or only the expired ones). */
  private releaseFetches(p: number, expiredOnly: boolean): void {
    const list = this.parkedFetches.get(p);
    if (list === undefined || list.length === 0) return;
    const now = this.w.sim.nowMs;
    const keep = expiredOnly ? list.filter((f) => f.deadlineMs > now) : [];
    const go = expiredOnly ? list.filter((f) => f.deadlineMs <= now) : list;
    this.parkedFetches.set(p, keep);
    for (const f of go) this.consumerFetch(f.from, f.req, false);
  }

  private consumerFetch(from: number, req: Extract<ClientRequest, { api: "Fetch" }>, mayPark = true): void {
    const w = this.w;
    const r = this.replicas[req.partition];
    const view = this.views[req.partition];
    if (r === undefined || view === undefined) return;
    const answer = r.read(req.offset, consumerFetchBytesMax, req.leaderEpoch);
    if (answer.errorCode !== ErrorCode.NONE) {
      if (answer.errorCode === ErrorCode.OFFSET_NOT_AVAILABLE) w.probes.hit("offset-not-available");
      // With retention on, an answer also carries the log start (Kafka's fetch response does), so a
      // consumer behind it can reset; without, the answer keeps its old shape and every trace its bytes.
      const logStart = retentionOn(w.config.workload) ? { logStartOffset: answer.logStartOffset } : {};
      this.reply(from, {
        api: "Fetch",
        corr: req.corr,
        partition: req.partition,
        error: producer.errorName(answer.errorCode),
        highWatermark: -1,
        records: [],
        ...logStart,
      });
      return;
    }
    const values = view.valuesOf(answer.records, req.offset, consumerFetchRecordsMax);
    const records = values.map((value, i) => ({ offset: req.offset + i, value }));
    if (records.length === 0 && mayPark) {
      // Kafka's fetch.max.wait.ms: an empty answer waits for data instead of inviting a busy poll.
      let list = this.parkedFetches.get(req.partition);
      if (list === undefined) {
        list = [];
        this.parkedFetches.set(req.partition, list);
      }
      // The replica wakes the parked fetches of this partition when its HW, epoch or role moves; when
      // it cannot take another waiter, the fetch is answered empty at once.
      const watched =
        list.length > 0 || r.waitForChange(() => this.releaseFetches(req.partition, false)) !== null;
      if (list.length < parkedFetchesMax && watched) {
        list.push({ from, req, deadlineMs: w.sim.nowMs + consumerFetchWaitMs });
        w.sim.timer(this.index, consumerFetchWaitMs, req.partition * 8 + kindConsumerWait);
        return;
      }
    }
    this.reply(from, {
      api: "Fetch",
      corr: req.corr,
      partition: req.partition,
      error: "NONE",
      highWatermark: answer.highWatermark,
      records,
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Views for the liveness phase and the final reads
  // ------------------------------------------------------------------------------------------------

  replicaState(p: number): PState | undefined {
    return this.replicas[p]?.coreState;
  }

  replicaLog(p: number): ReplicaStore | undefined {
    return this.views[p];
  }

  /** What this broker's log directories did so far, over all its incarnations. */
  storageCounters(): BrokerStorageCounters {
    return this.storageTally.withLive(this.logDir);
  }
}

function notCoordinator(req: ClientRequest): ClientResponse {
  switch (req.api) {
    case "JoinGroup":
      return {
        api: "JoinGroup",
        corr: req.corr,
        error: "NOT_COORDINATOR",
        generation: -1,
        memberId: "",
        leader: "",
        protocol: "range",
        members: [],
      };
    case "SyncGroup":
      return { api: "SyncGroup", corr: req.corr, error: "NOT_COORDINATOR", partitions: [] };
    case "Heartbeat":
      return { api: "Heartbeat", corr: req.corr, error: "NOT_COORDINATOR" };
    case "LeaveGroup":
      return { api: "LeaveGroup", corr: req.corr, error: "NOT_COORDINATOR" };
    case "OffsetCommit":
      return { api: "OffsetCommit", corr: req.corr, error: "NOT_COORDINATOR" };
    case "OffsetFetch":
      return { api: "OffsetFetch", corr: req.corr, error: "NOT_COORDINATOR", offsets: [] };
    default:
      invariant(false, `not a group request: ${req.api}`);
  }
}
