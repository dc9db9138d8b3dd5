/**
 * InitProducerId on a single node: the core's producer-id allocator, fed with blocks of ids that
 * this shell reserves durably before handing them out, so an id is never given twice, even across
 * crashes (a reused id would let an old producer's sequence numbers collide with a new one's).
 * The reservation cursor lives in the state store under the pseudo-partition `__producer_ids-0`;
 * in cluster mode the controller's AllocateProducerIds replaces it.
 */
import { invariant, producer } from "@eddy/core";
import type { TopicPartition } from "@eddy/storage-memory";
import { SerialQueue } from "./serial.ts";
import type { Storage } from "./storage.ts";

const cursorKey: TopicPartition = { topic: "__producer_ids", partition: 0 };
/** Ids reserved per durable write; Kafka's controller hands out blocks of 1000 too. */
const blockSize = 1000;

export class ProducerIdShell {
  private state: producer.AllocatorState;
  private readonly queue = new SerialQueue("producer-ids", 10_000);
  private nextRequestId = 1;
  private cursor: number;

  private constructor(
    private readonly storage: Storage,
    cursor: number,
  ) {
    this.cursor = cursor;
    this.state = producer.initialAllocatorState();
  }

  static async open(storage: Storage): Promise<ProducerIdShell> {
    const stored = await storage.run(storage.state.loadProducerState(cursorKey));
    const cursor = stored === null ? 0 : stored.offset;
    return new ProducerIdShell(storage, cursor);
  }

  /** Answers InitProducerId for an idempotent producer (transactional ids are not served yet). */
  initProducerId(
    transactionalId: string | null,
    transactionTimeoutMs: number,
    producerId: number,
    producerEpoch: number,
  ) {
    return this.queue.run(async () => {
      const requestId = this.nextRequestId++;
      const input: producer.AllocatorInput = {
        type: "initProducerId",
        requestId,
        transactionalId,
        transactionTimeoutMs,
        producerId,
        producerEpoch,
      };
      // The allocator may ask for a block first; then the same request is retried with the block in hand.
      for (let round = 0; round < 4; round++) {
        const { state, ready } = producer.allocatorStep(this.state, input);
        this.state = state;
        const answer = ready.respond.find((r) => r.requestId === requestId);
        if (ready.send.length > 0) {
          const first = this.cursor;
          this.cursor += blockSize;
          await this.storage.run(
            this.storage.state.saveProducerState(cursorKey, {
              offset: this.cursor,
              bytes: new Uint8Array(0),
            }),
          );
          const after = producer.allocatorStep(this.state, {
            type: "producerIdBlock",
            block: { firstProducerId: first, size: blockSize },
          });
          this.state = after.state;
          const held = after.ready.respond.find((r) => r.requestId === requestId);
          if (held !== undefined) return held;
        }
        if (answer !== undefined) return answer;
      }
      invariant(false, "producer ids: allocator gave no answer");
    });
  }
}
