/**
 * A simulated controller: the core's Raft node (quorum) over the metadata log, with the core's
 * controller machine applied on top, exactly as KRaft stacks them. The shell persists what the
 * quorum's Ready asks (synchronously: the durable store survives crashes), sends its messages,
 * applies committed batches to the controller machine, (de)activates the controller as leadership
 * changes, proposes the controller's record batches as one entry each and answers brokers only once
 * that entry has committed. Brokers hear the committed image in heartbeat answers. Bug switches that
 * live on the controller side (unclean election, a voter that forgets whom it voted for in a term,
 * heartbeat answers with uncommitted metadata, a stale log suffix kept under an installed snapshot, a
 * leader committing an earlier term's entry by counting replicas, a voter comparing log lengths only,
 * an AlterPartition applied without its partition epoch check, an unfenced broker put back into ISRs)
 * wrap it here.
 */
import { controller as ctl, invariant, prngFromSeed, quorum } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import { Rng } from "../rng.ts";
import type { SimNode } from "../simulator.ts";
import { topicName } from "./assign.ts";
import type { ControlMessage, PartitionMeta } from "./control.ts";
import { isControl } from "./control.ts";
import { metadataHash } from "./online-checker.ts";
import type { World } from "./world.ts";

type Records = readonly ctl.MetadataRecord[];
type QState = quorum.QuorumState<Records, ctl.MetadataImage>;
type QReady = quorum.Ready<Records, ctl.MetadataImage>;
type QMessage = quorum.Message<Records, ctl.MetadataImage>;

/** One logical Raft tick; election timeouts are 10 to 19 ticks (1.5 to 2.9 s). */
export const controllerTickMs = 150;
export const brokerSessionTimeoutMs = 2_000;
/** How recently a quorum must have acknowledged this leader for it to refuse a request on its own image. */
export const leaseMs = 2 * 2 * controllerTickMs;
export const pendingProposalsMax = 1_024;
/**
 * Compact the Raft log once this many applied entries sit above the snapshot. Low on purpose: a run
 * commits only 8 to 40 metadata entries, so at Kafka-like sizes no run would ever take a snapshot,
 * send one to a lagging controller or load one, and invariant 19 would check nothing.
 */
export const compactEntriesAt = 8;

/** The quorum's batching limits of one run (see `quorumLimitsFor`). */
export interface QuorumLimits {
  readonly entriesPerAppendMax: number;
  readonly inflightEntriesMax: number;
  readonly committedPerReadyMax: number;
}

/** Mixed into the run seed for the batching-limit draw, so it takes nothing from the run's streams. */
const quorumLimitsSalt = 0x5eed_ba7c_4e5a_11e5n;

/**
 * The quorum's batching limits for one run, drawn from the run seed. At the core's defaults (64
 * entries per append, 256 in flight, 256 committed per Ready) every append a run makes carries the
 * whole missing suffix, so a new leader's no-op always travels with the older entries before it and
 * shapes such as Figure 8 of the Raft paper (an older entry on a majority, the new term's entry not
 * yet) never occur. One entry per append or per Ready makes them occur. The draw uses its own
 * generator seeded from the run seed, so every other draw of the run is unchanged.
 */
export function quorumLimitsFor(seed: bigint): QuorumLimits {
  const rng = new Rng(prngFromSeed(BigInt.asUintN(64, seed ^ quorumLimitsSalt)));
  return {
    entriesPerAppendMax: rng.pick([1, 2, 64]),
    inflightEntriesMax: rng.pick([1, 4, 256]),
    committedPerReadyMax: rng.pick([1, 256]),
  };
}

interface Durable {
  hardState: quorum.HardState;
  snapshot: quorum.Snapshot<ctl.MetadataImage>;
  entries: quorum.Entry<Records>[];
}

interface PendingProposal {
  readonly index: number;
  readonly term: number;
  readonly answer: (committed: boolean) => void;
}

export class ControllerNode implements SimNode {
  index = -1;
  readonly server = true;
  private q: QState | null = null;
  private c: ctl.ControllerState | null = null;
  private readonly durable: Durable = {
    hardState: { term: 0, votedFor: null, commitIndex: 0 },
    snapshot: { index: 0, term: 0, data: ctl.emptyImage },
    entries: [],
  };
  private proposals: PendingProposal[] = [];
  private creatingTopic = false;
  private leaderTermSeen = 0;
  /** The last Raft index applied to the controller machine (a committed entry or a snapshot). */
  private appliedIndex = 0;
  /** The partitions array last hashed for the metadata registry, and its hash (images share arrays). */
  private hashedPartitions: readonly ctl.PartitionState[] | null = null;
  private hashedPartitionsHash = 0;

  constructor(
    private readonly w: World,
    readonly name: string,
    readonly nodeId: number,
  ) {}

  start(): void {
    this.boot();
  }

  private boot(): void {
    const w = this.w;
    const d = this.durable;
    this.q = quorum.initialState<Records, ctl.MetadataImage>({
      id: this.nodeId,
      voters: w.controllers.map((_, i) => i),
      prng: w.sim.streams.core.state(),
      // Each node draws its own election timeouts: advance the shared core stream past this node's draw.
      config: { electionTicks: 10, heartbeatTicks: 2, checkQuorum: true, ...quorumLimitsFor(w.config.seed) },
      emptySnapshotData: ctl.emptyImage,
      durable: { hardState: d.hardState, snapshot: d.snapshot, entries: [...d.entries] },
    });
    w.sim.streams.core.nextU32();
    this.c = ctl.initialState({
      prng: w.sim.streams.core.state(),
      config: { sessionTimeoutMs: brokerSessionTimeoutMs, uncleanLeaderElectionEnable: false },
      image: d.snapshot.data,
    });
    w.sim.streams.core.nextU32();
    this.proposals = [];
    this.creatingTopic = false;
    this.appliedIndex = d.snapshot.index;
    // The image loaded from the stored snapshot must be the one committed at its offset (18).
    this.reportCommittedImage();
    this.checkLog(this.q.role, d.snapshot.index > 0);
    w.sim.timer(this.index, controllerTickMs, 0);
    // Bootstrap: on the cluster's very first start node 0 campaigns at once (etcd's MsgHup), so runs
    // spend their simulated time on the workload rather than on the first election timeout.
    if (this.nodeId === 0 && d.hardState.term === 0 && w.sim.nowMs === 0)
      this.stepQuorum({ type: "campaign" });
  }

  onCrash(): void {
    this.peerAckMs.clear();
    this.q = null;
    this.c = null;
    this.proposals = [];
  }

  onRestart(): void {
    this.boot();
  }

  // ------------------------------------------------------------------------------------------------
  // Quorum
  // ------------------------------------------------------------------------------------------------

  private stepQuorum(input: quorum.Input<Records, ctl.MetadataImage>): void {
    if (this.q === null) return;
    const res = quorum.step(this.q, input);
    this.q = res.state;
    this.actQuorum(res.ready);
    if (this.q?.role === "leader") this.afterLeaderStep(this.q);
  }

  /**
   * Coverage of Figure 8 of the Raft paper, and its known bug. When the highest index stored on a
   * quorum is past the commit index but belongs to an earlier term, the core must not commit it by
   * counting (§5.4.2): the probe shows runs reach that shape (it needs one entry per append, see
   * `quorumLimitsFor`). The known bug commits it anyway; the core hands the newly committed entries
   * out with its next Ready, and stepping it with an acknowledgement it has already seen (index 0,
   * which it ignores) makes that happen at once.
   */
  private afterLeaderStep(q: QState): void {
    const stored = quorumStoredIndex(q);
    if (stored <= q.commitIndex || quorum.termAt(q, stored) === q.term) return;
    this.w.probes.hit("raft-earlier-term-entry-on-quorum");
    if (!this.w.bug("raft-commit-earlier-term")) return;
    this.q = { ...q, commitIndex: stored };
    this.stepQuorum({ type: "persisted", index: 0, term: 0 });
  }

  private actQuorum(ready: QReady): void {
    const w = this.w;
    const d = this.durable;
    // 1. Persist: hard state, snapshot, entries; then acknowledge.
    if (ready.hardState !== null) {
      d.hardState = ready.hardState;
      w.online.at(w.sim.nowMs).epoch("quorumTerm", this.name, ready.hardState.term);
    }
    if (ready.snapshot !== null) {
      const snap = ready.snapshot;
      // The stored entries after the snapshot survive only if the stored entry at its index has the
      // snapshot's term; otherwise they are another leader's stale suffix and the whole log goes (the
      // core's `persistReady` rule; the known bug keeps them).
      const at = d.entries.find((e) => e.index === snap.index);
      d.snapshot = snap;
      d.entries =
        (at !== undefined && at.term === snap.term) || this.w.bug("snapshot-keeps-stale-log")
          ? entriesAfter(d.entries, snap.index)
          : [];
      w.probes.hit("controller-snapshot-installed");
    }
    if (ready.entries.length > 0) {
      const first = ready.entries[0]!.index;
      // Entries usually extend the durable tail; only a conflicting suffix is cut (then rewritten).
      const tail = d.entries[d.entries.length - 1];
      if (tail !== undefined && tail.index >= first) {
        d.entries = entriesBefore(d.entries, first);
        w.probes.hit("controller-log-truncated");
      }
      for (const e of ready.entries) d.entries.push(e);
    }
    // 2. Send.
    for (const m of ready.messages) {
      const to = w.controllers[m.to];
      if (to === undefined) invariant(false, `no controller ${m.to}`);
      w.sim.send(this.index, to, { raft: m }, m.type);
    }
    // 3. Apply.
    if (ready.snapshot !== null && this.c !== null) {
      // A leader deposed by the snapshot's sender stops acting as the controller before loading it.
      if (this.c.active) this.deactivate();
      this.stepController({ type: "restore", image: ready.snapshot.data });
      this.appliedIndex = ready.snapshot.index;
      this.reportCommittedImage();
    }
    for (const e of ready.committed) this.applyCommitted(e);
    // Leadership changes.
    const soft = ready.softState;
    // Proposals of an earlier term (or of a node no longer leading) may never commit at their index:
    // fail them, as Kafka answers NOT_CONTROLLER, so answers waiting behind them are not stuck.
    if (this.proposals.length > 0 && (soft.role !== "leader" || this.proposals[0]!.term < soft.term))
      this.failStaleProposals(soft);
    if (soft.role === "leader") {
      w.online.at(w.sim.nowMs).quorumLeader(soft.term, this.nodeId);
      if (soft.term > this.leaderTermSeen) {
        this.leaderTermSeen = soft.term;
        if (soft.term > 1) w.probes.hit("controller-failover");
      }
    }
    if (this.c !== null) {
      if (soft.role === "leader" && soft.leaderReady && !this.c.active)
        this.stepController({ type: "activate", nowMs: w.sim.localNowMs(this.index) });
      else if (soft.role !== "leader" && this.c.active) this.deactivate();
    }
    this.checkLog(soft.role, ready.snapshot !== null);
    if (ready.entries.length > 0 && this.q !== null) {
      const last = ready.entries[ready.entries.length - 1]!;
      this.stepQuorum({ type: "persisted", index: last.index, term: last.term });
    }
  }

  /** 19: the Raft log in memory and in the store after a step; `loaded` says a snapshot was loaded. */
  private checkLog(role: quorum.Role, loaded: boolean): void {
    const q = this.q;
    if (q === null) return;
    const o = this.w.online.at(this.w.sim.nowMs);
    o.controllerLog(this.name, role, loaded, q.commitIndex, q, this.durable);
    // 24: the role and term are the node's own (a deposed leader reports itself leader until it learns).
    o.raftLog(this.name, q.role, q.term, q.commitIndex, q, q.voters.length);
  }

  /** 18: registers (or compares) the committed image this node's controller machine now holds. */
  private reportCommittedImage(): void {
    const c = this.c;
    if (c === null) return;
    const parts = c.image.topics[topicName]?.partitions ?? noPartitions;
    if (parts !== this.hashedPartitions) {
      this.hashedPartitions = parts;
      this.hashedPartitionsHash = metadataHash(parts);
    }
    this.w.online
      .at(this.w.sim.nowMs)
      .metadataCommitted(this.name, c.image.offset, this.hashedPartitionsHash);
  }

  // The callbacks of `actQuorum`'s rare paths live in their own functions: a closure there over its
  // variables would make every call (one per Raft step) allocate a scope for them.
  private failStaleProposals(soft: quorum.SoftState): void {
    const stale = this.proposals.filter((p) => soft.role !== "leader" || p.term < soft.term);
    this.proposals = this.proposals.filter((p) => soft.role === "leader" && p.term >= soft.term);
    for (const p of stale) p.answer(false);
  }

  private applyCommitted(e: quorum.Entry<Records>): void {
    if (this.c === null) return;
    if (e.payload !== null) {
      const before = this.c.image.topics[topicName];
      this.stepController({ type: "committed", offset: e.index, records: e.payload });
      this.reportCommittedImage();
      const after = this.c?.image.topics[topicName];
      if (before !== undefined && after !== undefined) {
        this.checkElections(before, after);
        this.checkIsrGains(before, after, e.index);
      }
    }
    // Answer the proposals this entry settles.
    while (this.proposals.length > 0 && this.proposals[0]!.index <= e.index) {
      const p = this.proposals.shift()!;
      p.answer(p.index === e.index && p.term === e.term);
    }
    this.appliedIndex = e.index;
    this.maybeCompact();
  }

  private checkElections(before: ctl.TopicImage, after: ctl.TopicImage): void {
    const o = this.w.online.at(this.w.sim.nowMs);
    for (const pa of after.partitions) {
      const pb = before.partitions[pa.partition];
      if (pb === undefined || pa.leader === pb.leader || pa.leader < 0) continue;
      o.uncleanElection(pa.partition, pa.leaderEpoch, pa.leader, pb.isr);
      this.w.probes.hit("controller-elected-partition-leader");
    }
  }

  /** 25: every broker a committed metadata entry adds to an ISR holds the partition's committed prefix. */
  private checkIsrGains(before: ctl.TopicImage, after: ctl.TopicImage, metadataIndex: number): void {
    for (const pa of after.partitions) {
      const pb = before.partitions[pa.partition];
      if (pb === undefined || pa.isr === pb.isr) continue;
      for (const b of pa.isr) {
        if (pb.isr.includes(b)) continue;
        this.w.online
          .at(this.w.sim.nowMs)
          .isrMemberAdded(this.name, metadataIndex, pa.partition, b, this.w.brokerLog?.(b, pa.partition));
      }
    }
  }

  /**
   * Snapshots the controller machine's image at the last entry the shell applied to it. Not at the
   * quorum's applied index: a Ready hands out several committed entries at once and the quorum counts
   * them all as applied before the shell has applied the rest, so a snapshot there would claim
   * entries its image lacks.
   */
  private maybeCompact(): void {
    const q = this.q;
    if (q === null || this.c === null) return;
    const index = this.appliedIndex;
    if (index - q.snapshot.index < compactEntriesAt) return;
    const term = quorum.termAt(q, index);
    invariant(term !== null, "controller shell: applied entry unknown to the quorum");
    this.durable.snapshot = { index, term, data: this.c.image };
    this.durable.entries = entriesAfter(this.durable.entries, index);
    this.w.probes.hit("controller-compacted");
    this.stepQuorum({ type: "compact", index, data: this.c.image });
  }

  // ------------------------------------------------------------------------------------------------
  // Controller machine
  // ------------------------------------------------------------------------------------------------

  private stepController(
    input: ctl.Input,
    answer?: (r: ctl.Response | null, committed: boolean) => void,
  ): void {
    if (this.c === null) return;
    let state = this.c;
    if (this.w.bug("unclean-election") && !state.config.uncleanLeaderElectionEnable) {
      // Historical bug: the controller elects an out-of-sync replica when the ISR has no live member.
      state = { ...state, config: { ...state.config, uncleanLeaderElectionEnable: true } };
    }
    const res = ctl.step(state, input);
    this.c = res.state;
    const ready = res.ready;
    if (ready.records.length === 0) {
      const last = this.proposals[this.proposals.length - 1];
      if (last === undefined || answer === undefined) answer?.(ready.response, true);
      else {
        // Kafka's rule for answers with no records: they may depend on uncommitted proposals (an
        // INVALID_UPDATE_VERSION against a pending ISR change), so they wait for the latest proposal
        // to commit and become NOT_CONTROLLER if it never does.
        const prior = last.answer;
        this.proposals[this.proposals.length - 1] = {
          ...last,
          answer: (ok) => {
            prior(ok);
            answer(ready.response, ok);
          },
        };
      }
      return;
    }
    if (this.q === null) return;
    const prop = quorum.step(this.q, { type: "propose", payload: ready.records });
    this.q = prop.state;
    const result = prop.ready.proposal;
    if (result?.accepted) {
      invariant(this.proposals.length < pendingProposalsMax, "too many proposals in flight");
      this.proposals.push({
        index: result.index,
        term: result.term,
        answer: (ok) => answer?.(ready.response, ok),
      });
      this.actQuorum(prop.ready);
    } else {
      this.actQuorum(prop.ready);
      this.deactivate();
      answer?.(ready.response, false);
    }
  }

  private deactivate(): void {
    if (this.c === null) return;
    const res = ctl.step(this.c, { type: "deactivate" });
    this.c = res.state;
    const failed = this.proposals;
    this.proposals = [];
    for (const p of failed) p.answer(false);
    this.creatingTopic = false;
  }

  // ------------------------------------------------------------------------------------------------
  // Events
  // ------------------------------------------------------------------------------------------------

  onTimer(): void {
    const w = this.w;
    w.sim.timer(this.index, controllerTickMs, 0);
    this.stepQuorum({ type: "tick" });
    if (this.c === null) return;
    this.stepController({ type: "tick", nowMs: w.sim.localNowMs(this.index) });
    if (this.c?.active && this.c.latest.topics[topicName] === undefined && !this.creatingTopic) {
      const live = ctl.liveBrokerIds(this.c.latest).length;
      if (live >= 3) {
        this.creatingTopic = true;
        this.stepController(
          {
            type: "createTopics",
            topics: [{ name: topicName, partitions: w.config.workload.partitions, replicationFactor: 3 }],
          },
          () => {
            this.creatingTopic = false;
          },
        );
      }
    }
  }

  timerName(): string {
    return "raft-tick";
  }

  /** Per peer, when this node (as leader) last had an AppendEntries of its current term acknowledged. */
  private readonly peerAckMs = new Map<number, number>();

  private quorumHeardRecently(): boolean {
    const q = this.q;
    if (q === null || q.role !== "leader") return false;
    const now = this.w.sim.nowMs;
    let acks = 1;
    for (const [peer, at] of this.peerAckMs) {
      if (peer !== this.nodeId && now - at <= leaseMs) acks++;
    }
    return acks >= quorum.quorumSize(q.voters);
  }

  private leaderNode(): number {
    const leader = this.q?.leaderId ?? null;
    return leader === null ? -1 : this.w.controllers[leader]!;
  }

  onMessage(from: number, msg: unknown): void {
    if (this.q === null) return;
    if (!isControl(msg)) {
      const m = (msg as { raft: QMessage }).raft;
      if (m.type === "AppendResponse" && m.success && m.term === this.q.term && this.q.role === "leader") {
        this.peerAckMs.set(m.from, this.w.sim.nowMs);
      }
      if (
        this.w.bug("two-leaders-one-epoch") &&
        m.type === "RequestVote" &&
        this.q.role === "follower" &&
        this.q.votedFor !== null &&
        m.term === this.q.term
      ) {
        // Historical bug: the voter does not check whom it already voted for in this term, so two
        // candidates of one term can both win a majority.
        this.q = { ...this.q, votedFor: null };
      }
      if (this.w.bug("vote-on-log-length") && m.type === "RequestVote") {
        // Historical bug (the election restriction ignored): the voter compares log lengths only. The
        // request is handed to the core as if the candidate's last term were the voter's own, so the
        // core's (last term, last index) rule reduces to "at least as long".
        this.stepQuorum({ type: "message", message: { ...m, lastLogTerm: quorum.lastTerm(this.q) } });
        return;
      }
      this.stepQuorum({ type: "message", message: m });
      return;
    }
    this.onControl(from, msg);
  }

  /**
   * A broker's control request. Kept apart from `onMessage` because its answer callbacks close over
   * `from`: inside `onMessage` every Raft message would allocate a scope for them too.
   */
  private onControl(from: number, msg: ControlMessage): void {
    const w = this.w;
    const reply = (m: ControlMessage, label: string) => w.sim.send(this.index, from, m, label);
    if (this.c === null || !this.c.active) {
      if (msg.ctl === "heartbeat" || msg.ctl === "alterPartition")
        reply({ ctl: "notController", leader: this.leaderNode() }, "NotController");
      return;
    }
    switch (msg.ctl) {
      case "heartbeat": {
        if (msg.brokerEpoch < 0) {
          this.stepController(
            {
              type: "registerBroker",
              nowMs: w.sim.localNowMs(this.index),
              brokerId: msg.brokerId,
              host: "sim",
              port: 9092,
              rack: null,
            },
            (r, ok) => {
              if (!ok || r === null || r.type !== "registerBroker" || r.error !== "NONE") return;
              reply({ ctl: "registered", brokerEpoch: r.brokerEpoch, controller: this.index }, "Registered");
            },
          );
          return;
        }
        const wasLive = ctl.isLive(this.c.latest, msg.brokerId);
        this.stepController(
          {
            type: "brokerHeartbeat",
            nowMs: w.sim.localNowMs(this.index),
            brokerId: msg.brokerId,
            brokerEpoch: msg.brokerEpoch,
            wantFence: false,
          },
          (r, ok) => {
            if (!ok || r === null || r.type !== "brokerHeartbeat") return;
            if (r.error !== "NONE") {
              // Stale or unknown registration: make the broker register again.
              reply({ ctl: "registered", brokerEpoch: -1, controller: this.index }, "Reregister");
              return;
            }
            this.sendImage(from, r.isFenced, msg.brokerEpoch);
          },
        );
        if (w.bug("unfenced-broker-rejoins-isr") && !wasLive && this.c?.active === true)
          this.rejoinIsrs(msg.brokerId);
        return;
      }
      case "alterPartition":
        this.stepController(
          {
            type: "alterPartition",
            brokerId: msg.brokerId,
            brokerEpoch: msg.brokerEpoch,
            topic: topicName,
            partition: msg.partition,
            leaderEpoch: msg.leaderEpoch,
            partitionEpoch: this.w.bug("alter-partition-stale-epoch")
              ? (this.c.latest.topics[topicName]?.partitions[msg.partition]?.partitionEpoch ??
                msg.partitionEpoch)
              : msg.partitionEpoch,
            isr: msg.newIsr,
          },
          (r, ok) => {
            if (r === null || r.type !== "alterPartition") return;
            let error = ok ? r.error : "NOT_CONTROLLER";
            // A refusal decided on this node's image is only as good as its leadership: a deposed
            // leader that has not noticed yet would refuse from a stale image, and the partition leader
            // would then wait for metadata that never comes. Refusals need a quorum heard from lately
            // (a leader lease); without one the answer is NOT_CONTROLLER, which the leader retries.
            if (error !== "NONE" && !this.quorumHeardRecently()) error = "NOT_CONTROLLER";
            const code = (ErrorCode as Record<string, number>)[error] ?? -1;
            reply(
              {
                ctl: "alterPartitionResponse",
                requestId: msg.requestId,
                partition: msg.partition,
                errorCode: code,
                leaderEpoch: r.partition?.leaderEpoch ?? -1,
                partitionEpoch: r.partition?.partitionEpoch ?? -1,
                isr: r.partition?.isr ?? [],
              },
              "AlterPartitionResponse",
            );
          },
        );
        return;
      default:
        return;
    }
  }

  /**
   * Known bug: a broker the controller has just unfenced (back after a crash or a lost session) is put
   * straight back into the ISR of every partition it replicates, as if its leader had asked, whatever
   * its log holds. The controller knows nothing of follower logs; only the leader may judge that a
   * follower caught up.
   */
  private rejoinIsrs(brokerId: number): void {
    const image = this.c?.latest;
    const parts = image?.topics[topicName]?.partitions ?? noPartitions;
    for (const p of parts) {
      const latest = this.c?.latest;
      const now = latest?.topics[topicName]?.partitions[p.partition];
      if (latest === undefined || now === undefined) return;
      if (!now.replicas.includes(brokerId) || now.isr.includes(brokerId) || now.leader < 0) continue;
      const leader = ctl.findBroker(latest, now.leader);
      if (leader === undefined) continue;
      this.stepController({
        type: "alterPartition",
        brokerId: now.leader,
        brokerEpoch: leader.brokerEpoch,
        topic: topicName,
        partition: now.partition,
        leaderEpoch: now.leaderEpoch,
        partitionEpoch: now.partitionEpoch,
        isr: [...now.isr, brokerId],
      });
    }
  }

  private sendImage(to: number, fenced: boolean, brokerEpoch: number): void {
    const c = this.c!;
    // Known bug: the answer carries the image with this controller's uncommitted proposals in it.
    const image = this.w.bug("broker-applies-uncommitted-metadata") ? c.latest : c.image;
    const topic = image.topics[topicName];
    const partitions: PartitionMeta[] = (topic?.partitions ?? []).map((p) => ({
      partition: p.partition,
      leader: p.leader,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
      isr: p.isr,
      replicas: p.replicas,
    }));
    this.w.sim.send(
      this.index,
      to,
      {
        ctl: "heartbeatResponse",
        brokerEpoch,
        fenced,
        controller: this.index,
        term: this.q?.term ?? -1,
        metadataOffset: image.offset,
        partitions,
      },
      "BrokerHeartbeatResponse",
    );
  }

  // ------------------------------------------------------------------------------------------------
  // Views
  // ------------------------------------------------------------------------------------------------

  get isActive(): boolean {
    return this.c?.active === true;
  }

  image(): ctl.MetadataImage | undefined {
    return this.c?.image;
  }
}

const noPartitions: readonly ctl.PartitionState[] = [];

/** The highest Raft index a quorum of a leader's voters stores (the leader counts its persisted entries). */
function quorumStoredIndex(q: QState): number {
  const matches = [q.persistedIndex];
  for (const peer of q.voters) if (peer !== q.id) matches.push(q.progress[peer]?.matchIndex ?? 0);
  matches.sort((a, b) => b - a);
  return matches[quorum.quorumSize(q.voters) - 1]!;
}

function entriesAfter(entries: quorum.Entry<Records>[], index: number): quorum.Entry<Records>[] {
  return entries.filter((e) => e.index > index);
}

function entriesBefore(entries: quorum.Entry<Records>[], index: number): quorum.Entry<Records>[] {
  return entries.filter((e) => e.index < index);
}
