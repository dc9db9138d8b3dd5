/**
 * InitProducerId on a broker: binds the shared node's producer-id allocator (`@eddy/node`) to where
 * this broker's blocks of ids come from. The allocator steps the core and decides when a block is
 * needed; this shell only obtains the blocks it asks for, durably reserved before they are handed
 * over, so an id is never given twice, even across crashes (a reused id would let an old producer's
 * sequence numbers collide with a new one's). It must never step the core's allocator itself, and in
 * a cluster it must never hand out an id the controller did not commit to this broker.
 *
 * A cluster of one reserves from its own cursor: the state store's producer-id cursor
 * (`saveProducerIdCursor`, in `__producer_ids-0/`), as the document's version and, decoded with a
 * schema, as JSON inside it (files written before hold no bytes and the offset alone). A cursor that
 * does not decode stops the start with an error naming the file, and is never rewritten.
 *
 * In a cluster (controller.quorum.voters set) every block comes from the active controller's
 * AllocateProducerIds, as KRaft's brokers get theirs: the controller commits the block to the
 * metadata log before it answers, so two brokers never share an id and a failover of the controller
 * never hands a block out again. The local cursor is neither read nor written then.
 */
import { type controller, invariant, type producer } from "@eddy/core";
import { monotonicClock, ProducerIdAllocator } from "@eddy/node";
import { decodeStoredJson, producerIdCursorPath, storageError, type VersionedDocument } from "@eddy/storage";
import { producerIdBlockFormatVersion, StoredProducerIdBlock } from "./producer-id-block-schema.ts";
import type { Storage } from "./storage.ts";

/** Ids reserved per durable write; Kafka's controller hands out blocks of 1000 too. */
const blockSize = 1000;

/** What a cluster's broker asks for blocks: the node's metadata shell (requests reach the active controller). */
export interface ProducerIdController {
  /** Resolves with the controller's answer once its records committed (NOT_CONTROLLER otherwise). */
  request(input: controller.Input): Promise<controller.Response | null>;
  /** This broker's registration epoch, -1 until registered; AllocateProducerIds carries it. */
  readonly brokerEpochValue: number;
}

/** Cluster mode: this broker's id and its way to the controller. */
export interface ProducerIdCluster {
  readonly brokerId: number;
  readonly controller: ProducerIdController;
}

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
    cluster: ProducerIdCluster | null,
  ) {
    this.cursor = cursor;
    this.allocator = new ProducerIdAllocator({
      nowMs: clock,
      // Answered after the state-store write or the controller's answer, both awaited: never inside
      // the call that asked.
      requestBlock: (allocator) =>
        void (cluster === null ? this.reserveBlock(allocator) : this.blockFromController(allocator, cluster)),
      persistTransactionalIds: () => {
        // The InitProducerId handler refuses transactional ids until transactions are served (they
        // would need a durable, synchronous home first), so no entry can reach this point.
        invariant(false, "producer ids: transactional ids are not served by this broker");
      },
      log: this.log,
    });
  }

  /**
   * Opens the shell over the stored cursor, or, with `cluster`, over the controller's blocks. The
   * clock (the node's, monotonic) only ages transactional ids; `log` reports failed reservations.
   */
  static async open(
    storage: Storage,
    clock: () => number = monotonicClock(Date.now),
    log: (line: string) => void = (line) => console.error(line),
    cluster: ProducerIdCluster | null = null,
  ): Promise<ProducerIdShell> {
    // A cluster's broker never uses its local cursor, so a stale one cannot stop it from starting.
    const cursor = cluster === null ? await readProducerIdCursor(storage) : 0;
    return new ProducerIdShell(storage, cursor, clock, log, cluster);
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

  /**
   * Asks the active controller for the next block (AllocateProducerIds with this broker's epoch) and
   * hands it to the allocator. Any answer but a committed block fails the reservation: the waiting
   * producers get a retriable error, and the next InitProducerId asks again.
   */
  private async blockFromController(
    allocator: ProducerIdAllocator,
    cluster: ProducerIdCluster,
  ): Promise<void> {
    // Yield first, so even a request that fails at once is answered outside the call that asked.
    await Promise.resolve();
    const brokerEpoch = cluster.controller.brokerEpochValue;
    if (brokerEpoch < 0) {
      allocator.onBlockFailed("this broker is not registered with the controller yet");
      return;
    }
    let answer: controller.Response | null;
    try {
      answer = await cluster.controller.request({
        type: "allocateProducerIds",
        brokerId: cluster.brokerId,
        brokerEpoch,
      });
    } catch (error) {
      allocator.onBlockFailed(error instanceof Error ? error.message : String(error));
      return;
    }
    if (answer?.type !== "allocateProducerIds" || answer.error !== "NONE") {
      const why = answer?.type === "allocateProducerIds" ? answer.error : "no answer";
      allocator.onBlockFailed(`the controller's AllocateProducerIds answered ${why}`);
      return;
    }
    invariant(
      Number.isSafeInteger(answer.firstProducerId) && answer.firstProducerId >= 0 && answer.size >= 1,
      () => `producer ids: the controller answered a bad block [${answer.firstProducerId}, +${answer.size})`,
    );
    allocator.onBlock({ firstProducerId: answer.firstProducerId, size: answer.size });
  }
}
