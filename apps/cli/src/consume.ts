/**
 * `eddy consume TOPIC`: records to stdout as `kafka-console-consumer.sh` and `kcat -C` print them,
 * one line each (the value, a `-f` format, or with `--output json` one JSON object per line). Owns
 * where each partition starts (the beginning, the end, an offset, a time, or a group's committed
 * offsets), the fetch loop over the partitions' leaders, and when to stop (`--max-messages`,
 * `--exit-at-end`, SIGINT or SIGTERM). In a group it commits what it printed every few seconds and
 * when it stops, then leaves the group. Must never print a record twice within a run, nor skip one:
 * positions only move past records printed, control batches and gaps a batch covers.
 */

import { GroupMember } from "@eddy/client";
import { ApiKey, decodeRecordBatches, ErrorCode, errorCodeName } from "@eddy/protocol";
import { type Admin, ApiVersion, KafkaError, unknownTopic } from "./admin.ts";
import type { StartAt } from "./args.ts";
import type { ConsumedRecord } from "./format.ts";
import { Progress } from "./progress.ts";

export interface ConsumeOptions {
  readonly topic: string;
  /** Null: every partition (or, in a group, those the group gives this member). */
  readonly partitions: readonly number[] | null;
  readonly start: StartAt;
  readonly group: string | null;
  /** Null: until stopped. */
  readonly messagesMax: number | null;
  readonly exitAtEnd: boolean;
  /** How one record is printed, newline included. */
  readonly render: (record: ConsumedRecord) => string;
}

/** How long one fetch waits for records at the broker. */
const fetchWaitMs = 500;
const fetchBytesMax = 4 * 1024 * 1024;
const partitionFetchBytesMax = 1024 * 1024;
/** A group member commits what it printed this often, as Kafka's auto-commit does (5 s). */
const commitIntervalMs = 5_000;

export async function consume(admin: Admin, options: ConsumeOptions): Promise<{ records: number }> {
  const topic = options.topic;
  let leaders = await partitionLeaders(admin, topic);
  for (const p of options.partitions ?? []) {
    if (!leaders.has(p)) {
      throw new KafkaError(
        `topic '${topic}' has no partition ${p} (it has ${leaders.size}); 'eddy topics describe ${topic}' shows them`,
      );
    }
  }
  let stopped = false;
  const stop = (): void => {
    stopped = true;
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const member =
    options.group === null
      ? null
      : await GroupMember.join(
          (await admin.coordinator(options.group)).connection,
          options.group,
          topic,
          leaders.size,
        );
  const progress = new Progress(`consumed from ${topic}`);
  let positions = new Map<number, number>();
  let printed = 0;
  let lastCommitMs = Date.now();
  /** Where each partition starts: the group's committed offset, else where `--from-beginning` and the rest say. */
  const startPositions = async (partitions: readonly number[]): Promise<Map<number, number>> => {
    const wanted = partitions.map((partition) => ({ topic, partition, leader: leaders.get(partition)! }));
    const bounds = await admin.logOffsets(wanted);
    const committed = member === null ? new Map<number, number>() : await member.committedOffsets();
    const byTime =
      options.start.from === "timestamp"
        ? await admin.offsetsForTime(wanted, options.start.timestampMs)
        : null;
    const result = new Map<number, number>();
    for (const partition of partitions) {
      const bound = bounds.get(`${topic}\0${partition}`);
      if (bound === undefined || bound.start === null || bound.end === null) {
        throw new KafkaError(`cannot read the log offsets of ${topic}-${partition}; try again in a moment`);
      }
      const { start: first, end } = bound;
      const own = committed.get(partition);
      const s = options.start;
      result.set(
        partition,
        own !== undefined
          ? own
          : s.from === "beginning"
            ? first
            : s.from === "end"
              ? end
              : s.from === "offset"
                ? Math.min(end, Math.max(first, s.offset < 0 ? end + s.offset : s.offset))
                : (byTime?.get(`${topic}\0${partition}`) ?? end),
      );
    }
    return result;
  };
  const commit = async (): Promise<void> => {
    if (member === null) return;
    await member.commit(positions);
    lastCommitMs = Date.now();
  };

  try {
    const owned = member?.partitions ?? options.partitions ?? [...leaders.keys()].sort((a, b) => a - b);
    positions = await startPositions(owned);
    const ends = new Map<number, number>();
    while (!stopped && (options.messagesMax === null || printed < options.messagesMax)) {
      if (member !== null) {
        if (member.lostReason !== null) throw new KafkaError(`lost the group: ${member.lostReason}`);
        if (member.rebalancing) {
          await commit();
          await member.rejoin();
          // A partition this member keeps goes on from where it is, even if the commit above was
          // refused (a rebalance already completing): what this run printed is not printed again.
          const before = positions;
          positions = await startPositions(member.partitions);
          for (const [partition, at] of before) {
            if (positions.has(partition) && at > positions.get(partition)!) positions.set(partition, at);
          }
          ends.clear();
        } else if (Date.now() - lastCommitMs >= commitIntervalMs) {
          await commit();
        }
      }
      if (options.exitAtEnd && [...positions].every(([p, at]) => ends.has(p) && at >= ends.get(p)!)) break;
      if (positions.size === 0) {
        // A member given no partitions waits for the next rebalance.
        await Bun.sleep(fetchWaitMs);
        continue;
      }
      const byLeader = new Map<number, number[]>();
      let leaderless = false;
      for (const partition of positions.keys()) {
        const leader = leaders.get(partition) ?? -1;
        if (leader < 0) leaderless = true;
        else byLeader.set(leader, [...(byLeader.get(leader) ?? []), partition]);
      }
      const responses = await Promise.all(
        [...byLeader].map(async ([leader, partitions]) => {
          const connection = await admin.connectionTo(leader);
          return connection.request(ApiKey.Fetch, ApiVersion.fetch, {
            replicaId: -1,
            maxWaitMs: options.exitAtEnd ? Math.min(100, fetchWaitMs) : fetchWaitMs,
            minBytes: 1,
            maxBytes: fetchBytesMax,
            isolationLevel: 0,
            sessionId: 0,
            sessionEpoch: -1,
            topics: [
              {
                topic,
                partitions: partitions.map((partition) => ({
                  partition,
                  currentLeaderEpoch: -1,
                  fetchOffset: BigInt(positions.get(partition)!),
                  logStartOffset: -1n,
                  partitionMaxBytes: partitionFetchBytesMax,
                })),
              },
            ],
            forgottenTopicsData: [],
            rackId: "",
          });
        }),
      );
      let out = "";
      const printedBefore = printed;
      let refresh = leaderless;
      for (const response of responses) {
        if (response.errorCode !== ErrorCode.NONE) {
          throw new KafkaError(`fetch from '${topic}' refused: ${errorCodeName(response.errorCode)}`);
        }
        for (const t of response.responses) {
          for (const p of t.partitions) {
            const partition = p.partitionIndex;
            let at = positions.get(partition);
            if (at === undefined) continue;
            if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
              // Retention removed what we were to read next: go on from the log's start, as auto.offset.reset=earliest.
              positions.set(partition, Number(p.logStartOffset));
              continue;
            }
            if (
              p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER ||
              p.errorCode === ErrorCode.LEADER_NOT_AVAILABLE
            ) {
              refresh = true;
              continue;
            }
            if (p.errorCode !== ErrorCode.NONE) {
              throw new KafkaError(`cannot fetch ${topic}-${partition}: ${errorCodeName(p.errorCode)}`);
            }
            ends.set(partition, Number(p.highWatermark));
            if (p.records === null || p.records.length === 0) continue;
            let batches: ReturnType<typeof decodeRecordBatches>;
            try {
              batches = decodeRecordBatches(p.records, { partialTrailing: "stop" });
            } catch (error) {
              throw new KafkaError(
                `cannot decode the records of ${topic}-${partition} at offset ${at}: ${(error as Error).message}; ` +
                  `'eddy consume ${topic} --partition ${partition} --offset N' can start past them`,
              );
            }
            for (const batch of batches) {
              const h = batch.header;
              const batchEnd = Number(h.baseOffset) + h.lastOffsetDelta + 1;
              if (!h.isControl) {
                for (const r of batch.records) {
                  const offset = Number(h.baseOffset) + r.offsetDelta;
                  if (offset < at) continue;
                  if (options.messagesMax !== null && printed >= options.messagesMax) break;
                  out += options.render({
                    topic,
                    partition,
                    offset,
                    timestampMs:
                      h.timestampType === "LogAppendTime"
                        ? Number(h.maxTimestamp)
                        : Number(h.baseTimestamp) + r.timestampDelta,
                    key: r.key,
                    value: r.value,
                    headers: r.headers,
                  });
                  printed++;
                  at = offset + 1;
                }
              }
              if (options.messagesMax !== null && printed >= options.messagesMax) break;
              // Past a control batch, or the offsets compaction removed from a batch.
              at = Math.max(at, batchEnd);
            }
            positions.set(partition, at);
          }
        }
      }
      if (out !== "") await writeOut(out);
      progress.add(printed - printedBefore);
      if (refresh) {
        await Bun.sleep(200);
        leaders = await partitionLeaders(admin, topic);
      }
    }
    await commit();
    await member?.leave();
  } finally {
    member?.stopHeartbeats();
    progress.done();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return { records: printed };
}

/** Writes to stdout and waits until it is taken, so a slow reader (a pipe to `less`) holds us back. */
async function writeOut(text: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (error) => (error ? reject(error) : resolve()));
  });
}

async function partitionLeaders(admin: Admin, topic: string): Promise<Map<number, number>> {
  const metadata = await admin.metadata([topic]);
  const found = metadata.topics.find((t) => t.name === topic);
  if (found === undefined || found.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    throw unknownTopic(topic);
  if (found.errorCode !== ErrorCode.NONE && found.errorCode !== ErrorCode.LEADER_NOT_AVAILABLE) {
    throw new KafkaError(`cannot read topic '${topic}': ${errorCodeName(found.errorCode)}`);
  }
  return new Map(found.partitions.map((p) => [p.partitionIndex, p.leaderId]));
}
