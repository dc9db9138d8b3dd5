/**
 * The controller side of a node: the core's Raft quorum and metadata controller, driven the way
 * their doc comments prescribe (persist, then send, then apply), with the metadata log stored as the
 * partition `__cluster_metadata-0` and the quorum's hard state in the state store. A single node is a
 * quorum of one; cluster mode adds voters and a transport for `messages`, not a rewrite.
 *
 * Owns: turning controller requests (create/delete topics, partitions, broker registration and
 * heartbeats) into quorum proposals, answering them once committed, and publishing every committed
 * metadata image to listeners. Must never let a client hear of a change before it has committed.
 */

import { controller, invariant, prngFromSeed, prngJump, quorum } from "@eddy/core";
import { concatBatches, decodeRecordBatches, encodeRecordBatch } from "@eddy/protocol";
import {
  decodeStoredJson,
  type MetadataSnapshot,
  metadataDirPath,
  metadataLogPartition,
  metadataSnapshotPath,
  quorumStatePath,
  storageError,
} from "@eddy/storage-memory";
import { StoredMetadataSnapshot } from "./metadata-image-schema.ts";
import { StoredMetadataLogEntry } from "./metadata-record-schema.ts";
import { StoredQuorumState } from "./quorum-state-schema.ts";
import { SerialQueue } from "./serial.ts";
import type { Storage } from "./storage.ts";

type Records = readonly controller.MetadataRecord[];
type Image = controller.MetadataImage;
type QuorumState = quorum.QuorumState<Records, Image>;
type QuorumReady = quorum.Ready<Records, Image>;

/** How often the quorum ticks; with electionTicks 10 a lost single-node leader re-elects in ~1-2 s. */
export const metadataTickMs = 100;
/** Applied entries kept in memory before a snapshot compacts them. */
const compactEveryEntries = 1024;
/** Bytes of the metadata log read per call at start-up, and a bound on those reads. */
const readChunkBytes = 1 << 20;
const readChunksMax = 10_000_000;
const pendingAnswersMax = 10_000;

const encoder = new TextEncoder();

export type ImageListener = (image: Image, previous: Image) => void | Promise<void>;

export class MetadataShell {
  private quorumState: QuorumState;
  private controllerState: controller.ControllerState;
  private readonly queue = new SerialQueue("metadata", 100_000);
  /**
   * Answers waiting for their proposal to commit, by Raft index. The term is kept too: in a cluster a
   * new leader may replace the entry at that index, and then the proposal failed.
   */
  private readonly waiting = new Map<number, { term: number; answer: (committed: boolean) => void }>();
  private readonly listeners: ImageListener[] = [];
  private appliedSinceSnapshot = 0;
  /**
   * The last Raft index whose entry (or snapshot) the controller machine holds. A snapshot is taken
   * here and not at the quorum's applied index, which counts a Ready's committed entries as applied
   * before the shell has applied them (the simulator caught its controller shell snapshotting an image
   * that lacked entries it claimed).
   */
  private lastAppliedIndex: number;
  private brokerEpoch = -1;

  private constructor(
    private readonly storage: Storage,
    private readonly nodeId: number,
    private readonly log: (line: string) => void,
    quorumState: QuorumState,
    controllerState: controller.ControllerState,
  ) {
    this.quorumState = quorumState;
    this.controllerState = controllerState;
    // The controller starts from the snapshot the quorum was opened on.
    this.lastAppliedIndex = quorumState.appliedIndex;
  }

  /** The image at the last committed offset: the only metadata the broker acts on. */
  get image(): Image {
    return this.controllerState.image;
  }

  onImage(listener: ImageListener): void {
    this.listeners.push(listener);
  }

  /** Restores the quorum and controller from storage (or starts them empty) and elects this node. */
  static async open(
    storage: Storage,
    options: {
      nodeId: number;
      seed: number;
      uncleanLeaderElectionEnable: boolean;
      log: (line: string) => void;
    },
  ): Promise<MetadataShell> {
    const durable = await readMetadataDurable(storage);
    const { snapshot, entries } = durable;
    // The quorum's election jitter and the controller's topic ids draw from separate streams.
    const root = prngFromSeed(options.seed);
    const controllerStream = prngJump(root);
    const quorumState = quorum.initialState<Records, Image>({
      id: options.nodeId,
      voters: [options.nodeId],
      prng: root,
      emptySnapshotData: controller.emptyImage,
      durable,
    });
    const controllerState = controller.initialState({
      prng: controllerStream,
      config: { uncleanLeaderElectionEnable: options.uncleanLeaderElectionEnable },
      image: snapshot.data,
    });
    const shell = new MetadataShell(storage, options.nodeId, options.log, quorumState, controllerState);
    await shell.queue.run(() => shell.stepQuorum({ type: "campaign" }));
    if (entries.length > 0)
      options.log(`metadata: recovered ${entries.length} log entries after snapshot ${snapshot.index}`);
    return shell;
  }

  /** Registers this broker with its own controller and unfences it; resolves once committed. */
  async registerSelf(host: string, port: number, nowMs: number): Promise<void> {
    const registered = await this.request({
      type: "registerBroker",
      nowMs,
      brokerId: this.nodeId,
      host,
      port,
      rack: null,
    });
    invariant(registered?.type === "registerBroker", "metadata: registerBroker answer");
    if (registered.error !== "NONE") throw new Error(`broker registration failed: ${registered.error}`);
    this.brokerEpoch = registered.brokerEpoch;
    await this.heartbeat(nowMs);
  }

  /** The broker's heartbeat to its controller; the single node keeps its own session alive. */
  async heartbeat(nowMs: number): Promise<void> {
    if (this.brokerEpoch < 0) return;
    await this.request({
      type: "brokerHeartbeat",
      nowMs,
      brokerId: this.nodeId,
      brokerEpoch: this.brokerEpoch,
      wantFence: false,
    });
  }

  /** Advances logical time for the quorum and the controller. */
  tick(nowMs: number): Promise<void> {
    return this.queue.run(async () => {
      await this.stepQuorum({ type: "tick" });
      await this.stepController({ type: "tick", nowMs });
    });
  }

  /** Sends a request to the controller and resolves with its answer once its records committed. */
  request(input: controller.Input): Promise<controller.Response | null> {
    return this.queue.run(() => this.stepController(input)).then((stepped) => stepped.answer);
  }

  /**
   * Steps the controller and proposes its records. The answer comes wrapped: an async function that
   * returned the bare promise would resolve only with it, holding the queue until the entry commits,
   * while the commit itself needs later steps of that queue (a quorum with peers).
   */
  private async stepController(
    input: controller.Input,
  ): Promise<{ readonly answer: Promise<controller.Response | null> }> {
    const { state, ready } = controller.step(this.controllerState, input);
    this.controllerState = state;
    if (ready.records.length === 0) return { answer: Promise.resolve(ready.response) };
    const proposal = await this.stepQuorum({ type: "propose", payload: ready.records });
    if (proposal === null || !proposal.accepted) {
      this.log(`metadata: proposal refused (${proposal === null ? "no answer" : proposal.reason})`);
      this.controllerState = controller.step(this.controllerState, { type: "deactivate" }).state;
      this.maybeActivate();
      return { answer: Promise.resolve(notController(ready.response)) };
    }
    invariant(this.waiting.size < pendingAnswersMax, "metadata: too many answers waiting");
    // A one-voter quorum commits and applies the entry inside stepQuorum, before anyone could wait.
    if (this.quorumState.appliedIndex >= proposal.index) {
      return { answer: Promise.resolve(ready.response) };
    }
    const answer = new Promise<controller.Response | null>((resolve) =>
      this.waiting.set(proposal.index, {
        term: proposal.term,
        answer: (committed) => resolve(committed ? ready.response : notController(ready.response)),
      }),
    );
    return { answer };
  }

  private async stepQuorum(input: quorum.Input<Records, Image>): Promise<quorum.ProposeResult | null> {
    let result = quorum.step(this.quorumState, input);
    this.quorumState = result.state;
    const proposal = result.ready.proposal;
    // Each Ready may lead to another (persisted -> commit); the loop is bounded by the log's size.
    for (let round = 0; round < 10_000; round++) {
      const more = await this.handleReady(result.ready);
      if (more === null) return proposal;
      result = quorum.step(this.quorumState, more);
      this.quorumState = result.state;
    }
    invariant(false, "metadata: quorum did not settle");
  }

  /** Acts on one Ready in the prescribed order; returns the `persisted` input to feed back, if any. */
  private async handleReady(ready: QuorumReady): Promise<quorum.Input<Records, Image> | null> {
    const { logs, state } = this.storage;
    // 1. Persist: hard state, snapshot, entries.
    if (ready.hardState !== null) {
      await this.storage.run(state.saveQuorumState(encoder.encode(JSON.stringify(ready.hardState))));
    }
    if (ready.snapshot !== null) {
      const bytes = encoder.encode(JSON.stringify(ready.snapshot));
      await this.storage.run(
        state.saveMetadataSnapshot({ endOffset: ready.snapshot.index, epoch: ready.snapshot.term, bytes }),
      );
    }
    if (ready.entries.length > 0) {
      const first = ready.entries[0]!;
      const info = await this.storage.run(logs.info(metadataLogPartition));
      if (info.logEndOffset > first.index - 1)
        await this.storage.run(logs.truncateTo(metadataLogPartition, first.index - 1));
      const batches = ready.entries.map((entry) =>
        encodeRecordBatch({
          baseOffset: BigInt(entry.index - 1),
          partitionLeaderEpoch: entry.term,
          records: [{ value: encoder.encode(JSON.stringify({ term: entry.term, payload: entry.payload })) }],
        }),
      );
      await this.storage.run(logs.append(metadataLogPartition, concatBatches(batches), Date.now()));
      await this.storage.run(logs.flush(metadataLogPartition));
    }
    // 2. Send: a single node has no peers; cluster mode hands `ready.messages` to the transport here.
    invariant(
      ready.messages.length === 0 || this.quorumState.voters.length > 1,
      "metadata: messages without peers",
    );
    // 3. Apply.
    if (ready.snapshot !== null) {
      const previous = this.controllerState.image;
      this.controllerState = controller.step(this.controllerState, {
        type: "restore",
        image: ready.snapshot.data,
      }).state;
      this.lastAppliedIndex = ready.snapshot.index;
      await this.publish(previous);
    }
    if (ready.softState.role !== "leader" && this.controllerState.active) {
      this.controllerState = controller.step(this.controllerState, { type: "deactivate" }).state;
    }
    for (const entry of ready.committed) {
      if (entry.payload !== null) {
        const previous = this.controllerState.image;
        this.controllerState = controller.step(this.controllerState, {
          type: "committed",
          offset: entry.index,
          records: entry.payload,
        }).state;
        await this.publish(previous);
      }
      this.lastAppliedIndex = entry.index;
      const waiter = this.waiting.get(entry.index);
      if (waiter !== undefined) {
        this.waiting.delete(entry.index);
        waiter.answer(waiter.term === entry.term);
      }
      this.appliedSinceSnapshot++;
    }
    this.maybeActivate();
    if (ready.entries.length > 0) {
      const last = ready.entries[ready.entries.length - 1]!;
      return { type: "persisted", index: last.index, term: last.term };
    }
    if (this.appliedSinceSnapshot >= compactEveryEntries && ready.committed.length > 0) {
      this.appliedSinceSnapshot = 0;
      const index = this.lastAppliedIndex;
      const term = quorum.termAt(this.quorumState, index) ?? this.quorumState.term;
      const bytes = encoder.encode(JSON.stringify({ index, term, data: this.controllerState.image }));
      await this.storage.run(state.saveMetadataSnapshot({ endOffset: index, epoch: term, bytes }));
      // The snapshot now holds every entry up to `index`: older snapshots and that part of the log go,
      // so the metadata on disk stays bounded however long the broker runs.
      await this.storage.run(state.deleteMetadataSnapshotsBefore(index));
      await this.storage.run(logs.advanceLogStart(metadataLogPartition, index));
      return { type: "compact", index, data: this.controllerState.image };
    }
    return null;
  }

  /** Activates the controller once this node leads and has applied everything committed before its term. */
  private maybeActivate(): void {
    const soft = quorum.softState(this.quorumState);
    if (soft.leaderReady && !this.controllerState.active) {
      this.controllerState = controller.step(this.controllerState, {
        type: "activate",
        nowMs: Date.now(),
      }).state;
    }
  }

  private async publish(previous: Image): Promise<void> {
    const image = this.controllerState.image;
    if (image === previous) return;
    for (const listener of this.listeners) await listener(image, previous);
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

function notController(response: controller.Response | null): controller.Response | null {
  if (response === null) return null;
  switch (response.type) {
    case "createTopics":
    case "deleteTopics":
    case "createPartitions":
      return {
        ...response,
        topics: response.topics.map((t) => ({ ...t, error: "NOT_CONTROLLER" as const })),
      } as controller.Response;
    default:
      return response;
  }
}
