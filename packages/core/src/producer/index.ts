/**
 * Producer state for idempotence.
 *
 * Per partition (used by the partition replica, also usable by a shell rebuilding state from its log):
 *   emptyPartitionProducers(): PartitionProducers
 *   checkBatch(state, batch): BatchVerdict            append | duplicate (original offsets) | reject (error code)
 *   recordBatch(state, batch, firstOffset, lastOffset, nowMs, producerIdsMax): PartitionProducers
 *   truncateProducers(state, offset)          forget batches at or above a truncation point
 *   truncateProducersHead(state, logStart)    forget producers whose records are all below a new log start
 *   expireProducers(state, nowMs, expirationMs)   producer.id.expiration.ms
 *   Bounds: producerBatchesRetainedMax = 5 per producer, producerIdsMax per partition (LRU eviction).
 *
 * Kafka error codes by name (`errorCode`, `errorName`) for the few errors the core answers with.
 *
 * InitProducerId allocator, one step entry point:
 *   initialAllocatorState(config?, block?, transactionalIds?, nowMs?): AllocatorState
 *   allocatorStep(state, input): { state, ready }
 *     inputs: initProducerId {requestId, transactionalId | null, transactionTimeoutMs, producerId, producerEpoch}
 *             producerIdBlock {block: {firstProducerId, size}}   (the controller's AllocateProducerIds answer)
 *             tick {nowMs}                                        (expires transactional ids)
 *     ready, in order: persist (transactional-id entries), send (allocateProducerIds), respond.
 *   Also exported as `initialState` / `step` so this namespace has the same shape as the others.
 *
 * This module must never perform I/O, read a clock or draw randomness.
 */

export * from "./allocator.ts";
export { allocatorStep as step, initialAllocatorState as initialState } from "./allocator.ts";
export * from "./kafkaErrors.ts";
export * from "./partitionProducers.ts";
