/**
 * InitProducerId on a single node: the core's producer-id allocator, fed with blocks of ids that
 * this shell reserves durably before handing them out, so an id is never given twice, even across
 * crashes (a reused id would let an old producer's sequence numbers collide with a new one's).
 * The reservation cursor lives in the state store under the pseudo-partition `__producer_ids-0`;
 * in cluster mode the controller's AllocateProducerIds replaces it.
 */
import { invariant, producer } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
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
  ): Promise<producer.InitProducerIdResponse> {
    return this.queue.run(async () => {
      const input: producer.AllocatorInput = {
        type: "initProducerId",
        requestId: this.nextRequestId++,
        transactionalId,
        transactionTimeoutMs,
        producerId,
        producerEpoch,
      };
      const answer = await this.step(input);
      // With no id in hand (the first request after a start) the allocator answers
      // COORDINATOR_LOAD_IN_PROGRESS and asks for a block, which `step` has just reserved; the same
      // request then gets an id from it rather than sending the client round a retry.
      if (answer.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return answer;
      return this.step(input);
    });
  }

  /** One allocator step; a block it asks for is reserved durably and handed to it before answering. */
  private async step(
    input: Extract<producer.AllocatorInput, { type: "initProducerId" }>,
  ): Promise<producer.InitProducerIdResponse> {
    const { state, ready } = producer.allocatorStep(this.state, input);
    this.state = state;
    const answer = ready.respond.find((r) => r.requestId === input.requestId);
    invariant(answer !== undefined, "producer ids: allocator gave no answer");
    if (ready.send.length > 0) {
      const first = this.cursor;
      this.cursor += blockSize;
      await this.storage.run(
        this.storage.state.saveProducerState(cursorKey, { offset: this.cursor, bytes: new Uint8Array(0) }),
      );
      this.state = producer.allocatorStep(this.state, {
        type: "producerIdBlock",
        block: { firstProducerId: first, size: blockSize },
      }).state;
    }
    return answer;
  }
}
