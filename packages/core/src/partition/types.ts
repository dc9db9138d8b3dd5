/**
 * Types of the partition replica state machine: its configuration, state, inputs and the `Ready` batch it
 * hands to the shell. Everything here is plain data (readonly objects and arrays of numbers and strings),
 * so a state can be `structuredClone`d, hashed and printed by the simulator. Offsets are `number`s: 2^53
 * records is beyond any partition this project will hold.
 */

import type { PartitionProducers } from "../producer/partitionProducers.ts";

/** Brokers are identified by their Kafka broker id. */
export type BrokerId = number;

export interface PartitionConfig {
  readonly topic: string;
  readonly partition: number;
  /** The broker this replica lives on. */
  readonly brokerId: BrokerId;
  /** `replica.lag.time.max.ms`: a follower that has not caught up for this long leaves the ISR. */
  readonly replicaLagTimeMaxMs: number;
  /** `min.insync.replicas`: acks=all needs at least this many ISR members. */
  readonly minInsyncReplicas: number;
  /** `replica.fetch.wait.max.ms`: how long a leader parks a follower fetch that has nothing new. */
  readonly replicaFetchWaitMaxMs: number;
  /** `replica.fetch.backoff.ms`: how long a follower waits after a failed fetch. */
  readonly replicaFetchBackoffMs: number;
  /** How long a follower waits for a fetch response before sending the fetch again (lost messages). */
  readonly replicaFetchTimeoutMs: number;
  /** How long the leader waits for an AlterPartition answer before proposing again. */
  readonly alterPartitionRetryMs: number;
  /**
   * How long the leader waits for metadata after INVALID_UPDATE_VERSION or FENCED_LEADER_EPOCH before it
   * drops the change and proposes again from its current state (the refusal may have come from a deposed
   * controller with an old image, and then no newer metadata ever comes).
   */
  readonly alterPartitionMetadataWaitMs: number;
  /** Bound on produce requests waiting for an append or for replication (acks=1 and acks=all). */
  readonly pendingProducesMax: number;
  /** Bound on producers remembered for idempotence. */
  readonly producerIdsMax: number;
  /** `producer.id.expiration.ms`. */
  readonly producerIdExpirationMs: number;
}

/** One entry of the leader-epoch cache: the first offset written in `epoch` (Kafka's leader-epoch-checkpoint). */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** The leader's view of one follower. */
export interface FollowerView {
  readonly replicaId: BrokerId;
  /** Follower log end offset as of its last fetch; -1 until it fetches in this leader epoch. */
  readonly logEndOffset: number;
  /** Last time the follower was caught up with the leader's log end offset (Kafka's lastCaughtUpTimeMs). */
  readonly lastCaughtUpTimeMs: number;
  /** Leader log end offset and time at the follower's previous fetch, for the caught-up rule. */
  readonly lastFetchLeaderLogEndOffset: number;
  readonly lastFetchTimeMs: number;
  /** High watermark last sent to this follower, so a parked fetch is released when the HW moves. */
  readonly highWatermarkSent: number;
  /** A fetch with nothing to return, held until data arrives, the HW moves or the wait expires. */
  readonly parkedFetch: ParkedFetch | null;
  /**
   * The newest fetch seen from this follower. An older one (reordered or replayed by the network) is
   * dropped, so the follower's position never appears to move back except by its own truncation.
   */
  readonly lastIncarnation: number;
  readonly lastFetchId: number;
}

export interface ParkedFetch {
  readonly incarnation: number;
  readonly fetchId: number;
  readonly fetchOffset: number;
  readonly deadlineMs: number;
}

/** A produce request that has been assigned offsets and waits for its append (acks=1) or for the HW (acks=all). */
export interface PendingProduce {
  readonly requestId: number;
  readonly acks: 1 | -1;
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** A retry of a batch already in the log: answered with the original offsets once they qualify. */
  readonly duplicate: boolean;
  readonly deadlineMs: number;
}

/** An ISR change proposed to the controller and not yet answered. */
export interface PendingIsrChange {
  readonly proposedIsr: readonly BrokerId[];
  readonly sentAtMs: number;
  /**
   * The controller refused with an error that leaves open whether an earlier copy of the request was
   * applied (INVALID_UPDATE_VERSION, FENCED_LEADER_EPOCH): the change stays pending, holding the high
   * watermark to the maximal ISR, until metadata tells the truth or `alterPartitionMetadataWaitMs`
   * passes (then the leader proposes again from its current state). No retry meanwhile.
   */
  readonly awaitingMetadata: boolean;
  /** When the refusal that set `awaitingMetadata` arrived; -1 while not awaiting metadata. */
  readonly awaitingSinceMs: number;
}

export interface FollowerFetchInFlight {
  readonly fetchId: number;
  readonly fetchOffset: number;
  readonly sentAtMs: number;
}

export type Role = "none" | "leader" | "follower";

export interface PartitionState {
  readonly config: PartitionConfig;
  /** Logical time of the last `tick`. */
  readonly nowMs: number;
  readonly role: Role;
  /** The leader this replica follows or is; -1 when unknown. */
  readonly leaderId: BrokerId;
  /** The latest leader epoch learned from the controller; -1 before any. Never decreases. */
  readonly leaderEpoch: number;
  /** The controller's version of the ISR and replica set (AlterPartition's partitionEpoch). */
  readonly partitionEpoch: number;
  readonly replicas: readonly BrokerId[];
  /** The committed ISR as last confirmed by the controller. Always holds the leader when role is leader. */
  readonly isr: readonly BrokerId[];
  readonly logStartOffset: number;
  /** End of the durable log: every offset below it has completed its append. */
  readonly logEndOffset: number;
  /** End of the log including appends issued but not yet completed; the next offset to assign. */
  readonly nextOffset: number;
  /** Every replica in the ISR has every offset below it. Never decreases. */
  readonly highWatermark: number;
  /** High watermark the leader last told this follower (followers only). */
  readonly leaderHighWatermark: number;
  /** Leader-epoch cache, ascending in both fields, at most `epochEntriesMax` entries. */
  readonly epochs: readonly EpochEntry[];
  /** Recovery changed the cache: the next step writes it back before anything else. */
  readonly epochCheckpointPending: boolean;
  /** Start offset of the current leader epoch on the leader (the first offset this leader writes). */
  readonly leaderEpochStartOffset: number;
  readonly followers: readonly FollowerView[];
  readonly pendingProduces: readonly PendingProduce[];
  readonly pendingIsrChange: PendingIsrChange | null;
  /**
   * Every member some AlterPartition sent at `isrCandidatesEpoch` proposed to add. A late copy of such a
   * request (a retry, or one delayed in the network) can still be applied while the controller's
   * partition epoch is unchanged, so until this replica learns a newer partition epoch the high
   * watermark waits for these members too, even after an answer said "not applied". A candidate that
   * stays silent is fenced out by an ISR change that moves the partition epoch (`fencingIsr`).
   */
  readonly isrCandidates: readonly BrokerId[];
  readonly isrCandidatesEpoch: number;
  /**
   * Replicas the controller would refuse to add to the ISR right now (fenced, or stopping in a
   * controlled shutdown), as the latest metadata says. The leader never proposes one (Kafka's KIP-841
   * `isReplicaIsrEligible`): a refused proposal would still make it an ISR candidate, and a candidate
   * that never fetches again holds the high watermark until `fencingIsr` acts, `replicaLagTimeMaxMs` later.
   */
  readonly ineligibleReplicas: readonly BrokerId[];
  /** No AlterPartition is proposed before this time (after a refusal). */
  readonly alterPartitionBackoffUntilMs: number;
  /** Follower side: the outstanding fetch to the leader, if any. */
  readonly fetchInFlight: FollowerFetchInFlight | null;
  /** Follower side: no fetch is sent before this time (after an error). */
  readonly fetchBackoffUntilMs: number;
  /** Monotonic counter naming fetches, so a replayed or stale response is recognised and ignored. */
  readonly fetchIdNext: number;
  /**
   * Distinguishes this run of the replica from earlier ones (the shell passes a number that grows with
   * every restart, e.g. a restart count or the broker epoch). Fetch ids restart at 1 after a restart,
   * so a response still in flight from before it is told apart by this.
   */
  readonly incarnation: number;
  readonly producers: PartitionProducers;
}

/** The producer fields and size of one record batch in a produce request. */
export interface ProduceBatch {
  readonly recordCount: number;
  readonly sizeBytes: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** The metadata of one batch a leader returned to a follower; the shell attaches the bytes. */
export interface ReplicatedBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** The batch's partitionLeaderEpoch: the epoch of the leader that first wrote it. */
  readonly leaderEpoch: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** Messages between replicas and to the controller. `topic`/`partition` let the shell route them. */
export type PeerMessage =
  | {
      readonly type: "fetch";
      readonly topic: string;
      readonly partition: number;
      readonly replicaId: BrokerId;
      /** The follower's incarnation, echoed in the response with `fetchId`. */
      readonly incarnation: number;
      readonly fetchId: number;
      /** The follower's current leader epoch, checked by the leader (KIP-320 fencing). */
      readonly currentLeaderEpoch: number;
      readonly fetchOffset: number;
      /** Epoch of the follower's last record, -1 if none: the leader answers divergence against it. */
      readonly lastFetchedEpoch: number;
    }
  | {
      readonly type: "fetchResponse";
      readonly topic: string;
      readonly partition: number;
      readonly leaderId: BrokerId;
      readonly incarnation: number;
      readonly fetchId: number;
      readonly leaderEpoch: number;
      readonly errorCode: number;
      readonly highWatermark: number;
      readonly logStartOffset: number;
      /** The leader's log end including appends in flight; a follower past it truncates back to it. */
      readonly leaderEndOffset: number;
      /** The shell reads the leader's log from this offset ... */
      readonly readFromOffset: number;
      /** ... up to, not including, this one (empty when equal), and fills `batches` of the follower input. */
      readonly readToOffset: number;
      /** Set when the follower's log diverges: it must truncate (OffsetForLeaderEpoch answer, KIP-320). */
      readonly divergingEpoch: EpochEndOffset | null;
    }
  | {
      readonly type: "alterPartition";
      readonly topic: string;
      readonly partition: number;
      readonly brokerId: BrokerId;
      /**
       * The sender's incarnation. The controller must refuse a request from an older incarnation of the
       * broker (KRaft's brokerEpoch check, STALE_BROKER_EPOCH): after a restart this replica no longer
       * knows what its previous run proposed, so a late copy must not be applied.
       */
      readonly incarnation: number;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly newIsr: readonly BrokerId[];
    };

/** Where a peer message goes: a broker id, or the active controller. */
export interface Envelope {
  readonly to: BrokerId | "controller";
  readonly message: PeerMessage;
}

/** Answer to OffsetForLeaderEpoch: the largest epoch <= the asked one, and the offset where it ended. */
export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export type PartitionInput =
  | {
      /** From the controller's metadata: this replica leads `leaderEpoch`. Same epoch with a newer partitionEpoch updates the ISR. */
      readonly type: "becomeLeader";
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly isr: readonly BrokerId[];
      readonly replicas: readonly BrokerId[];
    }
  | {
      /** From the controller's metadata: this replica follows `leaderId` in `leaderEpoch`. */
      readonly type: "becomeFollower";
      readonly leaderId: BrokerId;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly isr: readonly BrokerId[];
      readonly replicas: readonly BrokerId[];
    }
  | {
      readonly type: "produce";
      readonly requestId: number;
      /** 0, 1 or -1 (all). Anything else is answered INVALID_REQUIRED_ACKS. */
      readonly acks: number;
      /** The request's timeout for acks=all (and acks=1 appends). */
      readonly timeoutMs: number;
      readonly batch: ProduceBatch;
    }
  | {
      /** I/O completion: the local log now ends at `logEndOffset` (all issued appends below it are written). */
      readonly type: "appendCompleted";
      readonly logEndOffset: number;
    }
  | ({ readonly type: "fetchFromFollower" } & Omit<Extract<PeerMessage, { type: "fetch" }>, "type">)
  | ({ readonly type: "fetchResponse" } & Omit<Extract<PeerMessage, { type: "fetchResponse" }>, "type"> & {
        /** The batches the shell read for [readFromOffset, readToOffset), possibly fewer (size limits). */
        readonly batches: readonly ReplicatedBatch[];
      })
  | {
      /** The controller's answer to our AlterPartition: the ISR it committed, or an error. */
      readonly type: "alterPartitionResponse";
      readonly errorCode: number;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly isr: readonly BrokerId[];
    }
  | {
      /**
       * Move the log start forward (retention or DeleteRecords). Capped at the high watermark: nothing
       * uncommitted is ever deleted. Followers also follow the leader's log start from fetch responses.
       */
      readonly type: "advanceLogStart";
      readonly offset: number;
    }
  | {
      /**
       * From the controller's metadata: the replicas it would refuse to add to the ISR now (fenced or
       * shutting down). Replaces the previous list; sent whenever it changes, whatever the role.
       */
      readonly type: "isrEligibility";
      readonly ineligibleReplicas: readonly BrokerId[];
    }
  | {
      /**
       * The topic's `min.insync.replicas` changed (AlterConfigs): it applies to the next produce and to
       * every acks=all produce still waiting, as in Kafka, whose partitions read the topic's config live.
       */
      readonly type: "configure";
      readonly minInsyncReplicas: number;
    }
  | { readonly type: "tick"; readonly nowMs: number };

/** A write to local storage. The shell applies these in order. */
export type PersistOp =
  | {
      /** Write the request's batch at `baseOffset` (rewrite its base offset and partitionLeaderEpoch). */
      readonly type: "append";
      readonly requestId: number | null;
      readonly baseOffset: number;
      readonly lastOffset: number;
      readonly leaderEpoch: number;
    }
  | {
      /** Write the batches of a fetch response whose fetchId this is, from `baseOffset` through `lastOffset`. */
      readonly type: "appendReplica";
      readonly fetchId: number;
      readonly baseOffset: number;
      readonly lastOffset: number;
    }
  /** Remove every record at or above `offset`. */
  | { readonly type: "truncate"; readonly offset: number }
  /** Records below `offset` may be deleted (whole segments or batches below it); the log starts there. */
  | { readonly type: "advanceLogStart"; readonly offset: number }
  /**
   * Remove every record and restart the empty log at `offset`: this follower is behind the leader's log
   * start, so everything it holds was deleted on the leader (Kafka's truncateFullyAndStartAt).
   */
  | { readonly type: "truncateFully"; readonly offset: number }
  /** Replace the leader-epoch checkpoint with these entries. */
  | { readonly type: "epochCheckpoint"; readonly entries: readonly EpochEntry[] }
  /** Record the high watermark (a checkpoint: it may be written lazily; a stale one only lags). */
  | { readonly type: "highWatermark"; readonly offset: number };

export interface ProduceResponse {
  readonly requestId: number;
  readonly errorCode: number;
  /** Offset of the first record, or -1 on error. For a duplicate, the original offset. */
  readonly baseOffset: number;
  readonly logStartOffset: number;
  /** True when the batch was a retry of one already in the log and nothing was appended. */
  readonly duplicate: boolean;
  /** acks of the request: for acks=0 the shell sends nothing on the wire. */
  readonly acks: number;
}

/**
 * What the shell must do after a `step`, in this order:
 *  1. persist: apply every op in order (truncations before the appends that follow them). Appends may
 *     complete asynchronously; report each completion with an `appendCompleted` input, in offset order.
 *  2. send: deliver each envelope (after the ops that precede them are issued; messages never wait for
 *     appends to complete, because a fetch response only ever covers completed appends).
 *  3. respond: answer the produce requests.
 *  4. arm a wake-up: call `step` with a `tick` no later than `wakeAtMs` (null: nothing is waiting on time).
 */
export interface PartitionReady {
  readonly persist: readonly PersistOp[];
  readonly send: readonly Envelope[];
  readonly respond: readonly ProduceResponse[];
  readonly wakeAtMs: number | null;
}

export interface PartitionStepResult {
  readonly state: PartitionState;
  readonly ready: PartitionReady;
}
