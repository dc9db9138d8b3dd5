/**
 * What the metadata controller is handed by its node: a clock, a transport to the other voters,
 * durable storage for the Raft log (hard state, snapshots, entries) and a place to publish committed
 * metadata images. The broker binds the store to its state store and `__cluster_metadata-0` (its
 * writes complete asynchronously); the simulator binds it to a durable record that survives crashes
 * (its writes complete at once). The hooks are the simulator's: online checks, coverage probes and the
 * controller-side switches of the known-bug corpus. The broker passes none.
 */
import type { controller, quorum } from "@eddy/core";

export type MetadataRecords = readonly controller.MetadataRecord[];
export type MetadataImage = controller.MetadataImage;
export type QuorumState = quorum.QuorumState<MetadataRecords, MetadataImage>;
export type QuorumMessage = quorum.Message<MetadataRecords, MetadataImage>;
export type QuorumEntry = quorum.Entry<MetadataRecords>;
export type QuorumSnapshot = quorum.Snapshot<MetadataImage>;

/**
 * The Raft log's durable store. Calls arrive in the order the core prescribes; each may complete
 * later, and `sync` reports when everything asked before it is durable (or failed). Nothing the
 * controller sends or applies waits on less.
 */
export interface ControllerStore {
  saveHardState(hardState: quorum.HardState): void;
  /**
   * Installs a snapshot received from the leader. `keepEntriesAfter` says whether the stored entries
   * after its index survive: only when the stored entry at that index has the snapshot's term;
   * otherwise they are a deposed leader's stale suffix and the whole log goes.
   */
  installSnapshot(snapshot: QuorumSnapshot, keepEntriesAfter: boolean): void;
  /** Removes the stored entries at and after `index` (a conflicting suffix about to be rewritten). */
  truncateFrom(index: number): void;
  appendEntries(entries: readonly QuorumEntry[]): void;
  /** Stores a snapshot of this node's own applied state and drops the entries (and older snapshots) it covers. */
  compact(snapshot: QuorumSnapshot): void;
  /** Calls `done` once everything asked before is durable, with the error of a failed write. */
  sync(done: (error: Error | null) => void): void;
}

export interface ControllerEnv {
  /** The node's clock in ms (it may jump back; the controller never lets its own time go backwards). */
  nowMs(): number;
  /** Sends a Raft message to voter `message.to`. */
  send(message: QuorumMessage): void;
  readonly store: ControllerStore;
  /** A new committed image (after a committed entry or a restored snapshot), before any answer it settles. */
  imageCommitted(image: MetadataImage, previous: MetadataImage): void;
  /** The store failed: the controller stops (every waiting answer fails) and stays stopped. */
  storeFailed(error: Error): void;
  log(line: string): void;
}

/** Observers and switches the simulator attaches; every field is optional and the broker sets none. */
export interface ControllerHooks {
  /** May rewrite an incoming Raft message or the quorum state before it is stepped (known-bug switches). */
  readonly quorumMessage?: (
    state: QuorumState,
    message: QuorumMessage,
  ) => { readonly state: QuorumState; readonly message: QuorumMessage };
  /**
   * After a leader's step: may return a quorum state to continue from (a known-bug switch that moves
   * the commit index), which the controller then steps with an acknowledgement it has already seen.
   */
  readonly afterLeaderStep?: (state: QuorumState) => QuorumState | null;
  /** May rewrite the controller's state before each controller step (a known-bug switch). */
  readonly controllerState?: (state: controller.ControllerState) => controller.ControllerState;
  /** Called after each Ready of the quorum was acted on; `loadedSnapshot` says a snapshot was installed. */
  readonly afterReady?: (
    ready: quorum.Ready<MetadataRecords, MetadataImage>,
    loadedSnapshot: boolean,
  ) => void;
  /**
   * Called once per committed entry applied (and per snapshot restored, with `restored` set), with the
   * image before it: the image's offset is the entry's Raft index.
   */
  readonly committedImage?: (image: MetadataImage, previous: MetadataImage, restored: boolean) => void;
  /** Called when the node compacts its log into a snapshot, or truncates a conflicting suffix. */
  readonly compacted?: () => void;
  readonly logTruncated?: () => void;
  /** Called when the controller stops being the active controller (leadership lost, store failed). */
  readonly deactivated?: () => void;
}
