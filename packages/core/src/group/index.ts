/**
 * The classic group coordinator (Kafka's GroupCoordinator for `group.protocol=classic`) as a pure state
 * machine, plus the client-side range and round-robin assignors.
 *
 * API
 *   initialState(options?: Partial<CoordinatorOptions>, nowMs = 0): CoordinatorState
 *   step(state: CoordinatorState, input: Input): { state, ready: Ready }
 *   Inputs (on `type`): joinGroup, syncGroup, heartbeat, leaveGroup, offsetCommit, offsetFetch,
 *   describeGroups, listGroups, deleteGroups, tick { nowMs }, load { records }.
 *
 * How the shell acts on `ready`, in order (also on the `Ready` type):
 *   1. persist: append `ready.persist` durably, in order (group metadata and offset records, tombstones).
 *   2. send: only once every record of this step and all earlier ones is durable, send `ready.respond`
 *      (each answer names the `requestId` it answers; answers to held JoinGroup/SyncGroup requests can
 *      come in the step of another request or of a tick). If a write fails, drop the answers, throw this
 *      state away and rebuild it with `load` from the durable records; clients retry on NOT_COORDINATOR.
 *   3. apply: nothing to apply beyond the returned state; schedule a `tick` at or before the smallest
 *      `nextTickAtMs` received that is still ahead (ticks may also come more often).
 *
 * Time enters only through `tick`; requests are handled at the last tick's time. Member ids come from the
 * seeded generator in the state, so the same seed and inputs give the same outputs. `step` advances the
 * state in place and returns it: keep using the returned one (structuredClone for snapshots).
 *
 * Requests are version-neutral: the broker shell decodes any JoinGroup/SyncGroup/... version into one
 * input shape (JoinGroup v0 passes rebalanceTimeoutMs = sessionTimeoutMs; LeaveGroup v0-2 one member)
 * and encodes answers back (LeaveGroup v0-2 take members[0].errorCode as the top-level error).
 *
 * Where this differs from Kafka, and why:
 *  - A held JoinGroup or SyncGroup that a newer one from the same member supersedes is answered
 *    REBALANCE_IN_PROGRESS (Kafka drops it), so every request gets exactly one answer.
 *  - Running out of group slots (groupsMax) answers COORDINATOR_NOT_AVAILABLE; a group out of offset slots
 *    (offsetsPerGroupMax) answers INVALID_COMMIT_OFFSET_SIZE for the partitions that do not fit.
 *  - Topic existence is not known here: the shell answers UNKNOWN_TOPIC_OR_PARTITION itself for
 *    partitions its metadata does not have, and steps only the rest.
 *  - Not handled: OffsetCommit v2-4 retention time (ignored), transactional offsets (TxnOffsetCommit),
 *    OffsetDelete, KIP-848 consumer groups; JoinGroup v9 skipAssignment is always false.
 */
export * as assignors from "./assignors/index.ts";
export { ErrorCode, type ErrorCodeValue, type ErrorName, errorName } from "./errors.ts";
export { memberIdRequiredVersionMin } from "./join-group.ts";
export { groupIdNotFoundCommitVersionMin } from "./offsets.ts";
export { checkGroup, defaultOptions, initialState } from "./state.ts";
export { step } from "./step.ts";
export type * from "./types.ts";
