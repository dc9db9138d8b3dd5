/**
 * A simulated broker's source of producer-id blocks: a cursor in one small file on the broker's memory
 * disk (`producer-id-cursor`, the first id of the broker's range not yet reserved, as decimal text),
 * replaced with `writeAtomicNow` before a block is handed over, so a block survives every crash the
 * simulator injects and a restarted broker never hands out an id reserved before. It owns the file and
 * the broker's id range; it must never decide when a block is needed (the node's allocator does) or
 * when the write happens (the broker's timer does, after a drawn disk latency).
 *
 * Each broker has its own range, `[brokerId * producerIdsPerBroker, (brokerId + 1) * ...)`, because the
 * simulated controller does not answer AllocateProducerIds: the blocks come from each broker's own
 * disk, and two cursors that both start at 0 would hand the same ids to producers of different
 * brokers. Kafka instead has the controller hand out blocks that are unique across the cluster.
 */
import { invariant, type producer } from "@eddy/core";
import type { Files } from "@eddy/storage";
import { simDataDir } from "./replica-store.ts";

/** Ids per block, as Kafka's controller hands them out. */
export const producerIdBlockSize = 1_000;
/** Ids in each broker's range: a million blocks, far more than a run reserves (one or two per start). */
export const producerIdsPerBroker = 1_000_000_000;
export const producerIdCursorPath = `${simDataDir}/producer-id-cursor`;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SimProducerIdBlocks {
  private constructor(
    private readonly files: Files,
    private readonly brokerId: number,
    /** The first id of this broker's range not yet reserved, relative to the range's start. */
    private cursor: number,
  ) {}

  /**
   * Reads the cursor (0 when the file does not exist yet). The simulator never corrupts this file,
   * so one that does not parse is a bug in the writer and throws.
   */
  static open(files: Files, brokerId: number): SimProducerIdBlocks {
    invariant(Number.isSafeInteger(brokerId) && brokerId >= 0, "producer id blocks: bad broker id");
    invariant(
      (brokerId + 1) * producerIdsPerBroker <= Number.MAX_SAFE_INTEGER,
      "producer id blocks: the broker's range is past the safe integers",
    );
    const bytes = files.readAll(producerIdCursorPath);
    if (bytes === null) return new SimProducerIdBlocks(files, brokerId, 0);
    const text = decoder.decode(bytes);
    const cursor = Number(text.trim());
    invariant(
      /^\d+\n$/.test(text) && Number.isSafeInteger(cursor) && cursor <= producerIdsPerBroker,
      () => `producer id blocks: ${producerIdCursorPath} holds ${JSON.stringify(text)}`,
    );
    return new SimProducerIdBlocks(files, brokerId, cursor);
  }

  /**
   * Reserves the next block: the cursor past it is written durably first, then the block is returned.
   * Throws what the disk throws (an injected write fault); nothing is reserved then.
   */
  reserveNow(): producer.ProducerIdBlock {
    const next = this.cursor + producerIdBlockSize;
    invariant(next <= producerIdsPerBroker, () => `broker ${this.brokerId} used up its producer-id range`);
    this.files.writeAtomicNow(producerIdCursorPath, encoder.encode(`${next}\n`));
    const block = {
      firstProducerId: this.brokerId * producerIdsPerBroker + this.cursor,
      size: producerIdBlockSize,
    };
    this.cursor = next;
    return block;
  }
}
