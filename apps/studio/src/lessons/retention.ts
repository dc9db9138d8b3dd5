/**
 * Lesson: retention by time and size. Topic t keeps records for retention.ms = 3 s and at most
 * retention.bytes = 16 KiB per partition; the producers send every 50 ms, so the 8 KiB segments roll
 * quickly, and every 500 ms each broker's retention check (the storage engine's own, the code the
 * broker runs) deletes whole old segments and moves the log start. A consumer of a new group then
 * asks for offset 0, which is gone: OFFSET_OUT_OF_RANGE, and it resets to the log start
 * (auto.offset.reset = earliest). Owns this lesson's script, text and checks; it must never step a run.
 */
import { kafkaClusterWith } from "@eddy/sim";
import type { CheckContext, Lesson } from "./lesson.ts";
import { quietConfig } from "./teaching-run.ts";

const retentionMs = 3_000;
const retentionBytesMax = 16 * 1024;
/** The simulator's segment size (simLogConfig), for the size check's allowance. */
const segmentBytesMax = 8 * 1024;
const lateGroup = "g2";

/** Partition 0's leader replica in the view, if one is up. */
function leaderOf0(ctx: CheckContext) {
  return ctx.view.partitions[0]?.replicas.find((r) => r.role === "leader" && r.up);
}

/** The consumer started in the late group, once it has started. */
function lateConsumer(ctx: CheckContext) {
  return ctx.view.consumers.find((k) => k.group === lateGroup);
}

export const retention: Lesson = {
  id: "retention",
  title: "Retention by time and size: old segments deleted whole",
  narration: [
    `A log cannot grow for ever. Topic t here keeps records for retention.ms = ${retentionMs / 1000} s and at most retention.bytes = ${retentionBytesMax / 1024} KiB per partition (Kafka's defaults are 7 days and no size limit). The producers send every 50 ms, so partition 0's 8 KiB segments roll every few seconds.`,
    "Every 500 ms each broker runs its retention check (log.retention.check.interval.ms; 5 minutes in Kafka) over each of its replicas. It never cuts a segment: it deletes whole segments from the oldest, those whose newest record is older than retention.ms, and then more while the log is larger than retention.bytes, but never the active segment and never past the high watermark. The log start offset moves to the base offset of the oldest segment left; the segments table shows the first one disappear.",
    `At 10 s a consumer, k2, starts in a new group, ${lateGroup}, with no committed offset, so it asks for offset 0. That offset is gone: the leader answers OFFSET_OUT_OF_RANGE, and the consumer resets its position as auto.offset.reset says (earliest here, the log start; latest would skip to the end). The records it never saw are not lost writes: retention let them go, and the checkers know it.`,
  ],
  seed: "11",
  config: (seed) => quietConfig(seed, { produceIntervalMs: 50, retentionMs, retentionBytesMax }),
  factory: kafkaClusterWith({ spareConsumers: 2, consumerChurn: false, spareGroup: lateGroup }),
  script: [
    {
      atMs: 10_000,
      input: { kind: "addConsumer" },
      say: `k2 starts in group ${lateGroup} and asks for offset 0.`,
    },
  ],
  checks() {
    return [
      {
        text: "Partition 0's log rolled: more than one segment on its leader's disk, the oldest still at offset 0.",
        holds: (ctx) => {
          const segs = ctx.segments()?.segments ?? [];
          return segs.length >= 2 && segs[0]!.baseOffset === 0;
        },
      },
      {
        text: "Retention deleted whole segments: the leader's log start moved past 0, to the base offset of its oldest segment left.",
        holds: (ctx) => {
          const leader = leaderOf0(ctx);
          const first = ctx.segments()?.segments[0];
          return (
            leader !== undefined &&
            first !== undefined &&
            leader.logStartOffset > 0 &&
            first.baseOffset === leader.logStartOffset
          );
        },
      },
      {
        text: "Every replica of partition 0 deleted its own old segments: each log start moved, none past its high watermark.",
        holds: (ctx) => {
          const replicas = ctx.view.partitions[0]?.replicas ?? [];
          return (
            replicas.length === 3 &&
            replicas.every((r) => r.up && r.logStartOffset > 0 && r.logStartOffset <= r.highWatermark)
          );
        },
      },
      {
        text: `Size: with segments deleted, partition 0 holds at most retention.bytes plus the active segment (${retentionBytesMax / 1024} + ${segmentBytesMax / 1024} KiB).`,
        holds: (ctx) => {
          const segs = ctx.segments()?.segments ?? [];
          const leader = leaderOf0(ctx);
          const bytes = segs.reduce((n, s) => n + s.logBytes, 0);
          return (
            leader !== undefined &&
            leader.logStartOffset > 0 &&
            segs.length >= 2 &&
            bytes <= retentionBytesMax + segmentBytesMax
          );
        },
      },
      {
        text: `k2 (group ${lateGroup}) asked for an offset below the log start and was answered OFFSET_OUT_OF_RANGE.`,
        holds: (ctx) =>
          (ctx.clientLog.errorCounts.get("OFFSET_OUT_OF_RANGE") ?? 0) > 0 && lateConsumer(ctx) !== undefined,
      },
      {
        text: "k2 reset to the log start (auto.offset.reset = earliest) and read from there: its first record is at or above the log start, none below.",
        holds: (ctx) => {
          const k2 = lateConsumer(ctx);
          if (k2 === undefined || k2.offsetResets === 0) return false;
          const polls = ctx.history.polls.filter((r) => r.consumer === k2.name && r.partition === 0);
          const leader = leaderOf0(ctx);
          return (
            polls.length > 0 &&
            polls[0]!.offset > 0 &&
            leader !== undefined &&
            polls[0]!.offset <= leader.logEndOffset
          );
        },
      },
      {
        text: "No invariant broke: the records retention deleted are not counted as lost writes.",
        holds: (ctx) => (lateConsumer(ctx)?.offsetResets ?? 0) > 0 && ctx.violations.length === 0,
      },
    ];
  },
  notes: (ctx) => {
    const view = ctx.segments();
    const leader = leaderOf0(ctx);
    if (view === null || leader === undefined) return [];
    const bytes = view.segments.reduce((n, s) => n + s.logBytes, 0);
    const lines = [
      `${view.broker} holds partition 0 from offset ${leader.logStartOffset} (the log start) to ${leader.logEndOffset} in ${view.segments.length} segment${view.segments.length === 1 ? "" : "s"}, ${(bytes / 1024).toFixed(1)} KiB (retention.bytes ${retentionBytesMax / 1024} KiB).`,
    ];
    const k2 = lateConsumer(ctx);
    if (k2 !== undefined) {
      const polls = ctx.history.polls.filter((r) => r.consumer === k2.name && r.partition === 0);
      lines.push(
        k2.offsetResets > 0
          ? `${k2.name} was reset ${k2.offsetResets} time${k2.offsetResets === 1 ? "" : "s"} past deleted offsets; its first record of partition 0 was at offset ${polls[0]?.offset ?? "-"}.`
          : `${k2.name} has not been reset yet.`,
      );
    }
    return lines;
  },
};
