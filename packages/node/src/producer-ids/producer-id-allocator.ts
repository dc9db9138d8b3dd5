/**
 * The producer-id allocator of a node: the core's InitProducerId state machine, fed with blocks of ids
 * that its environment reserves. It is the only code that drives the core's allocator step, for the
 * broker and the simulator alike. It owns the order in which a step's ready is acted on (persist the
 * transactional-id entries, then ask the environment for a block, then answer), the requests waiting
 * for a block (bounded; re-stepped in arrival order when the block arrives, so the first request after
 * a start gets an id instead of COORDINATOR_LOAD_IN_PROGRESS), and the re-sending of a block request
 * whose reservation failed. It must never reserve ids itself, read a clock or set a timer: blocks,
 * time and durability come from the environment, and a block arrives as an input of its own, never
 * inside the call that asked for it.
 */
import { invariant, producer } from "@eddy/core";
import type { ProducerIdEnv } from "./producer-id-env.ts";

/** Requests that may wait for a block at once; beyond this one is answered at once (see below). */
export const producerIdWaitersMaxDefault = 1_000;

/** An InitProducerId request as the node's API layer hands it over. */
export interface ProducerIdRequest {
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  /** KIP-360: the caller's current id and epoch, or -1 / -1. */
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface ProducerIdAllocatorOptions {
  /** The core's settings (transactional-id limits and expiry); unset ones are Kafka's defaults. */
  readonly core?: Partial<producer.AllocatorConfig>;
  /** Requests that may wait for a block at once (default `producerIdWaitersMaxDefault`). */
  readonly waitersMax?: number;
}

type Answer = (response: producer.InitProducerIdResponse) => void;

interface Waiter {
  readonly requestId: number;
  readonly request: ProducerIdRequest;
  readonly answer: Answer;
}

export class ProducerIdAllocator {
  private state: producer.AllocatorState;
  private requestIdNext = 1;
  /** Requests the core could not give an id yet, in arrival order; at most `waitersMax`. */
  private readonly waiting: Waiter[] = [];
  private readonly waitersMax: number;
  /** The environment holds a block request of ours it has not answered yet. */
  private blockAsked = false;
  /** Inside `env.requestBlock`: an answer arriving now would be inside the call that asked for it. */
  private asking = false;
  /** The last fresh id (epoch 0 for an idempotent producer) this allocator answered with, or -1. */
  private lastFreshProducerId = -1;
  private closed = false;
  /** Blocks received, requests answered after waiting for one, and requests turned away while full. */
  private countsBlocks = 0;
  private countsWaitedAnswers = 0;
  private countsRefusedFull = 0;

  constructor(
    private readonly env: ProducerIdEnv,
    options: ProducerIdAllocatorOptions = {},
  ) {
    this.waitersMax = options.waitersMax ?? producerIdWaitersMaxDefault;
    invariant(
      Number.isSafeInteger(this.waitersMax) && this.waitersMax >= 0,
      "producer ids: waitersMax must be a non-negative integer",
    );
    // The allocator starts with no block: the first request asks for one and waits for it, so a node
    // that never serves InitProducerId never reserves ids.
    this.state = producer.initialAllocatorState(options.core, null, [], Math.max(0, env.nowMs()));
  }

  /** Requests waiting for a block now. */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Blocks handed over by the environment so far. */
  get blocksReceived(): number {
    return this.countsBlocks;
  }

  /** Requests that waited for a block and then got an id. */
  get waitedAnswers(): number {
    return this.countsWaitedAnswers;
  }

  /** Requests answered COORDINATOR_LOAD_IN_PROGRESS at once because `waitersMax` were waiting. */
  get refusedFull(): number {
    return this.countsRefusedFull;
  }

  /**
   * Answers an InitProducerId, now or once a block arrives. When `waitersMax` requests are already
   * waiting it is answered COORDINATOR_LOAD_IN_PROGRESS at once: the error is retriable, so the
   * client asks again after its backoff instead of the node holding unbounded requests.
   */
  initProducerId(request: ProducerIdRequest, answer: Answer): void {
    // A stopped node answers nothing: its connections went with it.
    if (this.closed) return;
    this.advanceClock();
    const waiter: Waiter = { requestId: this.requestIdNext++, request, answer };
    if (this.stepRequest(waiter)) return;
    if (this.waiting.length >= this.waitersMax) {
      this.countsRefusedFull++;
      answer(loadInProgress(waiter.requestId));
      return;
    }
    this.waiting.push(waiter);
  }

  /**
   * The environment reserved the block asked for: the core takes it, and the requests that waited
   * for it are stepped again in arrival order (those it cannot serve keep waiting for the next one).
   */
  onBlock(block: producer.ProducerIdBlock): void {
    invariant(!this.asking, "producer ids: the environment answered a block request inside the call");
    // A reservation that completes after the node stopped is not used: the next start asks again.
    if (this.closed) return;
    invariant(this.blockAsked, "producer ids: a block arrived that was not asked for");
    this.blockAsked = false;
    this.countsBlocks++;
    this.step({ type: "producerIdBlock", block });
    const waited = this.waiting.splice(0);
    for (const waiter of waited) {
      if (this.stepRequest(waiter)) {
        this.countsWaitedAnswers++;
        continue;
      }
      // More requests waited than the block held: this one waits for the next block, which the core
      // has asked for already.
      this.waiting.push(waiter);
    }
    invariant(this.waiting.length <= this.waitersMax, "producer ids: waiting requests exceed their bound");
  }

  /**
   * The environment could not reserve a block. The waiting requests are answered
   * COORDINATOR_LOAD_IN_PROGRESS (the client retries); the core's request stays outstanding, and the
   * next request that needs an id sends it to the environment again.
   */
  onBlockFailed(reason: string): void {
    invariant(!this.asking, "producer ids: the environment answered a block request inside the call");
    if (this.closed) return;
    invariant(this.blockAsked, "producer ids: a block failed that was not asked for");
    this.blockAsked = false;
    const waited = this.waiting.splice(0);
    this.env.log(
      `producer ids: reserving a block failed (${reason}); ${waited.length} waiting request(s) will retry`,
    );
    for (const waiter of waited) waiter.answer(loadInProgress(waiter.requestId));
  }

  /** The node stopped: waiting requests are dropped unanswered and later blocks are ignored. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
  }

  /** Steps one request; true when it was answered, false when it must wait for a block. */
  private stepRequest(waiter: Waiter): boolean {
    const respond = this.step({ type: "initProducerId", requestId: waiter.requestId, ...waiter.request });
    invariant(
      respond.length === 1 && respond[0]!.requestId === waiter.requestId,
      "producer ids: the allocator must answer exactly the request stepped",
    );
    const response = respond[0]!;
    if (response.errorCode === producer.errorCode.COORDINATOR_LOAD_IN_PROGRESS) {
      // The core had no id: its block request is outstanding (sent in this step or before), and the
      // environment holds it unless an earlier reservation failed, which `step` has re-sent.
      invariant(this.blockAsked, "producer ids: waiting for a block nobody was asked for");
      return false;
    }
    if (response.errorCode === producer.errorCode.NONE && waiter.request.transactionalId === null) {
      invariant(
        response.producerId > this.lastFreshProducerId && response.producerEpoch === 0,
        () => `producer ids: fresh id ${response.producerId} not above ${this.lastFreshProducerId}`,
      );
      this.lastFreshProducerId = response.producerId;
    }
    waiter.answer(response);
    return true;
  }

  /** Moves the core's time to the environment's clock, never backwards (it expires transactional ids). */
  private advanceClock(): void {
    const nowMs = this.env.nowMs();
    if (nowMs > this.state.nowMs) this.step({ type: "tick", nowMs });
  }

  /**
   * One core step, acted on in the documented order: persist the transactional-id entries (durable
   * before any answer leaves), then send the block request, then hand the answers back to the caller.
   */
  private step(input: producer.AllocatorInput): readonly producer.InitProducerIdResponse[] {
    const { state, ready } = producer.allocatorStep(this.state, input);
    this.state = state;
    if (ready.persist.length > 0) this.env.persistTransactionalIds(this, ready.persist);
    invariant(ready.send.length <= 1, "producer ids: one step asks for at most one block");
    // The core asks only when no request of its is outstanding, and only a block clears that.
    if (ready.send.length > 0) invariant(!this.blockAsked, "producer ids: a second block request");
    // A request the environment failed stays outstanding in the core, which will not ask again: it is
    // re-sent here, at the first step after the failure.
    if (this.state.blockRequested && !this.blockAsked) this.askBlock();
    return ready.respond;
  }

  private askBlock(): void {
    this.blockAsked = true;
    this.asking = true;
    try {
      this.env.requestBlock(this);
    } finally {
      this.asking = false;
    }
  }
}

function loadInProgress(requestId: number): producer.InitProducerIdResponse {
  return {
    requestId,
    errorCode: producer.errorCode.COORDINATOR_LOAD_IN_PROGRESS,
    producerId: -1,
    producerEpoch: -1,
  };
}
