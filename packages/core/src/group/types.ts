/**
 * The data shapes of the classic group coordinator: options, state, inputs, outputs and the records it
 * asks the shell to persist. Everything here is plain data (objects, arrays, Maps, Sets, Uint8Arrays) so
 * a state can be cloned with `structuredClone`, compared in tests and replayed by the simulator.
 * This module must never hold behaviour.
 */
import type { PrngState } from "../prng.ts";
import type { ErrorCodeValue } from "./errors.ts";

/**
 * The five classic group states, spelled as Kafka's DescribeGroups and ListGroups report them. A group
 * that is deleted or expires leaves the state at once, so `Dead` is only what DescribeGroups reports for a
 * group the coordinator does not hold.
 */
export type GroupStateName = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";
/** The states of a group the coordinator holds: all but `Dead`. */
export type HeldGroupStateName = Exclude<GroupStateName, "Dead">;

/** Chosen by the shell; unique among the requests the coordinator still holds (delayed joins and syncs). */
export type RequestId = number;

export interface CoordinatorOptions {
  /** Seeds the generator that makes member ids, so a run replays from its seed. */
  readonly seed: number | bigint;
  /** Groups held at once; a request that would create one more gets COORDINATOR_NOT_AVAILABLE. */
  readonly groupsMax: number;
  /** Members plus pending (MEMBER_ID_REQUIRED) members per group; Kafka's `group.max.size`. */
  readonly membersPerGroupMax: number;
  /** Committed (topic, partition) offsets held per group. */
  readonly offsetsPerGroupMax: number;
  /** Protocols one JoinGroup may offer. */
  readonly protocolsPerMemberMax: number;
  /** Bytes of one protocol's metadata or one member's assignment. */
  readonly protocolMetadataBytesMax: number;
  /** Kafka's `offset.metadata.max.bytes` (4096). */
  readonly offsetMetadataBytesMax: number;
  /** Entries in one OffsetCommit, OffsetFetch, LeaveGroup, DescribeGroups or DeleteGroups request. */
  readonly requestEntriesMax: number;
  /** Kafka's `group.min.session.timeout.ms` (6000) and `group.max.session.timeout.ms` (1800000). */
  readonly sessionTimeoutMsMin: number;
  readonly sessionTimeoutMsMax: number;
  /** Kafka's `group.initial.rebalance.delay.ms` (3000): how long a rebalance of an Empty group waits. */
  readonly initialRebalanceDelayMs: number;
  /** How long a brand-new member may wait in a rebalance before it is dropped (Kafka: 5 minutes). */
  readonly newMemberJoinTimeoutMs: number;
  /** Kafka's `offsets.retention.minutes` (7 days), in milliseconds. */
  readonly offsetsRetentionMs: number;
  /** Kafka's `offsets.retention.check.interval.ms` (10 minutes). */
  readonly offsetsRetentionCheckIntervalMs: number;
}

/** One protocol a member offers in JoinGroup: for consumers, an assignor name and subscription bytes. */
export interface Protocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

/** A request the coordinator holds until the rebalance moves on (Kafka's join and sync purgatories). */
export interface PendingRequest {
  readonly requestId: RequestId;
}

export interface Member {
  readonly memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: Protocol[];
  /** The bytes the leader assigned this member in the current generation (empty until then). */
  assignment: Uint8Array;
  awaitingJoin: PendingRequest | null;
  awaitingSync: PendingRequest | null;
  /** Joined during the current rebalance without a previous generation; expires after newMemberJoinTimeoutMs. */
  isNew: boolean;
  /** When the member is dropped unless it heartbeats, joins or syncs before (ignored while it waits in a rebalance). */
  sessionDeadlineMs: number;
}

/** The delayed join of a rebalance: `initial` is Kafka's InitialDelayedJoin, `normal` its DelayedJoin. */
export interface JoinTimer {
  readonly kind: "initial" | "normal";
  readonly deadlineMs: number;
  /** For `initial`: how much of the rebalance timeout is left to extend the delay by. */
  readonly remainingMs: number;
}

export interface CommittedOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

export interface Group {
  readonly groupId: string;
  state: HeldGroupStateName;
  /** When the group entered `state`; the retention clock of an Empty group starts here. */
  stateSinceMs: number;
  /** Null for a simple group that only stores offsets (created by a generation -1 commit). */
  protocolType: string | null;
  protocolName: string | null;
  generationId: number;
  leaderId: string | null;
  /** In join order; the first member becomes leader when there is none. */
  members: Map<string, Member>;
  /** groupInstanceId -> memberId for static members. */
  staticMembers: Map<string, string>;
  /** Member ids handed out with MEMBER_ID_REQUIRED, with the deadline by which they must rejoin. */
  pendingMembers: Map<string, number>;
  join: JoinTimer | null;
  /** Set during the initial delay of a generation-0 group when another member arrives (extends the delay). */
  newMemberAdded: boolean;
  /** Members that got a JoinGroup response of the current generation but have not sent SyncGroup yet. */
  pendingSyncMembers: Set<string>;
  pendingSyncDeadlineMs: number | null;
  /** topic -> partition -> committed offset. */
  offsets: Map<string, Map<number, CommittedOffset>>;
  offsetCount: number;
}

export interface CoordinatorState {
  readonly options: CoordinatorOptions;
  /** The latest time a tick brought; requests are handled at this time. */
  nowMs: number;
  prng: PrngState;
  groups: Map<string, Group>;
  nextOffsetExpiryCheckMs: number;
}

// ---------------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------------

export interface JoinGroupInput {
  readonly type: "joinGroup";
  readonly requestId: RequestId;
  readonly groupId: string;
  /** Empty for a member that has none yet. */
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly protocolType: string;
  readonly protocols: readonly Protocol[];
  readonly sessionTimeoutMs: number;
  /** JoinGroup v0 has none: the shell passes the session timeout, as Kafka does. */
  readonly rebalanceTimeoutMs: number;
  /** From v4 a new dynamic member first gets MEMBER_ID_REQUIRED with its id and must rejoin with it. */
  readonly apiVersion: number;
  readonly clientId: string;
  readonly clientHost: string;
}

export interface SyncGroupInput {
  readonly type: "syncGroup";
  readonly requestId: RequestId;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v5+ send these; null skips the check. */
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** The leader's assignment; followers send an empty list. */
  readonly assignments: readonly { readonly memberId: string; readonly assignment: Uint8Array }[];
}

export interface HeartbeatInput {
  readonly type: "heartbeat";
  readonly requestId: RequestId;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

export interface LeaveGroupInput {
  readonly type: "leaveGroup";
  readonly requestId: RequestId;
  readonly groupId: string;
  /** v0-2 carry one member id (groupInstanceId null); v3+ a batch. */
  readonly members: readonly { readonly memberId: string; readonly groupInstanceId: string | null }[];
}

export interface OffsetCommitEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** -1 when the client does not know it. */
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

export interface OffsetCommitInput {
  readonly type: "offsetCommit";
  readonly requestId: RequestId;
  readonly groupId: string;
  /** -1 for a simple or admin commit, allowed only while the group is Empty or does not exist. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** v9+ answer GROUP_ID_NOT_FOUND for a missing group instead of ILLEGAL_GENERATION. */
  readonly apiVersion: number;
  readonly offsets: readonly OffsetCommitEntry[];
}

export interface OffsetFetchInput {
  readonly type: "offsetFetch";
  readonly requestId: RequestId;
  readonly groupId: string;
  /** Null fetches every committed offset of the group. */
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[] | null;
}

export interface DescribeGroupsInput {
  readonly type: "describeGroups";
  readonly requestId: RequestId;
  readonly groupIds: readonly string[];
}

export interface ListGroupsInput {
  readonly type: "listGroups";
  readonly requestId: RequestId;
  /** Empty lists every group (ListGroups v4+ filter). */
  readonly statesFilter: readonly GroupStateName[];
}

export interface DeleteGroupsInput {
  readonly type: "deleteGroups";
  readonly requestId: RequestId;
  readonly groupIds: readonly string[];
}

/** Logical time: expires sessions, rebalance and sync timeouts, the initial delay and old offsets. */
export interface TickInput {
  readonly type: "tick";
  readonly nowMs: number;
}

/** Rebuilds groups and offsets from durable records when this coordinator takes over (Kafka's load). */
export interface LoadInput {
  readonly type: "load";
  readonly records: readonly PersistRecord[];
}

export type Input =
  | JoinGroupInput
  | SyncGroupInput
  | HeartbeatInput
  | LeaveGroupInput
  | OffsetCommitInput
  | OffsetFetchInput
  | DescribeGroupsInput
  | ListGroupsInput
  | DeleteGroupsInput
  | TickInput
  | LoadInput;

// ---------------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------------

export interface JoinGroupResponse {
  readonly kind: "joinGroup";
  readonly requestId: RequestId;
  readonly errorCode: ErrorCodeValue;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string;
  readonly memberId: string;
  /** Filled for the leader only: every member with its metadata for the selected protocol. */
  readonly members: readonly { memberId: string; groupInstanceId: string | null; metadata: Uint8Array }[];
}

export interface SyncGroupResponse {
  readonly kind: "syncGroup";
  readonly requestId: RequestId;
  readonly errorCode: ErrorCodeValue;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Uint8Array;
}

export interface HeartbeatResponse {
  readonly kind: "heartbeat";
  readonly requestId: RequestId;
  readonly errorCode: ErrorCodeValue;
}

export interface LeaveGroupResponse {
  readonly kind: "leaveGroup";
  readonly requestId: RequestId;
  /** Top-level error (v0-2 report the first member's error here too). */
  readonly errorCode: ErrorCodeValue;
  readonly members: readonly {
    memberId: string;
    groupInstanceId: string | null;
    errorCode: ErrorCodeValue;
  }[];
}

export interface OffsetCommitResponse {
  readonly kind: "offsetCommit";
  readonly requestId: RequestId;
  /** In request order. */
  readonly partitions: readonly { topic: string; partition: number; errorCode: ErrorCodeValue }[];
}

export interface OffsetFetchResponse {
  readonly kind: "offsetFetch";
  readonly requestId: RequestId;
  readonly errorCode: ErrorCodeValue;
  readonly partitions: readonly {
    topic: string;
    partition: number;
    /** -1 when nothing is committed. */
    committedOffset: number;
    committedLeaderEpoch: number;
    metadata: string;
    errorCode: ErrorCodeValue;
  }[];
}

export interface DescribedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  /** Only while Stable, as Kafka: the metadata of the selected protocol and the assignment. */
  readonly metadata: Uint8Array;
  readonly assignment: Uint8Array;
}

export interface DescribeGroupsResponse {
  readonly kind: "describeGroups";
  readonly requestId: RequestId;
  readonly groups: readonly {
    groupId: string;
    errorCode: ErrorCodeValue;
    state: GroupStateName;
    protocolType: string;
    /** Empty unless Stable. */
    protocolData: string;
    /**
     * The group's generation (0 for a group this coordinator does not hold). Kafka's DescribeGroups
     * does not carry it; the admin console shows it.
     */
    generationId: number;
    members: readonly DescribedMember[];
  }[];
}

export interface ListGroupsResponse {
  readonly kind: "listGroups";
  readonly requestId: RequestId;
  readonly errorCode: ErrorCodeValue;
  readonly groups: readonly { groupId: string; protocolType: string; state: GroupStateName }[];
}

export interface DeleteGroupsResponse {
  readonly kind: "deleteGroups";
  readonly requestId: RequestId;
  readonly results: readonly { groupId: string; errorCode: ErrorCodeValue }[];
}

export type Response =
  | JoinGroupResponse
  | SyncGroupResponse
  | HeartbeatResponse
  | LeaveGroupResponse
  | OffsetCommitResponse
  | OffsetFetchResponse
  | DescribeGroupsResponse
  | ListGroupsResponse
  | DeleteGroupsResponse;

/** A member as stored with its group: Kafka's GroupMetadata value record, member part. */
export interface PersistedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** The member's metadata for the selected protocol. */
  readonly subscription: Uint8Array;
  readonly assignment: Uint8Array;
}

/**
 * A write to the group's durable log (Kafka's `__consumer_offsets` records). Later records override earlier
 * ones with the same key; tombstones delete. Replaying them in order through a `load` input rebuilds state.
 */
export type PersistRecord =
  | {
      readonly kind: "offsetCommit";
      readonly groupId: string;
      readonly topic: string;
      readonly partition: number;
      readonly offset: number;
      readonly leaderEpoch: number;
      readonly metadata: string;
      readonly commitTimestampMs: number;
      /** The generation the commit was accepted in (-1 for simple commits), kept for checkers. */
      readonly generationId: number;
    }
  | {
      readonly kind: "offsetTombstone";
      readonly groupId: string;
      readonly topic: string;
      readonly partition: number;
    }
  | {
      readonly kind: "groupMetadata";
      readonly groupId: string;
      readonly generationId: number;
      readonly protocolType: string | null;
      readonly protocolName: string | null;
      readonly leaderId: string | null;
      readonly stateTimestampMs: number;
      readonly members: readonly PersistedMember[];
    }
  | { readonly kind: "groupTombstone"; readonly groupId: string };

/**
 * What one step asks of the shell, in this order:
 *  1. `persist`: append these records durably, in order.
 *  2. `respond`: only after every record of this and earlier steps is durable, send these responses, in order.
 *     (An OffsetCommit, or a SyncGroup that completed a rebalance, must not be acknowledged before its
 *     record is durable.) If persisting fails, drop the responses, discard this coordinator state and
 *     rebuild it from durable records with a `load` input; clients retry on NOT_COORDINATOR.
 *  3. `nextTickAtMs`: schedule a `tick` no later than this (null: nothing is timed).
 */
export interface Ready {
  readonly persist: PersistRecord[];
  readonly respond: Response[];
  readonly nextTickAtMs: number | null;
}

export interface StepResult {
  readonly state: CoordinatorState;
  readonly ready: Ready;
}
