/**
 * A simulated producer: one send in flight at a time (so per-producer order is checkable), acks 0,
 * 1 or all, with or without keys, idempotent or not. It learns leaders from Metadata, retries on
 * retriable errors and timeouts, and records every send and its outcome in the history. An
 * idempotent producer keeps the same sequence number across retries of one batch and never gives up
 * (a give-up would need an epoch bump), so its retries exercise the broker's deduplication.
 */
import { invariant } from "@eddy/core";
import type { Acks, ProduceOp } from "../history.ts";
import type { Partitioner } from "../learner-input.ts";
import { keyHashPartition } from "../murmur2.ts";
import type { SimNode } from "../simulator.ts";
import type { ClientResponse, ResponseEnvelope } from "./protocol.ts";
import type { World } from "./world.ts";

export const produceAttemptsMax = 8;
export const requestTimeoutMs = 1_000;
const timerSend = 1;
const timerTimeout = 2;
const timerMetadata = 3;
const timerRetry = 4;
/** Kafka's retry.backoff.ms: a retry waits this long, so an error never turns into a busy loop. */
export const retryBackoffMs = 100;
export const metadataRetryMs = 200;
/** Records a learner may queue on one producer at most (learner inputs); more are refused. */
export const learnerRecordsQueuedMax = 16;

export interface ProducerSpec {
  readonly name: string;
  readonly acks: Acks;
  readonly idempotent: boolean;
  readonly keyed: boolean;
}

export class ProducerClient implements SimNode {
  index = -1;
  readonly server = false;
  private leaders: number[] = [];
  private leaderEpochs: number[] = [];
  private corrNext = 1;
  private inflight: { op: ProduceOp; corr: number; sequence: number } | undefined;
  private producerId = -1;
  private producerEpoch = 0;
  private readonly sequences: number[] = [];
  private metadataCorr = -1;
  private initCorr = -1;
  private timeoutCorr = -1;
  private awaitingMetadata = false;
  /** The armed request-timeout timer, cancelled when its answer arrives. */
  private timeoutTimer = -1;
  /** Keys of records a learner asked for, sent in order before any drawn send (empty unless asked). */
  private readonly learnerKeys: number[] = [];
  /** The acks of the next send: the spec's until a learner sets it. */
  acks: Acks;
  /** The learner's partitioner, or undefined for the model's own (key mod n, or a random draw). */
  private partitioner: Partitioner | undefined = undefined;
  /** The key a learner gave its sends, or undefined for the model's (drawn keys, or none). */
  private fixedKey: number | undefined = undefined;
  /** The next partition of the round-robin partitioner. */
  private roundRobinNext = 0;

  constructor(
    private readonly w: World,
    readonly spec: ProducerSpec,
  ) {
    this.acks = spec.acks;
  }

  /** How it picks partitions now, in words for views. */
  get partitionerName(): string {
    const p = this.partitioner;
    if (p === undefined) return "model";
    const key = this.fixedKey === undefined ? "" : `, key ${this.fixedKey}`;
    if (p.kind === "explicit") return `explicit ${p.partition}${key}`;
    return `${p.kind === "keyHash" ? "key hash (murmur2)" : "round robin"}${key}`;
  }

  /**
   * A learner's acks and partitioner from the next send on (learner inputs); the send in flight keeps
   * its own. Returns a refusal (Kafka's rule: idempotence needs acks=all; an explicit partition must
   * exist) and changes nothing then.
   */
  setLearnerSettings(
    acks: Acks,
    partitioner: Partitioner,
    key: number | undefined,
    dryRun: boolean,
  ): string | undefined {
    if (this.spec.idempotent && acks !== -1)
      return `${this.name} is idempotent, and Kafka requires acks=all for idempotence`;
    const partitions = this.w.config.workload.partitions;
    if (partitioner.kind === "explicit" && partitioner.partition >= partitions)
      return `topic t has partitions 0 to ${partitions - 1}, not ${partitioner.partition}`;
    if (dryRun) return undefined;
    this.acks = acks;
    this.partitioner = partitioner;
    this.fixedKey = key;
    return undefined;
  }

  /** The partition of a record with `key` (null: none) under the learner's partitioner. */
  private learnerPartition(p: Partitioner, key: number | null, partitions: number): number {
    if (p.kind === "explicit") return p.partition;
    if (p.kind === "keyHash" && key !== null) return keyHashPartition(key, partitions);
    // Round robin, and a record without a key under the key hash (one record a batch, so Kafka's
    // sticky partitioner moves to the next partition with every record).
    const partition = this.roundRobinNext % partitions;
    this.roundRobinNext = (partition + 1) % partitions;
    return partition;
  }

  get name(): string {
    return this.spec.name;
  }

  /** The partition of the send in flight, or -1. */
  get inflightPartition(): number {
    return this.inflight?.op.partition ?? -1;
  }

  /** True when this producer has nothing outstanding (the liveness phase waits for it). */
  get idle(): boolean {
    return this.inflight === undefined;
  }

  start(): void {
    this.refreshMetadata();
    this.w.sim.timer(this.index, this.nextGapMs(), timerSend);
  }

  private nextGapMs(): number {
    const mean = this.w.config.workload.produceIntervalMs;
    return this.w.sim.streams.workload.int(Math.max(1, mean >> 1), mean + (mean >> 1));
  }

  private refreshMetadata(): void {
    const b = this.w.sim.streams.workload.pick(this.w.brokers);
    this.metadataCorr = this.corrNext++;
    this.w.sim.send(
      this.index,
      b,
      { client: true, request: { api: "Metadata", corr: this.metadataCorr } },
      "Metadata",
    );
    this.w.sim.timer(this.index, requestTimeoutMs, timerMetadata + 8 * this.metadataCorr);
  }

  onTimer(timerTag: number): void {
    // Timeout timers carry the correlation id they guard, so a stale one never cancels a newer request.
    const tag = timerTag & 7;
    const corr = timerTag >> 3;
    if (tag === timerSend) {
      if (this.w.workloadOn && this.inflight === undefined) this.startSend();
      if (this.w.workloadOn) this.w.sim.timer(this.index, this.nextGapMs(), timerSend);
    } else if (tag === timerTimeout) {
      const f = this.inflight;
      if (f !== undefined && f.corr === corr) this.retry();
    } else if (tag === timerRetry) {
      const f = this.inflight;
      if (f !== undefined && f.corr === corr) this.attempt();
    } else if (tag === timerMetadata) {
      if (this.metadataCorr === corr) this.refreshMetadata();
    }
  }

  /** Records a learner queued and not yet sent. */
  get learnerQueued(): number {
    return this.learnerKeys.length;
  }

  /**
   * A learner's record with this key (learner inputs): sent at once when nothing is in flight, else
   * right after the send in flight completes. Returns a refusal when the queue is full.
   */
  queueLearnerRecord(key: number, dryRun: boolean): string | undefined {
    if (this.learnerKeys.length >= learnerRecordsQueuedMax)
      return `${this.name} already has ${learnerRecordsQueuedMax} records queued`;
    if (dryRun) return undefined;
    this.learnerKeys.push(key);
    if (this.inflight === undefined) this.startSend();
    return undefined;
  }

  private startSend(): void {
    const w = this.w;
    const partitions = w.config.workload.partitions;
    // A learner's record goes first and draws nothing: its key is given, its partition is key mod n.
    const learnerKey = this.learnerKeys.shift();
    // A key the learner set for this producer draws nothing either; without one, the model's draw.
    const key =
      learnerKey !== undefined
        ? learnerKey
        : this.fixedKey !== undefined
          ? this.fixedKey
          : this.spec.keyed
            ? w.sim.streams.workload.int(0, 15)
            : null;
    // Without a learner's partitioner the draws are the model's own, so a run without inputs is unchanged.
    const partitioner = this.partitioner;
    const partition =
      partitioner !== undefined
        ? this.learnerPartition(partitioner, key, partitions)
        : key === null
          ? w.sim.streams.workload.int(0, partitions - 1)
          : key % partitions;
    invariant(partition >= 0 && partition < partitions, "producer: partition out of range");
    const op = w.history.invokeProduce({
      producer: this.spec.name,
      partition,
      value: w.valueNext++,
      key,
      acks: this.acks,
      idempotent: this.spec.idempotent,
      invokeMs: w.sim.nowMs,
    });
    const sequence = this.sequences[partition] ?? 0;
    this.inflight = { op, corr: -1, sequence };
    this.attempt();
  }

  private attempt(): void {
    const f = this.inflight;
    invariant(f !== undefined, "attempt without a send in flight");
    const w = this.w;
    if (this.spec.idempotent && this.producerId < 0) {
      this.initCorr = this.corrNext++;
      w.sim.send(
        this.index,
        w.sim.streams.workload.pick(w.brokers),
        { client: true, request: { api: "InitProducerId", corr: this.initCorr } },
        "InitProducerId",
      );
      f.corr = this.corrNext++;
      this.timeoutCorr = f.corr;
      w.sim.timer(this.index, requestTimeoutMs, timerTimeout + 8 * f.corr);
      return;
    }
    const leader = this.leaders[f.op.partition] ?? -1;
    if (leader < 0) {
      // No leader known: wait for metadata (the answer resumes this send), not counted as an attempt.
      this.awaitingMetadata = true;
      if (this.metadataCorr < 0) this.refreshMetadata();
      f.corr = this.corrNext++;
      this.timeoutCorr = f.corr;
      // Ask again soon: the topic may simply not exist yet.
      w.sim.timer(this.index, metadataRetryMs, timerTimeout + 8 * f.corr);
      return;
    }
    this.awaitingMetadata = false;
    f.op.attempts++;
    f.corr = this.corrNext++;
    this.timeoutCorr = f.corr;
    w.sim.send(
      this.index,
      leader,
      {
        client: true,
        request: {
          api: "Produce",
          corr: f.corr,
          partition: f.op.partition,
          acks: f.op.acks,
          records: [{ value: f.op.value, key: f.op.key }],
          producerId: this.spec.idempotent ? this.producerId : -1,
          producerEpoch: this.spec.idempotent ? this.producerEpoch : -1,
          baseSequence: this.spec.idempotent ? f.sequence : -1,
        },
      },
      "Produce",
    );
    if (f.op.acks === 0) {
      // acks=0 gets no answer: the send counts as done once it leaves the client.
      this.finish("ok", -1);
      return;
    }
    this.timeoutTimer = w.sim.timer(this.index, requestTimeoutMs, timerTimeout + 8 * f.corr);
  }

  private retry(): void {
    const f = this.inflight;
    invariant(f !== undefined, "retry without a send in flight");
    if (!this.spec.idempotent && f.op.attempts >= produceAttemptsMax) {
      this.finish("fail", -1);
      return;
    }
    if (this.metadataCorr < 0) this.refreshMetadata();
    f.corr = this.corrNext++;
    this.timeoutCorr = f.corr;
    this.w.sim.timer(this.index, retryBackoffMs, timerRetry + 8 * f.corr);
  }

  private finish(outcome: "ok" | "fail", offset: number): void {
    const f = this.inflight;
    invariant(f !== undefined, "finish without a send in flight");
    this.w.history.completeProduce(f.op, outcome, offset, this.w.sim.nowMs);
    if (outcome === "ok" && this.spec.idempotent) this.sequences[f.op.partition] = f.sequence + 1;
    this.inflight = undefined;
    this.timeoutCorr = -1;
    this.w.sim.cancelTimer(this.timeoutTimer);
    this.timeoutTimer = -1;
    if (this.learnerKeys.length > 0) this.startSend();
  }

  onMessage(_from: number, msg: unknown): void {
    const r = (msg as ResponseEnvelope).response as ClientResponse;
    switch (r.api) {
      case "Metadata":
        if (r.corr !== this.metadataCorr) return;
        this.metadataCorr = -1;
        for (const p of r.partitions) {
          // Never let an older answer overwrite a newer leader.
          if ((this.leaderEpochs[p.partition] ?? -1) <= p.leaderEpoch) {
            this.leaders[p.partition] = p.leader;
            this.leaderEpochs[p.partition] = p.leaderEpoch;
          }
        }
        if (
          this.awaitingMetadata &&
          this.inflight !== undefined &&
          (this.leaders[this.inflight.op.partition] ?? -1) >= 0
        ) {
          this.attempt();
        }
        return;
      case "InitProducerId":
        if (r.corr !== this.initCorr) return;
        this.initCorr = -1;
        if (r.error !== "NONE") return;
        this.producerId = r.producerId;
        this.producerEpoch = r.producerEpoch;
        if (this.inflight !== undefined && this.inflight.corr === this.timeoutCorr) this.attempt();
        return;
      case "Produce": {
        const f = this.inflight;
        if (f === undefined || r.corr !== f.corr) return;
        if (r.error === "NONE") this.finish("ok", r.baseOffset);
        else if (r.error === "DUPLICATE_SEQUENCE_NUMBER") this.finish("ok", r.baseOffset);
        else if (
          r.error === "OUT_OF_ORDER_SEQUENCE_NUMBER" ||
          r.error === "INVALID_PRODUCER_EPOCH" ||
          r.error === "UNKNOWN_PRODUCER_ID"
        ) {
          // The broker lost our producer state (or we lost its answer to a previous batch): start a new
          // epoch, as Kafka's producer does, and resend this batch as sequence 0 of it.
          this.producerId = -1;
          this.sequences.length = 0;
          f.sequence = 0;
          this.retry();
        } else this.retry();
        return;
      }
      default:
        return;
    }
  }

  timerName(tag: number): string {
    return ["", "next-send", "request-timeout", "metadata-timeout", "retry-backoff"][tag & 7] ?? "timer";
  }

  onCrash(): void {}
  onRestart(): void {}
}
