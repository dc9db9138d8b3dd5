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
import type { PartitionState } from "./types.ts";

export function advanceLogStart(state: PartitionState, offset: number, out: ReadyBuilder): PartitionState {
  invariant(Number.isSafeInteger(offset), "log start must be an integer");
  const target = Math.min(offset, state.highWatermark);
  if (target <= state.logStartOffset) return state;
  invariant(target <= state.logEndOffset, "log start cannot pass the log end");
  out.addPersist({ type: "advanceLogStart", offset: target });
  const epochs = truncateEpochsFromStart(state.epochs, target);
  if (epochs !== state.epochs) out.addPersist({ type: "epochCheckpoint", entries: epochs });
  const next: PartitionState = {
    ...state,
    logStartOffset: target,
    epochs,
    producers: truncateProducersHead(state.producers, target),
  };
  invariant(next.logStartOffset <= next.highWatermark, "log start passed the high watermark");
  return next;
}
