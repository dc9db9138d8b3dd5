/**
 * Read-only questions a shell asks a partition replica without changing it: what a consumer may read
 * (only below the high watermark), OffsetForLeaderEpoch for clients, and ListOffsets earliest/latest.
 * They must never change state; anything that does goes through `step`.
 */

import { errorCode } from "../producer/kafkaErrors.ts";
import { endOffsetForEpoch } from "./epochCache.ts";
import type { PartitionState } from "./types.ts";

export interface ReadBounds {
  readonly errorCode: number;
  readonly highWatermark: number;
  /** Equal to the high watermark until transactions exist. */
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** Read the log from the fetch offset up to, not including, this offset. */
  readonly readToOffset: number;
}

function epochError(state: PartitionState, currentLeaderEpoch: number): number {
  if (state.role !== "leader") return errorCode.NOT_LEADER_OR_FOLLOWER;
  // -1 means the client did not send an epoch (old fetch versions): no fencing check.
  if (currentLeaderEpoch < 0) return errorCode.NONE;
  if (currentLeaderEpoch < state.leaderEpoch) return errorCode.FENCED_LEADER_EPOCH;
  if (currentLeaderEpoch > state.leaderEpoch) return errorCode.UNKNOWN_LEADER_EPOCH;
  return errorCode.NONE;
}

/** What a consumer fetch at `fetchOffset` may read: never at or above the high watermark. */
export function consumerReadBounds(
  state: PartitionState,
  request: { readonly fetchOffset: number; readonly currentLeaderEpoch: number },
): ReadBounds {
  const base = {
    highWatermark: state.highWatermark,
    lastStableOffset: state.highWatermark,
    logStartOffset: state.logStartOffset,
  };
  const code = epochError(state, request.currentLeaderEpoch);
  if (code !== errorCode.NONE) return { ...base, errorCode: code, readToOffset: request.fetchOffset };
  if (request.fetchOffset < state.logStartOffset || request.fetchOffset > state.logEndOffset) {
    return { ...base, errorCode: errorCode.OFFSET_OUT_OF_RANGE, readToOffset: request.fetchOffset };
  }
  return {
    ...base,
    errorCode: errorCode.NONE,
    readToOffset: Math.max(request.fetchOffset, state.highWatermark),
  };
}

/** OffsetForLeaderEpoch as a leader answers clients (consumers validating their position, KIP-320). */
export function offsetForLeaderEpoch(
  state: PartitionState,
  request: { readonly currentLeaderEpoch: number; readonly leaderEpoch: number },
): { readonly errorCode: number; readonly leaderEpoch: number; readonly endOffset: number } {
  const code = epochError(state, request.currentLeaderEpoch);
  if (code !== errorCode.NONE) return { errorCode: code, leaderEpoch: -1, endOffset: -1 };
  const answer = endOffsetForEpoch(state.epochs, request.leaderEpoch, state.logEndOffset);
  return { errorCode: errorCode.NONE, leaderEpoch: answer.epoch, endOffset: answer.endOffset };
}

/** ListOffsetsRequest timestamps with a fixed meaning. */
export const latestTimestamp = -1;
export const earliestTimestamp = -2;

/**
 * ListOffsets for the earliest (-2) or latest (-1) offset. A new leader whose high watermark has not yet
 * reached the start of its epoch answers latest with OFFSET_NOT_AVAILABLE, so clients never see the
 * visible end of the log move backwards across a leader change (Kafka, KIP-207).
 */
export function listOffsets(
  state: PartitionState,
  request: { readonly timestamp: number; readonly currentLeaderEpoch: number },
): { readonly errorCode: number; readonly offset: number; readonly leaderEpoch: number } {
  const code = epochError(state, request.currentLeaderEpoch);
  if (code !== errorCode.NONE) return { errorCode: code, offset: -1, leaderEpoch: -1 };
  if (request.timestamp === earliestTimestamp) {
    return { errorCode: errorCode.NONE, offset: state.logStartOffset, leaderEpoch: state.leaderEpoch };
  }
  if (request.timestamp !== latestTimestamp)
    return { errorCode: errorCode.INVALID_REQUEST, offset: -1, leaderEpoch: -1 };
  if (state.highWatermark < state.leaderEpochStartOffset) {
    return { errorCode: errorCode.OFFSET_NOT_AVAILABLE, offset: -1, leaderEpoch: -1 };
  }
  return { errorCode: errorCode.NONE, offset: state.highWatermark, leaderEpoch: state.leaderEpoch };
}
