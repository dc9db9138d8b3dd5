/**
 * One partition replica's storage on a simulated broker: the real segmented log of @eddy/storage
 * (`PartitionLog`) over the broker's `MemoryDisk`, opened through the broker's log directory
 * (`broker-log-dir.ts`, the node's `LogDir`) and driven synchronously inside simulator events through
 * the log's `...Now` methods. The disk's fault hooks are the simulator's disk
 * faults: a failed write or fsync is the disk's `failNextWrite` / `failNextSync`, a crash is the disk's
 * `crash` (unsynced bytes lost, or a torn tail kept), and recovery is the engine's own recovery at the
 * next open. Records carry the workload's values as decimal text, so `bun run dump-log` style tools and
 * the teaching view can read a simulated log like a real one.
 *
 * It owns the mapping between the workload's values and record-batch bytes, and the read-only view of
 * a replica's log the checkers use. It must never write a log: the shared node's `PartitionReplica`
 * drives every write, flush and truncation the core asks for.
 */
import { invariant } from "@eddy/core";
import { walkBatches } from "@eddy/node";
import { decodeRecordBatch, encodeRecordBatch, type StoredBatchHeader } from "@eddy/protocol";
import { type LogConfig, logConfigMake, type PartitionLog } from "@eddy/storage";

/** The topic every simulated partition belongs to. */
export const simTopic = "t";
/** The broker's data directory on its memory disk. */
export const simDataDir = "/data";
/** Bytes one read returns at most: a fetch response or one step of a scan. */
export const replicaReadBytesMax = 16 * 1024;
/** Decoded batches a replica remembers for the checkers; the memory is cleared when full. */
export const decodedBatchesMax = 4096;
/** Reads one scan of a replica's log may take (a run's logs are far smaller than this bound). */
export const replicaScanReadsMax = 100_000;

/**
 * Small segments and a dense index, so that a run of a few simulated seconds rolls segments and
 * writes index entries: the simulated logs exercise the engine the way months of traffic would.
 */
export const simLogConfig = logConfigMake({
  segmentBytesMax: 8 * 1024,
  indexIntervalBytes: 256,
  indexBytesMax: 4096,
});

/**
 * The log settings of a run's topic: `simLogConfig`, with the workload's retention when it sets one
 * (the storage engine's own retention by time and size then deletes whole segments).
 */
export function simLogConfigFor(retention: { retentionMs?: number; retentionBytesMax?: number }): LogConfig {
  if (retention.retentionMs === undefined && retention.retentionBytesMax === undefined) return simLogConfig;
  return logConfigMake({
    ...simLogConfig,
    retentionMs: retention.retentionMs ?? -1,
    retentionBytesMax: retention.retentionBytesMax ?? -1,
  });
}

/** The producer fields of one batch, as the idempotent producer sent them (-1 when not idempotent). */
export interface ProducerFields {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** One batch's header fields, in numbers, as the core's replication and producer state need them. */
export interface BatchSummary extends ProducerFields {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly leaderEpoch: number;
  readonly recordCount: number;
}

const encoder = new TextEncoder();

/** Encodes the workload's values as one record batch at `baseOffset`, as a producer and leader would. */
export function encodeValues(
  values: readonly number[],
  baseOffset: number,
  leaderEpoch: number,
  producer: ProducerFields,
  timestampMs: number,
): Uint8Array {
  return encodeRecordBatch({
    baseOffset: BigInt(baseOffset),
    partitionLeaderEpoch: leaderEpoch,
    baseTimestamp: BigInt(timestampMs),
    producerId: BigInt(producer.producerId),
    producerEpoch: producer.producerEpoch,
    baseSequence: producer.baseSequence,
    records: values.map((v) => ({ value: encoder.encode(String(v)) })),
  });
}

/** Parses a value written by `encodeValues` (non-negative decimal text); -1 for anything else. */
function parseValue(bytes: Uint8Array | null): number {
  if (bytes === null || bytes.length === 0 || bytes.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const digit = bytes[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
}

/** Walks the batches of bytes the engine or this module checked; a bad batch is a bug here. */
function walkChecked(
  records: Uint8Array,
  checkCrc: boolean,
  visit: (header: StoredBatchHeader) => boolean,
): void {
  const problem = walkBatches(records, checkCrc, visit);
  invariant(problem === null, () => `replica log: ${problem}`);
}

/** The headers of every whole batch in `records` (CRC checked, as a follower checks what it fetched). */
export function batchSummaries(records: Uint8Array): BatchSummary[] {
  const out: BatchSummary[] = [];
  walkChecked(records, true, (h) => {
    out.push({
      baseOffset: h.baseOffset,
      lastOffset: h.lastOffset,
      leaderEpoch: h.partitionLeaderEpoch,
      recordCount: h.recordCount,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
    });
    return true;
  });
  return out;
}

/**
 * A read-only view of one replica's log for the simulator's checkers and its consumer answers: the
 * workload's values by offset, read back through the engine. It must never write: the shared node's
 * replica owns the log.
 */
export class ReplicaStore {
  private readonly decoded = new Map<number, { readonly crc: number; readonly values: readonly number[] }>();

  constructor(readonly log: PartitionLog) {}

  /** First offset held. */
  get start(): number {
    return this.log.info().logStartOffset;
  }

  /** End of the written log (some of it may not be durable yet). */
  get end(): number {
    return this.log.info().logEndOffset;
  }

  /** End of what the last completed fsync made durable. */
  get durableEnd(): number {
    return this.log.info().flushedOffset;
  }

  /**
   * Values at [from, to), one per offset (-1 for an offset not held), read back through the engine.
   * Consumers check CRCs as Kafka's do; the checkers, which only observe, may skip it (`verifyCrc`),
   * since each batch was encoded here and every follower checks the CRC of what it fetches.
   */
  values(from: number, to: number, verifyCrc = true): number[] {
    const out: number[] = [];
    let next = from;
    const start = this.start;
    while (next < to && next < start) {
      out.push(-1);
      next++;
    }
    const end = Math.min(to, this.end);
    for (let reads = 0; next < end; reads++) {
      invariant(reads < replicaScanReadsMax, "replica read does not end");
      const result = this.log.read({ fetchOffset: next, maxBytes: replicaReadBytesMax, minOneBatch: true });
      if (result.batchCount === 0) break;
      next = this.collect(result.records, next, end, verifyCrc, out);
      next = Math.max(next, result.nextOffset);
    }
    while (out.length < to - from) out.push(-1);
    return out;
  }

  /**
   * The values of `records` (whole batches, as a consumer fetch returns them) at offsets from `from`,
   * at most `countMax`, one per offset (-1 for an offset not held).
   */
  valuesOf(records: Uint8Array, from: number, countMax: number): number[] {
    const out: number[] = [];
    this.collect(records, from, from + countMax, true, out);
    return out;
  }

  /** Pushes the values of the batches of `records` at offsets [next, end) onto `out`; returns the next offset. */
  private collect(records: Uint8Array, next: number, end: number, verifyCrc: boolean, out: number[]): number {
    walkChecked(records, verifyCrc, (h) => {
      if (h.baseOffset >= end) return false;
      const values = this.decode(records, h);
      for (let offset = Math.max(next, h.baseOffset); offset <= h.lastOffset && offset < end; offset++) {
        while (next < offset) {
          out.push(-1);
          next++;
        }
        out.push(values[offset - h.baseOffset] ?? -1);
        next++;
      }
      return true;
    });
    return next;
  }

  /**
   * Decoded values of one batch, by offset delta. The checkers read the same batches again and again,
   * so decodes are remembered by (base offset, stored CRC): a batch rewritten at that offset with other
   * records has another CRC and is decoded afresh. The bytes are still read through the engine each time.
   */
  private decode(records: Uint8Array, h: StoredBatchHeader): readonly number[] {
    const hit = this.decoded.get(h.baseOffset);
    if (hit !== undefined && hit.crc === h.crc && hit.values.length === h.lastOffset - h.baseOffset + 1)
      return hit.values;
    const batch = decodeRecordBatch(records.subarray(h.position, h.position + h.sizeBytes), {
      verifyCrc: false,
    });
    const values = new Array<number>(h.lastOffset - h.baseOffset + 1).fill(-1);
    for (const record of batch.records) values[record.offsetDelta] = parseValue(record.value);
    if (this.decoded.size >= decodedBatchesMax) this.decoded.clear();
    this.decoded.set(h.baseOffset, { crc: h.crc, values });
    return values;
  }
}
