/**
 * A simulated broker: the core's partition replica machine for every partition it hosts, the real log
 * engine of @eddy/storage-memory per replica over one `MemoryDisk` per broker (which outlives crashes,
 * as a disk does), the broker's view of the controller's metadata, and (on the coordinator broker)
 * the group coordinator. It turns client requests, peer messages and timers into core inputs and acts
 * on each `ready` in the documented order: persist, then send, then respond, then arm the wake-up.
 * After each step it reports to the online checker. Bug switches of the known-bug corpus that live on
 * the broker side wrap the core's step here; the core itself is never changed.
 */
import { partition as core, invariant, producer, unreachable } from "@eddy/core";
import { type AppendResult, MemoryDisk, segmentFileName, toStorageError } from "@eddy/storage-memory";
import type { SimNode } from "../simulator.ts";
import type { ControlMessage, PartitionMeta } from "./control.ts";
import { isControl } from "./control.ts";
import type { CoordinatorShell } from "./coordinator-shell.ts";
import { metadataHash } from "./online-checker.ts";
import type { ClientEnvelope, ClientRequest, ClientResponse } from "./protocol.ts";
import {
  batchSummaries,
  encodeValues,
  type ProducerFields,
  ReplicaStore,
  readHwCheckpoint,
  simDataDir,
  simTopic,
  sliceBatches,
  writeHwCheckpoint,
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

interface Replica {
  state: PState;
  readonly store: ReplicaStore;
  /** Wake-up time the core asked for, or +inf. */
  wakeAtMs: number;
  /** The HW up to which the committed-prefix check has run in this incarnation. */
  checkedHw: number;
}

/** A produce request the core is working on: whom to answer, and the batch's values and producer fields. */
interface PendingClient {
  readonly client: number;
  readonly corr: number;
  readonly values: readonly number[];
  readonly producer: ProducerFields;
}

export class BrokerNode implements SimNode {
  index = -1;
  readonly server = true;
  readonly brokerId: number;
  private replicas: Replica[] = [];
  /** The broker's disk: it survives crashes (losing what was not fsynced) and restarts. */
  readonly disk = new MemoryDisk();
  /** HWs the core asked to checkpoint since the last checkpoint write (memory only, as in Kafka). */
  private hwPending: number[] = [];
  /** HWs in the checkpoint file on the disk. */
  private hwCheckpointed: number[] = [];
  private requestIdNext = 1;
  /** Latest AlterPartition request id per partition. */
  private readonly alterRequestIds: number[] = [];
  private readonly pending = new Map<number, PendingClient>();
  private metadata: PartitionMeta[] = [];
  private controllerHint = -1;
  /** Highest metadata offset applied by this incarnation. */
  private metadataOffsetSeen = 0;
  private controllerRound = 0;
  /** The epoch the controller gave this incarnation's registration; -1 until registered. */
  private brokerEpoch = -1;
  /** Durable: producer ids handed out never repeat across restarts. */
  private producerIdNext = 0;
  /** A torn-tail fault is armed: the process dies in the middle of its next log write. */
  private tearNextWrite = false;
  private incarnation = -1;
  /** Payloads of the fetch response being stepped, for the `appendReplica` it asks for. */
  private fetchPayload: { fetchId: number; records: Uint8Array } | null = null;

  constructor(
    private readonly w: World,
    readonly name: string,
    brokerId: number,
    readonly coordinator: CoordinatorShell | null,
  ) {
    this.brokerId = brokerId;
    this.disk.makeDir(simDataDir);
  }

  start(): void {
    this.boot();
  }

  /** This broker's local (possibly skewed) clock: the only time its core machines see. */
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
    const partitions = w.config.workload.partitions;
    const stores: ReplicaStore[] = [];
    const opened = this.storage(() => {
      // Opening recovers each log from what the disk kept: a torn or lost tail is cut here.
      for (let p = 0; p < partitions; p++)
        stores.push(ReplicaStore.open(this.disk, p, this.nowMs, () => w.probes.hit("storage-recovery")));
      this.hwCheckpointed = readHwCheckpoint(this.disk, partitions);
    });
    if (!opened) return;
    this.hwPending = [...this.hwCheckpointed];
    this.replicas = stores.map((store, p) => {
      // Entries starting at or past the recovered end name epochs with no records left (Kafka drops them).
      const epochs = store.readEpochs().filter((e) => e.startOffset < store.end);
      // Producer state is rebuilt by replaying the durable batches, as Kafka does without a snapshot.
      let producers = producer.emptyPartitionProducers();
      for (const b of store.scanBatches()) {
        if (b.producerId < 0) continue;
        producers = producer.recordBatch(producers, b, b.baseOffset, b.lastOffset, this.nowMs, 10_000);
      }
      const state = core.initialState(
        {
          topic: "t",
          partition: p,
          brokerId: this.brokerId,
          minInsyncReplicas: w.config.workload.minInsyncReplicas,
          replicaLagTimeMaxMs: 1_000,
          replicaFetchWaitMaxMs: 500,
          replicaFetchBackoffMs: 50,
          replicaFetchTimeoutMs: 500,
          alterPartitionRetryMs: 300,
          alterPartitionMetadataWaitMs: 1_500,
        },
        {
          logStartOffset: store.start,
          logEndOffset: store.end,
          highWatermark: this.hwCheckpointed[p]!,
          epochs,
          producers,
        },
        this.nowMs,
        this.incarnation,
      );
      return { state, store, wakeAtMs: Number.POSITIVE_INFINITY, checkedHw: 0 };
    });
    this.sendHeartbeat();
    this.w.sim.timer(this.index, brokerHeartbeatIntervalMs, tagHeartbeat);
    this.w.sim.timer(this.index, hwCheckpointIntervalMs, tagHwCheckpoint);
    if (this.coordinator !== null) this.coordinator.boot(this);
  }

  onCrash(): void {
    for (const r of this.replicas)
      if (r.store.end > r.store.durableEnd) this.w.probes.hit("crash-lost-unflushed");
    // Power loss: the disk keeps what was fsynced (after a torn write it has already crashed, and this
    // second crash finds nothing unsynced).
    this.disk.crash({ _tag: "LoseUnsynced" });
    this.pending.clear();
    this.parkedFetches.clear();
    // stepDepth is left alone: a crash inside a step unwinds through that step's own decrement.
    this.syncCompletions = [];
    this.fetchPayload = null;
    this.tearNextWrite = false;
    this.coordinator?.crash();
  }

  onRestart(): void {
    this.boot();
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
   * Runs storage calls; a failing disk (an Io or NoSpace StorageError) makes the broker fail-stop, as
   * Kafka halts when its only log directory fails. A NotFound or Corrupt answer is not a disk fault the
   * simulator injects, so it is a bug in the shell or the engine and propagates, like anything else.
   */
  private storage(op: () => void): boolean {
    try {
      op();
      return true;
    } catch (error) {
      const failure = toStorageError(error, this.name);
      if (failure.reason._tag !== "Io" && failure.reason._tag !== "NoSpace") throw failure;
      this.w.probes.hit(`disk-${failure.reason._tag}`);
      this.diskFailed();
      return false;
    }
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
  // Stepping the core
  // ------------------------------------------------------------------------------------------------

  /** Steps replica `p` with `input` (after a tick to the current time) and acts on the outputs. */
  private stepReplica(p: number, input: PInput | null): void {
    const r = this.replicas[p]!;
    const now = this.nowMs;
    this.stepDepth++;
    if (r.state.nowMs < now) this.apply(p, core.step(r.state, { type: "tick", nowMs: now }));
    if (input !== null) this.apply(p, this.stepWithBugs(r.state, input));
    this.stepDepth--;
    // Writes that completed at once (a zero disk delay) are reported after the step that issued them,
    // never inside it, so the outputs of one step are always acted on in their documented order.
    while (this.stepDepth === 0 && this.syncCompletions.length > 0 && this.w.sim.isUp(this.index)) {
      const q = this.syncCompletions.shift()!;
      this.completeDisk(q);
    }
  }

  private stepDepth = 0;
  private syncCompletions: number[] = [];

  private completeDisk(p: number): void {
    const r = this.replicas[p];
    if (r === undefined || r.store.completionsPending === 0) return;
    let end = 0;
    if (!this.storage(() => (end = r.store.complete()))) return;
    if (end > r.state.logEndOffset)
      this.stepReplica(p, { type: "appendCompleted", logEndOffset: Math.min(end, r.state.nextOffset) });
  }

  private stepWithBugs(state: PState, input: PInput): core.PartitionStepResult {
    const w = this.w;
    if (input.type === "produce") {
      if (
        w.bug("ack-below-min-isr") &&
        input.acks === -1 &&
        state.isr.length < state.config.minInsyncReplicas
      ) {
        // Historical bug: the min.insync.replicas check is skipped; the leader acks with a shrunken ISR.
        const lax = { ...state, config: { ...state.config, minInsyncReplicas: 1 } };
        const res = core.step(lax, input);
        return { state: { ...res.state, config: state.config }, ready: res.ready };
      }
      if (w.bug("ack-all-as-leader-only") && input.acks === -1) {
        // Historical bug: acks=all answered as soon as the leader has the write (acks=1 semantics).
        const res = core.step(state, { ...input, acks: 1 });
        return {
          state: res.state,
          ready: { ...res.ready, respond: res.ready.respond.map((x) => ({ ...x, acks: -1 })) },
        };
      }
      if (w.bug("idempotence-no-dedup") && input.batch.producerId >= 0) {
        // Historical bug: the leader does not look at the producer state, so a retry is appended again.
        return core.step(state, {
          ...input,
          batch: { ...input.batch, producerId: -1, producerEpoch: -1, baseSequence: -1 },
        });
      }
    }
    return core.step(state, input);
  }

  private apply(p: number, res: core.PartitionStepResult): void {
    const r = this.replicas[p]!;
    const before = r.state;
    const after = res.state;
    r.state = after;
    const ready = res.ready;
    // 1. Persist, in order; a failing disk stops the broker before the next operation.
    for (const op of ready.persist) {
      if (!this.w.sim.isUp(this.index)) return;
      this.persist(p, r, before, op);
    }
    if (!this.w.sim.isUp(this.index)) return;
    // 2. Send.
    for (const env of ready.send) this.sendPeer(p, r, env);
    // 3. Respond.
    for (const resp of ready.respond) this.respondProduce(p, after, resp);
    // 4. Wake-up.
    const wake = ready.wakeAtMs;
    if (wake !== null && wake < r.wakeAtMs) {
      r.wakeAtMs = wake;
      this.w.sim.timer(this.index, Math.max(0, wake - this.nowMs), p * 8 + kindWake);
    }
    this.observe(p, r, before, after);
  }

  private persist(p: number, r: Replica, before: PState, op: core.PersistOp): void {
    const w = this.w;
    const store = r.store;
    switch (op.type) {
      case "append": {
        const pend = op.requestId === null ? undefined : this.pending.get(op.requestId);
        const values = pend?.values ?? [];
        invariant(values.length === op.lastOffset - op.baseOffset + 1, "append without its payload");
        const producerFields = pend?.producer ?? noProducer;
        const bytes = encodeValues(values, op.baseOffset, op.leaderEpoch, producerFields, this.nowMs);
        this.write(p, store, bytes);
        return;
      }
      case "appendReplica": {
        const payload = this.fetchPayload;
        invariant(
          payload !== null && payload.fetchId === op.fetchId,
          "appendReplica without its fetch payload",
        );
        // One write for the whole fetch response, completing once, as the core expects.
        const bytes = sliceBatches(payload.records, store.end, op.lastOffset);
        if (!this.write(p, store, bytes)) return;
        invariant(
          store.end === op.lastOffset + 1,
          () => `replica append ended at ${store.end}, wanted ${op.lastOffset + 1}`,
        );
        return;
      }
      case "truncate": {
        let offset = op.offset;
        if (w.bug("truncate-below-hw") && before.highWatermark > 0) {
          // Historical bug: truncate to the replica's HW minus one instead of the epoch end offset.
          offset = Math.min(offset, before.highWatermark - 1);
        }
        w.online.at(w.sim.nowMs).truncation(p, this.brokerId, offset, before.highWatermark);
        if (offset < store.end) w.probes.hit("follower-truncation");
        this.storage(() => store.truncate(offset));
        // The engine keeps whole batches only: a cut inside a batch drops all of it (Kafka does the same
        // and still reports the cut as its log end). Counted, so a run shows whether it ever happens.
        if (store.end < offset) w.probes.hit("truncate-inside-batch");
        return;
      }
      case "advanceLogStart":
        this.storage(() => store.advanceStart(op.offset));
        return;
      case "truncateFully":
        w.online.at(w.sim.nowMs).truncation(p, this.brokerId, op.offset, before.highWatermark);
        w.probes.hit("follower-truncate-fully");
        this.storage(() => store.truncateFullyAt(op.offset, this.nowMs));
        return;
      case "epochCheckpoint":
        this.storage(() => store.writeEpochs(op.entries));
        return;
      case "highWatermark":
        // Kafka keeps the HW in memory and checkpoints it lazily (`tagHwCheckpoint`).
        this.hwPending[p] = op.offset;
        return;
      default:
        unreachable(op, "partition persist op");
    }
  }

  /**
   * Issues one log write; it completes (is fsynced) after a disk delay. A torn-tail fault kills the
   * process in the middle of this write instead: the disk keeps a prefix of the batch, cut inside it.
   */
  private write(p: number, store: ReplicaStore, bytes: Uint8Array): boolean {
    let appended: AppendResult | undefined;
    if (!this.storage(() => (appended = store.append(bytes, this.nowMs)))) return false;
    if (this.tearNextWrite && appended !== undefined && bytes.length > 1) {
      this.tearNextWrite = false;
      this.w.probes.hit("torn-tail");
      const path = `${simDataDir}/${simTopic}-${p}/${segmentFileName(appended.segmentBaseOffset, ".log")}`;
      const durable = this.disk.fileInfos().find((f) => f.path === path)?.durableBytes ?? 0;
      const cut = this.w.sim.streams.disk.int(1, bytes.length - 1);
      this.disk.crash({
        _tag: "TornTail",
        keptUnsyncedBytes: Math.max(0, appended.position - durable) + cut,
      });
      this.diskFailed();
      return false;
    }
    store.completionsPending++;
    const latency = this.w.sim.streams.disk.int(0, diskLatencyMsMax);
    if (latency === 0) this.syncCompletions.push(p);
    else this.w.sim.timer(this.index, latency, p * 8 + kindDisk);
    return true;
  }

  private sendPeer(p: number, r: Replica, env: core.Envelope): void {
    const w = this.w;
    const m = env.message;
    if (env.to === "controller") {
      invariant(m.type === "alterPartition", "only AlterPartition goes to the controller");
      const requestId = this.requestIdNext++;
      this.alterRequestIds[p] = requestId;
      const ctl: ControlMessage = {
        ctl: "alterPartition",
        requestId,
        brokerId: this.brokerId,
        brokerEpoch: this.brokerEpoch,
        partition: p,
        leaderEpoch: m.leaderEpoch,
        partitionEpoch: m.partitionEpoch,
        newIsr: m.newIsr,
      };
      w.sim.send(this.index, this.controllerTarget(), ctl, "AlterPartition");
      return;
    }
    const to = w.brokers[env.to];
    invariant(to !== undefined, () => `no broker ${env.to}`);
    let records: Uint8Array = noRecords;
    if (m.type === "fetchResponse" && m.readToOffset > m.readFromOffset) {
      records = r.store.read(m.readFromOffset, m.readToOffset);
    }
    const envelope = new PeerEnvelope(m, records);
    w.sim.send(this.index, to, envelope, m.type);
  }

  private respondProduce(p: number, after: PState, resp: core.ProduceResponse): void {
    const w = this.w;
    const pend = this.pending.get(resp.requestId);
    this.pending.delete(resp.requestId);
    if (pend === undefined) return;
    if (resp.acks === -1 && resp.errorCode === 0) {
      w.online
        .at(w.sim.nowMs)
        .ackAll(
          p,
          resp.baseOffset,
          after.isr.length,
          w.config.workload.minInsyncReplicas,
          after.highWatermark,
        );
    }
    if (resp.duplicate) w.probes.hit("idempotent-duplicate-answered");
    if (resp.errorCode !== 0) w.probes.hit(`produce-${producer.errorName(resp.errorCode)}`);
    if (resp.acks === 0) return;
    this.reply(pend.client, {
      api: "Produce",
      corr: pend.corr,
      error: producer.errorName(resp.errorCode),
      baseOffset: resp.baseOffset,
    });
  }

  /** Online checks after each step of replica `p`. */
  private observe(p: number, r: Replica, before: PState, after: PState): void {
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
    const hw = Math.min(after.highWatermark, r.store.durableEnd);
    if (after.highWatermark !== before.highWatermark || after.leaderEpoch !== before.leaderEpoch) {
      o.committedAt(p, after.leaderEpoch, hw);
      // New data (or a leadership change) answers the consumer fetches waiting on this partition.
      this.releaseFetches(p, false);
    }
    if (after.role !== before.role) this.releaseFetches(p, false);
    if (hw > r.checkedHw) {
      o.committedPrefix(p, this.brokerId, r.checkedHw, r.store.values(r.checkedHw, hw, false));
      r.checkedHw = hw;
    } else if (hw < r.checkedHw) {
      r.checkedHw = hw;
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
      const hws = this.replicas.map((r, p) => Math.min(this.hwPending[p]!, r.store.durableEnd));
      if (!this.storage(() => writeHwCheckpoint(this.disk, hws))) return;
      this.hwCheckpointed = hws;
      this.w.sim.timer(this.index, hwCheckpointIntervalMs, tagHwCheckpoint);
      return;
    }
    if (tag === tagCoordinator) {
      this.coordinator?.onTimer();
      return;
    }
    const p = tag >> 3;
    const kind = tag & 7;
    const r = this.replicas[p];
    if (r === undefined) return;
    if (kind === kindConsumerWait) {
      this.releaseFetches(p, true);
      return;
    }
    if (kind === kindDisk) {
      this.completeDisk(p);
      return;
    }
    if (r.wakeAtMs === Number.POSITIVE_INFINITY) return;
    if (this.nowMs < r.wakeAtMs) {
      // Fired early (a skewed clock rounds): wait for the rest.
      this.w.sim.timer(this.index, r.wakeAtMs - this.nowMs, p * 8 + kindWake);
      return;
    }
    r.wakeAtMs = Number.POSITIVE_INFINITY;
    this.stepReplica(p, null);
  }

  timerName(tag: number): string {
    if (tag === tagHeartbeat) return "broker-heartbeat";
    if (tag === tagCoordinator) return "group-coordinator-tick";
    if (tag === tagHwCheckpoint) return "hw-checkpoint-flush";
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
    const msg: ControlMessage = { ctl: "heartbeat", brokerId: this.brokerId, brokerEpoch: this.brokerEpoch };
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
    const p = m.partition;
    if (this.replicas[p] === undefined) return;
    if (m.type === "fetch") {
      this.stepReplica(p, { ...m, type: "fetchFromFollower" });
    } else if (m.type === "fetchResponse") {
      this.fetchPayload = { fetchId: m.fetchId, records: env.records };
      // The follower reads the batch headers itself (CRC checked), as a Kafka follower does.
      const batches: core.ReplicatedBatch[] = batchSummaries(env.records);
      this.stepReplica(p, { ...m, type: "fetchResponse", batches });
      this.fetchPayload = null;
    }
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
        this.applyMetadata(m.partitions);
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
        if (this.replicas[m.partition] === undefined) return;
        // Only the answer to the latest request counts; Kafka drops a timed-out request's connection.
        if (this.alterRequestIds[m.partition] !== m.requestId) return;
        this.stepReplica(m.partition, {
          type: "alterPartitionResponse",
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

  /** Applies a committed metadata image: leadership and ISR changes become core inputs. */
  private applyMetadata(parts: readonly PartitionMeta[]): void {
    this.metadata = [...parts];
    for (const meta of parts) {
      const r = this.replicas[meta.partition];
      if (r === undefined || meta.leader < 0) continue;
      const s = r.state;
      const newer =
        s.role === "none" ||
        meta.leaderEpoch > s.leaderEpoch ||
        (meta.leaderEpoch === s.leaderEpoch && meta.partitionEpoch > s.partitionEpoch);
      if (!newer) continue;
      if (meta.leaderEpoch < s.leaderEpoch) continue;
      if (meta.leader === this.brokerId) {
        if (this.w.bug("hw-regression") && s.role !== "leader") {
          // Historical bug: a new leader starts from its (lazily written) HW checkpoint, not the HW it
          // learned as a follower, and exposes that lower HW to consumers.
          r.state = {
            ...s,
            highWatermark: Math.max(
              s.logStartOffset,
              Math.min(s.highWatermark, this.hwCheckpointed[meta.partition]!),
            ),
          };
        }
        this.stepReplica(meta.partition, {
          type: "becomeLeader",
          leaderEpoch: meta.leaderEpoch,
          partitionEpoch: meta.partitionEpoch,
          isr: meta.isr,
          replicas: meta.replicas,
        });
      } else {
        this.stepReplica(meta.partition, {
          type: "becomeFollower",
          leaderId: meta.leader,
          leaderEpoch: meta.leaderEpoch,
          partitionEpoch: meta.partitionEpoch,
          isr: meta.isr,
          replicas: meta.replicas,
        });
      }
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Client requests
  // ------------------------------------------------------------------------------------------------

  reply(client: number, response: ClientResponse): void {
    this.w.sim.send(this.index, client, { client: true, response }, `${response.api}Response`);
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
      case "InitProducerId": {
        // Producer ids are unique per broker and never reused: broker id in the high part.
        const producerId = this.brokerId * 1_000_000 + this.producerIdNext++;
        this.reply(from, {
          api: "InitProducerId",
          corr: req.corr,
          error: "NONE",
          producerId,
          producerEpoch: 0,
        });
        return;
      }
      case "Produce": {
        const p = req.partition;
        if (this.replicas[p] === undefined) return;
        const requestId = this.requestIdNext++;
        this.pending.set(requestId, {
          client: from,
          corr: req.corr,
          values: req.records.map((x) => x.value),
          producer: {
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            baseSequence: req.baseSequence,
          },
        });
        this.stepReplica(p, {
          type: "produce",
          requestId,
          acks: req.acks,
          timeoutMs: produceTimeoutMs,
          batch: {
            recordCount: req.records.length,
            sizeBytes: 16 * req.records.length,
            maxTimestamp: this.nowMs,
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            baseSequence: req.baseSequence,
          },
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
    if (r === undefined) return;
    const s = r.state;
    const bounds = core.consumerReadBounds(s, {
      fetchOffset: req.offset,
      currentLeaderEpoch: req.leaderEpoch,
    });
    let error = producer.errorName(bounds.errorCode);
    // Kafka's answer while a new leader has not yet committed an offset of its own epoch: its HW may
    // still lag the old leader's, and exposing it would let the visible HW go backwards.
    if (error === "NONE" && s.highWatermark < s.leaderEpochStartOffset && !w.bug("hw-regression")) {
      error = "OFFSET_NOT_AVAILABLE";
      w.probes.hit("offset-not-available");
    }
    if (error !== "NONE") {
      this.reply(from, {
        api: "Fetch",
        corr: req.corr,
        partition: req.partition,
        error,
        highWatermark: -1,
        records: [],
      });
      return;
    }
    w.online.at(w.sim.nowMs).exposedHw(req.partition, this.brokerId, s.leaderEpoch, bounds.highWatermark);
    const to = Math.min(bounds.readToOffset, req.offset + consumerFetchRecordsMax);
    const values = r.store.values(req.offset, Math.min(to, r.store.durableEnd));
    const records = values.map((value, i) => ({ offset: req.offset + i, value }));
    if (records.length === 0 && mayPark) {
      // Kafka's fetch.max.wait.ms: an empty answer waits for data instead of inviting a busy poll.
      let list = this.parkedFetches.get(req.partition);
      if (list === undefined) {
        list = [];
        this.parkedFetches.set(req.partition, list);
      }
      if (list.length < parkedFetchesMax) {
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
      highWatermark: bounds.highWatermark,
      records,
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Views for the liveness phase and the final reads
  // ------------------------------------------------------------------------------------------------

  replicaState(p: number): PState | undefined {
    return this.replicas[p]?.state;
  }

  replicaLog(p: number): ReplicaStore | undefined {
    return this.replicas[p]?.store;
  }
}

const noRecords = new Uint8Array(0);
const noProducer: ProducerFields = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

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
