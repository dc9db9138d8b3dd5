/**
 * One partition replica's storage on a simulated broker: the real segmented log of
 * @eddy/storage-memory (`PartitionLog`) over the broker's `MemoryDisk`, driven synchronously inside
 * simulator events through the log's `...Now` methods. The disk's fault hooks are the simulator's disk
 * faults: a failed write or fsync is the disk's `failNextWrite` / `failNextSync`, a crash is the disk's
 * `crash` (unsynced bytes lost, or a torn tail kept), and recovery is the engine's own recovery at the
 * next open. Records carry the workload's values as decimal text, so `bun run dump-log` style tools and
 * the teaching view can read a simulated log like a real one.
 *
 * It owns the mapping between the core's view (offsets, epochs, producer fields) and record-batch
 * bytes, and the durable end (what the last completed fsync covered). It must never decide anything:
 * when to write, flush or truncate is the core's call, relayed by the broker node.
 */
import { invariant } from "@eddy/core";
import { decodeRecordBatch, encodeRecordBatch } from "@eddy/protocol";
import {
  type AppendResult,
  type BatchHeader,
  checkBatch,
  type LeaderEpochEntry,
  logConfigMake,
  type MemoryDisk,
  PartitionLog,
} from "@eddy/storage-memory";

/** The topic every simulated partition belongs to. */
export const simTopic = "t";
/** The broker's data directory on its memory disk. */
export const simDataDir = "/data";
/** Bytes of recent batches each replica keeps in memory for reads (the engine's hot tail). */
export const replicaTailBytesMax = 256 * 1024;
/** Bytes one read returns at most: a fetch response or one step of a scan. */
export const replicaReadBytesMax = 16 * 1024;
/** Batches one read returns at most (a read is at most `replicaReadBytesMax` bytes of 61-byte headers and more). */
export const batchesPerReadMax = replicaReadBytesMax;
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
const decoder = new TextDecoder();

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

/**
 * Walks the whole batches of `records` with storage's header check, until `visit` returns false; a bad
 * batch is a bug here.
 */
function walkBatches(records: Uint8Array, checkCrc: boolean, visit: (header: BatchHeader) => boolean): void {
  let position = 0;
  for (let n = 0; position < records.length; n++) {
    invariant(n < batchesPerReadMax, "too many batches in one read");
    const check = checkBatch(records, position, records.length, checkCrc);
    invariant(check._tag === "Batch", () => `bad batch at byte ${position}: ${JSON.stringify(check)}`);
    if (!visit(check.header)) return;
    position += check.header.sizeBytes;
  }
}

/** The headers of every whole batch in `records` (CRC checked, as a follower checks what it fetched). */
export function batchSummaries(records: Uint8Array): BatchSummary[] {
  const out: BatchSummary[] = [];
  walkBatches(records, true, (h) => {
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

/** The byte range of `records` holding the batches that start in [from, to]. */
export function sliceBatches(records: Uint8Array, from: number, to: number): Uint8Array {
  let start = -1;
  let end = -1;
  // Only called on bytes whose CRCs `batchSummaries` has just checked.
  walkBatches(records, false, (h) => {
    if (h.baseOffset > to) return false;
    if (h.baseOffset < from) return true;
    if (start < 0) start = h.position;
    end = h.position + h.sizeBytes;
    return true;
  });
  return start < 0 ? new Uint8Array(0) : records.subarray(start, end);
}

export class ReplicaStore {
  /** First offset held. */
  start: number;
  /** End of the written log (some of it may not be durable yet). */
  end: number;
  /** End of what the last completed fsync made durable. */
  durableEnd: number;
  /** Writes issued whose completion event has not fired yet. */
  completionsPending = 0;
  private readonly decoded = new Map<number, { readonly crc: number; readonly values: readonly number[] }>();

  private constructor(readonly log: PartitionLog) {
    const info = log.info();
    this.start = info.logStartOffset;
    this.end = info.logEndOffset;
    // Whatever recovery found on the disk survived a crash, so it is durable by definition.
    this.durableEnd = info.logEndOffset;
  }

  /** Opens (and recovers) partition `partition`'s log on `disk`; throws StorageError when the disk fails. */
  static open(
    disk: MemoryDisk,
    partition: number,
    nowMs: number,
    logLine: (line: string) => void,
  ): ReplicaStore {
    const log = PartitionLog.open({
      files: disk,
      dir: `${simDataDir}/${simTopic}-${partition}`,
      name: `${simTopic}-${partition}`,
      config: simLogConfig,
      tailCacheBytesMax: replicaTailBytesMax,
      logLine,
      nowMs,
    });
    return new ReplicaStore(log);
  }

  /** Appends whole batches (one write); durable only after `complete`. */
  append(records: Uint8Array, nowMs: number): AppendResult {
    const result = this.log.append(records, nowMs);
    this.end = result.logEndOffset;
    return result;
  }

  /** Completes one issued write: one fsync covering everything appended so far (group commit). */
  complete(): number {
    invariant(this.completionsPending > 0, "no write in flight");
    this.completionsPending--;
    this.durableEnd = this.log.flushNow();
    return this.durableEnd;
  }

  /** Removes every batch at or above `offset`. */
  truncate(offset: number): void {
    const info = this.log.truncateTo(offset);
    this.end = info.logEndOffset;
    this.durableEnd = Math.min(this.durableEnd, this.end);
  }

  /** Records below `offset` may go (DeleteRecords); the checkpoint is durable before it returns. */
  advanceStart(offset: number): void {
    this.start = this.log.advanceLogStartNow(offset).logStartOffset;
  }

  /** Drops every record and restarts the empty log at `offset` (Kafka's truncateFullyAndStartAt). */
  truncateFullyAt(offset: number, nowMs: number): void {
    const info = this.log.truncateFullyAndStartAtNow(offset, nowMs);
    this.start = info.logStartOffset;
    this.end = info.logEndOffset;
    this.durableEnd = info.logEndOffset;
    this.completionsPending = 0;
  }

  readEpochs(): ReadonlyArray<LeaderEpochEntry> {
    return this.log.readLeaderEpochs();
  }

  writeEpochs(entries: ReadonlyArray<LeaderEpochEntry>): void {
    this.log.writeLeaderEpochsNow(entries);
  }

  /** Whole batches from `from`, ending before `to` and the durable end, at most `replicaReadBytesMax` bytes. */
  read(from: number, to: number): Uint8Array {
    const limit = Math.min(to, this.durableEnd);
    if (from >= limit || from < this.start) return new Uint8Array(0);
    return this.log.read({
      fetchOffset: from,
      maxBytes: replicaReadBytesMax,
      maxOffsetExclusive: limit,
      minOneBatch: true,
    }).records;
  }

  /** Summaries of every batch held, from the log start (producer state is rebuilt from these). */
  scanBatches(): BatchSummary[] {
    const out: BatchSummary[] = [];
    let next = this.start;
    for (let reads = 0; next < this.end; reads++) {
      invariant(reads < replicaScanReadsMax, "replica scan does not end");
      const result = this.log.read({ fetchOffset: next, maxBytes: replicaReadBytesMax, minOneBatch: true });
      if (result.batchCount === 0) break;
      out.push(...batchSummaries(result.records));
      next = result.nextOffset;
    }
    return out;
  }

  /**
   * Values at [from, to), one per offset (-1 for an offset not held), read back through the engine.
   * Consumers check CRCs as Kafka's do; the checkers, which only observe, may skip it (`verifyCrc`),
   * since each batch was encoded here and every follower checks the CRC of what it fetches.
   */
  values(from: number, to: number, verifyCrc = true): number[] {
    const out: number[] = [];
    let next = from;
    while (next < to && next < this.start) {
      out.push(-1);
      next++;
    }
    const end = Math.min(to, this.end);
    for (let reads = 0; next < end; reads++) {
      invariant(reads < replicaScanReadsMax, "replica read does not end");
      const result = this.log.read({ fetchOffset: next, maxBytes: replicaReadBytesMax, minOneBatch: true });
      if (result.batchCount === 0) break;
      // A read returns up to `replicaReadBytesMax` of batches; those at or past `end` are not looked at.
      walkBatches(result.records, verifyCrc, (h) => {
        if (h.baseOffset >= end) return false;
        const values = this.decode(result.records, h);
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
      next = Math.max(next, result.nextOffset);
    }
    while (out.length < to - from) out.push(-1);
    return out;
  }

  /**
   * Decoded values of one batch, by offset delta. The checkers read the same batches again and again,
   * so decodes are remembered by (base offset, stored CRC): a batch rewritten at that offset with other
   * records has another CRC and is decoded afresh. The bytes are still read through the engine each time.
   */
  private decode(records: Uint8Array, h: BatchHeader): readonly number[] {
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

const hwCheckpointPath = `${simDataDir}/replication-offset-checkpoint`;

/** Writes Kafka's `replication-offset-checkpoint` (version 0, count, `topic partition offset` lines). */
export function writeHwCheckpoint(disk: MemoryDisk, highWatermarks: readonly number[]): void {
  const lines = highWatermarks.map((hw, p) => `${simTopic} ${p} ${hw}\n`).join("");
  disk.writeAtomicNow(hwCheckpointPath, encoder.encode(`0\n${highWatermarks.length}\n${lines}`));
}

/** Reads the HW checkpoint; a partition it does not name starts from 0. */
export function readHwCheckpoint(disk: MemoryDisk, partitions: number): number[] {
  const out = new Array<number>(partitions).fill(0);
  const bytes = disk.readAll(hwCheckpointPath);
  if (bytes === null) return out;
  const lines = decoder.decode(bytes).trim().split("\n");
  invariant(lines[0] === "0", () => `unknown HW checkpoint version ${lines[0]}`);
  for (const line of lines.slice(2)) {
    const [topic, partition, offset] = line.split(" ");
    const p = Number(partition);
    if (topic === simTopic && p >= 0 && p < partitions) out[p] = Number(offset);
  }
  return out;
}
