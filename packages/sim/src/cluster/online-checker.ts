/**
 * Online invariants, checked as events happen (Appendix A "E" checks): committed-prefix agreement,
 * one leader per epoch (partitions and the controller quorum), leader completeness, monotonic and
 * quorum-backed high watermarks, no truncation below a replica's high watermark, monotonic epochs,
 * group exclusivity and sane committed offsets. The shells call in after each step with what they
 * saw; this module only compares against its registries and reports. It never changes a node.
 */
import type { Violations } from "../violation.ts";

/** Offsets tracked per partition in the committed registry; runs produce far fewer. */
export const committedOffsetsMax = 1_000_000;

export class OnlineChecker {
  /** partition -> offset -> value, for every offset some replica had below its high watermark. */
  readonly committed: number[][] = [];
  private readonly partitionLeaders = new Map<string, number>();
  private readonly quorumLeaders = new Map<number, number>();
  private readonly epochSeen = new Map<string, Map<string, number>>();
  private readonly groupOwners = new Map<string, string>();
  private readonly groupCommitted = new Map<string, number>();
  private readonly generationSeen = new Map<string, number>();
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

  /** 6: a client saw a partition's high watermark go backwards (across leaders). */
  hwRegressed(client: string, partition: number, before: number, after: number): void {
    this.v.checked(6);
    this.v.add(6, this.nowMs, `${client} saw p=${partition} HW go back from ${before} to ${after}`);
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

  /** The coordinator's current generation for a group, as its state shows after a step. */
  groupGeneration(group: string, generation: number): void {
    this.generationSeen.set(group, Math.max(generation, this.generationSeen.get(group) ?? -1));
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
}
