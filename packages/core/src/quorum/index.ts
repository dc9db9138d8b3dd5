/**
 * The controller quorum: a Raft node over the metadata log, as a pure state machine (etcd raft's
 * Step/Tick/Ready design). It must never perform I/O, read a clock, or draw randomness other than
 * from the seeded PRNG state it carries.
 *
 * API
 * - `initialState({ id, voters, prng, emptySnapshotData, config?, durable? })` builds a follower, new
 *   or restored from what the shell persisted (`durable: { hardState, snapshot, entries }`).
 * - `step(state, input) -> { state, ready }` is the only way the state changes. Inputs:
 *   `tick` (logical time), `message` (from another voter), `propose` (leader only; otherwise
 *   `ready.proposal` says NOT_LEADER with a leader hint), `persisted` (the shell's acknowledgement
 *   that entries up to an index are durable, like etcd's Advance), `campaign` (elect now), and
 *   `compact` (the shell persisted a snapshot of its applied state; drop the covered entries).
 * - `softState(state)` reports role (follower, precandidate, candidate, leader), term, leader and
 *   `leaderReady` (the leader's first entry of its term has committed and been handed out, so once
 *   the shell applies that Ready its state machine holds every entry committed before the term).
 * - Config (`defaultQuorumConfig`): electionTicks 10 (timeouts drawn from [10, 20) with the PRNG),
 *   heartbeatTicks 1, checkQuorum and preVote on, logEntriesMax 4096 in memory, proposals refused
 *   (LOG_FULL) beyond proposalEntriesMax 3072. The shell must compact: persist a snapshot of its
 *   applied state every so often and feed `compact`, or the log fills up.
 *
 * The shell acts on each Ready in this order, never another:
 * 1. persist `hardState`, then `snapshot` (drop stored entries up to its index; drop all stored
 *    entries if the stored entry at its index is missing or has another term), then `entries` (the
 *    first may overwrite stored entries at the same index: truncate there first); then feed
 *    `{ type: "persisted", index, term }` of the last entry back in;
 * 2. send `messages`;
 * 3. apply: restore the state machine from `snapshot` if any, then apply `committed` in order,
 *    skipping entries with a null payload (the leader's no-op).
 *
 * `persistReady(durable, ready)` applies step 1 to an in-memory picture of storage: use it where
 * storage is a value (simulator, tests) and as the reference for the rules where it is not.
 *
 * A one-voter quorum (the single-node broker) elects itself on `campaign` (or its first election
 * timeout) and commits each entry as soon as its `persisted` acknowledgement arrives.
 */
export { persistReady } from "./durable.ts";
export { assertWellFormed, isUpToDate, lastIndex, lastTerm, termAt } from "./log.ts";
export { type InitialStateOptions, initialState, quorumSize, softState, step } from "./node.ts";
export * from "./types.ts";
