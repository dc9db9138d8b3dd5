/**
 * InitProducerId on a single node: the core's producer-id allocator, fed with blocks of ids that
 * this shell reserves durably before handing them out, so an id is never given twice, even across
 * crashes (a reused id would let an old producer's sequence numbers collide with a new one's).
 * The reservation cursor lives in the state store under the pseudo-partition `__producer_ids-0`, as
 * the snapshot's offset and, since the cursor is decoded with a schema, as JSON inside it too (files
 * written before hold no bytes and the offset alone). A cursor that does not decode stops the start
 * with an error naming the file, and is never rewritten. In cluster mode the controller's
 * AllocateProducerIds replaces it.
 */
import { invariant, producer } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import {
  decodeStoredJson,
  type ProducerStateSnapshot,
  producerStatePath,
  storageError,
  type TopicPartition,
} from "@eddy/storage-memory";
import { producerIdBlockFormatVersion, StoredProducerIdBlock } from "./producer-id-block-schema.ts";
import { SerialQueue } from "./serial.ts";
import type { Storage } from "./storage.ts";

const cursorKey: TopicPartition = { topic: "__producer_ids", partition: 0 };
/** Ids reserved per durable write; Kafka's controller hands out blocks of 1000 too. */
const blockSize = 1000;

const encoder = new TextEncoder();

/** The stored cursor (0 when none was stored); reads only, so a refused start leaves the file as it was. */
export async function readProducerIdCursor(storage: Storage): Promise<number> {
  const stored = await storage.run(storage.state.loadProducerState(cursorKey));
  return stored === null ? 0 : decodeProducerIdCursor(storage.dataDir, stored);
}

/** The cursor a stored snapshot holds; throws a `Corrupt` error naming the file when it is wrong. */
export function decodeProducerIdCursor(dataDir: string, stored: ProducerStateSnapshot): number {
  const source = `producer id block ${producerStatePath(dataDir, cursorKey, stored.offset)}`;
  if (!Number.isSafeInteger(stored.offset)) {
    throw storageError("Corrupt", source, `file name: expected a safe integer cursor, got ${stored.offset}`);
  }
  // Written before the cursor was stored as JSON too: the file name is the whole record.
  if (stored.bytes.length === 0) return stored.offset;
  const block = decodeStoredJson(StoredProducerIdBlock, source, stored.bytes);
  if (block.nextProducerId !== stored.offset) {
    throw storageError(
      "Corrupt",
      source,
      `field nextProducerId: expected ${stored.offset} (the file's name), got ${block.nextProducerId}`,
    );
  }
  return block.nextProducerId;
}

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
    return new ProducerIdShell(storage, await readProducerIdCursor(storage));
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
      const block: StoredProducerIdBlock = {
        version: producerIdBlockFormatVersion,
        nextProducerId: this.cursor,
      };
      await this.storage.run(
        this.storage.state.saveProducerState(cursorKey, {
          offset: this.cursor,
          bytes: encoder.encode(JSON.stringify(block)),
        }),
      );
      this.state = producer.allocatorStep(this.state, {
        type: "producerIdBlock",
        block: { firstProducerId: first, size: blockSize },
      }).state;
    }
    return answer;
  }
}
