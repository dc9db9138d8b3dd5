/**
 * One partition replica on a node: the core's partition state machine over the partition's log. It is
 * the only code that drives the core's partition step, for the broker and the simulator alike. It owns
 * recovery (epoch cache, producer state, high watermark), the produce path (validate the batch, let the
 * core assign offsets, rewrite the base offset and leader epoch in place, append), append completion
 * (at once, from the page cache, or after a group-committed fsync with `durableAppends`), replication
 * messages, the consumer read path (never past the high watermark), long-poll waiters, ListOffsets,
 * DeleteRecords and retention, and wake-ups at the times the core asks for.
 *
 * Every step is acted on in the order the core prescribes: persist, then send, then respond, then arm
 * the wake-up. Storage runs synchronously inside the step (page-cache writes); only fsyncs complete
 * later, as inputs of their own. A storage failure takes this replica offline and is reported to the
 * environment. It must never read a clock, set a timer or open a socket itself: the environment does.
 */
import { invariant, partition } from "@eddy/core";
import {
  decodeRecordBatch,
  ErrorCode,
  RecordBatchError,
  type RecordBatchHeader,
  readBatchHeader,
  rewriteBaseOffset,
  rewritePartitionLeaderEpoch,
  verifyBatchCrc,
} from "@eddy/protocol";
import { FileFault, type PartitionLog, StorageError, toStorageError } from "@eddy/storage";
import { sliceBatches, walkBatches } from "./batch-walk.ts";
import { type BrokerLiveness, ineligibleReplicas } from "./isr-eligibility.ts";
import { readEpochCheckpoint, recoverEpochs, recoverProducers, writeProducerSnapshot } from "./recovery.ts";
import type { ReplicaEnv, ReplicaHooks } from "./replica-env.ts";

type PState = partition.PartitionState;
type PInput = partition.PartitionInput;
type PResult = partition.PartitionStepResult;

/** Consumer long-polls waiting on one replica; beyond this a poll is answered at once instead of parked. */
export const replicaWaitersMax = 10_000;
/** Steps run for one call (an input and the completions it causes); more is a loop, a bug. */
const stepsPerCallMax = 1_000;

export interface ReplicaOptions {
  readonly topic: string;
  readonly partition: number;
  /** The node's broker id. */
  readonly brokerId: number;
  /** Distinguishes this run of the replica from earlier ones (a restart count or broker epoch). */
  readonly incarnation: number;
  /** The core's settings (min.insync.replicas, replica.lag.time.max.ms, ...); unset ones are Kafka's defaults. */
  readonly core?: Partial<Omit<partition.PartitionConfig, "topic" | "partition" | "brokerId">>;
  /** The topic's max.message.bytes: a larger produced batch is refused with MESSAGE_TOO_LARGE. */
  readonly messageBytesMax: number;
  /** Bytes of batches one fetch response to a follower carries (Kafka's replica.fetch.max.bytes). */
  readonly replicaFetchBytesMax: number;
  /**
   * True: an append completes (and acks=1 and acks=all count it) only once fsynced, with concurrent
   * appends sharing one fsync (`flush.messages=1`). False, Kafka's default: it completes once in the
   * page cache, and durability comes from replication.
   */
  readonly durableAppends: boolean;
  /** The high watermark the node's checkpoint held for this partition (0 when none). */
  readonly checkpointedHighWatermark: number;
}

/** The settings of an open replica that follow its topic's configs without a reopen. */
export interface RetuneSettings {
  readonly minInsyncReplicas: number;
  readonly messageBytesMax: number;
  readonly durableAppends: boolean;
}

export interface ProduceOutcome {
  readonly errorCode: number;
  readonly baseOffset: number;
  readonly logStartOffset: number;
  readonly errorMessage: string | null;
  /** The batch was a retry of one already in the log (idempotence): nothing was appended. */
  readonly duplicate: boolean;
}

export interface ReadAnswer {
  readonly errorCode: number;
  readonly records: Uint8Array;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
}

export interface ListOffsetAnswer {
  readonly errorCode: number;
  readonly offset: number;
  readonly timestampMs: number;
  readonly leaderEpoch: number;
}

/** A leadership decision from committed metadata. */
export interface Leadership {
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
  readonly replicas: readonly number[];
}

const empty: Uint8Array = new Uint8Array(0);
/** A follower's repeated fetch errors are logged at most this often. */
const fetchErrorLogIntervalMs = 5_000;

function isStorageFailure(error: unknown): boolean {
  return error instanceof StorageError || error instanceof FileFault;
}

export class PartitionReplica {
  private state: PState;
  /** The time the core asked to be woken at, or +inf. */
  private wakeAtMs = Number.POSITIVE_INFINITY;
  private requestIdNext = 1;
  private readonly answers = new Map<number, (outcome: ProduceOutcome) => void>();
  /** The batch of the produce being stepped, for the `append` it asks for. */
  private producePayload: { requestId: number; bytes: Uint8Array } | null = null;
  /** The batches of the fetch response being stepped, for the `appendReplica` it asks for. */
  private fetchPayload: { fetchId: number; records: Uint8Array } | null = null;
  /** Page-cache mode: the log end after the last write, reported as completed after the step. */
  private writtenEnd = -1;
  private flushInFlight = false;
  private stepDepth = 0;
  private alterRequestId = 0;
  private readonly waiters = new Set<() => void>();
  private offlineReason: string | null = null;
  private closed = false;
  /** The topic's max.message.bytes now: `options` holds it at open, `retune` changes it. */
  private messageBytesMax: number;
  /** Whether appends complete only once fsynced (flush.messages=1) now; `retune` changes it. */
  private durableAppends: boolean;

  private constructor(
    readonly log: PartitionLog,
    readonly options: ReplicaOptions,
    private readonly env: ReplicaEnv,
    private readonly hooks: ReplicaHooks,
    state: PState,
  ) {
    this.state = state;
    this.messageBytesMax = options.messageBytesMax;
    this.durableAppends = options.durableAppends;
  }

  /**
   * Builds the replica over an opened (recovered) log: the leader-epoch checkpoint as read, completed
   * from the batch headers; producer state replayed from the batch headers; the high watermark from
   * the node's checkpoint (the core clamps it to the log). Throws the storage error of a failing disk.
   */
  static open(
    log: PartitionLog,
    options: ReplicaOptions,
    env: ReplicaEnv,
    hooks: ReplicaHooks = {},
  ): PartitionReplica {
    const nowMs = Math.max(0, env.nowMs());
    // With durable appends the core counts its whole recovered log as durable, so what recovery kept
    // (possibly only in the page cache after a process crash) is fsynced before anything is served.
    if (options.durableAppends) log.flushNow();
    const info = log.info();
    const config = partition.makeConfig({
      ...options.core,
      topic: options.topic,
      partition: options.partition,
      brokerId: options.brokerId,
    });
    const epochs = recoverEpochs(
      log,
      readEpochCheckpoint(log, (line) => env.log(line)),
    );
    const producers = recoverProducers(log, nowMs, config.producerIdExpirationMs, config.producerIdsMax);
    const state = partition.initialState(
      config,
      {
        logStartOffset: info.logStartOffset,
        logEndOffset: info.logEndOffset,
        highWatermark: options.checkpointedHighWatermark,
        epochs,
        producers,
      },
      nowMs,
      options.incarnation,
    );
    const replica = new PartitionReplica(log, options, env, hooks, state);
    // A clean close and each roll write the producer state beside the log, so a start replays only
    // the batches after it (none after a clean shutdown).
    log.cleanCloseHook = () => writeProducerSnapshot(log, replica.state.producers);
    log.rollHook = log.cleanCloseHook;
    return replica;
  }

  get topic(): string {
    return this.options.topic;
  }

  get partitionIndex(): number {
    return this.options.partition;
  }

  /** The core's state (read-only; the simulator's checkers and views read it). */
  get coreState(): PState {
    return this.state;
  }

  get highWatermark(): number {
    return this.state.highWatermark;
  }

  get logStartOffset(): number {
    return this.state.logStartOffset;
  }

  get logEndOffset(): number {
    return this.state.logEndOffset;
  }

  get leaderEpoch(): number {
    return this.state.leaderEpoch;
  }

  get isOffline(): boolean {
    return this.offlineReason !== null;
  }

  /** The node's clock, never behind the core's: a clock set back never reaches the core. */
  private nowMs(): number {
    const now = this.env.nowMs();
    return Math.max(now, this.state.nowMs);
  }

  // ------------------------------------------------------------------------------------------------
  // Inputs
  // ------------------------------------------------------------------------------------------------

  /**
   * Applies a topic's changed configs to this open replica at once, as Kafka's partitions read their
   * log's config live: min.insync.replicas through the core (the next produce, and every acks=all
   * produce still waiting, is judged against it), max.message.bytes from the next produce, and the
   * durability of appends from the next append. Turning durable appends on fsyncs what is written so
   * far, so everything acknowledged from then on is on disk; appends waiting for an fsync when they
   * are turned off still complete with it.
   */
  retune(settings: RetuneSettings): void {
    invariant(settings.messageBytesMax >= 0, "retune: max.message.bytes must be >= 0");
    this.messageBytesMax = settings.messageBytesMax;
    const durableBefore = this.durableAppends;
    this.durableAppends = settings.durableAppends;
    if (!this.live()) return;
    if (settings.minInsyncReplicas !== this.state.config.minInsyncReplicas)
      this.stepWith({ type: "configure", minInsyncReplicas: settings.minInsyncReplicas });
    invariant(this.state.config.minInsyncReplicas === settings.minInsyncReplicas, "retune: not applied");
    if (!durableBefore && settings.durableAppends) this.requestFlush();
  }

  /**
   * Applies this partition's part of a committed metadata image: first which of its replicas the image
   * shows fenced or unregistered (so a new leader never proposes them for its ISR; a controlled shutdown
   * fences the stopping broker in the same image that moves its leaderships), then the leadership. Both
   * bindings call this, so the order is written once. `brokers` null leaves the eligibility list as it is
   * (only the simulator's test that shows the stall the list prevents passes null).
   */
  applyPartitionImage(meta: Leadership, brokers: readonly BrokerLiveness[] | null): void {
    if (brokers !== null) this.applyIsrEligibility(ineligibleReplicas(brokers, meta.replicas));
    this.applyLeadership(meta);
  }

  /** Applies the controller's committed decision for this partition, if it is newer than what we know. */
  applyLeadership(meta: Leadership): void {
    if (!this.live() || meta.leader < 0) return;
    const s = this.state;
    const newer =
      s.role === "none" ||
      meta.leaderEpoch > s.leaderEpoch ||
      (meta.leaderEpoch === s.leaderEpoch && meta.partitionEpoch > s.partitionEpoch);
    if (!newer || meta.leaderEpoch < s.leaderEpoch) return;
    if (meta.leader === this.options.brokerId) {
      this.stepWith({
        type: "becomeLeader",
        leaderEpoch: meta.leaderEpoch,
        partitionEpoch: meta.partitionEpoch,
        isr: meta.isr,
        replicas: meta.replicas,
      });
    } else {
      this.stepWith({
        type: "becomeFollower",
        leaderId: meta.leader,
        leaderEpoch: meta.leaderEpoch,
        partitionEpoch: meta.partitionEpoch,
        isr: meta.isr,
        replicas: meta.replicas,
      });
    }
  }

  /**
   * The replicas the controller's metadata shows fenced or shutting down: as leader, this replica does
   * not propose them for the ISR (Kafka's KIP-841). `applyPartitionImage` calls it before the
   * leadership; it steps the core only when the list changed.
   */
  applyIsrEligibility(ineligibleReplicas: readonly number[]): void {
    if (!this.live()) return;
    const known = this.state.ineligibleReplicas;
    if (ineligibleReplicas.length === known.length && ineligibleReplicas.every((id) => known.includes(id)))
      return;
    this.stepWith({ type: "isrEligibility", ineligibleReplicas: [...ineligibleReplicas] });
  }

  /**
   * Produces one partition's records (exactly one v2 batch, as Kafka requires of Produce v3+). The
   * batch is validated here; `answer` is called once, now or when the core answers (acks=all waits
   * for the ISR). The bytes are rewritten in place (base offset, leader epoch) and written to the log
   * before this returns; nothing keeps them after that (the log's hot tail copies what it caches), so
   * the caller may reuse the buffer (the broker's server does, for large produce frames).
   */
  produce(
    records: Uint8Array | null,
    acks: number,
    timeoutMs: number,
    answer: (outcome: ProduceOutcome) => void,
  ): void {
    const checked = this.validateProduce(records);
    if (!("header" in checked)) {
      answer(checked);
      return;
    }
    const bytes = records!;
    const header = checked.header;
    const requestId = this.requestIdNext++;
    this.answers.set(requestId, answer);
    this.producePayload = { requestId, bytes };
    try {
      this.stepWith({
        type: "produce",
        requestId,
        acks,
        timeoutMs,
        batch: {
          recordCount: header.recordsCount,
          sizeBytes: bytes.length,
          maxTimestamp: Number(header.maxTimestamp),
          producerId: Number(header.producerId),
          producerEpoch: header.producerEpoch,
          baseSequence: header.baseSequence,
        },
      });
    } finally {
      this.producePayload = null;
    }
  }

  /** The batch's header when it may be appended, else the answer refusing it. */
  private validateProduce(
    records: Uint8Array | null,
  ): ProduceOutcome | { readonly header: RecordBatchHeader } {
    const fail = (errorCode: number, errorMessage: string): ProduceOutcome => ({
      errorCode,
      baseOffset: -1,
      logStartOffset: -1,
      errorMessage,
      duplicate: false,
    });
    if (this.closed) return fail(ErrorCode.NOT_LEADER_OR_FOLLOWER, "the replica was closed");
    if (this.offlineReason !== null) return fail(ErrorCode.KAFKA_STORAGE_ERROR, this.offlineReason);
    if (records === null || records.length === 0) return fail(ErrorCode.INVALID_RECORD, "no records");
    if (records.length > this.messageBytesMax) {
      return fail(
        ErrorCode.MESSAGE_TOO_LARGE,
        `batch of ${records.length} bytes exceeds the topic's max.message.bytes (${this.messageBytesMax})`,
      );
    }
    let header: ReturnType<typeof readBatchHeader>;
    try {
      header = readBatchHeader(records, 0);
      if (header.batchLength + 12 !== records.length) {
        return fail(ErrorCode.INVALID_RECORD, "a v2 produce request carries exactly one batch per partition");
      }
      verifyBatchCrc(records, 0);
    } catch (error) {
      if (error instanceof RecordBatchError) {
        const code =
          error.reason === "UnsupportedMagic"
            ? ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT
            : ErrorCode.CORRUPT_MESSAGE;
        return fail(code, error.message);
      }
      throw error;
    }
    if (header.isControl) return fail(ErrorCode.INVALID_RECORD, "clients may not produce control batches");
    if (header.recordsCount === 0 || header.lastOffsetDelta !== header.recordsCount - 1) {
      return fail(
        ErrorCode.INVALID_RECORD,
        `lastOffsetDelta ${header.lastOffsetDelta} does not match ${header.recordsCount} records`,
      );
    }
    return { header };
  }

  /**
   * A replication message from another broker, routed by its type: a follower's fetch (this replica
   * leads) or the leader's answer with the batches it carries (this replica follows). Both bindings,
   * the broker's transport and the simulator's network, hand their messages here.
   */
  onPeerMessage(message: partition.PeerMessage, records: Uint8Array): void {
    if (message.type === "fetch") this.onFetchFromFollower(message);
    else if (message.type === "fetchResponse") this.onFetchResponse(message, records);
  }

  /** A follower's fetch reached this (leader) replica. */
  onFetchFromFollower(message: Extract<partition.PeerMessage, { type: "fetch" }>): void {
    if (!this.live()) return;
    this.stepWith({ ...message, type: "fetchFromFollower" });
  }

  /**
   * The leader's answer to this follower's fetch, with the batches it carries. The batch headers are
   * read here, CRC checked, as a Kafka follower checks what it fetched: a corrupt response is dropped
   * (the core fetches again after its timeout) and logged.
   */
  onFetchResponse(
    message: Extract<partition.PeerMessage, { type: "fetchResponse" }>,
    records: Uint8Array,
  ): void {
    if (!this.live()) return;
    const batches: partition.ReplicatedBatch[] = [];
    const problem = walkBatches(records, true, (h) => {
      batches.push({
        baseOffset: h.baseOffset,
        lastOffset: h.lastOffset,
        leaderEpoch: h.partitionLeaderEpoch,
        producerId: h.producerId,
        producerEpoch: h.producerEpoch,
        baseSequence: h.baseSequence,
      });
      return true;
    });
    if (problem !== null) {
      this.env.log(`${this.name()}: dropped a fetch response from ${message.leaderId}: ${problem}`);
      return;
    }
    if (message.errorCode !== ErrorCode.NONE)
      this.logFetchError(message.leaderId, message.errorCode, message.leaderEpoch);
    this.fetchPayload = { fetchId: message.fetchId, records };
    try {
      this.stepWith({ ...message, type: "fetchResponse", batches });
    } finally {
      this.fetchPayload = null;
    }
  }

  /**
   * A follower's fetch answered with an error is retried after a backoff; repeated errors are logged
   * once per `fetchErrorLogIntervalMs`, so a follower stuck behind one shows why.
   */
  private logFetchError(leaderId: number, errorCode: number, leaderEpoch: number): void {
    const now = this.nowMs();
    if (now - this.fetchErrorLoggedMs < fetchErrorLogIntervalMs) return;
    this.fetchErrorLoggedMs = now;
    this.env.log(
      `${this.name()}: fetch from leader ${leaderId} answered error ${errorCode} (its epoch ${leaderEpoch}, ours ${this.state.leaderEpoch}); retrying after a backoff`,
    );
  }

  private fetchErrorLoggedMs = Number.NEGATIVE_INFINITY;

  /** The controller's answer to this replica's AlterPartition; only the answer to the latest request counts. */
  onAlterPartitionResponse(
    requestId: number,
    response: Omit<Extract<PInput, { type: "alterPartitionResponse" }>, "type">,
  ): void {
    if (!this.live() || requestId !== this.alterRequestId) return;
    this.stepWith({ ...response, type: "alterPartitionResponse" });
  }

  /** The wake-up timer fired (possibly early, late or more than once). */
  onWakeTimer(): void {
    if (!this.live() || this.wakeAtMs === Number.POSITIVE_INFINITY) return;
    const now = this.nowMs();
    if (now < this.wakeAtMs) {
      // Fired early (a skewed or coarse clock): wait for the rest.
      this.env.wakeAfter(this, this.wakeAtMs - now);
      return;
    }
    this.wakeAtMs = Number.POSITIVE_INFINITY;
    // A timer delivered late (a paused process) can find the core's clock already at `now`, moved by a
    // step that ran first and armed nothing, since this wake was still pending. `stepWith(null)` would
    // then run no tick and the wake it replaced (a fetch timeout, say) would be lost; tick anyway, so
    // the core's Ready re-arms whatever still waits on time.
    if (this.state.nowMs < now) this.stepWith(null);
    else this.stepWith({ type: "tick", nowMs: this.state.nowMs });
  }

  /** Runs the flush the replica asked for, synchronously (the simulator's disk, after its latency). */
  completeFlushNow(): void {
    if (!this.live()) return;
    let end: number;
    try {
      end = this.log.flushNow();
    } catch (error) {
      this.fail(error);
      return;
    }
    this.flushed(end);
  }

  /** Runs the flush the replica asked for on a real disk; concurrent appends share the fsync. */
  completeFlushAsync(): void {
    if (!this.live()) return;
    this.log.flush().then(
      (end) => {
        if (this.live()) this.flushed(end);
      },
      (error: unknown) => {
        if (this.live()) this.fail(error);
      },
    );
  }

  private flushed(end: number): void {
    this.flushInFlight = false;
    if (end > this.state.logEndOffset)
      this.stepWith({ type: "appendCompleted", logEndOffset: Math.min(end, this.state.nextOffset) });
    // Appends issued while that fsync ran need the next one.
    if (this.live() && this.durableAppends && this.state.nextOffset > this.state.logEndOffset)
      this.requestFlush();
  }

  private requestFlush(): void {
    if (this.flushInFlight) return;
    this.flushInFlight = true;
    this.env.flush(this);
  }

  // ------------------------------------------------------------------------------------------------
  // Stepping the core
  // ------------------------------------------------------------------------------------------------

  private live(): boolean {
    return !this.closed && this.offlineReason === null;
  }

  /** Steps with `input` after a tick to the current time, acts on the outputs, then reports completions. */
  private stepWith(input: PInput | null): void {
    const now = this.nowMs();
    this.stepDepth++;
    try {
      if (this.state.nowMs < now) this.apply(this.coreStep(this.state, { type: "tick", nowMs: now }));
      if (input !== null && this.live()) this.apply(this.coreStep(this.state, input));
    } finally {
      this.stepDepth--;
    }
    // Page-cache writes complete at once, but are reported after the step that issued them, never
    // inside it, so the outputs of one step are always acted on in their documented order.
    for (let n = 0; this.stepDepth === 0 && this.live() && this.writtenEnd > this.state.logEndOffset; n++) {
      invariant(n < stepsPerCallMax, "append completions do not settle");
      const end = Math.min(this.writtenEnd, this.state.nextOffset);
      this.writtenEnd = -1;
      if (end > this.state.logEndOffset) this.stepWith({ type: "appendCompleted", logEndOffset: end });
    }
  }

  private coreStep(state: PState, input: PInput): PResult {
    const hook = this.hooks.step;
    if (hook === undefined) return partition.step(state, input);
    return hook(this, state, input, partition.step);
  }

  private apply(result: PResult): void {
    const before = this.state;
    const after = result.state;
    this.state = after;
    const ready = result.ready;
    // 1. Persist, in order; a failing disk stops the replica before the next operation.
    for (const op of ready.persist) {
      if (!this.live()) return;
      try {
        this.persist(op, before);
      } catch (error) {
        if (!isStorageFailure(error)) throw error;
        this.fail(error);
        return;
      }
    }
    if (!this.live()) return;
    // 2. Send.
    for (const envelope of ready.send) this.send(envelope);
    // 3. Respond.
    for (const response of ready.respond) this.answer(response);
    // 4. Wake-up.
    const wake = ready.wakeAtMs;
    if (wake !== null && wake < this.wakeAtMs) {
      this.wakeAtMs = wake;
      this.env.wakeAfter(this, Math.max(0, wake - after.nowMs));
    }
    this.hooks.stepped?.(this, before, after);
    if (
      after.highWatermark !== before.highWatermark ||
      after.leaderEpoch !== before.leaderEpoch ||
      after.role !== before.role ||
      after.logStartOffset !== before.logStartOffset
    )
      this.wakeWaiters();
  }

  private persist(op: partition.PersistOp, before: PState): void {
    const log = this.log;
    switch (op.type) {
      case "append": {
        const payload = this.producePayload;
        invariant(
          payload !== null && op.requestId === payload.requestId,
          () => `${this.name()}: append of request ${op.requestId} without its batch`,
        );
        rewriteBaseOffset(payload.bytes, BigInt(op.baseOffset));
        rewritePartitionLeaderEpoch(payload.bytes, op.leaderEpoch);
        this.write(payload.bytes, op.baseOffset, op.lastOffset);
        return;
      }
      case "appendReplica": {
        const payload = this.fetchPayload;
        invariant(
          payload !== null && payload.fetchId === op.fetchId,
          () => `${this.name()}: appendReplica without its fetch payload`,
        );
        // One write for the whole fetch response, completing once, as the core expects.
        const bytes = sliceBatches(payload.records, log.info().logEndOffset, op.lastOffset);
        // A truncation inside a batch dropped all of it, so the write may start below `op.baseOffset`.
        this.write(bytes, -1, op.lastOffset);
        return;
      }
      case "truncate": {
        const offset = this.hooks.truncateOffset?.(this, op.offset, before) ?? op.offset;
        this.hooks.truncating?.(this, offset, false, before);
        log.truncateTo(offset);
        if (this.writtenEnd > offset) this.writtenEnd = -1;
        return;
      }
      case "advanceLogStart":
        // The log leaves a start that is already there alone (retention moved it first).
        log.advanceLogStartNow(op.offset);
        return;
      case "truncateFully":
        this.hooks.truncating?.(this, op.offset, true, before);
        log.truncateFullyAndStartAtNow(op.offset, this.state.nowMs);
        this.writtenEnd = -1;
        return;
      case "epochCheckpoint":
        log.writeLeaderEpochsNow(op.entries);
        return;
      case "highWatermark":
        // Kept in memory and checkpointed lazily by the node, as Kafka does.
        this.env.recordHighWatermark(this, op.offset);
        return;
      default: {
        const never: never = op;
        invariant(false, () => `unknown persist op ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Appends whole batches ending at `lastOffset` in one write (starting at `firstOffset` unless it is
   * -1); completion follows the durability mode.
   */
  private write(bytes: Uint8Array, firstOffset: number, lastOffset: number): void {
    const appended = this.log.append(bytes, this.state.nowMs);
    invariant(
      (firstOffset < 0 || appended.firstOffset === firstOffset) && appended.logEndOffset === lastOffset + 1,
      () =>
        `${this.name()}: append landed at ${appended.firstOffset}..${appended.logEndOffset - 1}, wanted ${firstOffset}..${lastOffset}`,
    );
    if (this.hooks.appended !== undefined && !this.hooks.appended(this, appended, bytes)) return;
    if (this.durableAppends) {
      this.requestFlush();
      return;
    }
    this.writtenEnd = appended.logEndOffset;
    // Kafka's flush.messages and flush.ms still apply; the ack does not wait for them.
    if (this.log.flushDue(this.state.nowMs)) this.requestFlush();
  }

  private send(envelope: partition.Envelope): void {
    const m = envelope.message;
    if (envelope.to === "controller") {
      invariant(m.type === "alterPartition", "only AlterPartition goes to the controller");
      this.alterRequestId++;
      this.env.sendAlterPartition(this, this.alterRequestId, m);
      return;
    }
    let records: Uint8Array = empty;
    if (m.type === "fetchResponse" && m.readToOffset > m.readFromOffset)
      records = this.readForFollower(m.readFromOffset, m.readToOffset);
    this.env.sendPeer(this, envelope.to, m, records);
  }

  /** Whole batches from `from`, ending before `to`, at most `replicaFetchBytesMax` bytes (at least one batch). */
  private readForFollower(from: number, to: number): Uint8Array {
    if (from < this.state.logStartOffset) return empty;
    return this.log.read({
      fetchOffset: from,
      maxBytes: this.options.replicaFetchBytesMax,
      maxOffsetExclusive: to,
      minOneBatch: true,
    }).records;
  }

  private answer(response: partition.ProduceResponse): void {
    this.hooks.produceAnswered?.(this, response);
    const answer = this.answers.get(response.requestId);
    this.answers.delete(response.requestId);
    answer?.({
      errorCode: response.errorCode,
      baseOffset: response.errorCode === ErrorCode.NONE ? response.baseOffset : -1,
      logStartOffset: response.logStartOffset,
      errorMessage: null,
      duplicate: response.duplicate,
    });
  }

  /** Storage failed: the replica goes offline, answers its waiting produces and tells the environment. */
  private fail(error: unknown): void {
    if (!isStorageFailure(error)) throw error;
    const failure = toStorageError(error, this.name());
    if (this.offlineReason !== null) return;
    this.offlineReason = failure.message;
    this.answerAll(ErrorCode.KAFKA_STORAGE_ERROR, failure.message);
    this.wakeWaiters();
    this.env.storageFailed(this, failure);
  }

  private answerAll(errorCode: number, errorMessage: string): void {
    const answers = [...this.answers.values()];
    this.answers.clear();
    for (const answer of answers)
      answer({ errorCode, baseOffset: -1, logStartOffset: -1, errorMessage, duplicate: false });
  }

  /**
   * Stops the replica (its topic was deleted, the node shuts down or crashed): waiting produces are
   * answered with `errorCode` and parked reads are woken. Later inputs and completions are ignored.
   */
  close(errorCode: number = ErrorCode.NOT_LEADER_OR_FOLLOWER): void {
    if (this.closed) return;
    this.closed = true;
    this.answerAll(errorCode, `${this.name()} is closed`);
    this.wakeWaiters();
  }

  // ------------------------------------------------------------------------------------------------
  // Queries and admin
  // ------------------------------------------------------------------------------------------------

  /**
   * Reads whole batches for a consumer from `fetchOffset`, never at or above the high watermark nor
   * at or above `readToOffsetMax`. The error code is the core's (NOT_LEADER_OR_FOLLOWER,
   * OFFSET_OUT_OF_RANGE, ...), or OFFSET_NOT_AVAILABLE while a new leader has not yet committed an
   * offset of its own epoch: its high watermark may still lag the old leader's, and exposing it would
   * let the visible high watermark go backwards (Kafka answers the same).
   */
  read(
    fetchOffset: number,
    maxBytes: number,
    currentLeaderEpoch: number,
    minOneBatch = true,
    readToOffsetMax = Number.POSITIVE_INFINITY,
  ): ReadAnswer {
    const s = this.state;
    const bounds = partition.consumerReadBounds(s, { fetchOffset, currentLeaderEpoch });
    const base = {
      highWatermark: bounds.highWatermark,
      lastStableOffset: bounds.lastStableOffset,
      logStartOffset: bounds.logStartOffset,
    };
    if (this.closed) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, records: empty };
    if (this.offlineReason !== null)
      return { ...base, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: empty };
    if (bounds.errorCode !== ErrorCode.NONE) return { ...base, errorCode: bounds.errorCode, records: empty };
    if (s.highWatermark < s.leaderEpochStartOffset && this.hooks.exposeHwBelowEpochStart?.() !== true)
      return { ...base, errorCode: ErrorCode.OFFSET_NOT_AVAILABLE, records: empty };
    this.hooks.consumerRead?.(this, bounds.highWatermark);
    const to = Math.min(bounds.readToOffset, readToOffsetMax);
    if (to <= fetchOffset || (maxBytes <= 0 && !minOneBatch))
      return { ...base, errorCode: ErrorCode.NONE, records: empty };
    try {
      const result = this.log.read({ fetchOffset, maxBytes, maxOffsetExclusive: to, minOneBatch });
      return { ...base, errorCode: ErrorCode.NONE, records: result.records };
    } catch (error) {
      if (error instanceof StorageError && error.reason._tag === "NotFound")
        return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: empty };
      this.fail(error);
      return { ...base, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: empty };
    }
  }

  /**
   * Parks a consumer long-poll: `wake` is called once when the high watermark, leader epoch, role or
   * log start moves, or the replica closes or fails. Returns a cancel function, or null when too many
   * polls wait already (the caller answers at once).
   */
  waitForChange(wake: () => void): (() => void) | null {
    if (!this.live() || this.waiters.size >= replicaWaitersMax) return null;
    const once = (): void => {
      this.waiters.delete(once);
      wake();
    };
    this.waiters.add(once);
    return () => {
      this.waiters.delete(once);
    };
  }

  private wakeWaiters(): void {
    if (this.waiters.size === 0) return;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  /** ListOffsets: earliest (-2), latest (-1), or the first offset with a timestamp at or after `timestampMs`. */
  listOffset(timestampMs: number, currentLeaderEpoch: number): ListOffsetAnswer {
    if (timestampMs < 0) {
      // Earliest (-2) and latest (-1) are the core's to answer; other negative values get its INVALID_REQUEST.
      const answer = partition.listOffsets(this.state, { timestamp: timestampMs, currentLeaderEpoch });
      return { ...answer, timestampMs: -1 };
    }
    const check = partition.listOffsets(this.state, { timestamp: -2, currentLeaderEpoch });
    if (check.errorCode !== ErrorCode.NONE) return { ...check, timestampMs: -1 };
    let match: ReturnType<PartitionLog["offsetForTimestamp"]>;
    try {
      match = this.log.offsetForTimestamp(timestampMs);
    } catch (error) {
      this.fail(error);
      return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, offset: -1, timestampMs: -1, leaderEpoch: -1 };
    }
    if (match === null || match.baseOffset >= this.state.highWatermark)
      return { errorCode: ErrorCode.NONE, offset: -1, timestampMs: -1, leaderEpoch: -1 };
    // The time index points at the batch; the exact record is found by scanning that batch's records.
    const read = this.read(match.baseOffset, 1, currentLeaderEpoch);
    let offset = match.baseOffset;
    let found = match.maxTimestampMs;
    if (read.records.length > 0) {
      const header = readBatchHeader(read.records, 0);
      const batch = decodeRecordBatch(read.records.subarray(0, header.batchLength + 12));
      for (const record of batch.records) {
        const ts = Number(batch.header.baseTimestamp) + record.timestampDelta;
        if (ts >= timestampMs) {
          offset = Number(batch.header.baseOffset) + record.offsetDelta;
          found = ts;
          break;
        }
      }
    }
    return { errorCode: ErrorCode.NONE, offset, timestampMs: found, leaderEpoch: this.state.leaderEpoch };
  }

  /** DeleteRecords: raises the log start offset to `offset` (-1 means the high watermark). */
  deleteRecords(offset: number): { errorCode: number; lowWatermark: number } {
    if (!this.live()) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, lowWatermark: -1 };
    if (this.state.role !== "leader")
      return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 };
    const target = offset === -1 ? this.state.highWatermark : offset;
    if (target < 0 || target > this.state.highWatermark)
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
    if (target <= this.state.logStartOffset)
      return { errorCode: ErrorCode.NONE, lowWatermark: this.state.logStartOffset };
    // The core decides (never past the high watermark) and asks storage to delete below it.
    this.stepWith({ type: "advanceLogStart", offset: target });
    if (!this.live()) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, lowWatermark: -1 };
    return { errorCode: ErrorCode.NONE, lowWatermark: this.state.logStartOffset };
  }

  /** Applies retention by time and size, never past the high watermark; returns the segments deleted. */
  applyRetention(): number {
    if (!this.live()) return 0;
    let deleted: number;
    let logStartOffset: number;
    try {
      const result = this.log.applyRetention({ nowMs: this.nowMs(), offsetLimit: this.state.highWatermark });
      deleted = result.deletedSegmentCount;
      logStartOffset = result.logStartOffset;
    } catch (error) {
      this.fail(error);
      return 0;
    }
    // Retention deleted whole segments itself; the core learns the new log start as an input.
    if (logStartOffset > this.state.logStartOffset)
      this.stepWith({ type: "advanceLogStart", offset: logStartOffset });
    return deleted;
  }

  private name(): string {
    return `${this.options.topic}-${this.options.partition}`;
  }
}
