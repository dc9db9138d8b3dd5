/**
 * A node's controller side: the core's Raft quorum over the metadata log with the core's metadata
 * controller applied on top, as KRaft stacks them. It is the only code that steps those two machines,
 * for the broker and the simulator alike. It owns the order the quorum's Ready prescribes (persist,
 * then send, then apply, then acknowledge what was persisted), the snapshot rules (a stale suffix under
 * an installed snapshot goes; a snapshot restored into an active controller deactivates it first;
 * snapshots of its own are taken at the last entry applied to the controller, never past it),
 * activating the controller once its node leads and has applied everything before its term, proposing
 * the controller's records and answering each request only once its entry has committed (answers
 * without records wait for the latest proposal, as Kafka's do), failing the proposals of an earlier
 * term, and a leader lease for refusals decided on its own image.
 *
 * Storage may complete later (the broker's) or at once (the simulator's): inputs that arrive while a
 * Ready waits for durability queue behind it, in order, bounded. It must never read a clock, set a
 * timer or touch storage itself: its environment does.
 */
import { controller, invariant, type PrngState, quorum } from "@eddy/core";
import type {
  ControllerEnv,
  ControllerHooks,
  MetadataImage,
  MetadataRecords,
  QuorumEntry,
  QuorumMessage,
  QuorumState,
} from "./controller-env.ts";

type Ready = quorum.Ready<MetadataRecords, MetadataImage>;
type QInput = quorum.Input<MetadataRecords, MetadataImage>;

/** Proposals awaiting commit; the core's controller refuses requests well before this. */
export const pendingProposalsMax = 1_024;
/** Inputs queued while a Ready waits for durability; beyond this, messages and ticks are dropped. */
export const queuedInputsMax = 100_000;

export interface MetadataControllerOptions {
  /** This node's voter id, and every voter's. */
  readonly nodeId: number;
  readonly voters: readonly number[];
  readonly quorumConfig?: Partial<quorum.QuorumConfig>;
  readonly controllerConfig?: Partial<controller.ControllerConfig>;
  /** Separate streams for the quorum's election timeouts and the controller's topic ids. */
  readonly quorumPrng: PrngState;
  readonly controllerPrng: PrngState;
  /** What the store held at start (a new node: nothing). */
  readonly durable: quorum.DurableState<MetadataRecords, MetadataImage>;
  /** Compact the log into a snapshot once this many applied entries sit above the last one. */
  readonly compactEntriesAt: number;
}

/** Answer to a controller request: the controller's response, and whether its records committed. */
export type ControllerAnswer = (response: controller.Response | null, committed: boolean) => void;

interface PendingProposal {
  readonly index: number;
  readonly term: number;
  answer: (committed: boolean) => void;
}

export class MetadataController {
  private q: QuorumState;
  private c: controller.ControllerState;
  private proposals: PendingProposal[] = [];
  /** The last Raft index applied to the controller machine (a committed entry or a snapshot). */
  private appliedIndex: number;
  /** Readies handed to the store whose durability has not been reported yet (nested ones included). */
  private readiesInFlight = 0;
  private readonly queued: (() => void)[] = [];
  private draining = false;
  private failure: Error | null = null;
  private readonly peerAckMs = new Map<number, number>();
  private latestMs = 0;

  private constructor(
    options: MetadataControllerOptions,
    private readonly env: ControllerEnv,
    private readonly hooks: ControllerHooks,
  ) {
    const d = options.durable;
    this.q = quorum.initialState<MetadataRecords, MetadataImage>({
      id: options.nodeId,
      voters: options.voters,
      prng: options.quorumPrng,
      config: options.quorumConfig,
      emptySnapshotData: controller.emptyImage,
      durable: { hardState: d.hardState, snapshot: d.snapshot, entries: [...d.entries] },
    });
    this.c = controller.initialState({
      prng: options.controllerPrng,
      config: options.controllerConfig,
      image: d.snapshot.data,
    });
    this.appliedIndex = d.snapshot.index;
    this.storedView = this.q;
    this.compactEntriesAt = options.compactEntriesAt;
    invariant(this.compactEntriesAt >= 1, "compactEntriesAt must be positive");
  }

  private readonly compactEntriesAt: number;

  /** Restores the quorum and controller from what the store held; the committed entries after the snapshot are re-applied by the first Readies. */
  static open(
    options: MetadataControllerOptions,
    env: ControllerEnv,
    hooks: ControllerHooks = {},
  ): MetadataController {
    return new MetadataController(options, env, hooks);
  }

  // ------------------------------------------------------------------------------------------------
  // Views
  // ------------------------------------------------------------------------------------------------

  /** The image at the last committed offset: the only metadata brokers may act on. */
  get image(): MetadataImage {
    return this.c.image;
  }

  /** The image plus this controller's uncommitted proposals (what requests are decided on). */
  get latestImage(): MetadataImage {
    return this.c.latest;
  }

  get isActive(): boolean {
    return this.c.active && this.failure === null;
  }

  get quorumState(): QuorumState {
    return this.q;
  }

  get controllerState(): controller.ControllerState {
    return this.c;
  }

  get leaderId(): number | null {
    return this.q.leaderId;
  }

  /**
   * Whether a quorum of voters acknowledged this leader's appends of its current term within
   * `leaseMs` (counting itself): a refusal decided on this node's image is only as good as its
   * leadership, and a deposed leader that has not noticed yet would refuse from a stale image.
   */
  quorumHeardWithin(leaseMs: number): boolean {
    const q = this.q;
    if (q.role !== "leader") return false;
    const now = this.nowMs();
    let acks = 1;
    for (const [peer, at] of this.peerAckMs) if (peer !== q.id && now - at <= leaseMs) acks++;
    return acks >= quorum.quorumSize(q.voters);
  }

  /**
   * The error a broker is told for a request this controller answered (`committed` as its answer
   * said): a refusal stands only while a quorum acknowledged this leader within `leaseMs`; otherwise
   * it may come from a deposed leader's stale image, and the answer is NOT_CONTROLLER, which the
   * broker retries at the active controller. Both bindings answer AlterPartition through this.
   */
  trustedError(
    error: controller.ControllerError,
    committed: boolean,
    leaseMs: number,
  ): controller.ControllerError {
    const said = committed ? error : "NOT_CONTROLLER";
    return said !== "NONE" && !this.quorumHeardWithin(leaseMs) ? "NOT_CONTROLLER" : said;
  }

  // ------------------------------------------------------------------------------------------------
  // Inputs
  // ------------------------------------------------------------------------------------------------

  /** One logical tick of the quorum, and the controller's clock (broker sessions, fencing). */
  tick(): void {
    this.run(
      () => {
        this.stepQuorum({ type: "tick" });
        this.stepController({ type: "tick", nowMs: this.nowMs() });
      },
      () => {},
    );
  }

  /** Starts an election now (a node's first start, or a single voter at every start). */
  campaign(): void {
    this.run(
      () => this.stepQuorum({ type: "campaign" }),
      () => {},
    );
  }

  /** A Raft message from another voter. */
  onMessage(message: QuorumMessage): void {
    this.run(
      () => {
        const q = this.q;
        if (
          message.type === "AppendResponse" &&
          message.success &&
          message.term === q.term &&
          q.role === "leader"
        )
          this.peerAckMs.set(message.from, this.nowMs());
        let m = message;
        if (this.hooks.quorumMessage !== undefined) {
          const rewritten = this.hooks.quorumMessage(this.q, message);
          this.q = rewritten.state;
          m = rewritten.message;
        }
        this.stepQuorum({ type: "message", message: m });
      },
      () => {},
    );
  }

  /**
   * A request to the controller (topics, partitions, broker registration and heartbeats, ISR
   * changes). `answer` is called once: after its records committed (committed = true), or when they
   * never will (not the leader any more, refused, stopped).
   */
  request(input: controller.Input, answer: ControllerAnswer): void {
    this.run(
      () => this.stepController(input, answer),
      () => answer(null, false),
    );
  }

  /**
   * Calls `done` once every input that arrived before it has been acted on, durability included (a
   * restarted node's committed entries re-applied, an election it started settled).
   */
  barrier(done: () => void): void {
    this.run(done, done);
  }

  private nowMs(): number {
    const now = this.env.nowMs();
    if (now > this.latestMs) this.latestMs = now;
    return this.latestMs;
  }

  /**
   * Runs `work` now, or after the Ready that waits for durability, in arrival order. `refuse` answers
   * an input that cannot run (the controller stopped, or too many inputs wait).
   */
  private run(work: () => void, refuse: () => void): void {
    if (this.failure !== null) {
      refuse();
      return;
    }
    if (this.readiesInFlight > 0 || this.draining) {
      if (this.queued.length >= queuedInputsMax) {
        refuse();
        return;
      }
      this.queued.push(() => (this.failure === null ? work() : refuse()));
      return;
    }
    work();
    this.drain();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let n = 0; this.readiesInFlight === 0 && this.queued.length > 0; n++) {
        invariant(n <= queuedInputsMax, "controller input queue does not drain");
        this.queued.shift()!();
      }
    } finally {
      this.draining = false;
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Quorum
  // ------------------------------------------------------------------------------------------------

  private stepQuorum(input: QInput): void {
    if (this.failure !== null) return;
    const res = quorum.step(this.q, input);
    this.q = res.state;
    this.actQuorum(res.ready, res.state);
    this.afterLeaderStep();
  }

  private afterLeaderStep(): void {
    const hook = this.hooks.afterLeaderStep;
    if (hook === undefined || this.q.role !== "leader" || this.failure !== null) return;
    const replaced = hook(this.q);
    if (replaced === null) return;
    this.q = replaced;
    // The core hands out newly committed entries with its next Ready; an acknowledgement it has
    // already seen (index 0, which it ignores) makes that happen at once.
    this.stepQuorum({ type: "persisted", index: 0, term: 0 });
  }

  /**
   * Acts on one Ready: persist, then (once durable) send, apply and acknowledge. `before` is the
   * quorum state the step started from: its log is what the store holds (every entry it handed out
   * has been stored before the next step ran), which the snapshot rule needs.
   */
  private actQuorum(ready: Ready, after: QuorumState): void {
    const before = this.storedView;
    this.storedView = after;
    const store = this.env.store;
    if (ready.hardState !== null) store.saveHardState(ready.hardState);
    if (ready.snapshot !== null) {
      const snap = ready.snapshot;
      store.installSnapshot(snap, quorum.termAt(before, snap.index) === snap.term);
    }
    if (ready.entries.length > 0) {
      const first = ready.entries[0]!.index;
      // Entries usually extend the stored tail; only a conflicting suffix is cut (then rewritten).
      if (quorum.lastIndex(before) >= first && before.snapshot.index < first) {
        store.truncateFrom(first);
        this.hooks.logTruncated?.();
      }
      store.appendEntries(ready.entries);
    }
    const nothingStored = ready.hardState === null && ready.snapshot === null && ready.entries.length === 0;
    if (nothingStored) {
      this.afterDurable(ready);
      return;
    }
    this.readiesInFlight++;
    let synced = false;
    store.sync((error) => {
      invariant(!synced, "controller store reported one sync twice");
      synced = true;
      this.readiesInFlight--;
      if (error !== null) this.fail(error);
      else this.afterDurable(ready);
      if (this.readiesInFlight === 0) this.drain();
    });
  }

  /** The quorum state whose log the store holds (updated as each Ready is handed to the store). */
  private storedView: QuorumState;

  private afterDurable(ready: Ready): void {
    if (this.failure !== null) return;
    // 2. Send: messages may promise what step 1 stored (votes, acknowledgements), so never before.
    for (const m of ready.messages) this.env.send(m);
    // 3. Apply.
    if (ready.snapshot !== null) {
      // A leader deposed by the snapshot's sender stops acting as the controller before loading it.
      if (this.c.active) this.deactivate();
      const previous = this.c.image;
      this.c = controller.step(this.c, { type: "restore", image: ready.snapshot.data }).state;
      this.appliedIndex = ready.snapshot.index;
      this.published(previous, true);
    }
    for (const e of ready.committed) this.applyCommitted(e);
    const soft = ready.softState;
    // Proposals of an earlier term (or of a node no longer leading) may never commit at their index:
    // fail them, as Kafka answers NOT_CONTROLLER, so answers waiting behind them are not stuck.
    if (this.proposals.length > 0 && (soft.role !== "leader" || this.proposals[0]!.term < soft.term))
      this.failStaleProposals(soft);
    if (soft.role === "leader" && soft.leaderReady && !this.c.active)
      this.c = controller.step(this.c, { type: "activate", nowMs: this.nowMs() }).state;
    else if (soft.role !== "leader" && this.c.active) this.deactivate();
    this.hooks.afterReady?.(ready, ready.snapshot !== null);
    // 4. Acknowledge what step 1 stored.
    if (ready.entries.length > 0) {
      const last = ready.entries[ready.entries.length - 1]!;
      this.stepQuorum({ type: "persisted", index: last.index, term: last.term });
    }
    this.maybeCompact();
  }

  private failStaleProposals(soft: quorum.SoftState): void {
    const stale = this.proposals.filter((p) => soft.role !== "leader" || p.term < soft.term);
    this.proposals = this.proposals.filter((p) => soft.role === "leader" && p.term >= soft.term);
    for (const p of stale) p.answer(false);
  }

  private applyCommitted(e: QuorumEntry): void {
    if (e.payload !== null) {
      const previous = this.c.image;
      this.c = controller.step(this.c, { type: "committed", offset: e.index, records: e.payload }).state;
      this.published(previous, false);
    }
    this.appliedIndex = e.index;
    // Answer the proposals this entry settles.
    for (let n = 0; this.proposals.length > 0 && this.proposals[0]!.index <= e.index; n++) {
      invariant(n < pendingProposalsMax, "too many proposals settled by one entry");
      const p = this.proposals.shift()!;
      p.answer(p.index === e.index && p.term === e.term);
    }
  }

  private published(previous: MetadataImage, restored: boolean): void {
    const image = this.c.image;
    this.hooks.committedImage?.(image, previous, restored);
    if (image !== previous) this.env.imageCommitted(image, previous);
  }

  /**
   * Snapshots the controller machine's image at the last entry applied to it. Not at the quorum's
   * applied index: a Ready hands out several committed entries at once and the quorum counts them all
   * as applied before they are applied here, so a snapshot there would claim entries its image lacks.
   */
  private maybeCompact(): void {
    if (this.failure !== null) return;
    const index = this.appliedIndex;
    if (index - this.q.snapshot.index < this.compactEntriesAt) return;
    const term = quorum.termAt(this.q, index);
    invariant(term !== null, "controller: applied entry unknown to the quorum");
    this.env.store.compact({ index, term, data: this.c.image });
    this.hooks.compacted?.();
    this.stepQuorum({ type: "compact", index, data: this.c.image });
  }

  // ------------------------------------------------------------------------------------------------
  // Controller machine
  // ------------------------------------------------------------------------------------------------

  private stepController(input: controller.Input, answer?: ControllerAnswer): void {
    if (this.failure !== null) {
      answer?.(null, false);
      return;
    }
    const state = this.hooks.controllerState?.(this.c) ?? this.c;
    const res = controller.step(state, input);
    this.c = res.state;
    const ready = res.ready;
    if (ready.records.length === 0) {
      const last = this.proposals[this.proposals.length - 1];
      if (last === undefined || answer === undefined) answer?.(ready.response, true);
      else {
        // Kafka's rule for answers with no records: they may depend on uncommitted proposals (an
        // INVALID_UPDATE_VERSION against a pending ISR change), so they wait for the latest proposal
        // to commit and fail with it if it never does.
        const prior = last.answer;
        last.answer = (ok) => {
          prior(ok);
          answer(ready.response, ok);
        };
      }
      return;
    }
    const prop = quorum.step(this.q, { type: "propose", payload: ready.records });
    this.q = prop.state;
    const result = prop.ready.proposal;
    if (result?.accepted === true) {
      invariant(this.proposals.length < pendingProposalsMax, "too many proposals in flight");
      this.proposals.push({
        index: result.index,
        term: result.term,
        answer: (ok) => answer?.(ready.response, ok),
      });
      this.actQuorum(prop.ready, prop.state);
    } else {
      this.actQuorum(prop.ready, prop.state);
      this.env.log(`controller: proposal refused (${result === null ? "no answer" : result.reason})`);
      this.deactivate();
      answer?.(ready.response, false);
    }
  }

  private deactivate(): void {
    if (this.c.active) this.c = controller.step(this.c, { type: "deactivate" }).state;
    const failed = this.proposals;
    this.proposals = [];
    for (const p of failed) p.answer(false);
    this.hooks.deactivated?.();
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.deactivate();
    const refused = this.queued.splice(0);
    for (const run of refused) run();
    this.env.storeFailed(error);
  }
}
