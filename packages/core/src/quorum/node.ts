/**
 * The controller quorum's Raft node as a pure state machine: `step(state, input)` returns the next
 * state and a `Ready` batch (see `types.ts` for the order in which the shell acts on it). It owns
 * elections, log replication, commitment and snapshot installation. It must never perform I/O, read
 * a clock or draw randomness other than from the PRNG state it carries.
 *
 * Safety rules kept here (Raft, Ongaro & Ousterhout 2014):
 * - one vote per term, only for a candidate whose log is at least as up to date as ours;
 * - pre-votes change no state, and are refused while a leader is heard from;
 * - a leader commits only entries of its own term by counting a quorum of matchIndex, and counts
 *   itself only for entries the shell has confirmed durable (`persisted`);
 * - a follower's commit index never passes the last entry verified against the leader's log;
 * - commitIndex, term and the applied index never decrease; a leader never installs a snapshot.
 */
import { invariant, unreachable } from "../invariant.ts";
import { type PrngState, prngInt } from "../prng.ts";
import { assertWellFormed, isUpToDate, lastIndex, lastTerm, slice, termAt } from "./log.ts";
import {
  type AppendEntries,
  type AppendResponse,
  type DurableState,
  defaultQuorumConfig,
  type Entry,
  type HardState,
  type Input,
  type InstallSnapshot,
  type Message,
  type NodeId,
  type Progress,
  type ProposeResult,
  type QuorumConfig,
  type QuorumState,
  type Ready,
  type RequestVote,
  type Snapshot,
  type SoftState,
  type StepResult,
  type Vote,
  votersMax,
} from "./types.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft<P, S> = Mutable<QuorumState<P, S>>;

/** What one step produces besides the next state; handlers append to it. */
interface Out<P, S> {
  /** Made on the first message (many steps send none). */
  outbox: Message<P, S>[] | null;
  proposal: ProposeResult | null;
  snapshotOut: Snapshot<S> | null;
  /** True once the draft's `progress` is a copy made in this step, which the step may change in place. */
  progressOwned: boolean;
}

/**
 * The step's working copy of the state, written field by field in `initialState`'s order: one
 * allocation of a fixed shape, which becomes the next state itself (its outputs live in `Out`).
 */
function draftOf<P, S>(s: QuorumState<P, S>): Draft<P, S> {
  return {
    id: s.id,
    voters: s.voters,
    config: s.config,
    role: s.role,
    term: s.term,
    votedFor: s.votedFor,
    leaderId: s.leaderId,
    snapshot: s.snapshot,
    entries: s.entries,
    commitIndex: s.commitIndex,
    appliedIndex: s.appliedIndex,
    persistedIndex: s.persistedIndex,
    unstableFromIndex: s.unstableFromIndex,
    hardStateEmitted: s.hardStateEmitted,
    votesGranted: s.votesGranted,
    votesRejected: s.votesRejected,
    progress: s.progress,
    leaderTermStartIndex: s.leaderTermStartIndex,
    electionElapsedTicks: s.electionElapsedTicks,
    electionTimeoutTicks: s.electionTimeoutTicks,
    heartbeatElapsedTicks: s.heartbeatElapsedTicks,
    prng: s.prng,
  };
}

/** The Ready lists of a step that has nothing of that kind; frozen, so no caller can fill them. */
const noneOf: readonly never[] = Object.freeze([]);

/** Bounds one Ready's messages: a broadcast to every peer, a few times over, per input. */
const messagesPerReadyMax = votersMax * 4;

export interface InitialStateOptions<P, S> {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  /** Seeds the election timeouts; give each node its own stream (`prngJump`). */
  readonly prng: PrngState;
  readonly config?: Partial<QuorumConfig>;
  /** The snapshot data of an empty state machine, used when no snapshot exists yet. */
  readonly emptySnapshotData: S;
  /** What the shell found in durable storage; omit for a brand new node. */
  readonly durable?: DurableState<P, S>;
}

/**
 * Builds a follower, either new or restarted from durable storage. After a restart the shell has
 * restored its state machine from `durable.snapshot`; the first Ready hands out the committed
 * entries after it again.
 */
export function initialState<P, S>(options: InitialStateOptions<P, S>): QuorumState<P, S> {
  const config: QuorumConfig = { ...defaultQuorumConfig, ...options.config };
  assertConfig(config);
  const voters = [...new Set(options.voters)].sort((a, b) => a - b);
  invariant(voters.length === options.voters.length, "quorum: duplicate voter ids");
  invariant(voters.length >= 1 && voters.length <= votersMax, () => `quorum: ${voters.length} voters`);
  invariant(voters.includes(options.id), "quorum: a node must be one of the voters");
  const durable = options.durable;
  const snapshot: Snapshot<S> = durable?.snapshot ?? { index: 0, term: 0, data: options.emptySnapshotData };
  const entries = durable?.entries ?? [];
  const hardState: HardState = durable?.hardState ?? { term: 0, votedFor: null, commitIndex: 0 };
  const log = { snapshot, entries };
  assertWellFormed(log, config.logEntriesMax);
  invariant(hardState.commitIndex <= lastIndex(log), "quorum: durable commit index beyond the log");
  invariant(hardState.term >= lastTerm(log), "quorum: durable term below the log's last term");
  const commitIndex = Math.max(hardState.commitIndex, snapshot.index);
  const [electionTimeoutTicks, prng] = drawElectionTimeout(mixId(options.prng, options.id), config);
  const state: QuorumState<P, S> = {
    id: options.id,
    voters,
    config,
    role: "follower",
    term: hardState.term,
    votedFor: hardState.votedFor,
    leaderId: null,
    snapshot,
    entries,
    commitIndex,
    appliedIndex: snapshot.index,
    persistedIndex: lastIndex(log),
    unstableFromIndex: lastIndex(log) + 1,
    hardStateEmitted: { term: hardState.term, votedFor: hardState.votedFor, commitIndex },
    votesGranted: [],
    votesRejected: [],
    progress: {},
    leaderTermStartIndex: 0,
    electionElapsedTicks: 0,
    electionTimeoutTicks,
    heartbeatElapsedTicks: 0,
    prng,
  };
  assertState(state);
  return state;
}

function assertConfig(config: QuorumConfig): void {
  invariant(config.electionTicks >= 2, "quorum: electionTicks must be at least 2");
  invariant(
    config.heartbeatTicks >= 1 && config.heartbeatTicks < config.electionTicks,
    "quorum: heartbeatTicks",
  );
  invariant(config.proposalEntriesMax >= 1, "quorum: proposalEntriesMax");
  invariant(config.proposalEntriesMax < config.logEntriesMax, "quorum: proposalEntriesMax must leave room");
  invariant(config.entriesPerAppendMax >= 1 && config.inflightEntriesMax >= 1, "quorum: append limits");
  invariant(config.committedPerReadyMax >= 1, "quorum: committedPerReadyMax");
}

/**
 * Folds the node id into its generator state. Voters handed the same state, or copies of one stream
 * shifted by a few draws, would otherwise draw the same timeouts in lockstep and split every vote
 * forever; the generator is linear, so a distinct perturbation per id breaks that alignment.
 */
function mixId(prng: PrngState, id: NodeId): PrngState {
  const salt = Math.imul(id + 1, 0x9e3779b9) >>> 0;
  const mixed: PrngState = [(prng[0] ^ salt) >>> 0, prng[1], (prng[2] ^ (salt >>> 7)) >>> 0, prng[3]];
  invariant(
    mixed.some((w) => w !== 0),
    "quorum: generator state is all zero",
  );
  return mixed;
}

function drawElectionTimeout(prng: PrngState, config: QuorumConfig): [number, PrngState] {
  const [ticks, next] = prngInt(prng, config.electionTicks, 2 * config.electionTicks - 1);
  invariant(ticks >= config.electionTicks && ticks < 2 * config.electionTicks, "quorum: timeout range");
  return [ticks, next];
}

/** The majority size of the voter set. */
export function quorumSize(voters: readonly NodeId[]): number {
  return Math.floor(voters.length / 2) + 1;
}

export function softState<P, S>(state: QuorumState<P, S>): SoftState {
  return {
    role: state.role,
    term: state.term,
    leaderId: state.leaderId,
    leaderReady: state.role === "leader" && state.appliedIndex >= state.leaderTermStartIndex,
  };
}

/**
 * The single entry point. The returned Ready must be acted on in the order its type documents:
 * persist, then send, then apply.
 */
export function step<P, S>(state: QuorumState<P, S>, input: Input<P, S>): StepResult<P, S> {
  const d = draftOf(state);
  const o: Out<P, S> = { outbox: null, proposal: null, snapshotOut: null, progressOwned: false };
  const termBefore = state.term;
  const commitBefore = state.commitIndex;
  switch (input.type) {
    case "tick":
      onTick(d, o);
      break;
    case "message":
      onMessage(d, o, input.message);
      break;
    case "propose":
      onPropose(d, o, input.payload);
      break;
    case "persisted":
      onPersisted(d, o, input.index, input.term);
      break;
    case "campaign":
      if (d.role !== "leader") campaign(d, o);
      break;
    case "compact":
      onCompact(d, input.index, input.data);
      break;
    default:
      unreachable(input, "quorum input");
  }
  invariant(d.term >= termBefore, "quorum: term decreased");
  invariant(d.commitIndex >= commitBefore, "quorum: commit index decreased");
  // The log's shape is checked when the log changed; an untouched log was checked when it was made.
  return buildReady(d, o, d.entries !== state.entries || d.snapshot !== state.snapshot);
}

function buildReady<P, S>(d: Draft<P, S>, o: Out<P, S>, logChanged: boolean): StepResult<P, S> {
  const outbox: readonly Message<P, S>[] = o.outbox ?? noneOf;
  const emitted = d.hardStateEmitted;
  const hardStateChanged =
    emitted.term !== d.term || emitted.votedFor !== d.votedFor || emitted.commitIndex !== d.commitIndex;
  const hardState: HardState | null = hardStateChanged
    ? { term: d.term, votedFor: d.votedFor, commitIndex: d.commitIndex }
    : null;
  const last = lastIndex(d);
  const entries = d.unstableFromIndex <= last ? slice(d, d.unstableFromIndex, last) : noneOf;
  // The applied index follows what the shell is told to apply, so the next Ready starts after it. A
  // snapshot installed in this step already moved it past the snapshot's entries.
  const applyTo = Math.min(d.commitIndex, d.appliedIndex + d.config.committedPerReadyMax);
  const committed = applyTo > d.appliedIndex ? slice(d, d.appliedIndex + 1, applyTo) : noneOf;
  // Messages on hot paths are built only when the check fails: a lazy message would still allocate
  // a closure on every call.
  if (!(outbox.length <= messagesPerReadyMax))
    invariant(false, `quorum: ${outbox.length} messages in one Ready`);
  // The draft becomes the next state.
  if (hardState !== null) d.hardStateEmitted = hardState;
  d.unstableFromIndex = last + 1;
  d.appliedIndex = Math.max(d.appliedIndex, applyTo);
  const state: QuorumState<P, S> = d;
  assertState(state, logChanged);
  const ready: Ready<P, S> = {
    hardState,
    snapshot: o.snapshotOut,
    entries,
    messages: outbox,
    committed,
    proposal: o.proposal,
    softState: softState(state),
  };
  return { state, ready };
}

/** Invariants that hold between any two steps; the log's shape only when `logChanged`. */
function assertState<P, S>(s: QuorumState<P, S>, logChanged = true): void {
  if (logChanged) assertWellFormed(s, s.config.logEntriesMax);
  invariant(s.entries.length <= s.config.logEntriesMax, "quorum: log tail over its limit");
  const last = lastIndex(s);
  invariant(s.snapshot.index <= s.appliedIndex, "quorum: snapshot beyond the applied index");
  invariant(s.appliedIndex <= s.commitIndex, "quorum: applied beyond commit");
  invariant(s.commitIndex <= last, "quorum: commit beyond the log");
  invariant(s.persistedIndex <= last, "quorum: persisted beyond the log");
  invariant(s.unstableFromIndex === last + 1, "quorum: unstable entries left behind");
  invariant(s.voters.includes(s.id), "quorum: not a voter");
  invariant(s.electionTimeoutTicks >= s.config.electionTicks, "quorum: timeout below base");
  invariant(s.electionTimeoutTicks < 2 * s.config.electionTicks, "quorum: timeout above range");
  invariant(s.role !== "leader" || s.leaderId === s.id, "quorum: leader does not know itself");
  invariant(s.role !== "leader" || s.votedFor === s.id, "quorum: leader did not vote for itself");
  invariant(s.role !== "candidate" || s.votedFor === s.id, "quorum: candidate did not vote for itself");
  invariant(
    s.role !== "precandidate" || s.votesGranted.includes(s.id),
    "quorum: pre-candidate lacks its own vote",
  );
  invariant(s.leaderId === null || s.voters.includes(s.leaderId), "quorum: leader is not a voter");
  if (s.role === "leader") {
    for (const peer of s.voters) {
      if (peer === s.id) continue;
      const pr = s.progress[peer];
      if (pr === undefined) invariant(false, `quorum: leader lacks progress for ${peer}`);
      invariant(pr.matchIndex < pr.nextIndex, "quorum: nextIndex not above matchIndex");
      invariant(pr.matchIndex <= last, "quorum: matchIndex beyond the log");
    }
  }
}

function peersOf<P, S>(s: QuorumState<P, S>): NodeId[] {
  return s.voters.filter((v) => v !== s.id);
}

function send<P, S>(d: Draft<P, S>, o: Out<P, S>, message: Message<P, S>): void {
  invariant(message.from === d.id && message.to !== d.id, "quorum: message addressing");
  invariant(d.voters.includes(message.to), "quorum: message to a non-voter");
  if (o.outbox === null) o.outbox = [];
  o.outbox.push(message);
}

function resetElectionTimer<P, S>(d: Draft<P, S>): void {
  const [ticks, prng] = drawElectionTimeout(d.prng, d.config);
  d.electionTimeoutTicks = ticks;
  d.prng = prng;
  d.electionElapsedTicks = 0;
}

// ---- Role transitions ----

function becomeFollower<P, S>(d: Draft<P, S>, term: number, leaderId: NodeId | null): void {
  invariant(term >= d.term, "quorum: becoming follower of an older term");
  if (term > d.term) {
    d.term = term;
    d.votedFor = null;
  }
  d.role = "follower";
  d.leaderId = leaderId;
  d.votesGranted = [];
  d.votesRejected = [];
  d.progress = {};
  d.heartbeatElapsedTicks = 0;
  resetElectionTimer(d);
}

/** Starts an election: a pre-vote round first when configured, then the election proper. */
function campaign<P, S>(d: Draft<P, S>, o: Out<P, S>): void {
  invariant(d.role !== "leader", "quorum: a leader does not campaign");
  // The new leader must append a no-op; a node whose tail is full waits for compaction instead.
  if (d.entries.length >= d.config.logEntriesMax) {
    resetElectionTimer(d);
    return;
  }
  startElection(d, o, d.config.preVote);
}

function startElection<P, S>(d: Draft<P, S>, o: Out<P, S>, preVote: boolean): void {
  if (preVote) {
    // A pre-candidate keeps its term and vote: it only asks whether it could win at term + 1.
    d.role = "precandidate";
  } else {
    d.role = "candidate";
    d.term += 1;
    d.votedFor = d.id;
  }
  d.leaderId = null;
  d.votesGranted = [d.id];
  d.votesRejected = [];
  d.progress = {};
  resetElectionTimer(d);
  if (d.votesGranted.length >= quorumSize(d.voters)) {
    if (preVote) startElection(d, o, false);
    else becomeLeader(d, o);
    return;
  }
  const last = lastIndex(d);
  const lastLogTerm = lastTerm(d);
  const term = preVote ? d.term + 1 : d.term;
  for (const peer of peersOf(d)) {
    send(d, o, { type: "RequestVote", from: d.id, to: peer, term, preVote, lastLogIndex: last, lastLogTerm });
  }
}

function becomeLeader<P, S>(d: Draft<P, S>, o: Out<P, S>): void {
  invariant(d.role === "candidate", "quorum: only a candidate becomes leader");
  invariant(d.votesGranted.length >= quorumSize(d.voters), "quorum: leader without a quorum of votes");
  invariant(d.entries.length < d.config.logEntriesMax, "quorum: no room for the leader's no-op");
  d.role = "leader";
  d.leaderId = d.id;
  d.heartbeatElapsedTicks = 0;
  d.electionElapsedTicks = 0;
  const next = lastIndex(d) + 1;
  const progress: Record<number, Progress> = {};
  for (const peer of peersOf(d)) {
    progress[peer] = { matchIndex: 0, nextIndex: next, probing: true, probeSent: false, recentActive: true };
  }
  d.progress = progress;
  // The no-op of this term lets the leader commit (and learn the commit of) every earlier entry.
  appendEntries(d, [{ index: next, term: d.term, payload: null }]);
  d.leaderTermStartIndex = next;
  maybeCommit(d);
  broadcastAppend(d, o, "heartbeat");
}

// ---- Inputs ----

function onTick<P, S>(d: Draft<P, S>, o: Out<P, S>): void {
  d.electionElapsedTicks += 1;
  if (d.role === "leader") {
    d.heartbeatElapsedTicks += 1;
    if (d.electionElapsedTicks >= d.config.electionTicks) {
      d.electionElapsedTicks = 0;
      if (d.config.checkQuorum && !checkQuorumActive(d)) {
        becomeFollower(d, d.term, null);
        return;
      }
    }
    if (d.heartbeatElapsedTicks >= d.config.heartbeatTicks) {
      d.heartbeatElapsedTicks = 0;
      broadcastAppend(d, o, "heartbeat");
    }
    return;
  }
  if (d.electionElapsedTicks >= d.electionTimeoutTicks) campaign(d, o);
}

/** Check quorum: true when a quorum (self included) was heard from; clears the marks for the next round. */
function checkQuorumActive<P, S>(d: Draft<P, S>): boolean {
  let active = 1;
  const progress: Record<number, Progress> = {};
  for (const peer of peersOf(d)) {
    const pr = d.progress[peer]!;
    if (pr.recentActive) active++;
    progress[peer] = { ...pr, recentActive: false };
  }
  d.progress = progress;
  return active >= quorumSize(d.voters);
}

function onPropose<P, S>(d: Draft<P, S>, o: Out<P, S>, payload: P): void {
  if (d.role !== "leader") {
    o.proposal = { accepted: false, reason: "NOT_LEADER", leaderHint: d.leaderId };
    return;
  }
  if (d.entries.length >= d.config.proposalEntriesMax) {
    o.proposal = { accepted: false, reason: "LOG_FULL", leaderHint: d.id };
    return;
  }
  const index = lastIndex(d) + 1;
  appendEntries(d, [{ index, term: d.term, payload }]);
  o.proposal = { accepted: true, index, term: d.term };
  broadcastAppend(d, o, "data");
}

function onPersisted<P, S>(d: Draft<P, S>, o: Out<P, S>, index: number, term: number): void {
  // An acknowledgement for entries since overwritten (a different term at that index) is stale.
  if (index <= d.persistedIndex || termAt(d, index) !== term) return;
  d.persistedIndex = index;
  if (d.role === "leader" && maybeCommit(d)) broadcastAppend(d, o, "commit");
}

function onCompact<P, S>(d: Draft<P, S>, index: number, data: S): void {
  invariant(index <= d.appliedIndex, "quorum: compacting beyond the applied index");
  if (index <= d.snapshot.index) return;
  const term = termAt(d, index);
  invariant(term !== null, "quorum: compacting an unknown index");
  d.entries = d.entries.slice(index - d.snapshot.index);
  d.snapshot = { index, term, data };
  invariant(lastIndex(d) >= index, "quorum: compaction lost the log's end");
}

function onMessage<P, S>(d: Draft<P, S>, o: Out<P, S>, m: Message<P, S>): void {
  invariant(m.to === d.id, "quorum: message delivered to the wrong node");
  if (!d.voters.includes(m.from) || m.from === d.id) return;
  if (m.type === "RequestVote" && m.preVote) {
    // A pre-vote request carries a future term but changes nothing here, whatever the answer.
    onPreVoteRequest(d, o, m);
    return;
  }
  if (m.type === "Vote" && m.preVote && m.granted) {
    // A granted pre-vote echoes the term the pre-candidate would run at, one above ours.
    if (d.role === "precandidate" && m.term === d.term + 1) onVote(d, o, m);
    return;
  }
  if (m.term > d.term) {
    // A higher term always wins; only a leader's messages name the new leader.
    const leader = m.type === "AppendEntries" || m.type === "InstallSnapshot" ? m.from : null;
    becomeFollower(d, m.term, leader);
  } else if (m.term < d.term) {
    // Tell a stale leader or candidate about the newer term so it steps down.
    if (m.type === "AppendEntries" || m.type === "InstallSnapshot") {
      send(d, o, rejectAppend(d, m.from, 0, 0));
    } else if (m.type === "RequestVote") {
      send(d, o, { type: "Vote", from: d.id, to: m.from, term: d.term, preVote: false, granted: false });
    }
    return;
  }
  switch (m.type) {
    case "RequestVote":
      onRequestVote(d, o, m);
      break;
    case "Vote":
      onVote(d, o, m);
      break;
    case "AppendEntries":
      onAppendEntries(d, o, m);
      break;
    case "AppendResponse":
      onAppendResponse(d, o, m);
      break;
    case "InstallSnapshot":
      onInstallSnapshot(d, o, m);
      break;
    default:
      unreachable(m, "quorum message");
  }
}

/**
 * Would we vote for this node at `m.term`? Only if that term is ahead of ours, its log is at least as
 * up to date, and no leader has been heard from within the base election timeout.
 */
function onPreVoteRequest<P, S>(d: Draft<P, S>, o: Out<P, S>, m: RequestVote): void {
  const leaderHeard =
    d.role === "leader" || (d.leaderId !== null && d.electionElapsedTicks < d.config.electionTicks);
  const granted = m.term > d.term && !leaderHeard && isUpToDate(d, m.lastLogIndex, m.lastLogTerm);
  send(d, o, {
    type: "Vote",
    from: d.id,
    to: m.from,
    term: granted ? m.term : d.term,
    preVote: true,
    granted,
  });
}

function onRequestVote<P, S>(d: Draft<P, S>, o: Out<P, S>, m: RequestVote): void {
  invariant(m.term === d.term, "quorum: vote request of another term");
  const canVote = d.votedFor === null || d.votedFor === m.from;
  const granted = d.role === "follower" && canVote && isUpToDate(d, m.lastLogIndex, m.lastLogTerm);
  if (granted) {
    d.votedFor = m.from;
    resetElectionTimer(d);
  }
  send(d, o, { type: "Vote", from: d.id, to: m.from, term: d.term, preVote: false, granted });
}

function onVote<P, S>(d: Draft<P, S>, o: Out<P, S>, m: Vote): void {
  const expected = d.role === "precandidate" ? true : d.role === "candidate" ? false : null;
  if (expected === null || m.preVote !== expected) return;
  if (d.votesGranted.includes(m.from) || d.votesRejected.includes(m.from)) return;
  if (m.granted) d.votesGranted = [...d.votesGranted, m.from];
  else d.votesRejected = [...d.votesRejected, m.from];
  invariant(
    d.votesGranted.length + d.votesRejected.length <= d.voters.length,
    "quorum: more votes than voters",
  );
  if (d.votesGranted.length >= quorumSize(d.voters)) {
    if (d.role === "precandidate") startElection(d, o, false);
    else becomeLeader(d, o);
  } else if (d.votesRejected.length >= quorumSize(d.voters)) becomeFollower(d, d.term, null);
}

function rejectAppend<P, S>(
  d: Draft<P, S>,
  to: NodeId,
  rejectedIndex: number,
  hintIndex: number,
): AppendResponse {
  return {
    type: "AppendResponse",
    from: d.id,
    to,
    term: d.term,
    success: false,
    matchIndex: 0,
    rejectedIndex,
    hintIndex,
  };
}

function acceptAppend<P, S>(d: Draft<P, S>, to: NodeId, matchIndex: number): AppendResponse {
  return {
    type: "AppendResponse",
    from: d.id,
    to,
    term: d.term,
    success: true,
    matchIndex,
    rejectedIndex: 0,
    hintIndex: 0,
  };
}

function onAppendEntries<P, S>(d: Draft<P, S>, o: Out<P, S>, m: AppendEntries<P>): void {
  if (d.role === "leader") invariant(false, `quorum: two leaders in term ${d.term}`);
  invariant(m.prevLogTerm <= m.term && m.prevLogIndex >= 0, "quorum: malformed append");
  for (let k = 0; k < m.entries.length; k++) {
    const e = m.entries[k]!;
    invariant(e.index === m.prevLogIndex + 1 + k, "quorum: append entries are not contiguous");
    invariant(
      e.term <= m.term && e.term >= (k === 0 ? m.prevLogTerm : m.entries[k - 1]!.term),
      "quorum: append terms",
    );
  }
  if (d.role === "candidate" || d.role === "precandidate") becomeFollower(d, d.term, m.from);
  if (!(d.leaderId === null || d.leaderId === m.from))
    invariant(false, `quorum: two leaders in term ${d.term}`);
  d.leaderId = m.from;
  d.electionElapsedTicks = 0;
  // Entries at or below the commit index are known to match (Leader Completeness), so a message
  // reaching back that far only needs its suffix.
  if (m.prevLogIndex < d.commitIndex) {
    const skip = d.commitIndex - m.prevLogIndex;
    if (skip >= m.entries.length) {
      send(d, o, acceptAppend(d, m.from, d.commitIndex));
      return;
    }
    const rest = m.entries.slice(skip);
    const prev = rest[0]!.index - 1;
    const prevTerm = termAt(d, prev);
    invariant(prevTerm !== null && prevTerm === m.entries[skip - 1]!.term, "quorum: committed entry differs");
    handleAppend(d, o, { ...m, prevLogIndex: prev, prevLogTerm: prevTerm, entries: rest });
    return;
  }
  handleAppend(d, o, m);
}

function handleAppend<P, S>(d: Draft<P, S>, o: Out<P, S>, m: AppendEntries<P>): void {
  const prevTerm = termAt(d, m.prevLogIndex);
  if (prevTerm === null || prevTerm !== m.prevLogTerm) {
    send(d, o, rejectAppend(d, m.from, m.prevLogIndex, conflictHint(d, m.prevLogIndex, m.prevLogTerm)));
    return;
  }
  // Find the first entry we do not already hold; entries past a conflict are replaced.
  let k = 0;
  while (k < m.entries.length) {
    const entry = m.entries[k]!;
    const ours = termAt(d, entry.index);
    if (ours === null || ours !== entry.term) break;
    k++;
  }
  let fresh = m.entries.slice(k);
  if (fresh.length > 0) {
    const from = fresh[0]!.index;
    invariant(from > d.commitIndex, "quorum: leader overwrites a committed entry");
    const keep = from - d.snapshot.index - 1;
    const room = d.config.logEntriesMax - keep;
    // A full tail takes only what fits; the leader resends the rest after the shell compacts.
    if (fresh.length > room) fresh = fresh.slice(0, Math.max(0, room));
    if (fresh.length > 0) {
      if (from <= lastIndex(d)) truncateFrom(d, from);
      appendEntries(d, fresh);
    }
  }
  const verified = m.prevLogIndex + k + fresh.length;
  const commit = Math.min(m.leaderCommit, verified);
  if (commit > d.commitIndex) d.commitIndex = commit;
  send(d, o, acceptAppend(d, m.from, verified));
}

/** Etcd's findConflictByTerm: the last index at or before `index` whose term is at most `term`. */
function conflictHint<P, S>(d: Draft<P, S>, index: number, term: number): number {
  let hint = Math.min(index - 1, lastIndex(d));
  while (hint > d.snapshot.index) {
    const t = termAt(d, hint);
    if (t !== null && t <= term) break;
    hint--;
  }
  invariant(hint >= 0, "quorum: negative hint");
  return hint;
}

function truncateFrom<P, S>(d: Draft<P, S>, index: number): void {
  invariant(index > d.commitIndex, "quorum: truncating committed entries");
  invariant(index > d.snapshot.index, "quorum: truncating into the snapshot");
  d.entries = d.entries.slice(0, index - d.snapshot.index - 1);
  d.persistedIndex = Math.min(d.persistedIndex, index - 1);
  d.unstableFromIndex = Math.min(d.unstableFromIndex, index);
}

function appendEntries<P, S>(d: Draft<P, S>, entries: readonly Entry<P>[]): void {
  invariant(entries.length > 0, "quorum: appending nothing");
  invariant(entries[0]!.index === lastIndex(d) + 1, "quorum: append leaves a gap");
  invariant(d.entries.length + entries.length <= d.config.logEntriesMax, "quorum: log tail over its limit");
  d.entries = [...d.entries, ...entries];
  d.unstableFromIndex = Math.min(d.unstableFromIndex, entries[0]!.index);
}

function onInstallSnapshot<P, S>(d: Draft<P, S>, o: Out<P, S>, m: InstallSnapshot<S>): void {
  invariant(d.role !== "leader", "quorum: a leader never installs a snapshot");
  invariant(m.snapshot.term <= m.term && m.snapshot.index >= 0, "quorum: malformed snapshot");
  if (d.role === "candidate" || d.role === "precandidate") becomeFollower(d, d.term, m.from);
  d.leaderId = m.from;
  d.electionElapsedTicks = 0;
  const snap = m.snapshot;
  if (snap.index <= d.commitIndex) {
    send(d, o, acceptAppend(d, m.from, d.commitIndex));
    return;
  }
  if (termAt(d, snap.index) === snap.term) {
    // We hold the snapshot's last entry: keep the suffix after it, which matches by Log Matching.
    d.entries = d.entries.slice(snap.index - d.snapshot.index);
  } else {
    d.entries = [];
    d.persistedIndex = snap.index;
    d.unstableFromIndex = snap.index + 1;
  }
  d.persistedIndex = Math.max(d.persistedIndex, snap.index);
  d.snapshot = snap;
  d.commitIndex = snap.index;
  d.appliedIndex = snap.index;
  o.snapshotOut = snap;
  invariant(lastIndex(d) >= snap.index, "quorum: snapshot install lost the log's end");
  send(d, o, acceptAppend(d, m.from, snap.index));
}

function onAppendResponse<P, S>(d: Draft<P, S>, o: Out<P, S>, m: AppendResponse): void {
  if (d.role !== "leader") return;
  const pr = d.progress[m.from];
  invariant(pr !== undefined, "quorum: response from an unknown peer");
  if (m.success) {
    invariant(m.matchIndex <= lastIndex(d), "quorum: follower matched beyond our log");
    const matchIndex = Math.max(pr.matchIndex, m.matchIndex);
    setProgress(d, o, m.from, {
      matchIndex,
      nextIndex: Math.max(pr.nextIndex, matchIndex + 1),
      probing: false,
      probeSent: false,
      recentActive: true,
    });
    if (matchIndex > pr.matchIndex && maybeCommit(d)) {
      broadcastAppend(d, o, "commit");
      return;
    }
    sendAppend(d, o, m.from, "data");
    return;
  }
  // A rejection at or below what is already matched is a stale reply from before.
  if (m.rejectedIndex <= pr.matchIndex) {
    setProgress(d, o, m.from, { ...pr, recentActive: true });
    return;
  }
  const nextIndex = Math.max(pr.matchIndex + 1, Math.min(m.rejectedIndex, m.hintIndex + 1));
  setProgress(d, o, m.from, { ...pr, nextIndex, probing: true, probeSent: false, recentActive: true });
  sendAppend(d, o, m.from, "data");
}

function setProgress<P, S>(d: Draft<P, S>, o: Out<P, S>, peer: NodeId, pr: Progress): void {
  invariant(pr.matchIndex < pr.nextIndex, "quorum: progress nextIndex must pass matchIndex");
  // The first change in a step copies the record; later ones change that copy, which no one else holds.
  if (!o.progressOwned) {
    // Keyed by peer ids only: copied entry by entry over the voters, which is much cheaper than
    // spreading an object with integer keys (numeric keys enumerate in ascending order either way).
    const copy: Record<number, Progress> = {};
    for (const v of d.voters) {
      const entry = d.progress[v];
      if (entry !== undefined) copy[v] = entry;
    }
    d.progress = copy;
    o.progressOwned = true;
  }
  (d.progress as Record<number, Progress>)[peer] = pr;
}

/** Advances commitIndex to the highest index of this term stored on a quorum; true if it moved. */
function maybeCommit<P, S>(d: Draft<P, S>): boolean {
  invariant(d.role === "leader", "quorum: only a leader commits");
  const matches = [d.persistedIndex];
  for (const peer of d.voters) if (peer !== d.id) matches.push(d.progress[peer]!.matchIndex);
  matches.sort((a, b) => b - a);
  const candidate = matches[quorumSize(d.voters) - 1]!;
  // Raft §5.4.2: count replicas only for entries of the current term.
  if (candidate > d.commitIndex && termAt(d, candidate) === d.term) {
    d.commitIndex = candidate;
    return true;
  }
  return false;
}

type SendMode = "data" | "heartbeat" | "commit";

function broadcastAppend<P, S>(d: Draft<P, S>, o: Out<P, S>, mode: SendMode): void {
  for (const peer of d.voters) if (peer !== d.id) sendAppend(d, o, peer, mode);
}

/**
 * Sends one follower what it lacks: a snapshot when its next entry is compacted away, otherwise a
 * bounded batch of entries.
 * - "data" sends only when there are entries (or a snapshot) to send.
 * - "heartbeat" also sends an empty append, re-probes, and retransmits from the follower's match so
 *   entries lost by the network are sent again without a timer per message.
 * - "commit" carries a new commit index: entries if any are due, else an empty append anchored at
 *   the follower's match, which cannot be rejected, so in-flight batches are left alone.
 */
function sendAppend<P, S>(d: Draft<P, S>, o: Out<P, S>, peer: NodeId, mode: SendMode): void {
  let pr = d.progress[peer]!;
  if (mode === "heartbeat") {
    pr = pr.probing ? { ...pr, probeSent: false } : { ...pr, nextIndex: pr.matchIndex + 1 };
    setProgress(d, o, peer, pr);
  }
  if (pr.probing && pr.probeSent) return;
  if (pr.nextIndex <= d.snapshot.index) {
    send(d, o, { type: "InstallSnapshot", from: d.id, to: peer, term: d.term, snapshot: d.snapshot });
    setProgress(d, o, peer, { ...pr, probing: true, probeSent: true });
    return;
  }
  const last = lastIndex(d);
  const inflightEnd = pr.probing ? last : pr.matchIndex + d.config.inflightEntriesMax;
  const end = Math.min(last, pr.nextIndex + d.config.entriesPerAppendMax - 1, inflightEnd);
  const entries = end >= pr.nextIndex ? slice(d, pr.nextIndex, end) : [];
  if (entries.length === 0) {
    if (mode === "data") return;
    if (mode === "commit" && !pr.probing) {
      const prevLogTerm = termAt(d, pr.matchIndex);
      if (prevLogTerm !== null) sendAppendMessage(d, o, peer, pr.matchIndex, prevLogTerm, []);
      return;
    }
  }
  const prevLogIndex = pr.nextIndex - 1;
  const prevLogTerm = termAt(d, prevLogIndex);
  invariant(prevLogTerm !== null, "quorum: previous entry of an append is unknown");
  sendAppendMessage(d, o, peer, prevLogIndex, prevLogTerm, entries);
  if (pr.probing) setProgress(d, o, peer, { ...pr, probeSent: true });
  else if (entries.length > 0) setProgress(d, o, peer, { ...pr, nextIndex: end + 1 });
}

function sendAppendMessage<P, S>(
  d: Draft<P, S>,
  o: Out<P, S>,
  peer: NodeId,
  prevLogIndex: number,
  prevLogTerm: number,
  entries: readonly Entry<P>[],
): void {
  invariant(entries.length <= d.config.entriesPerAppendMax, "quorum: append batch over its limit");
  invariant(entries.length === 0 || entries[0]!.index === prevLogIndex + 1, "quorum: append batch gap");
  send(d, o, {
    type: "AppendEntries",
    from: d.id,
    to: peer,
    term: d.term,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit: d.commitIndex,
  });
}
