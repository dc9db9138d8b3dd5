/**
 * Producer state for idempotence.
 *
 * Per partition (used by the partition replica, also usable by a shell rebuilding state from its log):
 *   emptyPartitionProducers(): PartitionProducers
 *   checkBatch(state, batch): BatchVerdict            append | duplicate (original offsets) | reject (error code)
 *   recordBatch(state, batch, firstOffset, lastOffset, nowMs, producerIdsMax): PartitionProducers
 *   truncateProducers(state, offset) / expireProducers(state, nowMs, expirationMs)
 *
 * This module must never perform I/O, read a clock or draw randomness.
 */

export * from "./kafkaErrors.ts";
export * from "./partitionProducers.ts";
