/**
 * Moving the start of the log: retention and DeleteRecords on any replica, and a follower adopting its
 * leader's log start. It owns only the bookkeeping (epoch cache head, producer state head); the shell
 * deletes the bytes when it applies the `advanceLogStart` op. It must never move the log start past the
 * high watermark, so nothing uncommitted is ever deleted.
 */

import { invariant } from "../invariant.ts";
import { truncateProducersHead } from "../producer/partitionProducers.ts";
import { truncateEpochsFromStart } from "./epochCache.ts";
import type { ReadyBuilder } from "./ready.ts";
import type { PartitionDraft } from "./state.ts";

export function advanceLogStart(d: PartitionDraft, offset: number, out: ReadyBuilder): void {
  invariant(Number.isSafeInteger(offset), "log start must be an integer");
  const target = Math.min(offset, d.highWatermark);
  if (target <= d.logStartOffset) return;
  invariant(target <= d.logEndOffset, "log start cannot pass the log end");
  out.addPersist({ type: "advanceLogStart", offset: target });
  const epochs = truncateEpochsFromStart(d.epochs, target);
  if (epochs !== d.epochs) out.addPersist({ type: "epochCheckpoint", entries: epochs });
  d.producers = truncateProducersHead(d.producers, target);
  d.logStartOffset = target;
  d.epochs = epochs;
  invariant(d.logStartOffset <= d.highWatermark, "log start passed the high watermark");
}
