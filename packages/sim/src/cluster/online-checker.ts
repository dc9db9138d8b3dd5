/**
 * Online invariants, checked as events happen (Appendix A "E" checks): committed-prefix agreement,
 * one leader per epoch (partitions and the controller quorum), leader completeness, monotonic and
 * quorum-backed high watermarks, no truncation below a replica's high watermark, monotonic epochs,
 * group exclusivity, sane committed offsets, metadata safety (brokers apply only committed metadata
 * images, in order), snapshot/log-start consistency of the controllers' Raft logs and stability of
 * their committed Raft entries, and producer ids handed out once across brokers and restarts. The shells
 * call in after each step with what they saw; this module only compares against its registries and
 * reports. It never changes a node.
 */
import type { Violations } from "../violation.ts";
import type { PartitionMeta } from "./control.ts";

/** Offsets tracked per partition in the committed registry; runs produce far fewer. */
export const committedOffsetsMax = 1_000_000;
/** Metadata offsets tracked in the committed-image registry; runs commit a few hundred at most. */
export const metadataOffsetsMax = 1_000_000;
/** Producer ids tracked by the handed-out registry (26); a run hands out a few hundred at most. */
export const producerIdsTrackedMax = 1_000_000;

/**
 * A 32-bit hash of the partition metadata of an image, in partition order: what the metadata registry
 * compares instead of whole images (a few dozen multiplications per call, no allocation). The core's
 * richer partition states satisfy `PartitionMeta` structurally, so controllers hash their own images.
 */
export function metadataHash(partitions: readonly PartitionMeta[]): number {
  let h = mix32(0x811c9dc5, partitions.length);
  for (const p of partitions) {
    h = mix32(h, p.partition);
    h = mix32(h, p.leader);
    h = mix32(h, p.leaderEpoch);
    h = mix32(h, p.partitionEpoch);
    h = mix32(h, p.isr.length);
    for (const b of p.isr) h = mix32(h, b);
    h = mix32(h, p.replicas.length);
    for (const b of p.replicas) h = mix32(h, b);
  }
  return h >>> 0;
}

function mix32(h: number, x: number): number {
  const m = Math.imul(h ^ x, 0x01000193);
  return m ^ (m >>> 15);
}

/** One Raft log as a snapshot plus the tail after it (the quorum's in-memory state or the shell's store). */
export interface RaftLogView {
  readonly snapshot: { readonly index: number; readonly term: number };
  readonly entries: readonly { readonly index: number; readonly term: number }[];
}

/** What checker 25 reads of a broker's partition log: its offsets and the values it holds. */
export interface ReplicaLogView {
  readonly start: number;
  readonly end: number;
  values(from: number, to: number, verifyCrc?: boolean): number[];
}

/** Ownerships (member, generation) 27 keeps per partition; a group has a handful of members. */
export const groupOwnershipsPerPartitionMax = 64;

/** One member's ownership of one partition from one generation's assignment (27). */
interface GroupOwnership {
  readonly member: string;
  readonly generation: number;
  /** When the member learned its generation was over, or revoked; +Infinity while it owns. */
  endMs: number;
}

/** Raft indices tracked in the committed-entry registry (24); runs commit a few hundred at most. */
export const raftCommittedIndicesMax = 1_000_000;
/** Controllers whose last log the checker keeps for 24's election what-if; the quorum has 3. */
export const raftLogsMax = 9;

/** A committed Raft entry as the registry (24) keeps it. */
interface RaftCommitted {
  /** The entry's own term. */
  readonly term: number;
  /** The lowest term in which a controller knew the entry committed (a leader then must hold it). */
  commitTerm: number;
}

/** The term of the entry at `index` in `log`, or null when the log does not hold it (compacted or beyond). */
function raftTermAt(log: RaftLogView, index: number): number | null {
  if (index === log.snapshot.index) return log.snapshot.term;
  const first = log.snapshot.index + 1;
  const e = log.entries[index - first];
  return index >= first && e !== undefined && e.index === index ? e.term : null;
}

function raftLast(log: RaftLogView): { readonly index: number; readonly term: number } {
  return log.entries[log.entries.length - 1] ?? log.snapshot;
}

/** Whether `log` holds the committed entry (index, term); a snapshot past it holds it (only committed entries are snapshotted). */
function raftHolds(log: RaftLogView, index: number, term: number): boolean {
  return index < log.snapshot.index || raftTermAt(log, index) === term;
}

export class OnlineChecker {
  /** partition -> offset -> value, for every offset some replica had below its high watermark. */
  readonly committed: number[][] = [];
  private readonly partitionLeaders = new Map<string, number>();
  private readonly quorumLeaders = new Map<number, number>();
  private readonly epochSeen = new Map<string, Map<string, number>>();
  private readonly groupOwners = new Map<string, string>();
  private readonly groupCommitted = new Map<string, number>();
  private nowMs = 0;

  constructor(private readonly v: Violations) {}

  at(nowMs: number): this {
    this.nowMs = nowMs;
    return this;
  }

  /** 4: at most one partition leader per (partition, leader epoch). */
  partitionLeader(partition: number, epoch: number, broker: number): void {
    this.v.checked(4);
    const key = `${partition}:${epoch}`;
    const prior = this.partitionLeaders.get(key);
    if (prior === undefined) this.partitionLeaders.set(key, broker);
    else if (prior !== broker) {
      this.v.add(4, this.nowMs, `p=${partition} epoch ${epoch} led by both broker ${prior} and ${broker}`);
    }
  }

  /** 4: at most one controller leader per quorum term. */
  quorumLeader(term: number, node: number): void {
    this.v.checked(4);
    const prior = this.quorumLeaders.get(term);
    if (prior === undefined) this.quorumLeaders.set(term, node);
    else if (prior !== node)
      this.v.add(4, this.nowMs, `controller term ${term} led by both ${prior} and ${node}`);
  }

  /** 8: an epoch a node persisted (leader epoch, quorum term, generation) never goes down on it. */
  epoch(what: string, node: string, epoch: number): void {
    this.v.checked(8);
    // Keyed by kind, then node: no key string built per call (the controllers report on every commit).
    let byNode = this.epochSeen.get(what);
    if (byNode === undefined) {
      byNode = new Map();
      this.epochSeen.set(what, byNode);
    }
    const prior = byNode.get(node) ?? -1;
    if (epoch < prior) this.v.add(8, this.nowMs, `${what} on ${node} went back from ${prior} to ${epoch}`);
    else byNode.set(node, epoch);
  }

  /**
   * 2 and 6: a replica reports the values it holds in [fromOffset, highWatermark). Each must match
   * what any replica ever held there below its high watermark.
   */
  committedPrefix(partition: number, broker: number, fromOffset: number, values: readonly number[]): void {
    let reg = this.committed[partition];
    if (reg === undefined) {
      reg = [];
      this.committed[partition] = reg;
    }
    for (let i = 0; i < values.length; i++) {
      const o = fromOffset + i;
      const value = values[i]!;
      this.v.checked(2);
      if (o < reg.length) {
        if (reg[o] !== value) {
          this.v.add(
            2,
            this.nowMs,
            `p=${partition} offset ${o}: broker ${broker} has ${value}, committed ${reg[o]}`,
          );
          return;
        }
      } else if (o === reg.length) {
        if (reg.length < committedOffsetsMax) reg.push(value);
      } else {
        this.v.add(
          2,
          this.nowMs,
          `p=${partition}: broker ${broker} reports committed offset ${o} past a gap at ${reg.length}`,
        );
        return;
      }
    }
  }

  committedLength(partition: number): number {
    return this.committed[partition]?.length ?? 0;
  }

  /** partition -> leader epoch -> longest committed prefix a replica in that epoch reported. */
  private readonly committedInEpoch = new Map<number, Map<number, number>>();

  /** Notes that a replica in leader epoch `epoch` saw `length` committed offsets. */
  committedAt(partition: number, epoch: number, length: number): void {
    let byEpoch = this.committedInEpoch.get(partition);
    if (byEpoch === undefined) {
      byEpoch = new Map();
      this.committedInEpoch.set(partition, byEpoch);
    }
    if (length > (byEpoch.get(epoch) ?? 0)) byEpoch.set(epoch, length);
  }

  /**
   * 5: a new leader of epoch e must hold every offset committed in epochs before e. (A deposed leader
   * that learns of its old epoch late is not a new leader of a later history; the epoch fences it.)
   */
  leaderComplete(partition: number, broker: number, epoch: number, logEndOffset: number): void {
    this.v.checked(5);
    let need = 0;
    for (const [e, length] of this.committedInEpoch.get(partition) ?? [])
      if (e < epoch && length > need) need = length;
    if (logEndOffset < need) {
      this.v.add(
        5,
        this.nowMs,
        `p=${partition} epoch ${epoch}: leader broker ${broker} ends at ${logEndOffset}, committed ${need}`,
      );
    }
  }

  /** 5 (election rule): the controller elected a leader outside the ISR. */
  uncleanElection(partition: number, epoch: number, leader: number, isr: readonly number[]): void {
    this.v.checked(5);
    if (!isr.includes(leader)) {
      this.v.add(
        5,
        this.nowMs,
        `p=${partition} epoch ${epoch}: leader ${leader} elected outside ISR [${isr.join(",")}]`,
      );
    }
  }

  /** 6: an acks=all success requires ISR >= min.insync.replicas and the offset below the HW. */
  ackAll(partition: number, offset: number, isrSize: number, minIsr: number, highWatermark: number): void {
    this.v.checked(6);
    if (isrSize < minIsr) {
      this.v.add(
        6,
        this.nowMs,
        `p=${partition} acked offset ${offset} with acks=all while ISR size ${isrSize} < ${minIsr}`,
      );
    } else if (offset >= highWatermark) {
      this.v.add(
        6,
        this.nowMs,
        `p=${partition} acked offset ${offset} with acks=all above the HW ${highWatermark}`,
      );
    }
  }

  /** 6: the high watermark a replica exposes never decreases while it lives. */
  hwMonotonic(partition: number, broker: number, before: number, after: number): void {
    this.v.checked(6);
    if (after < before)
      this.v.add(6, this.nowMs, `p=${partition} broker ${broker}: HW went back from ${before} to ${after}`);
  }

  /** partition -> leader epoch -> highest HW a leader of that epoch exposed to consumers. */
  private readonly visibleHw = new Map<number, Map<number, number>>();

  /**
   * 6: the high watermark leaders expose to consumers never goes backwards across leader changes: a
   * leader of epoch e never exposes less than a leader of an epoch <= e already did. (A deposed leader
   * of an older epoch may still answer stale clients with its older HW; KIP-320 fences those.)
   */
  exposedHw(partition: number, broker: number, epoch: number, hw: number): void {
    this.v.checked(6);
    let byEpoch = this.visibleHw.get(partition);
    if (byEpoch === undefined) {
      byEpoch = new Map();
      this.visibleHw.set(partition, byEpoch);
    }
    for (const [e, seen] of byEpoch) {
      if (e <= epoch && seen > hw) {
        this.v.add(
          6,
          this.nowMs,
          `p=${partition}: leader broker ${broker} of epoch ${epoch} exposed HW ${hw} after epoch ${e} exposed ${seen}`,
        );
        return;
      }
    }
    byEpoch.set(epoch, Math.max(hw, byEpoch.get(epoch) ?? 0));
  }

  /** 7: follower truncation never removes offsets below the replica's own high watermark. */
  truncation(partition: number, broker: number, offset: number, highWatermark: number): void {
    this.v.checked(7);
    if (offset < highWatermark) {
      this.v.add(
        7,
        this.nowMs,
        `p=${partition} broker ${broker} truncated to ${offset} below its HW ${highWatermark}`,
      );
    }
  }

  /** The highest metadata offset whose ISR additions 25 checked: each entry is judged once, at its first apply. */
  private isrCheckedOffset = 0;
  /** The controller that applied `isrCheckedOffset` first (an entry may add several members). */
  private isrCheckedBy = "";
  /** When `isrCheckedOffset` was judged. */
  private isrCheckedAtMs = -1;

  /**
   * 25: a broker that a committed metadata entry (at `metadataOffset`) adds to the ISR of `partition`
   * must hold every committed record of it: its log reaches the committed length (the highest high
   * watermark any replica had, which the leader's HW cannot pass once it proposes the member) and
   * matches the committed registry below it. Only the first application of an entry is judged (other
   * controllers, or one replaying its log after a restart, apply it after the HW legitimately moved
   * on); a broker that is down (`log` undefined) cannot be read and is skipped.
   */
  isrMemberAdded(
    controller: string,
    metadataOffset: number,
    partition: number,
    broker: number,
    log: ReplicaLogView | undefined,
  ): void {
    if (metadataOffset < this.isrCheckedOffset) return;
    // Several members of one entry arrive together, from one controller at one time; the same entry
    // again (another controller, or this one replaying its log after a restart) is not judged again.
    if (
      metadataOffset === this.isrCheckedOffset &&
      (controller !== this.isrCheckedBy || this.nowMs !== this.isrCheckedAtMs)
    )
      return;
    this.isrCheckedOffset = metadataOffset;
    this.isrCheckedBy = controller;
    this.isrCheckedAtMs = this.nowMs;
    if (log === undefined) return;
    this.v.checked(25);
    const reg = this.committed[partition] ?? [];
    const need = reg.length;
    if (log.end < need) {
      this.v.add(
        25,
        this.nowMs,
        `p=${partition}: broker ${broker} joined the ISR with log end ${log.end}, below the committed ${need}`,
      );
      return;
    }
    const from = Math.min(log.start, need);
    const held = log.values(from, need, false);
    for (let i = 0; i < held.length; i++) {
      if (held[i] !== reg[from + i]) {
        this.v.add(
          25,
          this.nowMs,
          `p=${partition}: broker ${broker} joined the ISR holding ${held[i]} at offset ${from + i}, committed ${reg[from + i]}`,
        );
        return;
      }
    }
  }

  /** group:partition -> the ownerships of it not known to be over. */
  private readonly groupOwnerships = new Map<string, GroupOwnership[]>();
  /** group:member -> the coordinator's clock by which its session has surely not run out yet. */
  private readonly groupSessionEndMs = new Map<string, number>();

  /**
   * 27: the coordinator answered a group request of `member` without error, so it heard the request
   * no earlier than it was sent, and the session runs at least until `sessionEndMs` on the
   * coordinator's clock (its clock when the request was sent, plus the session timeout; sessions run
   * on the coordinator's clock, which a skew fault may speed up). Past that the member may already be
   * evicted, and reading as a zombie is then allowed (Kafka fences such a member only when it commits).
   */
  groupSessionAck(group: string, member: string, sessionEndMs: number): void {
    const key = `${group}:${member}`;
    if (sessionEndMs > (this.groupSessionEndMs.get(key) ?? 0)) this.groupSessionEndMs.set(key, sessionEndMs);
  }

  /** 27: the member learned its generation is over (a rebalance, a fencing error) or gave its partitions up. */
  groupOwnershipEnds(group: string, member: string): void {
    for (const [key, list] of this.groupOwnerships) {
      if (!key.startsWith(`${group}:`)) continue;
      for (const o of list) if (o.member === member && o.endMs > this.nowMs) o.endMs = this.nowMs;
    }
  }

  private sessionLive(group: string, member: string, coordinatorNowMs: number): boolean {
    return (this.groupSessionEndMs.get(`${group}:${member}`) ?? 0) > coordinatorNowMs;
  }

  /** Whether ownership `o` still holds now: not given up and its member's session not run out. */
  private owning(group: string, o: GroupOwnership, coordinatorNowMs: number): boolean {
    return o.endMs > this.nowMs && this.sessionLive(group, o.member, coordinatorNowMs);
  }

  /**
   * 27: one owner per partition across generations. `member` was assigned `partitions` in
   * `generation`; a member of an older generation may still own one of them only until it learns its
   * generation is over or its session runs out (`coordinatorNowMs`: the coordinator's clock now), so
   * one that still owns it now is a second owner.
   */
  groupAssigned(
    group: string,
    member: string,
    generation: number,
    partitions: readonly number[],
    coordinatorNowMs: number,
  ): void {
    for (const p of partitions) {
      this.v.checked(27);
      const key = `${group}:${p}`;
      const prior = (this.groupOwnerships.get(key) ?? []).filter((o) =>
        this.owning(group, o, coordinatorNowMs),
      );
      const other = prior.find((o) => o.member !== member && o.generation < generation);
      if (other !== undefined) {
        this.v.add(
          27,
          this.nowMs,
          `group ${group}: p=${p} assigned to ${member} in generation ${generation} while ${other.member} ` +
            `still owns it from generation ${other.generation}`,
        );
      }
      const kept = prior.filter((o) => o.member !== member);
      if (kept.length < groupOwnershipsPerPartitionMax) kept.push({ member, generation, endMs: Infinity });
      this.groupOwnerships.set(key, kept);
    }
  }

  /**
   * 27: `member` read records of `partition` under its assignment of `generation`. Reading is fine
   * while it owns the partition, and as a zombie whose session ran out; reading after it learned its
   * generation was over, while another member owns the partition from a newer one, is two owners.
   */
  groupRead(
    group: string,
    member: string,
    generation: number,
    partition: number,
    coordinatorNowMs: number,
  ): void {
    this.v.checked(27);
    const list = this.groupOwnerships.get(`${group}:${partition}`);
    if (list === undefined) return;
    const own = list.find((o) => o.member === member && o.generation === generation);
    if (own !== undefined && this.owning(group, own, coordinatorNowMs)) return;
    if (!this.sessionLive(group, member, coordinatorNowMs)) return;
    const other = list.find(
      (o) => o.member !== member && o.generation > generation && this.owning(group, o, coordinatorNowMs),
    );
    if (other !== undefined) {
      this.v.add(
        27,
        this.nowMs,
        `group ${group}: ${member} read p=${partition} under generation ${generation} after it ended, ` +
          `while ${other.member} owns it from generation ${other.generation}`,
      );
    }
  }

  /**
   * 28: a replica in the ISR (as the newest committed metadata says) never truncates below the
   * partition's committed length: the leader's high watermark, the highest any replica had, not the
   * replica's own, which lags it. Every ISR member holds the committed records, and truncation by
   * leader epoch only cuts a divergent suffix above them; a replica out of the ISR may hold stale
   * records below it and drop them. Membership is judged on committed metadata, not on the replica's
   * own view: it learns of an ISR shrink a heartbeat later, and meanwhile may rightly drop a stale
   * suffix (seed 14937 of the 100,000-seed batch, a false alarm while the replica's view was used).
   */
  isrMemberTruncation(partition: number, broker: number, offset: number, inIsr: boolean): void {
    if (!inIsr) return;
    this.v.checked(28);
    const committed = this.committedLength(partition);
    if (offset < committed) {
      this.v.add(
        28,
        this.nowMs,
        `p=${partition} broker ${broker} in the ISR truncated to ${offset}, below the committed ${committed}`,
      );
    }
  }

  /** 15: within one generation, each partition has at most one owner. */
  assignment(member: string, group: string, generation: number, partitions: readonly number[]): void {
    for (const p of partitions) {
      this.v.checked(15);
      const key = `${group}:${generation}:${p}`;
      const prior = this.groupOwners.get(key);
      if (prior === undefined) this.groupOwners.set(key, member);
      else if (prior !== member) {
        this.v.add(
          15,
          this.nowMs,
          `group ${group} generation ${generation}: p=${p} owned by ${prior} and ${member}`,
        );
      }
    }
  }

  /**
   * 16: an accepted commit comes from the coordinator's current generation, moves forward and is at
   * most the partition's committed length (its high watermark).
   */
  commitAccepted(
    group: string,
    partition: number,
    offset: number,
    generation: number,
    currentGeneration: number,
  ): void {
    this.v.checked(16);
    if (generation !== currentGeneration) {
      this.v.add(
        16,
        this.nowMs,
        `group ${group}: commit p=${partition}@${offset} accepted from generation ${generation}, current ${currentGeneration}`,
      );
      return;
    }
    const key = `${group}:${partition}`;
    const prior = this.groupCommitted.get(key) ?? 0;
    if (offset < prior) {
      this.v.add(
        16,
        this.nowMs,
        `group ${group}: committed p=${partition} went back from ${prior} to ${offset}`,
      );
    }
    if (offset > this.committedLength(partition)) {
      this.v.add(
        16,
        this.nowMs,
        `group ${group}: committed p=${partition}@${offset} beyond the HW ${this.committedLength(partition)}`,
      );
    }
    this.groupCommitted.set(key, Math.max(prior, offset));
  }

  /** Metadata offset -> hash of the image the quorum committed there. */
  private readonly metadataImages = new Map<number, number>();
  /** Broker -> the incarnation and metadata offset it last applied. */
  private readonly metadataApplied = new Map<string, { incarnation: number; offset: number }>();

  /**
   * 18: a controller applied the committed metadata log up to `offset` (a committed batch or a
   * snapshot), giving partition metadata that hashes to `hash`. The first controller to get there
   * registers the image; every other must reach the same one (the committed prefix is one history).
   */
  metadataCommitted(controller: string, offset: number, hash: number): void {
    this.v.checked(18);
    const prior = this.metadataImages.get(offset);
    if (prior === undefined) {
      if (this.metadataImages.size < metadataOffsetsMax) this.metadataImages.set(offset, hash);
    } else if (prior !== hash) {
      this.v.add(
        18,
        this.nowMs,
        `controller ${controller} applied metadata offset ${offset} as image ${hex(hash)}, another controller as ${hex(prior)}`,
      );
    }
  }

  /**
   * 18: a broker (in its `incarnation`) acts on the metadata image of `offset`, whose partitions hash
   * to `hash`. The image must be the one the quorum committed at that offset, and within one
   * incarnation the offsets a broker applies never go back.
   */
  metadataAppliedByBroker(broker: string, incarnation: number, offset: number, hash: number): void {
    this.v.checked(18);
    const committed = this.metadataImages.get(offset);
    if (committed === undefined) {
      // A full registry stops registering; offsets past it cannot be judged.
      if (this.metadataImages.size < metadataOffsetsMax)
        this.v.add(18, this.nowMs, `broker ${broker} applied metadata offset ${offset}, never committed`);
    } else if (committed !== hash) {
      this.v.add(
        18,
        this.nowMs,
        `broker ${broker} applied image ${hex(hash)} at metadata offset ${offset}, committed ${hex(committed)}`,
      );
    }
    const prior = this.metadataApplied.get(broker);
    if (prior !== undefined && prior.incarnation === incarnation && offset < prior.offset) {
      this.v.add(
        18,
        this.nowMs,
        `broker ${broker} applied metadata offset ${offset} after ${prior.offset} in one incarnation`,
      );
      return;
    }
    if (prior === undefined) this.metadataApplied.set(broker, { incarnation, offset });
    else {
      prior.incarnation = incarnation;
      prior.offset = offset;
    }
  }

  /** Producer id -> the highest epoch handed out with it and who handed it out (26). */
  private readonly producerIdsGranted = new Map<number, { epoch: number; by: string }>();

  /**
   * 26: a producer id is never handed out twice, by any broker in any incarnation: an InitProducerId
   * answer must name a new id, or (a transactional id's bump) a known id with a higher epoch. A
   * repeated id lets two producers' sequence numbers collide, so the leaders' deduplication drops or
   * misorders one producer's writes as the other's.
   */
  producerIdGranted(broker: number, incarnation: number, producerId: number, producerEpoch: number): void {
    this.v.checked(26);
    const by = `broker ${broker} (incarnation ${incarnation})`;
    const prior = this.producerIdsGranted.get(producerId);
    if (prior !== undefined && producerEpoch <= prior.epoch) {
      this.v.add(
        26,
        this.nowMs,
        `producer id ${producerId} epoch ${producerEpoch} from ${by} was handed out before by ${prior.by} with epoch ${prior.epoch}`,
      );
      return;
    }
    if (prior === undefined && this.producerIdsGranted.size >= producerIdsTrackedMax) return;
    this.producerIdsGranted.set(producerId, { epoch: producerEpoch, by });
  }

  /**
   * 19: a controller's Raft log after a step, in memory (`core`) and as its shell stored it
   * (`stored`). Kafka's SnapshotAtLogStart, in Raft indices (the log start is the first index held,
   * a snapshot at index S ends at S + 1): the log never starts past the snapshot's end (no gap), and
   * once it starts past index 1 it starts exactly there. A snapshot holds committed entries only, the
   * store ends where the node believes its log ends (nothing stale kept, nothing lost), and a leader
   * never loads a snapshot (Kafka's LeaderNeverLoadSnapshot): `loadedSnapshot` says this step
   * restored the state machine from one, `role` is the node's role after the step.
   */
  controllerLog(
    controller: string,
    role: string,
    loadedSnapshot: boolean,
    commitIndex: number,
    core: RaftLogView,
    stored: RaftLogView,
  ): void {
    this.v.checked(19);
    if (loadedSnapshot && role === "leader") {
      this.v.add(19, this.nowMs, `controller ${controller} loaded a snapshot as leader`);
      return;
    }
    if (!this.logStartConsistent(controller, "log", core)) return;
    if (!this.logStartConsistent(controller, "stored log", stored)) return;
    if (core.snapshot.index > commitIndex) {
      this.v.add(
        19,
        this.nowMs,
        `controller ${controller}: snapshot at ${core.snapshot.index} beyond the commit index ${commitIndex}`,
      );
      return;
    }
    const coreLast = core.entries[core.entries.length - 1] ?? core.snapshot;
    const storedLast = stored.entries[stored.entries.length - 1] ?? stored.snapshot;
    if (stored.snapshot.index !== core.snapshot.index || storedLast.index !== coreLast.index) {
      this.v.add(
        19,
        this.nowMs,
        `controller ${controller}: stored snapshot ${stored.snapshot.index} and log end ${storedLast.index}, ` +
          `the node's are ${core.snapshot.index} and ${coreLast.index}`,
      );
    } else if (storedLast.term !== coreLast.term) {
      this.v.add(
        19,
        this.nowMs,
        `controller ${controller}: stored log ends at ${storedLast.index} in term ${storedLast.term}, the node's in term ${coreLast.term}`,
      );
    }
  }

  /** Raft index -> the committed entry there (24). */
  private readonly raftCommitted = new Map<number, RaftCommitted>();
  /** The highest index in `raftCommitted`, or 0. */
  private raftCommittedMaxIndex = 0;
  /** Commit term -> the highest index known committed in it (24's leader completeness). */
  private readonly raftCommittedByTerm = new Map<number, number>();
  /** Controller -> the commit index it last reported, so each step registers only what is new. */
  private readonly raftCommitReported = new Map<string, number>();
  /** Controller -> its Raft log as of its last step (a crashed controller's durable log is the same). */
  private readonly raftLogs = new Map<string, RaftLogView>();

  /**
   * 24: committed Raft entries never change. A controller reports its log, role, term and commit
   * index after each step. Three rules, each a form of Raft's Leader Completeness:
   * - agreement: an index committed on any controller has one entry term, on every controller and at
   *   every later time (the registry keeps the first term seen);
   * - a leader of term T holds every entry known committed in a term below T (a deposed leader that
   *   has not noticed yet is exempt for entries committed after it was deposed);
   * - no controller lacking the newest committed entry could win an election on the logs as they
   *   are: it would need a quorum of voters whose logs are no more up to date than its own (Raft
   *   §5.4.1's vote rule), and in a correct quorum every voter holding the entry refuses it. This is
   *   what names an unsafe commit (Figure 8 of the Raft paper) at the moment it happens, before a
   *   later leader overwrites the entry.
   */
  raftLog(
    controller: string,
    role: string,
    term: number,
    commitIndex: number,
    log: RaftLogView,
    voters: number,
  ): void {
    this.v.checked(24);
    const prior = this.raftLogs.get(controller);
    if (prior === undefined && this.raftLogs.size >= raftLogsMax) return;
    this.raftLogs.set(controller, log);
    const reportedIndex = this.raftCommitReported.get(controller) ?? 0;
    const newestBefore = this.raftCommittedMaxIndex;
    if (commitIndex > reportedIndex) {
      this.raftCommitReported.set(controller, commitIndex);
      // Entries compacted into the snapshot before this controller reported them cannot be compared.
      const from = Math.max(reportedIndex + 1, log.snapshot.index + 1);
      for (let index = from; index <= commitIndex; index++) {
        const t = raftTermAt(log, index);
        if (t === null) continue;
        if (!this.registerRaftCommitted(controller, index, t, term)) return;
      }
    }
    if (role === "leader" && !this.leaderHoldsCommitted(controller, term, log)) return;
    // Logs change far less often than controllers step (ticks, heartbeats): the what-if runs only
    // when the newest commit moved or this controller's log did.
    const logChanged =
      prior !== undefined && (prior.entries !== log.entries || prior.snapshot !== log.snapshot);
    if (this.raftCommittedMaxIndex > newestBefore || logChanged) this.checkCommittedDurable(voters);
  }

  private registerRaftCommitted(
    controller: string,
    index: number,
    term: number,
    reporterTerm: number,
  ): boolean {
    const known = this.raftCommitted.get(index);
    if (known === undefined) {
      if (this.raftCommitted.size >= raftCommittedIndicesMax) return true;
      this.raftCommitted.set(index, { term, commitTerm: reporterTerm });
      if (index > this.raftCommittedMaxIndex) this.raftCommittedMaxIndex = index;
      const top = this.raftCommittedByTerm.get(reporterTerm) ?? 0;
      if (index > top) this.raftCommittedByTerm.set(reporterTerm, index);
      return true;
    }
    if (known.term !== term) {
      this.v.add(
        24,
        this.nowMs,
        `controller ${controller} committed Raft index ${index} in term ${term}, committed before in term ${known.term}`,
      );
      return false;
    }
    if (reporterTerm < known.commitTerm) {
      known.commitTerm = reporterTerm;
      const top = this.raftCommittedByTerm.get(reporterTerm) ?? 0;
      if (index > top) this.raftCommittedByTerm.set(reporterTerm, index);
    }
    return true;
  }

  /** 24: a leader of `term` holds the newest entry committed in any term below it (so, by Log Matching, all of them). */
  private leaderHoldsCommitted(controller: string, term: number, log: RaftLogView): boolean {
    let index = 0;
    for (const [commitTerm, top] of this.raftCommittedByTerm)
      if (commitTerm < term && top > index) index = top;
    if (index === 0) return true;
    const entry = this.raftCommitted.get(index)!;
    if (raftHolds(log, index, entry.term)) return true;
    const has = raftTermAt(log, index);
    this.v.add(
      24,
      this.nowMs,
      `controller ${controller} leads term ${term} without committed Raft index ${index} (term ${entry.term}): ` +
        (has === null ? `its log ends at ${raftLast(log).index}` : `it holds term ${has} there`),
    );
    return false;
  }

  /**
   * 24: no controller lacking the newest committed entry could collect a quorum of votes, counting
   * itself and every controller whose log it is at least as up to date as.
   */
  private checkCommittedDurable(voters: number): void {
    const index = this.raftCommittedMaxIndex;
    if (index === 0 || this.raftLogs.size < voters) return;
    const entry = this.raftCommitted.get(index)!;
    const quorum = Math.floor(voters / 2) + 1;
    for (const [name, log] of this.raftLogs) {
      if (raftHolds(log, index, entry.term)) continue;
      const last = raftLast(log);
      const granting: string[] = [name];
      for (const [other, otherLog] of this.raftLogs) {
        if (other === name) continue;
        const theirs = raftLast(otherLog);
        if (last.term > theirs.term || (last.term === theirs.term && last.index >= theirs.index))
          granting.push(other);
      }
      if (granting.length >= quorum) {
        this.v.add(
          24,
          this.nowMs,
          `committed Raft index ${index} (term ${entry.term}) can be lost: controller ${name} lacks it and ` +
            `its log (last term ${last.term}, index ${last.index}) would win the votes of ${granting.join(", ")}`,
        );
        return;
      }
    }
  }

  private logStartConsistent(controller: string, what: string, log: RaftLogView): boolean {
    const start = log.entries[0]?.index ?? log.snapshot.index + 1;
    const snapshotEnd = log.snapshot.index + 1;
    if (start > snapshotEnd) {
      this.v.add(
        19,
        this.nowMs,
        `controller ${controller}: ${what} starts at ${start}, past the snapshot ending at ${snapshotEnd}`,
      );
      return false;
    }
    if (start > 1 && start !== snapshotEnd) {
      this.v.add(
        19,
        this.nowMs,
        `controller ${controller}: ${what} starts at ${start}, no snapshot there (snapshot ends at ${snapshotEnd})`,
      );
      return false;
    }
    return true;
  }
}

function hex(hash: number): string {
  return hash.toString(16).padStart(8, "0");
}
