/**
 * Lesson: topics, partitions and keys. Six records with keys 1, 2 and 7 go to a six-partition topic:
 * a key always lands in partition key mod 6 (1 and 7 share partition 1), offsets grow in send order
 * within a partition, and a consumer reads each partition in order while nothing orders records
 * across partitions. Owns this lesson's script, text and checks; it must never step a run.
 */
import type { CheckContext, Lesson } from "./lesson.ts";
import { quietConfig, teachingCluster } from "./teaching-run.ts";

const partitionCount = 6;
const scriptKeys = [1, 2, 7, 1, 2, 7];

/** The lesson's own records: producer p0's sends with the script's keys, invoked from 3 s on. */
function lessonSends(ctx: CheckContext) {
  return ctx.history.produces.filter(
    (op) => op.producer === "p0" && op.invokeMs >= 3_000 && op.invokeMs < 4_000 && op.key !== null,
  );
}

export const keys: Lesson = {
  id: "keys",
  title: "Topics, partitions and keys: order within a partition, not across",
  narration: [
    "Topic t has 6 partitions here. A producer with a key picks the partition from the key (this model: key mod 6; Kafka's default hashes the key with murmur2); without a key it spreads records over partitions.",
    "At 3 s p0 sends six records with keys 1, 2, 7, 1, 2, 7. Keys 1 and 7 both land in partition 1, key 2 in partition 2. Each partition's leader gives the next offset to each record it appends, so offsets follow the order of sends within one partition.",
    "Consumers read each partition in offset order, but nothing orders two partitions against each other: a consumer may read a record sent later before one sent earlier elsewhere. Use one key for records that must stay in order.",
  ],
  seed: "4",
  config: (seed) => quietConfig(seed, { partitions: partitionCount }),
  factory: teachingCluster,
  script: scriptKeys.map((key, i) => ({
    atMs: 3_000 + i * 50,
    input: { kind: "produce" as const, producer: "p0", key },
    say: `p0 sends a record with key ${key}.`,
  })),
  checks: () => [
    {
      text: "Topic t has 6 partitions, each with a leader.",
      holds: (ctx) =>
        ctx.view.partitions.length === partitionCount && ctx.view.partitions.every((p) => p.leader >= 0),
    },
    {
      text: "All six records were acknowledged; keys 1 and 7 in partition 1, key 2 in partition 2.",
      holds: (ctx) => {
        const sends = lessonSends(ctx);
        return (
          sends.length === scriptKeys.length &&
          sends.every((op) => op.outcome === "ok" && op.partition === op.key! % partitionCount)
        );
      },
    },
    {
      text: "Within partition 1 the offsets follow the order of sends.",
      holds: (ctx) => {
        const inOne = lessonSends(ctx).filter((op) => op.partition === 1 && op.outcome === "ok");
        return inOne.length === 4 && inOne.every((op, i) => i === 0 || op.offset > inOne[i - 1]!.offset);
      },
    },
    {
      text: "A consumer read the four records of partition 1 in that same order.",
      holds: (ctx) => {
        const values = lessonSends(ctx)
          .filter((op) => op.partition === 1)
          .map((op) => op.value);
        const read = ctx.history.polls
          .filter((r) => r.partition === 1 && values.includes(r.value))
          .map((r) => r.value);
        return values.length === 4 && read.length >= 4 && read.slice(0, 4).every((v, i) => v === values[i]);
      },
    },
    {
      text: "Across partitions there is no order: some record was read before one sent earlier to another partition.",
      holds: (ctx) => {
        const invoked = new Map(ctx.history.produces.map((op) => [op.value, op.invokeMs]));
        const polls = ctx.history.polls;
        let latestSeen = -1;
        let latestPartition = -1;
        for (const r of polls) {
          const at = invoked.get(r.value) ?? -1;
          if (at < latestSeen && r.partition !== latestPartition) return true;
          if (at > latestSeen) {
            latestSeen = at;
            latestPartition = r.partition;
          }
        }
        return false;
      },
    },
  ],
};
