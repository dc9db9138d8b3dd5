/**
 * One partition replica on this node: the core's partition state machine plus its log in storage.
 * Owns the produce path (validate the batch, let the core assign offsets, rewrite the base offset in
 * place without re-encoding, append, report completion), the consumer read path (bounded by the
 * high watermark), long-poll wake-ups, ListOffsets, DeleteRecords and retention for this partition.
 *
 * Every core step runs inside this partition's serial queue, and the shell acts on each Ready in the
 * order the core prescribes: persist, then send, then respond. A storage failure takes only this
 * partition offline (KAFKA_STORAGE_ERROR), never the broker.
 */
import { invariant, partition, producer } from "@eddy/core";
import {
  decodeRecordBatch,
  ErrorCode,
  iterateBatches,
  RecordBatchError,
  readBatchHeader,
  rewriteBaseOffset,
  rewritePartitionLeaderEpoch,
  verifyBatchCrc,
} from "@eddy/protocol";
import { type LogConfig, StorageError, type TopicPartition } from "@eddy/storage-memory";
import { SerialQueue } from "./serial.ts";
import type { Storage } from "./storage.ts";

export interface ProduceOutcome {
  readonly errorCode: number;
  readonly baseOffset: number;
  readonly logStartOffset: number;
  readonly errorMessage: string | null;
}

export interface PartitionShellOptions {
  readonly nodeId: number;
  readonly minInsyncReplicas: number;
  readonly replicaLagMsMax: number;
  /** The topic's max.message.bytes (the broker's message.max.bytes when the topic does not set it). */
  readonly messageBytesMax: number;
  readonly producerIdExpirationMs: number;
  /** The topic's own log settings (retention.ms, segment.bytes, ...) over the broker's. */
  readonly logConfig?: Partial<LogConfig>;
  readonly log: (line: string) => void;
}

/** Bytes per read while rebuilding producer state at start-up, and a bound on the reads. */
const rebuildReadBytes = 8 << 20;
const rebuildReadsMax = 1_000_000;
/** The core's default bound on producers remembered per partition. */
const producerIdsMaxDefault = partition.partitionConfigDefaults.producerIdsMax;

/** Fetch waiters per partition; a long poll beyond this is answered at once instead of parked. */
const waitersMax = 10_000;

export class PartitionShell {
  private state: partition.PartitionState;
  private readonly queue: SerialQueue;
  private nextRequestId = 1;
  private readonly answers = new Map<number, (response: partition.ProduceResponse) => void>();
  private readonly waiters = new Set<() => void>();
  /** Set when storage failed: the partition answers KAFKA_STORAGE_ERROR until the broker restarts. */
  private offlineReason: string | null = null;

  private constructor(
    readonly tp: TopicPartition,
    private readonly storage: Storage,
    private readonly options: PartitionShellOptions,
    state: partition.PartitionState,
  ) {
    this.state = state;
    this.queue = new SerialQueue(`${tp.topic}-${tp.partition}`, 100_000);
  }

  static async open(
    tp: TopicPartition,
    storage: Storage,
    options: PartitionShellOptions,
  ): Promise<PartitionShell> {
    const info = await storage.run(storage.logs.openPartition(tp, options.logConfig));
    const epochs = await storage.run(storage.logs.readLeaderEpochs(tp));
    const nowMs = Date.now();
    const producers = await PartitionShell.rebuildProducers(tp, storage, info, options, nowMs);
    const state = partition.initialState(
      {
        topic: tp.topic,
        partition: tp.partition,
        brokerId: options.nodeId,
        minInsyncReplicas: options.minInsyncReplicas,
        replicaLagTimeMaxMs: options.replicaLagMsMax,
        producerIdExpirationMs: options.producerIdExpirationMs,
      },
      {
        logStartOffset: info.logStartOffset,
        logEndOffset: info.logEndOffset,
        // A single node is the whole ISR, so everything in its own log is committed. Cluster mode
        // must read Kafka's replication-offset-checkpoint here instead.
        highWatermark: info.logEndOffset,
        // As read: the core drops the entries at or past the log end and writes the cache back.
        epochs,
        producers,
      },
      nowMs,
    );
    return new PartitionShell(tp, storage, options, state);
  }

  /**
   * Rebuilds idempotent-producer state from the log's batch headers, as Kafka does at start-up, so a
   * producer retrying across a broker restart is still deduplicated and its sequence gaps still
   * caught. Only segments with records newer than `producer.id.expiration.ms` are read: older
   * producers would have expired anyway, which bounds the start-up scan.
   */
  private static async rebuildProducers(
    tp: TopicPartition,
    storage: Storage,
    info: { logStartOffset: number; logEndOffset: number },
    options: PartitionShellOptions,
    nowMs: number,
  ): Promise<producer.PartitionProducers> {
    let producers = producer.emptyPartitionProducers();
    const horizonMs = nowMs - options.producerIdExpirationMs;
    const segments = await storage.run(storage.logs.segments(tp));
    const first = segments.find((s) => s.maxTimestampMs >= horizonMs || s.active);
    if (first === undefined) return producers;
    let offset = Math.max(first.baseOffset, info.logStartOffset);
    for (let guard = 0; offset < info.logEndOffset && guard < rebuildReadsMax; guard++) {
      const read = await storage.run(
        storage.logs.read(tp, { fetchOffset: offset, maxBytes: rebuildReadBytes }),
      );
      if (read.batchCount === 0) break;
      for (const { header } of iterateBatches(read.records, { verifyCrc: false })) {
        if (header.producerId < 0n || header.isControl || header.recordsCount === 0) continue;
        const firstOffset = Number(header.baseOffset);
        producers = producer.recordBatch(
          producers,
          {
            producerId: Number(header.producerId),
            producerEpoch: header.producerEpoch,
            baseSequence: header.baseSequence,
            recordCount: header.recordsCount,
          },
          firstOffset,
          firstOffset + header.lastOffsetDelta,
          Number(header.maxTimestamp),
          producerIdsMaxDefault,
        );
      }
      offset = read.nextOffset;
    }
    return producers;
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

  /** Applies the controller's decision for this partition. */
  applyLeadership(p: {
    leader: number;
    leaderEpoch: number;
    partitionEpoch: number;
    isr: readonly number[];
    replicas: readonly number[];
  }): Promise<void> {
    return this.queue.run(async () => {
      if (p.leader === this.options.nodeId) {
        if (
          this.state.role === "leader" &&
          this.state.leaderEpoch === p.leaderEpoch &&
          this.state.partitionEpoch === p.partitionEpoch
        )
          return;
        await this.step({
          type: "becomeLeader",
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          isr: p.isr,
          replicas: p.replicas,
        });
      } else if (p.leader >= 0) {
        await this.step({
          type: "becomeFollower",
          leaderId: p.leader,
          leaderEpoch: p.leaderEpoch,
          partitionEpoch: p.partitionEpoch,
          isr: p.isr,
          replicas: p.replicas,
        });
      }
    });
  }

  /** Produces one partition's records (exactly one v2 batch, as Kafka requires of Produce v3+). */
  async produce(records: Uint8Array | null, acks: number, timeoutMs: number): Promise<ProduceOutcome> {
    const fail = (errorCode: number, errorMessage: string): ProduceOutcome => ({
      errorCode,
      baseOffset: -1,
      logStartOffset: -1,
      errorMessage,
    });
    if (this.offlineReason !== null) return fail(ErrorCode.KAFKA_STORAGE_ERROR, this.offlineReason);
    if (records === null || records.length === 0) return fail(ErrorCode.INVALID_RECORD, "no records");
    if (records.length > this.options.messageBytesMax) {
      return fail(
        ErrorCode.MESSAGE_TOO_LARGE,
        `batch of ${records.length} bytes exceeds the topic's max.message.bytes (${this.options.messageBytesMax})`,
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
    const requestId = this.nextRequestId++;
    const answer = new Promise<partition.ProduceResponse>((resolve) => this.answers.set(requestId, resolve));
    try {
      await this.queue.run(() =>
        this.step(
          {
            type: "produce",
            requestId,
            acks,
            timeoutMs,
            batch: {
              recordCount: header.recordsCount,
              sizeBytes: records.length,
              maxTimestamp: Number(header.maxTimestamp),
              producerId: Number(header.producerId),
              producerEpoch: header.producerEpoch,
              baseSequence: header.baseSequence,
            },
          },
          new Map([[requestId, records]]),
        ),
      );
    } catch (error) {
      // A full queue or a failed step never answers this request; its waiter must not stay behind.
      this.answers.delete(requestId);
      throw error;
    }
    const response = await answer;
    return {
      errorCode: response.errorCode,
      baseOffset: response.errorCode === ErrorCode.NONE ? response.baseOffset : -1,
      logStartOffset: response.logStartOffset,
      errorMessage: null,
    };
  }

  /** Advances logical time (acks timeouts, ISR checks, producer expiry). */
  tick(nowMs: number): Promise<void> {
    return this.queue.run(() => this.step({ type: "tick", nowMs }));
  }

  /**
   * Reads whole batches for a consumer from `fetchOffset`, never at or above the high watermark.
   * Returns the error code the core decides (NOT_LEADER_OR_FOLLOWER, OFFSET_OUT_OF_RANGE, ...).
   */
  async read(
    fetchOffset: number,
    maxBytes: number,
    currentLeaderEpoch: number,
    minOneBatch = true,
  ): Promise<{
    errorCode: number;
    records: Uint8Array;
    highWatermark: number;
    lastStableOffset: number;
    logStartOffset: number;
  }> {
    const bounds = partition.consumerReadBounds(this.state, { fetchOffset, currentLeaderEpoch });
    const empty = new Uint8Array(0);
    const base = {
      highWatermark: bounds.highWatermark,
      lastStableOffset: bounds.lastStableOffset,
      logStartOffset: bounds.logStartOffset,
    };
    if (this.offlineReason !== null)
      return { ...base, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: empty };
    if (
      bounds.errorCode !== ErrorCode.NONE ||
      bounds.readToOffset <= fetchOffset ||
      (maxBytes <= 0 && !minOneBatch)
    ) {
      return { ...base, errorCode: bounds.errorCode, records: empty };
    }
    try {
      const result = await this.storage.run(
        this.storage.logs.read(this.tp, {
          fetchOffset,
          maxBytes,
          maxOffsetExclusive: bounds.readToOffset,
          minOneBatch,
        }),
      );
      return { ...base, errorCode: ErrorCode.NONE, records: result.records };
    } catch (error) {
      if (error instanceof StorageError && error.reason._tag === "NotFound") {
        return { ...base, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: empty };
      }
      this.goOffline(error);
      return { ...base, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, records: empty };
    }
  }

  /** ListOffsets: earliest (-2), latest (-1), or the first offset with a timestamp at or after `timestampMs`. */
  async listOffset(
    timestampMs: number,
    currentLeaderEpoch: number,
  ): Promise<{ errorCode: number; offset: number; timestampMs: number; leaderEpoch: number }> {
    if (timestampMs < 0) {
      // Earliest (-2) and latest (-1) are the core's to answer; other negative values (MAX_TIMESTAMP,
      // -3, arrives with ListOffsets v7, which is not served) get the core's INVALID_REQUEST.
      const answer = partition.listOffsets(this.state, { timestamp: timestampMs, currentLeaderEpoch });
      return { ...answer, timestampMs: -1 };
    }
    const check = partition.listOffsets(this.state, { timestamp: -2, currentLeaderEpoch });
    if (check.errorCode !== ErrorCode.NONE) return { ...check, timestampMs: -1 };
    const match = await this.storage.run(this.storage.logs.offsetForTimestamp(this.tp, timestampMs));
    if (match === null || match.baseOffset >= this.state.highWatermark) {
      return { errorCode: ErrorCode.NONE, offset: -1, timestampMs: -1, leaderEpoch: -1 };
    }
    // The time index points at the batch; the exact record is found by scanning that batch's records.
    const read = await this.read(match.baseOffset, 1, currentLeaderEpoch);
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
  deleteRecords(offset: number): Promise<{ errorCode: number; lowWatermark: number }> {
    return this.queue.run(async () => {
      if (this.state.role !== "leader")
        return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, lowWatermark: -1 };
      const target = offset === -1 ? this.state.highWatermark : offset;
      if (target < 0 || target > this.state.highWatermark)
        return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1 };
      if (target <= this.state.logStartOffset)
        return { errorCode: ErrorCode.NONE, lowWatermark: this.state.logStartOffset };
      // The core decides (never past the high watermark) and asks storage to delete below it.
      await this.step({ type: "advanceLogStart", offset: target });
      return { errorCode: ErrorCode.NONE, lowWatermark: this.state.logStartOffset };
    });
  }

  /** Applies retention by time and size, never past the high watermark. */
  applyRetention(nowMs: number): Promise<number> {
    return this.queue.run(async () => {
      if (this.offlineReason !== null) return 0;
      const result = await this.storage.run(
        this.storage.logs.applyRetention(this.tp, { nowMs, offsetLimit: this.state.highWatermark }),
      );
      // Retention deleted whole segments itself; the core learns the new log start as an input.
      if (result.logStartOffset > this.state.logStartOffset) {
        await this.step({ type: "advanceLogStart", offset: result.logStartOffset });
      }
      return result.deletedSegmentCount;
    });
  }

  /** Durably flushes the log (shutdown). */
  flush(): Promise<void> {
    return this.queue.run(async () => {
      if (this.offlineReason === null) await this.storage.run(this.storage.logs.flush(this.tp));
    });
  }

  /** Resolves when the high watermark moves past `offset`, or after `waitMs`. */
  waitForData(offset: number, waitMs: number): Promise<void> {
    if (this.state.highWatermark > offset || waitMs <= 0 || this.waiters.size >= waitersMax)
      return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, waitMs);
      this.waiters.add(wake);
    });
  }

  /** Wakes every parked fetch (the high watermark moved, or the partition changed). */
  wakeFetchers(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private goOffline(error: unknown): void {
    if (this.offlineReason !== null) return;
    this.offlineReason = error instanceof Error ? error.message : String(error);
    this.options.log(`partition ${this.tp.topic}-${this.tp.partition} is offline: ${this.offlineReason}`);
    for (const [requestId, resolve] of this.answers) {
      resolve({
        requestId,
        errorCode: ErrorCode.KAFKA_STORAGE_ERROR,
        baseOffset: -1,
        logStartOffset: -1,
        duplicate: false,
        acks: 1,
      });
    }
    this.answers.clear();
  }

  /** One core step and its Ready, in order: persist, then send, then respond. */
  private async step(input: partition.PartitionInput, batches?: Map<number, Uint8Array>): Promise<void> {
    const hwBefore = this.state.highWatermark;
    const { state, ready } = partition.step(this.state, input);
    this.state = state;
    let completedEnd: number | null = null;
    for (const op of ready.persist) {
      if (this.offlineReason !== null) break;
      try {
        switch (op.type) {
          case "append": {
            const bytes = op.requestId === null ? undefined : batches?.get(op.requestId);
            invariant(bytes !== undefined, "partition shell: append without its batch");
            rewriteBaseOffset(bytes, BigInt(op.baseOffset));
            rewritePartitionLeaderEpoch(bytes, op.leaderEpoch);
            const appended = await this.storage.run(this.storage.logs.append(this.tp, bytes, Date.now()));
            invariant(
              appended.firstOffset === op.baseOffset,
              "partition shell: storage placed the batch elsewhere",
            );
            completedEnd = appended.logEndOffset;
            break;
          }
          case "truncate":
            await this.storage.run(this.storage.logs.truncateTo(this.tp, op.offset));
            break;
          case "epochCheckpoint":
            await this.storage.run(this.storage.logs.writeLeaderEpochs(this.tp, op.entries));
            break;
          case "advanceLogStart":
            // The store leaves a log that already starts there alone (retention moved it first).
            await this.storage.run(this.storage.logs.advanceLogStart(this.tp, op.offset));
            break;
          case "truncateFully":
            await this.storage.run(this.storage.logs.truncateFullyAndStartAt(this.tp, op.offset));
            break;
          case "highWatermark":
            // A single node recovers its high watermark from its own log end (see open()).
            break;
          case "appendReplica":
            invariant(false, "partition shell: replica fetching needs cluster mode");
        }
      } catch (error) {
        if (error instanceof StorageError) {
          // Going offline answers every waiting produce, this append's included, with KAFKA_STORAGE_ERROR.
          this.goOffline(error);
          break;
        }
        throw error;
      }
    }
    // Send: a single node has no followers; cluster mode hands `ready.send` to the transport here.
    for (const response of ready.respond) {
      this.answers.get(response.requestId)?.(response);
      this.answers.delete(response.requestId);
    }
    if (completedEnd !== null) await this.step({ type: "appendCompleted", logEndOffset: completedEnd });
    if (this.state.highWatermark !== hwBefore) this.wakeFetchers();
  }
}
