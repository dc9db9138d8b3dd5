/**
 * `bun run perf consume`: reads `--records` records of a topic, the way `kafka-consumer-perf-test`
 * does, and measures each record's end-to-end latency from its produce timestamp (CreateTime) to the
 * moment it is delivered: its fetch response decoded and checked and the next fetch sent, as Kafka's
 * consumer sends its next fetches before poll() returns records. Owns the fetch loop (one fetch in
 * flight per leader, every assigned partition of that leader in it), offsets and the stop condition.
 * Must never count a record twice or past `--records`, nor wait longer than `--timeout-ms` without a
 * record.
 */
import { GroupMember, KafkaConnection } from "@eddy/client";
import { ApiKey, ErrorCode, errorCodeName, iterateBatches, type RecordBatchSlice } from "@eddy/protocol";
import type { ConsumeOptions } from "./cli.ts";
import { ApiVersion, Cluster, type PartitionLeader, PerfError } from "./cluster.ts";
import { LoopLag } from "./loop-lag.ts";
import { walkRecords } from "./record-walk.ts";
import { type FinalFigures, finalFigures, RunStats, WarmupSplit } from "./report.ts";

/** Bytes one partition may contribute to one fetch response (Kafka's max.partition.fetch.bytes). */
const partitionFetchBytesMax = 1024 * 1024;
const earliestTimestamp = -2n;
const latestTimestamp = -1n;
/**
 * The group settings of a perf consumer: heartbeats every 3 s within Kafka's default 10 s session,
 * and a bounded join (a perf run measures steady consumption, so it never rejoins on its own).
 */
const groupOptions = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 3_000, joinAttemptsMax: 10 };

interface PartitionCursor {
  readonly partition: number;
  readonly connection: KafkaConnection;
  /** The first offset not yet counted; what a group commits at the end. */
  nextOffset: bigint;
  /** Where the next fetch reads: past every batch received, counted or not yet. */
  fetchOffset: bigint;
}

/** One partition's validated batches of a fetch response, waiting to be counted. */
interface Received {
  readonly cursor: PartitionCursor;
  readonly slices: RecordBatchSlice[];
}

export async function runConsume(
  options: ConsumeOptions,
  print: (line: string) => void,
): Promise<FinalFigures> {
  const cluster = await Cluster.connect(options.bootstrapHost, options.bootstrapPort, options.timeoutMs);
  let coordinator: KafkaConnection | null = null;
  let member: GroupMember | null = null;
  try {
    const leaders = await cluster.partitionLeaders(options.topic, null);
    const joinStartMs = performance.now();
    let assigned: readonly PartitionLeader[] = leaders;
    const committed = new Map<number, bigint>();
    if (options.group !== null) {
      coordinator = await openCoordinator(cluster.bootstrap, options.group, options.timeoutMs);
      member = await GroupMember.join(
        coordinator,
        options.group,
        options.topic,
        leaders.length,
        groupOptions,
      );
      const mine = new Set(member.partitions);
      assigned = leaders.filter((l) => mine.has(l.partition));
      for (const [partition, offset] of await member.committedOffsets())
        committed.set(partition, BigInt(offset));
    }
    const rebalanceMs = performance.now() - joinStartMs;
    if (assigned.length === 0)
      throw new PerfError(`group ${options.group} assigned this consumer no partition`);
    const cursors = await startOffsets(options, assigned, committed);
    const figures = await consumeFrom(options, cursors, print, rebalanceMs);
    if (member !== null) {
      const next = new Map(cursors.map((c) => [c.partition, Number(c.nextOffset)]));
      const problem = await commitAndLeave(member, next);
      member = null;
      if (problem !== null) print(`warning: ${problem}`);
    }
    return figures;
  } finally {
    member?.stopHeartbeats();
    coordinator?.close();
    cluster.close();
  }
}

/** A connection to the group's coordinator (FindCoordinator through the bootstrap broker). */
async function openCoordinator(
  bootstrap: KafkaConnection,
  groupId: string,
  timeoutMs: number,
): Promise<KafkaConnection> {
  const found = await bootstrap.request(ApiKey.FindCoordinator, ApiVersion.findCoordinator, {
    key: groupId,
    keyType: 0,
  });
  if (found.errorCode !== ErrorCode.NONE)
    throw new PerfError(`no coordinator for group ${groupId}: ${errorCodeName(found.errorCode)}`);
  // A join may wait a whole session for the other members, so the connection waits that long too.
  return await KafkaConnection.open(
    found.host,
    found.port,
    timeoutMs + groupOptions.sessionTimeoutMs,
    "eddy-perf",
  );
}

/**
 * Commits the next offsets to read, then leaves the group; returns the first problem, or null. A
 * rebalance or a lost membership during the run is a problem: perf does not rejoin.
 */
async function commitAndLeave(
  member: GroupMember,
  next: ReadonlyMap<number, number>,
): Promise<string | null> {
  member.stopHeartbeats();
  let problem =
    member.lostReason ?? (member.rebalancing ? `group ${member.groupId} rebalanced during the run` : null);
  try {
    if (!(await member.commit(next)))
      problem ??= `group ${member.groupId} rebalanced; the commit was refused`;
    await member.leave();
  } catch (error) {
    problem ??= (error as Error).message;
  }
  return problem;
}

/** Committed offsets where the group has them, else the log's start (or end with --from-latest). */
async function startOffsets(
  options: ConsumeOptions,
  assigned: readonly PartitionLeader[],
  committed: ReadonlyMap<number, bigint>,
): Promise<PartitionCursor[]> {
  const cursors: PartitionCursor[] = [];
  for (const leader of assigned) {
    let offset = committed.get(leader.partition) ?? -1n;
    if (offset < 0n) {
      const listed = await leader.connection.request(ApiKey.ListOffsets, ApiVersion.listOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: options.topic,
            partitions: [
              {
                partitionIndex: leader.partition,
                currentLeaderEpoch: -1,
                timestamp: options.fromLatest ? latestTimestamp : earliestTimestamp,
              },
            ],
          },
        ],
      });
      const p = listed.topics[0]?.partitions[0];
      if (p === undefined || p.errorCode !== ErrorCode.NONE) {
        throw new PerfError(
          `cannot list offsets of ${options.topic}-${leader.partition}: ${errorCodeName(p?.errorCode ?? -1)}`,
        );
      }
      offset = p.offset;
    }
    cursors.push({
      partition: leader.partition,
      connection: leader.connection,
      nextOffset: offset,
      fetchOffset: offset,
    });
  }
  return cursors;
}

/** The fetch loops over `cursors` until `--records` are counted; exported for the order test. */
export async function consumeFrom(
  options: ConsumeOptions,
  cursors: readonly PartitionCursor[],
  print: (line: string) => void,
  rebalanceMs: number,
): Promise<FinalFigures> {
  const stats = new RunStats();
  const warmup = new WarmupSplit(options.warmupRecords);
  const cpuStart = process.cpuUsage();
  const loopLag = new LoopLag();
  const startMs = performance.now();
  let lastRecordMs = startMs;
  let fetches = 0;
  const progress = setInterval(
    () => print(stats.takeProgressLine("consumed", "end-to-end latency")),
    options.reportingIntervalMs,
  );
  const byConnection = new Map<KafkaConnection, PartitionCursor[]>();
  for (const c of cursors) byConnection.set(c.connection, [...(byConnection.get(c.connection) ?? []), c]);
  const done = (): boolean => stats.recordsCount >= options.recordsCount;
  const timedOut = (): boolean => performance.now() - lastRecordMs > options.timeoutMs;

  /**
   * One leader's loop, one fetch in flight at a time, in the order Kafka's consumer works: a response's
   * batches are checked (framing and CRC, as `check.crcs` does) and its partitions' fetch offsets
   * advanced, the next fetch is sent, and only then are the records handed on (here: their latencies
   * counted), so the next fetch waits at the broker while this one's records are processed rather
   * than after. A record is delivered when its response has been checked and the next fetch sent.
   */
  const fetchLoop = async (connection: KafkaConnection, mine: PartitionCursor[]): Promise<void> => {
    // A map, so a response of many partitions finds each cursor in constant time.
    const cursorOf = new Map(mine.map((c) => [c.partition, c]));
    const fetchNext = () =>
      connection.request(ApiKey.Fetch, ApiVersion.fetch, {
        replicaId: -1,
        maxWaitMs: Math.min(options.fetchWaitMsMax, options.timeoutMs),
        minBytes: 1,
        maxBytes: options.fetchBytesMax,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [
          {
            topic: options.topic,
            partitions: mine.map((c) => ({
              partition: c.partition,
              currentLeaderEpoch: -1,
              fetchOffset: c.fetchOffset,
              logStartOffset: -1n,
              partitionMaxBytes: partitionFetchBytesMax,
            })),
          },
        ],
      });
    let inFlight = fetchNext();
    try {
      while (!done() && !timedOut()) {
        const response = await inFlight;
        fetches++;
        if (response.errorCode !== ErrorCode.NONE) {
          throw new PerfError(`fetch from ${connection.address}: ${errorCodeName(response.errorCode)}`);
        }
        const received: Received[] = [];
        for (const topic of response.responses) {
          for (const p of topic.partitions) {
            const cursor = cursorOf.get(p.partitionIndex);
            if (cursor === undefined) continue;
            if (p.errorCode !== ErrorCode.NONE) {
              throw new PerfError(
                `fetch of ${options.topic}-${p.partitionIndex}: ${errorCodeName(p.errorCode)}`,
              );
            }
            if (p.records === null || p.records.length === 0) continue;
            received.push({ cursor, slices: checkBatches(p.records, cursor) });
          }
        }
        inFlight = fetchNext();
        // One wall-clock reading per response: every record in it was delivered at the same moment.
        const deliveredMs = performance.timeOrigin + performance.now();
        for (const { cursor, slices } of received) countRecords(slices, cursor, deliveredMs);
        // Nothing reads this response again: its socket reads go back now rather than at a full
        // collection, which would stall the next deliveries (up to 8 ms a pause at 1.5 M records/s).
        connection.release(response);
      }
    } finally {
      // The fetch sent after the last counted response is not waited for: the run is over, and the
      // connection's close settles it.
      inFlight.catch(() => {});
    }
  };

  /**
   * The whole batches of one partition's fetched bytes (a trailing partial batch is left for the next
   * fetch), each checked; moves the partition's fetch offset past them.
   */
  const checkBatches = (records: Uint8Array, cursor: PartitionCursor): RecordBatchSlice[] => {
    const slices: RecordBatchSlice[] = [];
    for (const slice of iterateBatches(records, { partialTrailing: "stop" })) {
      const header = slice.header;
      const batchEnd = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      if (batchEnd <= cursor.fetchOffset) continue;
      cursor.fetchOffset = batchEnd;
      slices.push(slice);
    }
    return slices;
  };

  /** Counts the records of checked batches at or after the cursor, up to --records. */
  const countRecords = (
    slices: readonly RecordBatchSlice[],
    cursor: PartitionCursor,
    deliveredMs: number,
  ): void => {
    for (const slice of slices) {
      const header = slice.header;
      const batchEnd = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      if (batchEnd <= cursor.nextOffset) continue;
      if (header.isControl) {
        cursor.nextOffset = batchEnd;
        continue;
      }
      const baseTimestampMs = Number(header.baseTimestamp);
      const firstDelta = Number(cursor.nextOffset - header.baseOffset);
      const wanted = options.recordsCount - stats.recordsCount;
      const counted = walkRecords(slice.bytes, header, firstDelta, wanted, (run) => {
        const latencyMs = deliveredMs - (baseTimestampMs + run.timestampDelta);
        const steadyCount = warmup.steadyCountOf(stats.recordsCount, run.count);
        stats.recordLatency(latencyMs * 1000, run.count);
        stats.countDone(run.count, run.bytes);
        if (steadyCount > 0) {
          const steady = warmup.steady();
          steady.recordLatency(latencyMs * 1000, steadyCount);
          steady.countDone(steadyCount, Math.round((run.bytes * steadyCount) / run.count));
        }
        cursor.nextOffset = header.baseOffset + BigInt(run.lastOffsetDelta) + 1n;
      });
      if (done()) {
        if (counted > 0) lastRecordMs = performance.now();
        return;
      }
      lastRecordMs = performance.now();
      cursor.nextOffset = batchEnd;
    }
  };

  try {
    await Promise.all([...byConnection].map(([connection, mine]) => fetchLoop(connection, mine)));
  } finally {
    clearInterval(progress);
    loopLag.stop();
  }
  const endMs = performance.now();
  const seconds = (endMs - startMs) / 1000;
  if (!done()) {
    print(
      `warning: only ${stats.recordsCount} of ${options.recordsCount} records arrived; none for ${options.timeoutMs} ms`,
    );
  }
  return finalFigures(
    "consume",
    stats,
    seconds,
    cpuStart,
    "end-to-end",
    done() ? 0 : options.recordsCount - stats.recordsCount,
    { fetches, rebalanceMs: Math.round(rebalanceMs), ...loopLag.stop() },
    warmup.figures("consume", endMs, "end-to-end"),
  );
}
