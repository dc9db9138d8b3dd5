/**
 * The data of the controller quorum's Raft node: its state, its inputs, its messages and the `Ready`
 * batch it hands to the shell. Everything here is plain immutable data so the simulator can copy,
 * hash and replay it. This module must never hold behaviour beyond constants.
 */
import type { PrngState } from "../prng.ts";

/** A voter's id. Controller ids are small non-negative integers, like Kafka's `node.id`. */
export type NodeId = number;

/** The most voters a quorum may have; Raft quorums beyond this only add latency. */
export const votersMax = 9;

/**
 * One log entry. `payload` is null for the empty entry a new leader appends to commit entries of
 * earlier terms (Raft §5.4.2); the shell skips those when applying.
 */
export interface Entry<P> {
  readonly index: number;
  readonly term: number;
  readonly payload: P | null;
}

/** The part of the node's state that must be durable before any message depending on it is sent. */
export interface HardState {
  readonly term: number;
  readonly votedFor: NodeId | null;
  readonly commitIndex: number;
}

/**
 * A snapshot of the applied state machine at `index`: every entry up to and including `index` is
 * folded into `data`. The Raft node treats `data` as opaque.
 */
export interface Snapshot<S> {
  readonly index: number;
  readonly term: number;
  readonly data: S;
}

/**
 * A vote request. With `preVote` it only asks whether the receiver would vote at `term` (the
 * sender's term + 1) without anyone changing state (Raft thesis §9.6, KIP-996): a node cut off
 * from the quorum cannot then inflate its term and depose a healthy leader when it returns.
 */
export interface RequestVote {
  readonly type: "RequestVote";
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly preVote: boolean;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
}

export interface Vote {
  readonly type: "Vote";
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly preVote: boolean;
  readonly granted: boolean;
}

export interface AppendEntries<P> {
  readonly type: "AppendEntries";
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry<P>[];
  readonly leaderCommit: number;
}

/**
 * A follower's answer to AppendEntries or InstallSnapshot. On success `matchIndex` is the last index
 * known to match the leader's log. On rejection `rejectedIndex` is the prevLogIndex that did not
 * match and `hintIndex` the follower's guess of the last index that could match, so the leader can
 * skip back a whole term at a time.
 */
export interface AppendResponse {
  readonly type: "AppendResponse";
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly success: boolean;
  readonly matchIndex: number;
  readonly rejectedIndex: number;
  readonly hintIndex: number;
}

export interface InstallSnapshot<S> {
  readonly type: "InstallSnapshot";
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly snapshot: Snapshot<S>;
}

export type Message<P, S> = RequestVote | Vote | AppendEntries<P> | AppendResponse | InstallSnapshot<S>;

/** Tunables, all counted in entries or logical ticks. */
export interface QuorumConfig {
  /** Base election timeout; each timeout is drawn uniformly from [electionTicks, 2 * electionTicks). */
  readonly electionTicks: number;
  /** A leader sends heartbeats (possibly empty AppendEntries) every this many ticks. */
  readonly heartbeatTicks: number;
  /** The in-memory log tail above the snapshot never holds more entries than this. */
  readonly logEntriesMax: number;
  /** Proposals are refused once the tail holds this many entries, leaving room for leader no-ops. */
  readonly proposalEntriesMax: number;
  /** The most entries carried by one AppendEntries message. */
  readonly entriesPerAppendMax: number;
  /** The most entries a leader sends to one follower beyond the follower's acknowledged match. */
  readonly inflightEntriesMax: number;
  /** The most committed entries one Ready hands out; the rest follow in later Readys. */
  readonly committedPerReadyMax: number;
  /** A leader that has not heard from a quorum within an election timeout steps down. */
  readonly checkQuorum: boolean;
  /** Run a pre-vote round before each election; a follower that hears from a leader refuses it. */
  readonly preVote: boolean;
}

export const defaultQuorumConfig: QuorumConfig = {
  electionTicks: 10,
  heartbeatTicks: 1,
  logEntriesMax: 4096,
  proposalEntriesMax: 3072,
  entriesPerAppendMax: 64,
  inflightEntriesMax: 256,
  committedPerReadyMax: 256,
  checkQuorum: true,
  preVote: true,
};

export type Role = "follower" | "precandidate" | "candidate" | "leader";

/** What a leader knows about one follower's log. */
export interface Progress {
  readonly matchIndex: number;
  readonly nextIndex: number;
  /** Probing: the follower's position is unknown; send one batch per heartbeat and wait. */
  readonly probing: boolean;
  readonly probeSent: boolean;
  /** Heard from since the last check-quorum round. */
  readonly recentActive: boolean;
}

export interface QuorumState<P, S> {
  readonly id: NodeId;
  /** Sorted, distinct voter ids including `id`. */
  readonly voters: readonly NodeId[];
  readonly config: QuorumConfig;
  readonly role: Role;
  readonly term: number;
  readonly votedFor: NodeId | null;
  readonly leaderId: NodeId | null;
  /** The latest snapshot; entries up to its index are no longer held in memory. */
  readonly snapshot: Snapshot<S>;
  /** The in-memory tail; entries[k].index === snapshot.index + 1 + k. */
  readonly entries: readonly Entry<P>[];
  readonly commitIndex: number;
  /** Committed entries up to here have been handed out in a Ready. */
  readonly appliedIndex: number;
  /** The shell has confirmed entries up to here are durable (the `persisted` input). */
  readonly persistedIndex: number;
  /** Entries from here on have not been handed out for persistence yet. */
  readonly unstableFromIndex: number;
  /** The hard state last handed to the shell. */
  readonly hardStateEmitted: HardState;
  readonly votesGranted: readonly NodeId[];
  readonly votesRejected: readonly NodeId[];
  /** Per-follower progress, leader only; keyed by voter id (self excluded). */
  readonly progress: Readonly<Record<number, Progress>>;
  /** Index of the no-op the leader appended when elected; entries of its term start here. */
  readonly leaderTermStartIndex: number;
  readonly electionElapsedTicks: number;
  readonly electionTimeoutTicks: number;
  readonly heartbeatElapsedTicks: number;
  readonly prng: PrngState;
}

/** What the shell restores a node from after a restart. */
export interface DurableState<P, S> {
  readonly hardState: HardState;
  readonly snapshot: Snapshot<S>;
  readonly entries: readonly Entry<P>[];
}

export type ProposeResult =
  | { readonly accepted: true; readonly index: number; readonly term: number }
  | { readonly accepted: false; readonly reason: "NOT_LEADER"; readonly leaderHint: NodeId | null }
  | { readonly accepted: false; readonly reason: "LOG_FULL"; readonly leaderHint: NodeId };

export type Input<P, S> =
  /** One logical clock tick. */
  | { readonly type: "tick" }
  /** A message from another voter; the network may drop, duplicate and reorder them. */
  | { readonly type: "message"; readonly message: Message<P, S> }
  /** Append `payload` to the log; only a leader accepts, others answer with a leader hint. */
  | { readonly type: "propose"; readonly payload: P }
  /** The shell made entries up to `index` (whose term is `term`) durable. */
  | { readonly type: "persisted"; readonly index: number; readonly term: number }
  /** Start an election now, as if the election timer had fired (etcd's MsgHup). */
  | { readonly type: "campaign" }
  /**
   * The shell has persisted a snapshot of its applied state at `index` (<= appliedIndex); the node
   * drops the in-memory entries it covers.
   */
  | { readonly type: "compact"; readonly index: number; readonly data: S };

/** Volatile facts the shell may want after each step. */
export interface SoftState {
  readonly role: Role;
  readonly term: number;
  readonly leaderId: NodeId | null;
  /**
   * A leader whose term's first entry has committed and been handed out for applying: once the shell
   * applies this Ready, its state machine holds every entry committed before this term.
   */
  readonly leaderReady: boolean;
}

/**
 * What one step asks of the shell, which acts on it in this order and no other:
 *
 * 1. Persist: `hardState` (if non-null), then `snapshot` (if non-null; it replaces the log up to its
 *    index), then `entries` (the first entry may overwrite stored entries at the same index: truncate
 *    the stored log there first). Then report completion with a `persisted` input for the last entry.
 * 2. Send `messages`. They may promise what step 1 stored (votes, acknowledgements), so never before.
 * 3. Apply: restore the state machine from `snapshot` if it is non-null, then apply `committed` in
 *    order, skipping entries whose payload is null.
 *
 * Skipping or reordering these steps breaks Raft's safety (a vote or an acknowledgement that a crash
 * could take back).
 */
export interface Ready<P, S> {
  readonly hardState: HardState | null;
  readonly snapshot: Snapshot<S> | null;
  readonly entries: readonly Entry<P>[];
  readonly messages: readonly Message<P, S>[];
  readonly committed: readonly Entry<P>[];
  readonly proposal: ProposeResult | null;
  readonly softState: SoftState;
}

export interface StepResult<P, S> {
  readonly state: QuorumState<P, S>;
  readonly ready: Ready<P, S>;
}
