/**
 * InitProducerId on a single node: binds the shared node's producer-id allocator (`@eddy/node`) to
 * this broker's state store. The allocator steps the core and decides when a block is needed; this
 * shell only reserves the blocks it asks for, durably, before handing them over, so an id is never
 * given twice, even across crashes (a reused id would let an old producer's sequence numbers collide
 * with a new one's). It must never step the core's allocator itself.
 * The reservation cursor is the state store's producer-id cursor (`saveProducerIdCursor`, in
 * `__producer_ids-0/`), as the document's version and, decoded with a schema, as JSON inside it (files
 * written before hold no bytes and the offset alone). A cursor that does not decode stops the start
 * with an error naming the file, and is never rewritten. In cluster mode the controller's
 * AllocateProducerIds answers the allocator's block requests instead.
 */
import { invariant, type producer } from "@eddy/core";
import { monotonicClock, ProducerIdAllocator } from "@eddy/node";
import { decodeStoredJson, producerIdCursorPath, storageError, type VersionedDocument } from "@eddy/storage";
import { producerIdBlockFormatVersion, StoredProducerIdBlock } from "./producer-id-block-schema.ts";
import type { Storage } from "./storage.ts";

/** Ids reserved per durable write; Kafka's controller hands out blocks of 1000 too. */
const blockSize = 1000;

const encoder = new TextEncoder();

/** The stored cursor (0 when none was stored); reads only, so a refused start leaves the file as it was. */
export async function readProducerIdCursor(storage: Storage): Promise<number> {
  const stored = await storage.run(storage.state.loadProducerIdCursor());
  return stored === null ? 0 : decodeProducerIdCursor(storage.dataDir, stored);
}

/** The cursor a stored snapshot holds; throws a `Corrupt` error naming the file when it is wrong. */
export function decodeProducerIdCursor(dataDir: string, stored: VersionedDocument): number {
  const source = `producer id block ${producerIdCursorPath(dataDir, stored.version)}`;
  if (!Number.isSafeInteger(stored.version)) {
    throw storageError("Corrupt", source, `file name: expected a safe integer cursor, got ${stored.version}`);
  }
  // Written before the cursor was stored as JSON too: the file name is the whole record.
  if (stored.bytes.length === 0) return stored.version;
  const block = decodeStoredJson(StoredProducerIdBlock, source, stored.bytes);
  if (block.nextProducerId !== stored.version) {
    throw storageError(
      "Corrupt",
      source,
      `field nextProducerId: expected ${stored.version} (the file's name), got ${block.nextProducerId}`,
    );
  }
  return block.nextProducerId;
}

export class ProducerIdShell {
  private readonly allocator: ProducerIdAllocator;
  /** The first id not yet reserved; advanced before each write, so a failed write never repeats ids. */
  private cursor: number;

  private constructor(
    private readonly storage: Storage,
    cursor: number,
    clock: () => number,
    private readonly log: (line: string) => void,
  ) {
    this.cursor = cursor;
    this.allocator = new ProducerIdAllocator({
      nowMs: clock,
      // Answered after the state-store write, which awaits: never inside the call that asked.
      requestBlock: (allocator) => void this.reserveBlock(allocator),
      persistTransactionalIds: () => {
        // The InitProducerId handler refuses transactional ids until transactions are served (they
        // would need a durable, synchronous home first), so no entry can reach this point.
        invariant(false, "producer ids: transactional ids are not served by this broker");
      },
      log: this.log,
    });
  }

  /**
   * Opens the shell over the stored cursor. The clock (the node's, monotonic) only ages transactional
   * ids; `log` reports failed reservations.
   */
  static async open(
    storage: Storage,
    clock: () => number = monotonicClock(Date.now),
    log: (line: string) => void = (line) => console.error(line),
  ): Promise<ProducerIdShell> {
    return new ProducerIdShell(storage, await readProducerIdCursor(storage), clock, log);
  }

  /** Answers InitProducerId for an idempotent producer (transactional ids are not served yet). */
  initProducerId(
    transactionalId: string | null,
    transactionTimeoutMs: number,
    producerId: number,
    producerEpoch: number,
  ): Promise<producer.InitProducerIdResponse> {
    return new Promise((resolve) =>
      this.allocator.initProducerId(
        { transactionalId, transactionTimeoutMs, producerId, producerEpoch },
        resolve,
      ),
    );
  }

  /** Reserves the next block in the state store, then hands it to the allocator (or says it failed). */
  private async reserveBlock(allocator: ProducerIdAllocator): Promise<void> {
    const first = this.cursor;
    this.cursor += blockSize;
    const block: StoredProducerIdBlock = {
      version: producerIdBlockFormatVersion,
      nextProducerId: this.cursor,
    };
    try {
      await this.storage.run(
        this.storage.state.saveProducerIdCursor({
          version: this.cursor,
          bytes: encoder.encode(JSON.stringify(block)),
        }),
      );
    } catch (error) {
      allocator.onBlockFailed(error instanceof Error ? error.message : String(error));
      return;
    }
    allocator.onBlock({ firstProducerId: first, size: blockSize });
  }
}
