/**
 * InitProducerId: hands out producer ids and epochs. Idempotent-only producers (no transactional id) get
 * a fresh producer id with epoch 0 every time. A transactional id keeps its producer id and gets the next
 * epoch, which fences the previous incarnation; when the epoch is exhausted a new producer id starts at 0.
 * Ids come from blocks the controller allocates (AllocateProducerIds); the allocator asks for the next
 * block before the current one runs out.
 *
 * This module owns the id counter and the transactional-id table. It must never read a clock (time
 * arrives as `tick`), never hand out an id twice, and never lower a transactional id's epoch. Transaction
 * state (ongoing, prepare, abort) belongs to the transaction coordinator, not here.
 */

import { invariant, unreachable } from "../invariant.ts";
import { errorCode } from "./kafkaErrors.ts";

/** The last usable epoch: Kafka bumps to a new producer id rather than reach Short.MAX_VALUE. */
export const producerEpochBumpMax = 32_766;
/** Kafka's `transaction.max.timeout.ms` default. */
export const transactionTimeoutMsMaxDefault = 900_000;
/** Kafka's `transactional.id.expiration.ms` default (7 days). */
export const transactionalIdExpirationMsDefault = 604_800_000;
export const transactionalIdsMaxDefault = 100_000;
/** Hard ceiling on `transactionalIdsMax`. */
export const transactionalIdsMaxLimit = 1_000_000;
/** Ask for the next block once fewer than this fraction of the current block is left (Kafka: 10%). */
export const blockPrefetchFraction = 0.1;
export const transactionalIdBytesMax = 32_767;

export interface AllocatorConfig {
  readonly transactionTimeoutMsMax: number;
  readonly transactionalIdExpirationMs: number;
  readonly transactionalIdsMax: number;
}

export interface ProducerIdBlock {
  readonly firstProducerId: number;
  readonly size: number;
}

export interface TransactionalIdEntry {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly transactionTimeoutMs: number;
  readonly lastUsedMs: number;
}

export interface AllocatorState {
  readonly config: AllocatorConfig;
  readonly nowMs: number;
  /** The next id to hand out and the end (exclusive) of the current block. */
  readonly nextProducerId: number;
  readonly blockEndProducerId: number;
  readonly blockSize: number;
  /** A block received ahead of need. */
  readonly nextBlock: ProducerIdBlock | null;
  readonly blockRequested: boolean;
  /** Sorted by transactionalId, at most `transactionalIdsMax`. */
  readonly transactionalIds: readonly TransactionalIdEntry[];
}

export type AllocatorInput =
  | {
      readonly type: "initProducerId";
      readonly requestId: number;
      readonly transactionalId: string | null;
      readonly transactionTimeoutMs: number;
      /** KIP-360: the caller's current id and epoch, or -1 / -1. */
      readonly producerId: number;
      readonly producerEpoch: number;
    }
  | { readonly type: "producerIdBlock"; readonly block: ProducerIdBlock }
  | { readonly type: "tick"; readonly nowMs: number };

export interface InitProducerIdResponse {
  readonly requestId: number;
  readonly errorCode: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/**
 * Outputs, in order: persist the transactional-id entries (before answering, so an epoch handed out is
 * never handed out again after a crash), then send the block request to the controller, then respond.
 */
export interface AllocatorReady {
  readonly persist: readonly TransactionalIdEntry[];
  readonly send: readonly { readonly type: "allocateProducerIds" }[];
  readonly respond: readonly InitProducerIdResponse[];
}

export function initialAllocatorState(
  config: Partial<AllocatorConfig> = {},
  block: ProducerIdBlock | null = null,
  transactionalIds: readonly TransactionalIdEntry[] = [],
  nowMs = 0,
): AllocatorState {
  const full: AllocatorConfig = {
    transactionTimeoutMsMax: transactionTimeoutMsMaxDefault,
    transactionalIdExpirationMs: transactionalIdExpirationMsDefault,
    transactionalIdsMax: transactionalIdsMaxDefault,
    ...config,
  };
  invariant(
    full.transactionTimeoutMsMax > 0 && full.transactionalIdExpirationMs > 0,
    "timeouts must be positive",
  );
  invariant(
    full.transactionalIdsMax >= 1 && full.transactionalIdsMax <= transactionalIdsMaxLimit,
    "transactionalIdsMax out of range",
  );
  invariant(transactionalIds.length <= full.transactionalIdsMax, "too many recovered transactional ids");
  if (block !== null) checkBlock(block);
  const sorted = [...transactionalIds].sort((a, b) => compare(a.transactionalId, b.transactionalId));
  return {
    config: full,
    nowMs,
    nextProducerId: block?.firstProducerId ?? 0,
    blockEndProducerId: block === null ? 0 : block.firstProducerId + block.size,
    blockSize: block?.size ?? 0,
    nextBlock: null,
    blockRequested: false,
    transactionalIds: sorted,
  };
}

function checkBlock(block: ProducerIdBlock): void {
  invariant(
    Number.isSafeInteger(block.firstProducerId) && block.firstProducerId >= 0,
    "block start out of range",
  );
  invariant(Number.isSafeInteger(block.size) && block.size >= 1, "block size must be positive");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

class Out {
  readonly persist: TransactionalIdEntry[] = [];
  readonly send: { readonly type: "allocateProducerIds" }[] = [];
  readonly respond: InitProducerIdResponse[] = [];
}

export function allocatorStep(
  state: AllocatorState,
  input: AllocatorInput,
): { readonly state: AllocatorState; readonly ready: AllocatorReady } {
  const out = new Out();
  let next: AllocatorState;
  switch (input.type) {
    case "initProducerId":
      next = initProducerId(state, input, out);
      break;
    case "producerIdBlock":
      next = receiveBlock(state, input.block);
      break;
    case "tick":
      invariant(input.nowMs >= state.nowMs, "time went backwards");
      next = expire({ ...state, nowMs: input.nowMs });
      break;
    default:
      return unreachable(input, "allocator input");
  }
  next = maybeRequestBlock(next, out);
  checkAllocator(state, next);
  return { state: next, ready: out };
}

function receiveBlock(state: AllocatorState, block: ProducerIdBlock): AllocatorState {
  checkBlock(block);
  // Blocks only move forward: a replayed or stale block must not hand out ids twice.
  if (block.firstProducerId < state.blockEndProducerId) return { ...state, blockRequested: false };
  if (state.nextProducerId < state.blockEndProducerId)
    return { ...state, nextBlock: block, blockRequested: false };
  return {
    ...state,
    nextProducerId: block.firstProducerId,
    blockEndProducerId: block.firstProducerId + block.size,
    blockSize: block.size,
    blockRequested: false,
  };
}

function maybeRequestBlock(state: AllocatorState, out: Out): AllocatorState {
  if (state.blockRequested || state.nextBlock !== null) return state;
  const remaining = state.blockEndProducerId - state.nextProducerId;
  if (remaining > Math.floor(state.blockSize * blockPrefetchFraction)) return state;
  out.send.push({ type: "allocateProducerIds" });
  return { ...state, blockRequested: true };
}

/** Takes the next id, moving to the prefetched block when the current one is used up. */
function takeProducerId(state: AllocatorState): { state: AllocatorState; producerId: number } | null {
  let current = state;
  if (current.nextProducerId >= current.blockEndProducerId) {
    const block = current.nextBlock;
    if (block === null) return null;
    current = {
      ...current,
      nextProducerId: block.firstProducerId,
      blockEndProducerId: block.firstProducerId + block.size,
      blockSize: block.size,
      nextBlock: null,
    };
  }
  const producerId = current.nextProducerId;
  invariant(producerId < current.blockEndProducerId, "producer id outside its block");
  return { state: { ...current, nextProducerId: producerId + 1 }, producerId };
}

function indexOf(state: AllocatorState, transactionalId: string): number {
  let low = 0;
  let high = state.transactionalIds.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = compare(state.transactionalIds[middle]!.transactionalId, transactionalId);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -(low + 1);
}

function initProducerId(
  state: AllocatorState,
  input: Extract<AllocatorInput, { type: "initProducerId" }>,
  out: Out,
): AllocatorState {
  const respond = (code: number, producerId = -1, producerEpoch = -1): void => {
    out.respond.push({ requestId: input.requestId, errorCode: code, producerId, producerEpoch });
  };
  const tid = input.transactionalId;
  if (tid === null) {
    const taken = takeProducerId(state);
    if (taken === null) {
      respond(errorCode.COORDINATOR_LOAD_IN_PROGRESS);
      return state;
    }
    respond(errorCode.NONE, taken.producerId, 0);
    return taken.state;
  }
  if (tid.length === 0 || tid.length > transactionalIdBytesMax) {
    respond(errorCode.INVALID_REQUEST);
    return state;
  }
  if (
    !(input.transactionTimeoutMs > 0) ||
    input.transactionTimeoutMs > state.config.transactionTimeoutMsMax
  ) {
    respond(errorCode.INVALID_TRANSACTION_TIMEOUT);
    return state;
  }
  const index = indexOf(state, tid);
  const existing = index >= 0 ? state.transactionalIds[index] : undefined;
  if (existing !== undefined && input.producerId >= 0) {
    // KIP-360: a caller naming its id and epoch must name the current ones, or it is a zombie.
    if (input.producerId !== existing.producerId || input.producerEpoch !== existing.producerEpoch) {
      respond(errorCode.PRODUCER_FENCED);
      return state;
    }
  }
  let next = state;
  let producerId: number;
  let producerEpoch: number;
  if (existing !== undefined && existing.producerEpoch < producerEpochBumpMax) {
    producerId = existing.producerId;
    producerEpoch = existing.producerEpoch + 1;
  } else {
    const taken = takeProducerId(state);
    if (taken === null) {
      respond(errorCode.COORDINATOR_LOAD_IN_PROGRESS);
      return state;
    }
    next = taken.state;
    producerId = taken.producerId;
    producerEpoch = 0;
  }
  const entry: TransactionalIdEntry = {
    transactionalId: tid,
    producerId,
    producerEpoch,
    transactionTimeoutMs: input.transactionTimeoutMs,
    lastUsedMs: state.nowMs,
  };
  let entries = next.transactionalIds;
  if (index >= 0) entries = entries.map((e, i) => (i === index ? entry : e));
  else {
    if (entries.length >= next.config.transactionalIdsMax) entries = evictLeastRecentlyUsed(entries);
    const at = -(indexOf({ ...next, transactionalIds: entries }, tid) + 1);
    entries = [...entries.slice(0, at), entry, ...entries.slice(at)];
  }
  out.persist.push(entry);
  respond(errorCode.NONE, producerId, producerEpoch);
  return { ...next, transactionalIds: entries };
}

function evictLeastRecentlyUsed(entries: readonly TransactionalIdEntry[]): readonly TransactionalIdEntry[] {
  invariant(entries.length > 0, "nothing to evict");
  let victim = 0;
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.lastUsedMs < entries[victim]!.lastUsedMs) victim = i;
  }
  return [...entries.slice(0, victim), ...entries.slice(victim + 1)];
}

function expire(state: AllocatorState): AllocatorState {
  const limit = state.config.transactionalIdExpirationMs;
  const kept = state.transactionalIds.filter((e) => state.nowMs - e.lastUsedMs < limit);
  return kept.length === state.transactionalIds.length ? state : { ...state, transactionalIds: kept };
}

function checkAllocator(before: AllocatorState, after: AllocatorState): void {
  invariant(
    after.transactionalIds.length <= after.config.transactionalIdsMax,
    "transactional ids exceed their bound",
  );
  invariant(after.nextProducerId <= after.blockEndProducerId, "next producer id past its block");
  invariant(
    after.nextProducerId >= before.nextProducerId || after.blockEndProducerId > before.blockEndProducerId,
    "producer ids moved backwards",
  );
  for (let i = 1; i < after.transactionalIds.length; i++) {
    invariant(
      after.transactionalIds[i - 1]!.transactionalId < after.transactionalIds[i]!.transactionalId,
      "transactional ids must be sorted and unique",
    );
  }
}
