/**
 * `bun run perf produce`: sends `--records` records of `--record-size` bytes to a topic as fast as the
 * broker takes them, or at `--throughput` records/s, the way `kafka-producer-perf-test` does. Records
 * fill one partition's batch at a time (Kafka's sticky partitioner) up to `--batch-size` bytes or
 * `--linger-ms`; one batch is one Produce request, and each request's latency is measured from the
 * moment its bytes go to the socket to its acknowledgement. Owns the send loop, the throttle and the
 * in-flight bound. Must never have more than `--max-in-flight` unacknowledged requests per broker, nor
 * (with acks=0) hand the socket a request before it took the previous one.
 */
import { ApiKey, errorCodeName } from "@eddy/protocol";
import { BatchBuilder, type TimestampRun } from "./batch-builder.ts";
import type { ProduceOptions } from "./cli.ts";
import { ApiVersion, Cluster, type PartitionLeader } from "./cluster.ts";
import { LoopLag } from "./loop-lag.ts";
import { type FinalFigures, finalFigures, RunStats, WarmupSplit } from "./report.ts";

/** Bytes a 100-byte-ish record adds around its value (length, attributes, deltas, key, headers). */
const recordOverheadBytes = 10;
/** The batch header of a v2 record batch. */
const batchHeaderBytes = 61;
/** Error messages kept for the end of the run; the rest are only counted. */
const errorMessagesMax = 5;

/** Kafka's perf test fills values with random uppercase letters; so does this one, once. */
function payloadOf(recordBytes: number): Uint8Array {
  const payload = new Uint8Array(recordBytes);
  for (let i = 0; i < recordBytes; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  return payload;
}

/** Records the batch of a given size may hold, from Kafka's batch.size in bytes. */
export function recordsPerBatchOf(batchBytes: number, recordBytes: number): number {
  return Math.max(1, Math.floor((batchBytes - batchHeaderBytes) / (recordBytes + recordOverheadBytes)));
}

export async function runProduce(
  options: ProduceOptions,
  print: (line: string) => void,
): Promise<FinalFigures> {
  const cluster = await Cluster.connect(options.bootstrapHost, options.bootstrapPort, options.timeoutMs);
  try {
    const leaders = await cluster.partitionLeaders(options.topic, options.partitionsCount);
    return await produceTo(options, leaders, print);
  } finally {
    cluster.close();
  }
}

async function produceTo(
  options: ProduceOptions,
  leaders: readonly PartitionLeader[],
  print: (line: string) => void,
): Promise<FinalFigures> {
  const batches = new BatchBuilder(payloadOf(options.recordBytes));
  const recordsPerBatch = recordsPerBatchOf(options.batchBytes, options.recordBytes);
  const stats = new RunStats();
  // A request counts in the steady state when its first record is past the warm-up: latency is per request.
  const warmup = new WarmupSplit(options.warmupRecords);
  const errorMessages: string[] = [];
  let errorsCount = 0;
  let failure: Error | null = null;
  /** Resolves the one waiter for an in-flight slot or for the last acknowledgement. */
  let wake: (() => void) | null = null;
  const wakeUp = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };

  const cpuStart = process.cpuUsage();
  const loopLag = new LoopLag();
  const startMs = performance.now();
  const progress = setInterval(
    () => print(stats.takeProgressLine("sent", "latency")),
    options.reportingIntervalMs,
  );
  const rate = options.throughputRecordsPerSecond;
  /** When record `index` may be handed to the producer under the throttle (ms, performance clock). */
  const dueMs = (index: number): number => (rate < 0 ? 0 : startMs + (index * 1000) / rate);
  /** How many records are due by `nowMs`. */
  const dueCount = (nowMs: number): number =>
    rate < 0
      ? options.recordsCount
      : Math.min(options.recordsCount, Math.floor(((nowMs - startMs) * rate) / 1000) + 1);

  let handed = 0;
  let partitionCursor = 0;
  /** Produce requests sent: under a throttle with linger 0 they are smaller than batch.size allows. */
  let requestsCount = 0;
  try {
    while (handed < options.recordsCount) {
      if (failure !== null) throw failure;
      const leader = leaders[partitionCursor % leaders.length]!;
      partitionCursor++;
      const connection = leader.connection;
      if (options.acks === 0) {
        await connection.drained();
      } else {
        while (connection.inFlight >= options.inFlightMax && failure === null) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
        if (failure !== null) throw failure;
      }

      // Fill the batch: take what the throttle allows, and wait (at most linger-ms once the batch has a
      // record) for more until it is full or the run's records are all in.
      const runs: TimestampRun[] = [];
      let batchCount = 0;
      let batchOpenedMs = -1;
      let baseTimestampMs = 0;
      while (true) {
        const nowMs = performance.now();
        const take = Math.min(recordsPerBatch - batchCount, dueCount(nowMs) - handed - batchCount);
        if (take > 0) {
          const wallMs = Date.now();
          if (batchCount === 0) {
            batchOpenedMs = nowMs;
            baseTimestampMs = wallMs;
          }
          const delta = wallMs - baseTimestampMs;
          const last = runs[runs.length - 1];
          // Records taken in the same millisecond share a run; a run per take bounds runs by the batch size.
          if (last !== undefined && last.timestampDelta === delta) last.count += take;
          else runs.push({ timestampDelta: delta, count: take });
          batchCount += take;
        }
        const full = batchCount === recordsPerBatch || handed + batchCount === options.recordsCount;
        if (full) break;
        const lingerEndMs = batchOpenedMs + options.lingerMs;
        if (batchCount > 0 && nowMs >= lingerEndMs) break;
        const nextDueMs = dueMs(handed + batchCount);
        const untilMs = batchCount === 0 ? nextDueMs : Math.min(nextDueMs, lingerEndMs);
        // At least a millisecond: shorter sleeps under a throttle spin the CPU for one record at a time.
        await Bun.sleep(Math.max(1, untilMs - performance.now()));
      }

      const count = batchCount;
      requestsCount++;
      const steady = warmup.isSteady(handed) ? warmup.steady() : null;
      handed += count;
      const batch = batches.build(baseTimestampMs, runs);
      const body = {
        transactionalId: null,
        acks: options.acks,
        timeoutMs: options.timeoutMs,
        topicData: [{ name: options.topic, partitionData: [{ index: leader.partition, records: batch }] }],
      };
      const bytes = count * options.recordBytes;
      if (options.acks === 0) {
        connection.sendOneWay(ApiKey.Produce, ApiVersion.produce, body);
        stats.countDone(count, bytes);
        steady?.countDone(count, bytes);
        continue;
      }
      let sentMs = 0;
      connection
        .request(ApiKey.Produce, ApiVersion.produce, body, (ms) => {
          sentMs = ms;
        })
        .then(
          (response) => {
            const latencyUs = (performance.now() - sentMs) * 1000;
            const result = response.responses[0]?.partitionResponses[0];
            const code = result?.errorCode ?? -1;
            if (code !== 0) {
              errorsCount += count;
              if (errorMessages.length < errorMessagesMax) {
                errorMessages.push(
                  `partition ${leader.partition}: ${errorCodeName(code)}${result?.errorMessage ? ` (${result.errorMessage})` : ""}`,
                );
              }
            } else {
              stats.countDone(count, bytes);
              stats.recordLatency(latencyUs);
              steady?.countDone(count, bytes);
              steady?.recordLatency(latencyUs);
            }
            wakeUp();
          },
          (error: Error) => {
            failure ??= error;
            wakeUp();
          },
        );
    }
    // The last acknowledgements: wait until no connection has a request in flight.
    const connections = [...new Set(leaders.map((l) => l.connection))];
    for (const connection of connections) {
      if (options.acks === 0) await connection.drained();
      while (connection.inFlight > 0 && failure === null) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    }
    if (failure !== null) throw failure;
  } finally {
    clearInterval(progress);
    loopLag.stop();
  }
  const endMs = performance.now();
  const seconds = (endMs - startMs) / 1000;
  for (const message of errorMessages) print(`error: ${message}`);
  return finalFigures(
    "produce",
    stats,
    seconds,
    cpuStart,
    "request",
    errorsCount,
    {
      acks: options.acks,
      recordsPerBatch,
      requests: requestsCount,
      recordsPerRequest: Math.round((10 * handed) / Math.max(1, requestsCount)) / 10,
      ...loopLag.stop(),
    },
    warmup.figures("produce", endMs, "request"),
  );
}
