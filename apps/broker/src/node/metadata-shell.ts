/**
 * The controller side of a broker: the shared node's `MetadataController` (the core's Raft quorum
 * with the metadata controller on top, the same driver the simulator runs) bound to this broker's
 * storage. The metadata log is the partition `__cluster_metadata-0` (one batch per Raft entry, at
 * offset index - 1, the entry's term as the batch's leader epoch), the quorum's hard state and
 * snapshots live in the state store, each decoded with its schema when read back. A single node is a
 * quorum of one; cluster mode adds voters and a transport for the quorum's messages, not a rewrite.
 *
 * Owns: the store binding (writes chained in order, each `sync` answered once all before it are
 * durable), reading the durable state back at start, publishing committed images to the node's
 * listeners in order, and answering requests once their records committed and those listeners ran.
 * Must never let a client hear of a change before it has committed.
 */

import { controller, prngFromSeed, prngJump, type quorum } from "@eddy/core";
import {
  type ControllerStore,
  MetadataController,
  type MetadataImage,
  type QuorumEntry,
  type QuorumMessage,
  type QuorumSnapshot,
} from "@eddy/node";
import { concatBatches, decodeRecordBatches, encodeRecordBatch } from "@eddy/protocol";
import {
  decodeStoredJson,
  type MetadataSnapshot,
  metadataDirPath,
  metadataLogPartition,
  metadataSnapshotPath,
  quorumStatePath,
  storageError,
} from "@eddy/storage";
import { BrokerMetadata, type ImageListener } from "./broker-metadata.ts";
import { StoredMetadataSnapshot } from "./metadata-image-schema.ts";
import { StoredMetadataLogEntry } from "./metadata-record-schema.ts";
import { StoredQuorumState } from "./quorum-state-schema.ts";
import type { Storage } from "./storage.ts";

type Records = readonly controller.MetadataRecord[];
type Image = MetadataImage;

/** How often the quorum ticks; with electionTicks 10 a lost single-node leader re-elects in ~1-2 s. */
export const metadataTickMs = 100;
/** Applied entries above the last snapshot before a new snapshot compacts them. */
const compactEveryEntries = 1024;
/** Bytes of the metadata log read per call at start-up, and a bound on those reads. */
const readChunkBytes = 1 << 20;
const readChunksMax = 10_000_000;

const encoder = new TextEncoder();

export type { ControllerForwarder, ImageListener } from "./broker-metadata.ts";

/** What the metadata shell is opened with. */
export interface MetadataShellOptions {
  readonly nodeId: number;
  /** Seeds the quorum's election jitter and the controller's topic ids (fresh at every start). */
  readonly seed: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly log: (line: string) => void;
  /** The node's clock (monotonic); the wall clock when not given. */
  readonly clock?: () => number;
  /** Every voter's id, this node's included; a cluster of one when not given. */
  readonly voters?: readonly number[];
  /** Sends a Raft message to another voter (cluster mode); a single node has no one to send to. */
  readonly send?: (message: QuorumMessage) => void;
  /** Kafka's broker.session.timeout.ms: a broker silent this long is fenced by the active controller. */
  readonly sessionTimeoutMs?: number;
}

/**
 * The Raft log's store over the broker's storage services. Writes are chained, so they reach the disk
 * in the order the controller asked; after a failure the rest are skipped and every `sync` reports it.
 */
class MetadataStore implements ControllerStore {
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  constructor(
    private readonly storage: Storage,
    private readonly clock: () => number,
  ) {}

  private enqueue(op: () => Promise<unknown>): void {
    this.chain = this.chain.then(async () => {
      if (this.failure !== null) return;
      try {
        await op();
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
      }
    });
  }

  saveHardState(hardState: quorum.HardState): void {
    const { storage } = this;
    this.enqueue(() => storage.run(storage.state.saveQuorumState(encoder.encode(JSON.stringify(hardState)))));
  }

  installSnapshot(snapshot: QuorumSnapshot, keepEntriesAfter: boolean): void {
    const { storage } = this;
    this.enqueue(async () => {
      await this.saveSnapshot(snapshot);
      // The log's offsets are Raft index - 1: entries after the snapshot start at offset `index`.
      if (keepEntriesAfter)
        await storage.run(storage.logs.advanceLogStart(metadataLogPartition, snapshot.index));
      else await storage.run(storage.logs.truncateFullyAndStartAt(metadataLogPartition, snapshot.index));
    });
  }

  truncateFrom(index: number): void {
    const { storage } = this;
    this.enqueue(() => storage.run(storage.logs.truncateTo(metadataLogPartition, index - 1)));
  }

  appendEntries(entries: readonly QuorumEntry[]): void {
    const { storage } = this;
    const batches = entries.map((entry) =>
      encodeRecordBatch({
        baseOffset: BigInt(entry.index - 1),
        partitionLeaderEpoch: entry.term,
        records: [{ value: encoder.encode(JSON.stringify({ term: entry.term, payload: entry.payload })) }],
      }),
    );
    this.enqueue(async () => {
      await storage.run(storage.logs.append(metadataLogPartition, concatBatches(batches), this.clock()));
      await storage.run(storage.logs.flush(metadataLogPartition));
    });
  }

  compact(snapshot: QuorumSnapshot): void {
    const { storage } = this;
    this.enqueue(async () => {
      await this.saveSnapshot(snapshot);
      // The snapshot now holds every entry up to its index: older snapshots and that part of the log
      // go, so the metadata on disk stays bounded however long the broker runs.
      await storage.run(storage.state.deleteMetadataSnapshotsBefore(snapshot.index));
      await storage.run(storage.logs.advanceLogStart(metadataLogPartition, snapshot.index));
    });
  }

  private saveSnapshot(snapshot: QuorumSnapshot): Promise<void> {
    const { storage } = this;
    const bytes = encoder.encode(JSON.stringify(snapshot));
    return storage.run(
      storage.state.saveMetadataSnapshot({ endOffset: snapshot.index, epoch: snapshot.term, bytes }),
    );
  }

  sync(done: (error: Error | null) => void): void {
    this.chain.then(() => done(this.failure));
  }
}

export class MetadataShell extends BrokerMetadata {
  private readonly listeners: ImageListener[] = [];
  /** Listener calls, in commit order; answers wait for the calls of the images they depend on. */
  private published: Promise<void> = Promise.resolve();
  private readonly controller: MetadataController;

  private constructor(
    storage: Storage,
    options: MetadataShellOptions,
    durable: quorum.DurableState<Records, Image>,
  ) {
    super(options.nodeId, options.log);
    const log = options.log;
    const clock = options.clock ?? Date.now;
    // The quorum's election jitter and the controller's topic ids draw from separate streams.
    const root = prngFromSeed(options.seed);
    const send = options.send;
    this.controller = MetadataController.open(
      {
        nodeId: options.nodeId,
        voters: options.voters ?? [options.nodeId],
        quorumPrng: root,
        controllerPrng: prngJump(root),
        controllerConfig: {
          uncleanLeaderElectionEnable: options.uncleanLeaderElectionEnable,
          ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
        },
        durable,
        compactEntriesAt: compactEveryEntries,
      },
      {
        nowMs: clock,
        // A single node has no peers; cluster mode hands the quorum's messages to its transport.
        send: send ?? ((message) => log(`metadata: no transport for ${message.type} to voter ${message.to}`)),
        store: new MetadataStore(storage, clock),
        imageCommitted: (image, previous) => {
          this.published = this.published.then(async () => {
            for (const listener of this.listeners) await listener(image, previous);
          });
        },
        storeFailed: (error) =>
          log(`metadata: the metadata store failed, the controller stopped: ${error.message}`),
        log,
      },
    );
  }

  /** The image at the last committed offset: the only metadata the broker acts on. */
  get image(): Image {
    return this.controller.image;
  }

  onImage(listener: ImageListener): void {
    this.listeners.push(listener);
  }

  /** Restores the quorum and controller from storage (or starts them empty) and elects this node. */
  static async open(storage: Storage, options: MetadataShellOptions): Promise<MetadataShell> {
    const durable = await readMetadataDurable(storage);
    const shell = new MetadataShell(storage, options, durable);
    // A quorum of one elects itself at every start; the committed entries after the snapshot are
    // re-applied on the way, so the image is complete once this settles. A voter of a larger quorum
    // waits for its election timeout like any Raft node (its peers may already have a leader).
    if ((options.voters ?? [options.nodeId]).length === 1) shell.controller.campaign();
    await new Promise<void>((resolve) => shell.controller.barrier(resolve));
    await shell.published;
    if (durable.entries.length > 0)
      options.log(
        `metadata: recovered ${durable.entries.length} log entries after snapshot ${durable.snapshot.index}`,
      );
    return shell;
  }

  /** This node's controller is the active one (it leads the quorum and has applied its term's start). */
  get isActive(): boolean {
    return this.controller.isActive;
  }

  /** The quorum's leader as this voter knows it, null while there is none. */
  get leaderId(): number | null {
    return this.controller.leaderId;
  }

  /** A Raft message from another voter. */
  onQuorumMessage(message: QuorumMessage): void {
    this.controller.onMessage(message);
  }

  /** The error a forwarded request's answer carries (see `MetadataController.trustedError`). */
  trustedError(
    error: controller.ControllerError,
    committed: boolean,
    leaseMs: number,
  ): controller.ControllerError {
    return this.controller.trustedError(error, committed, leaseMs);
  }

  /**
   * A request to this node's own controller, answered with whether its records committed. The
   * cluster's forwarding uses it on the active controller for requests other nodes sent.
   */
  requestLocal(
    input: controller.Input,
  ): Promise<{ response: controller.Response | null; committed: boolean }> {
    return new Promise((resolve) =>
      this.controller.request(input, (response, committed) => resolve({ response, committed })),
    );
  }

  /** Advances logical time for the quorum and the controller. */
  tick(): void {
    this.controller.tick();
  }

  /** A request to this node's own controller, answered as `request` answers (NOT_CONTROLLER when not committed). */
  requestHere(input: controller.Input): Promise<controller.Response | null> {
    return new Promise((resolve) =>
      this.controller.request(input, (response, committed) => {
        const answer = committed ? response : notController(response);
        void this.published.then(() => resolve(answer));
      }),
    );
  }

  /** Resolves once every image committed so far has reached the node's listeners. */
  settled(): Promise<void> {
    return this.published;
  }
}

/**
 * Reads back what the quorum made durable (hard state, latest snapshot, the log entries after it),
 * decoding each with its schema. It writes nothing, so a start refused here leaves the stored state as
 * it was; the broker also runs it before any shell opens (`stored-state-check.ts`).
 */
export async function readMetadataDurable(storage: Storage): Promise<quorum.DurableState<Records, Image>> {
  const { logs, state } = storage;
  await storage.run(logs.openPartition(metadataLogPartition));
  const hardBytes = await storage.run(state.loadQuorumState());
  const snapshotStored = await storage.run(state.latestMetadataSnapshot());
  const snapshot: quorum.Snapshot<Image> =
    snapshotStored === null
      ? { index: 0, term: 0, data: controller.emptyImage }
      : decodeSnapshot(storage.dataDir, snapshotStored);
  const entries: quorum.Entry<Records>[] = [];
  const info = await storage.run(logs.info(metadataLogPartition));
  let offset = Math.max(info.logStartOffset, snapshot.index);
  for (let guard = 0; offset < info.logEndOffset && guard < readChunksMax; guard++) {
    const read = await storage.run(
      logs.read(metadataLogPartition, { fetchOffset: offset, maxBytes: readChunkBytes }),
    );
    if (read.batchCount === 0) break;
    for (const batch of decodeRecordBatches(read.records)) {
      const index = Number(batch.header.baseOffset) + 1;
      const source = `metadata log record at offset ${index - 1} in ${metadataDirPath(storage.dataDir)}`;
      const value = batch.records[0]?.value;
      if (value === null || value === undefined)
        throw storageError("Corrupt", source, "the record has no value");
      const stored = decodeStoredJson(StoredMetadataLogEntry, source, value);
      // The shell writes each entry's term as its batch's leader epoch too; a mismatch means one was altered.
      if (stored.term !== batch.header.partitionLeaderEpoch) {
        throw storageError(
          "Corrupt",
          source,
          `field term: expected ${batch.header.partitionLeaderEpoch} (the batch's leader epoch), got ${stored.term}`,
        );
      }
      if (index > snapshot.index) entries.push({ index, term: stored.term, payload: stored.payload });
    }
    offset = read.nextOffset;
  }
  const hardState: quorum.HardState =
    hardBytes === null
      ? { term: snapshot.term, votedFor: null, commitIndex: snapshot.index }
      : decodeStoredJson(StoredQuorumState, `quorum state ${quorumStatePath(storage.dataDir)}`, hardBytes);
  return { hardState, snapshot, entries };
}

/** Decodes a stored snapshot; its index and term must be the ones its file is named for. */
function decodeSnapshot(dataDir: string, stored: MetadataSnapshot): quorum.Snapshot<Image> {
  const source = `metadata snapshot ${metadataSnapshotPath(dataDir, stored.endOffset, stored.epoch)}`;
  const snapshot = decodeStoredJson(StoredMetadataSnapshot, source, stored.bytes);
  if (snapshot.index !== stored.endOffset || snapshot.term !== stored.epoch) {
    throw storageError(
      "Corrupt",
      source,
      `fields index and term: expected ${stored.endOffset} and ${stored.epoch} (the file's name), got ${snapshot.index} and ${snapshot.term}`,
    );
  }
  return snapshot;
}

export function notController(response: controller.Response | null): controller.Response | null {
  if (response === null) return null;
  switch (response.type) {
    case "createTopics":
    case "deleteTopics":
    case "createPartitions":
      return {
        ...response,
        topics: response.topics.map((t) => ({ ...t, error: "NOT_CONTROLLER" as const })),
      } as controller.Response;
    // A config change whose records did not commit did not happen.
    case "alterTopicConfigs":
      return {
        ...response,
        topics: response.topics.map((t) => ({ ...t, error: "NOT_CONTROLLER" as const, message: null })),
      };
    case "alterBrokerConfigs":
      return {
        ...response,
        resources: response.resources.map((r) => ({ ...r, error: "NOT_CONTROLLER" as const, message: null })),
      };
    // A block whose record did not commit must never be used: a later controller hands it out again.
    case "allocateProducerIds":
      return { ...response, error: "NOT_CONTROLLER", firstProducerId: -1, size: 0 };
    // A registration, heartbeat or ISR change that did not commit did not happen: the broker must
    // not take its epoch, its unfencing or its new ISR for granted.
    case "registerBroker":
      return { ...response, error: "NOT_CONTROLLER", brokerEpoch: -1 };
    case "brokerHeartbeat":
      return { ...response, error: "NOT_CONTROLLER" };
    case "alterPartition":
      return { ...response, error: "NOT_CONTROLLER", partition: null };
    case "electLeaders":
      return {
        ...response,
        partitions: response.partitions.map((p) => ({ ...p, error: "NOT_CONTROLLER" as const })),
      };
    default:
      return response;
  }
}
