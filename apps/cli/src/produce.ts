/**
 * `eddy produce TOPIC`: one record per stdin line, as `kafka-console-producer.sh` and `kcat -P` send
 * them. Owns splitting stdin into records (key, value, headers), choosing their partitions
 * (a keyed record by `@eddy/protocol`'s partitionForKey, Kafka's murmur2), and flushing: after each chunk of stdin, or sooner when a partition's pending
 * records reach a batch's limits, every partition with records gets one v2 batch (CRC32C set by
 * `@eddy/protocol`'s encoder) in one Produce request per leader, and the answer is checked before
 * more stdin is read. Must never send a record twice nor report a record as written that the broker
 * refused: the first refusal ends the run with what to do.
 */

import type { KafkaConnection } from "@eddy/client";
import {
  ApiKey,
  ErrorCode,
  encodeRecordBatch,
  errorCodeName,
  type KafkaRecordInput,
  partitionForKey,
  type RecordHeader,
} from "@eddy/protocol";
import { type Admin, ApiVersion, KafkaError, unknownTopic } from "./admin.ts";
import { Progress } from "./progress.ts";

export interface ProduceOptions {
  readonly topic: string;
  /** Null: the whole line is the value and the key is null. */
  readonly keySeparator: string | null;
  readonly headers: readonly { readonly key: string; readonly value: string }[];
  /** 0, 1 or -1 (all). */
  readonly acks: number;
  /** Null: by key, or sticky per flush for unkeyed records. */
  readonly partition: number | null;
}

export interface ProducedPartition {
  readonly partition: number;
  readonly records: number;
  /** Null with acks 0, which tells no offsets. */
  readonly firstOffset: number | null;
  readonly lastOffset: number | null;
}

export interface ProduceResult {
  readonly topic: string;
  readonly records: number;
  readonly acks: number;
  readonly partitions: readonly ProducedPartition[];
}

/** One line longer than this is refused: Kafka's message.max.bytes defaults to about 1 MiB. */
export const lineBytesMax = 1024 * 1024;
/** A partition's pending records are flushed once they reach either bound. */
const batchBytesMax = 512 * 1024;
const batchRecordsMax = 10_000;

interface Pending {
  records: KafkaRecordInput[];
  bytes: number;
  firstTimestampMs: number;
  timestampsMs: number[];
}

const utf8 = new TextEncoder();

export async function produce(
  admin: Admin,
  options: ProduceOptions,
  input: AsyncIterable<Uint8Array>,
): Promise<ProduceResult> {
  const metadata = await admin.metadata([options.topic]);
  const topic = metadata.topics.find((t) => t.name === options.topic);
  if (topic === undefined || topic.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
    throw unknownTopic(options.topic);
  }
  if (topic.errorCode !== ErrorCode.NONE) {
    throw new KafkaError(
      `cannot produce to '${options.topic}': ${errorCodeName(topic.errorCode)}; try again in a moment`,
    );
  }
  const leaders = new Map(topic.partitions.map((p) => [p.partitionIndex, p.leaderId]));
  const partitionsCount = leaders.size;
  if (options.partition !== null && !leaders.has(options.partition)) {
    throw new KafkaError(
      `topic '${options.topic}' has no partition ${options.partition} (it has ${partitionsCount}); 'eddy topics describe ${options.topic}' shows them`,
    );
  }
  const headers: RecordHeader[] = options.headers.map((h) => ({ key: h.key, value: utf8.encode(h.value) }));
  const pending = new Map<number, Pending>();
  const totals = new Map<
    number,
    { records: number; firstOffset: number | null; lastOffset: number | null }
  >();
  const usedConnections = new Set<KafkaConnection>();
  const progress = new Progress(`produced to ${options.topic}`);
  let sticky = Math.floor(Math.random() * partitionsCount);
  let lineNumber = 0;
  let produced = 0;

  const flush = async (): Promise<void> => {
    if (pending.size === 0) return;
    const byLeader = new Map<number, [number, Pending][]>();
    for (const entry of pending) {
      const leader = leaders.get(entry[0])!;
      if (leader < 0) {
        throw new KafkaError(
          `partition ${entry[0]} of '${options.topic}' has no leader; try again in a moment`,
        );
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), entry]);
    }
    pending.clear();
    // The next unkeyed records go to the next partition: one batch per partition per flush.
    sticky = (sticky + 1) % partitionsCount;
    const answers = [...byLeader].map(async ([leader, entries]) => {
      const connection = await admin.connectionTo(leader);
      usedConnections.add(connection);
      const body = {
        transactionalId: null,
        acks: options.acks,
        timeoutMs: admin.requestTimeoutMs,
        topicData: [
          {
            name: options.topic,
            partitionData: entries.map(([partition, p]) => ({
              index: partition,
              records: encodeRecordBatch({
                records: p.records.map((r, i) => ({
                  ...r,
                  timestampDelta: p.timestampsMs[i]! - p.firstTimestampMs,
                })),
                baseTimestamp: BigInt(p.firstTimestampMs),
              }),
            })),
          },
        ],
      };
      if (options.acks === 0) {
        connection.sendOneWay(ApiKey.Produce, ApiVersion.produce, body);
        for (const [partition, p] of entries) count(partition, p.records.length, null);
        return;
      }
      const response = await connection.request(ApiKey.Produce, ApiVersion.produce, body);
      const answered = new Set<number>();
      for (const t of response.responses) {
        for (const r of t.partitionResponses) {
          const sent = entries.find(([partition]) => partition === r.index)?.[1];
          if (sent === undefined) continue;
          if (r.errorCode !== ErrorCode.NONE) {
            const detail = r.errorMessage ? ` (${r.errorMessage})` : "";
            throw new KafkaError(
              `the broker refused records for ${options.topic}-${r.index}: ${errorCodeName(r.errorCode)}${detail}; ` +
                `${produced} record(s) before them were written`,
            );
          }
          count(r.index, sent.records.length, Number(r.baseOffset));
          answered.add(r.index);
        }
      }
      const unanswered = entries.filter(([partition]) => !answered.has(partition)).map(([p]) => p);
      if (unanswered.length > 0) {
        throw new KafkaError(
          `broker ${leader} did not answer for ${options.topic} partition(s) ${unanswered.join(", ")}; ` +
            `their records may or may not be written; ${produced} record(s) before them were`,
        );
      }
    });
    await Promise.all(answers);
  };

  const count = (partition: number, records: number, baseOffset: number | null): void => {
    const total = totals.get(partition) ?? { records: 0, firstOffset: null, lastOffset: null };
    total.records += records;
    if (baseOffset !== null) {
      total.firstOffset ??= baseOffset;
      total.lastOffset = baseOffset + records - 1;
    }
    totals.set(partition, total);
    produced += records;
    progress.add(records);
  };

  const add = async (line: string): Promise<void> => {
    lineNumber++;
    let key: Uint8Array | null = null;
    let value = line;
    if (options.keySeparator !== null) {
      const at = line.indexOf(options.keySeparator);
      if (at < 0) {
        throw new KafkaError(
          `line ${lineNumber} has no key separator '${options.keySeparator}'; ${produced} record(s) before it were written`,
        );
      }
      key = utf8.encode(line.slice(0, at));
      value = line.slice(at + options.keySeparator.length);
    }
    const valueBytes = utf8.encode(value);
    const bytes = valueBytes.length + (key?.length ?? 0);
    if (bytes > lineBytesMax) {
      throw new KafkaError(
        `line ${lineNumber} is ${bytes} bytes, more than ${lineBytesMax}; ${produced} record(s) before it were written`,
      );
    }
    const partition = options.partition ?? (key === null ? sticky : partitionForKey(key, partitionsCount));
    const nowMs = Date.now();
    let p = pending.get(partition);
    if (p === undefined) {
      p = { records: [], bytes: 0, firstTimestampMs: nowMs, timestampsMs: [] };
      pending.set(partition, p);
    }
    p.records.push({ key, value: valueBytes, headers });
    p.timestampsMs.push(nowMs);
    p.bytes += bytes;
    if (p.bytes >= batchBytesMax || p.records.length >= batchRecordsMax) await flush();
  };

  try {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of input) {
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split("\n");
      rest = lines.pop()!;
      // A string's UTF-16 length never exceeds its UTF-8 size, so this refuses only lines that are too long.
      if (rest.length > lineBytesMax) {
        throw new KafkaError(
          `line ${lineNumber + 1} is longer than ${lineBytesMax} bytes; ${produced} record(s) before it were written`,
        );
      }
      for (const line of lines) await add(line);
      await flush();
    }
    rest += decoder.decode();
    // A last line without a newline is a record too; an empty tail after the last newline is not.
    if (rest.length > 0) await add(rest);
    await flush();
    // With acks 0 nothing answers the produce requests; one answered request per connection, after
    // them, tells that the broker has read them all.
    if (options.acks === 0) {
      await Promise.all(
        [...usedConnections].map((c) =>
          c.request(ApiKey.Metadata, ApiVersion.metadata, {
            topics: [],
            allowAutoTopicCreation: false,
            includeClusterAuthorizedOperations: false,
            includeTopicAuthorizedOperations: false,
          }),
        ),
      );
    }
  } finally {
    progress.done();
  }
  return {
    topic: options.topic,
    records: produced,
    acks: options.acks,
    partitions: [...totals].sort(([a], [b]) => a - b).map(([partition, t]) => ({ partition, ...t })),
  };
}
