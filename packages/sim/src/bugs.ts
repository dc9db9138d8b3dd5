/**
 * The known-bug corpus: test-only switches that re-introduce historical bugs. The core is owned by
 * other packages and must stay correct, so each switch is implemented in the simulator as a wrapper
 * around a core step function or a shell decision (see cluster/), never inside the core. A switch is
 * plain data in the run config, so a failing run replays with its bugs.
 */
export const bugNames = [
  /** The controller elects a replica outside the ISR (unclean election) and acked writes vanish. */
  "unclean-election",
  /** The leader acknowledges acks=all produces while the ISR is below min.insync.replicas. */
  "ack-below-min-isr",
  /** A follower truncates to its high watermark minus one when the leader's epoch end offset is higher. */
  "truncate-below-hw",
  /** A new leader exposes a high watermark below the old one. */
  "hw-regression",
  /** The coordinator accepts offset commits from a stale generation. */
  "stale-generation-commit",
  /** Two controllers believe they lead the same epoch. */
  "two-leaders-one-epoch",
  /** The leader skips idempotent deduplication, so a retried batch is written twice. */
  "idempotence-no-dedup",
  /** The leader acknowledges acks=all as soon as it has written locally (acks=1 semantics). */
  "ack-all-as-leader-only",
  /** The coordinator hands one partition to two members of one generation. */
  "double-assignment",
  /**
   * A broker restarted after a crash keeps its old registration (KIP-966's undetected unclean
   * shutdown): the controller never fences it, so it resumes leadership of the same epoch with the
   * state it recovered (a stale HW checkpoint, a lost unflushed tail).
   */
  "restart-keeps-registration",
  /**
   * The active controller answers broker heartbeats with its latest image, uncommitted proposals
   * included, so brokers act on metadata the quorum may never commit.
   */
  "broker-applies-uncommitted-metadata",
  /**
   * A controller installing a leader's snapshot keeps its stored entries after the snapshot's index
   * even when its entry there has another term: a stale suffix of a deposed leader stays on its disk.
   */
  "snapshot-keeps-stale-log",
  /**
   * A Raft leader commits an entry of an earlier term once a quorum stores it (Figure 8 of the Raft
   * paper): a later leader that never had the entry can still be elected and overwrite it.
   */
  "raft-commit-earlier-term",
  /**
   * A Raft voter grants its vote to any candidate whose log is at least as long as its own, ignoring
   * the last term (the election restriction): a stale controller with a longer log wins while another
   * controller is down, and lacks entries the quorum committed.
   */
  "vote-on-log-length",
  /**
   * The controller applies an AlterPartition without checking its partition epoch, so a stale request
   * (a retry or a delayed copy) undoes a later ISR change: a follower dropped for lagging comes back.
   */
  "alter-partition-stale-epoch",
  /**
   * The controller puts a broker it has just unfenced straight back into the ISR of every partition it
   * replicates, though its log may end far below the high watermark.
   */
  "unfenced-broker-rejoins-isr",
  /**
   * After a rebalance a consumer keeps reading the partitions it lost instead of revoking them (an
   * incremental-cooperative consumer skipping the revocation), so the previous generation's owner and
   * the new one read one partition at once.
   */
  "rebalance-keeps-lost-partitions",
  /**
   * A diverged follower truncates to its own high watermark, as before KIP-101, instead of to the
   * leader's epoch end offset: its HW lags the leader's, so an ISR member drops committed records.
   */
  "truncate-to-own-hw",
  /**
   * The coordinator completes a rebalance without waiting for members that have not rejoined yet (a
   * rebalance timeout far below the session timeout): their partitions go to others while the old
   * owners, not yet told, still read them.
   */
  "rebalance-before-owners-rejoin",
] as const;

export type BugName = (typeof bugNames)[number];

export function isBugName(s: string): s is BugName {
  return (bugNames as readonly string[]).includes(s);
}
