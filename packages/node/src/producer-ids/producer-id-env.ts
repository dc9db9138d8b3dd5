/**
 * What the producer-id allocator is handed by the node it lives on: a clock, a source of id blocks,
 * a place to make transactional-id entries durable, and a log. The broker's runtime reserves blocks
 * in its state store (a single node) or asks the controller's AllocateProducerIds (a cluster); the
 * simulator reserves them on the broker's memory disk after a drawn disk latency. It owns only the
 * contract: it must never let the environment answer a block request inside the call that asked for
 * it (a completion is an input of its own, after the step that asked for it).
 */
import type { producer } from "@eddy/core";
import type { ProducerIdAllocator } from "./producer-id-allocator.ts";

export interface ProducerIdEnv {
  /**
   * The node's clock in ms (for transactional-id expiry). It may jump back: the allocator never lets
   * its own time go backwards, so the core never sees it.
   */
  nowMs(): number;
  /**
   * Reserves the next block of producer ids. The block must never overlap one handed to any
   * allocator before, on this node or another, across restarts: it is reserved durably before it is
   * handed over. The environment answers later, never inside this call, with
   * `allocator.onBlock(block)`, or `allocator.onBlockFailed(reason)` when the reservation failed (a
   * simulated disk failure may instead stop the node, which closes the allocator).
   */
  requestBlock(allocator: ProducerIdAllocator): void;
  /**
   * Makes transactional-id entries durable before their answers leave (so an epoch handed out is
   * never handed out again after a crash). It must be durable when it returns: an environment whose
   * store is only asynchronous must refuse transactional ids before they reach the allocator.
   */
  persistTransactionalIds(
    allocator: ProducerIdAllocator,
    entries: readonly producer.TransactionalIdEntry[],
  ): void;
  log(line: string): void;
}
