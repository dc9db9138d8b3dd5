/**
 * A simulated controller: the shared node's `MetadataController` (the broker's own controller code:
 * the core's Raft quorum over the metadata log with the core's controller on top, as KRaft stacks
 * them) bound to the simulator: a durable record that survives crashes as its store (writes complete
 * at once), the simulated network for Raft messages, and the node's skewed local clock. It maps the
 * simulated brokers' heartbeats and AlterPartition requests to controller requests, answers them once
 * committed, and hands brokers the committed image in heartbeat answers. The online checks (18, 19,
 * 24, 25) and the controller-side bug switches (unclean election, a voter that forgets whom it voted
 * for in a term, heartbeat answers with uncommitted metadata, a stale log suffix kept under an
 * installed snapshot, a leader committing an earlier term's entry by counting replicas, a voter
 * comparing log lengths only, an AlterPartition applied without its partition epoch check, an
 * unfenced broker put back into ISRs) attach as hooks or wrap requests here; it never steps the core.
 */
import { controller as ctl, invariant, prngFromSeed, quorum } from "@eddy/core";
import { type ControllerHooks, type ControllerStore, MetadataController } from "@eddy/node";
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
type QMessage = quorum.Message<Records, ctl.MetadataImage>;

/** One logical Raft tick; election timeouts are 10 to 19 ticks (1.5 to 2.9 s). */
export const controllerTickMs = 150;
export const brokerSessionTimeoutMs = 2_000;
/** How recently a quorum must have acknowledged this leader for it to refuse a request on its own image. */
export const leaseMs = 2 * 2 * controllerTickMs;
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

export class ControllerNode implements SimNode {
  index = -1;
  readonly server = true;
  private driver: MetadataController | null = null;
  private readonly durable: Durable = {
    hardState: { term: 0, votedFor: null, commitIndex: 0 },
    snapshot: { index: 0, term: 0, data: ctl.emptyImage },
    entries: [],
  };
  private creatingTopic = false;
  private leaderTermSeen = 0;
  /** The partitions array last hashed for the metadata registry, and its hash (images share arrays). */
  private hashedPartitions: readonly ctl.PartitionState[] | null = null;
  private hashedPartitionsHash = 0;
  private readonly store: ControllerStore;
  private readonly hooks: ControllerHooks;

  constructor(
    private readonly w: World,
    readonly name: string,
    readonly nodeId: number,
  ) {
    this.store = this.makeStore();
    this.hooks = this.makeHooks();
  }

  start(): void {
    this.boot();
  }

  private boot(): void {
    const w = this.w;
    const d = this.durable;
    // Each node draws its own election timeouts and topic ids: the shared core stream is advanced
    // past each draw.
    const quorumPrng = w.sim.streams.core.state();
    w.sim.streams.core.nextU32();
    const controllerPrng = w.sim.streams.core.state();
    w.sim.streams.core.nextU32();
    this.creatingTopic = false;
    const driver = MetadataController.open(
      {
        nodeId: this.nodeId,
        voters: w.controllers.map((_, i) => i),
        quorumPrng,
        controllerPrng,
        quorumConfig: {
          electionTicks: 10,
          heartbeatTicks: 2,
          checkQuorum: true,
          ...quorumLimitsFor(w.config.seed),
        },
        controllerConfig: { sessionTimeoutMs: brokerSessionTimeoutMs, uncleanLeaderElectionEnable: false },
        durable: { hardState: d.hardState, snapshot: d.snapshot, entries: [...d.entries] },
        compactEntriesAt,
      },
      {
        nowMs: () => w.sim.localNowMs(this.index),
        send: (m) => {
          const to = w.controllers[m.to];
          if (to === undefined) invariant(false, `no controller ${m.to}`);
          w.sim.send(this.index, to, { raft: m }, m.type);
        },
        store: this.store,
        imageCommitted: () => {},
        storeFailed: (error) => {
          // The simulated store never fails: a failure is a bug in the driver or this binding.
          throw error;
        },
        log: () => {},
      },
      this.hooks,
    );
    this.driver = driver;
    // The image loaded from the stored snapshot must be the one committed at its offset (18).
    this.reportCommittedImage(driver.image);
    this.checkLog(driver.quorumState.role, d.snapshot.index > 0);
    w.sim.timer(this.index, controllerTickMs, 0);
    // Bootstrap: on the cluster's very first start node 0 campaigns at once (etcd's MsgHup), so runs
    // spend their simulated time on the workload rather than on the first election timeout.
    if (this.nodeId === 0 && d.hardState.term === 0 && w.sim.nowMs === 0) driver.campaign();
  }

  onCrash(): void {
    this.driver = null;
  }

  onRestart(): void {
    this.boot();
  }

  // ------------------------------------------------------------------------------------------------
  // The driver's store and hooks
  // ------------------------------------------------------------------------------------------------

  /** The durable record as the driver's store: writes are durable at once and survive crashes. */
  private makeStore(): ControllerStore {
    const w = this.w;
    const d = this.durable;
    return {
      saveHardState: (hardState) => {
        d.hardState = hardState;
        w.online.at(w.sim.nowMs).epoch("quorumTerm", this.name, hardState.term);
      },
      installSnapshot: (snapshot, keepEntriesAfter) => {
        d.snapshot = snapshot;
        // The known bug keeps another leader's stale suffix under the snapshot.
        d.entries =
          keepEntriesAfter || w.bug("snapshot-keeps-stale-log")
            ? entriesAfter(d.entries, snapshot.index)
            : [];
        w.probes.hit("controller-snapshot-installed");
      },
      truncateFrom: (index) => {
        d.entries = entriesBefore(d.entries, index);
      },
      appendEntries: (entries) => {
        for (const e of entries) d.entries.push(e);
      },
      compact: (snapshot) => {
        d.snapshot = snapshot;
        d.entries = entriesAfter(d.entries, snapshot.index);
      },
      sync: (done) => done(null),
    };
  }

  private makeHooks(): ControllerHooks {
    const w = this.w;
    return {
      quorumMessage: (q, m) => {
        let state = q;
        let message = m;
        if (
          w.bug("two-leaders-one-epoch") &&
          m.type === "RequestVote" &&
          q.role === "follower" &&
          q.votedFor !== null &&
          m.term === q.term
        ) {
          // Historical bug: the voter does not check whom it already voted for in this term, so two
          // candidates of one term can both win a majority.
          state = { ...q, votedFor: null };
        }
        if (w.bug("vote-on-log-length") && m.type === "RequestVote") {
          // Historical bug (the election restriction ignored): the voter compares log lengths only. The
          // request is handed to the core as if the candidate's last term were the voter's own, so the
          // core's (last term, last index) rule reduces to "at least as long".
          message = { ...m, lastLogTerm: quorum.lastTerm(state) };
        }
        return { state, message };
      },
      afterLeaderStep: (q) => this.earlierTermOnQuorum(q),
      controllerState: (state) =>
        // Historical bug: the controller elects an out-of-sync replica when the ISR has no live member.
        w.bug("unclean-election") && !state.config.uncleanLeaderElectionEnable
          ? { ...state, config: { ...state.config, uncleanLeaderElectionEnable: true } }
          : state,
      afterReady: (ready, loaded) => {
        const soft = ready.softState;
        if (soft.role === "leader") {
          w.online.at(w.sim.nowMs).quorumLeader(soft.term, this.nodeId);
          if (soft.term > this.leaderTermSeen) {
            this.leaderTermSeen = soft.term;
            if (soft.term > 1) w.probes.hit("controller-failover");
          }
        }
        this.checkLog(soft.role, loaded);
      },
      committedImage: (image, previous, restored) => {
        this.reportCommittedImage(image);
        if (restored) return;
        const before = previous.topics[topicName];
        const after = image.topics[topicName];
        if (before !== undefined && after !== undefined) {
          this.checkElections(before, after);
          this.checkIsrGains(before, after, image.offset);
        }
      },
      compacted: () => w.probes.hit("controller-compacted"),
      logTruncated: () => w.probes.hit("controller-log-truncated"),
      deactivated: () => {
        this.creatingTopic = false;
      },
    };
  }

  /**
   * Coverage of Figure 8 of the Raft paper, and its known bug. When the highest index stored on a
   * quorum is past the commit index but belongs to an earlier term, the core must not commit it by
   * counting (§5.4.2): the probe shows runs reach that shape (it needs one entry per append, see
   * `quorumLimitsFor`). The known bug commits it anyway (the driver then re-steps the core, which hands
   * the newly committed entries out at once).
   */
  private earlierTermOnQuorum(q: QState): QState | null {
    const stored = quorumStoredIndex(q);
    if (stored <= q.commitIndex || quorum.termAt(q, stored) === q.term) return null;
    this.w.probes.hit("raft-earlier-term-entry-on-quorum");
    if (!this.w.bug("raft-commit-earlier-term")) return null;
    return { ...q, commitIndex: stored };
  }

  /** 19 and 24: the Raft log in memory and in the store after a step; `loaded` says a snapshot was loaded. */
  private checkLog(role: quorum.Role, loaded: boolean): void {
    const q = this.driver?.quorumState;
    if (q === undefined) return;
    const o = this.w.online.at(this.w.sim.nowMs);
    o.controllerLog(this.name, role, loaded, q.commitIndex, q, this.durable);
    // 24: the role and term are the node's own (a deposed leader reports itself leader until it learns).
    o.raftLog(this.name, q.role, q.term, q.commitIndex, q, q.voters.length);
  }

  /** 18: registers (or compares) the committed image this node's controller machine now holds. */
  private reportCommittedImage(image: ctl.MetadataImage): void {
    const parts = image.topics[topicName]?.partitions ?? noPartitions;
    if (parts !== this.hashedPartitions) {
      this.hashedPartitions = parts;
      this.hashedPartitionsHash = metadataHash(parts);
    }
    this.w.online.at(this.w.sim.nowMs).metadataCommitted(this.name, image.offset, this.hashedPartitionsHash);
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

  // ------------------------------------------------------------------------------------------------
  // Events
  // ------------------------------------------------------------------------------------------------

  onTimer(): void {
    const w = this.w;
    w.sim.timer(this.index, controllerTickMs, 0);
    const driver = this.driver;
    if (driver === null) return;
    driver.tick();
    const c = driver.controllerState;
    if (driver.isActive && c.latest.topics[topicName] === undefined && !this.creatingTopic) {
      const live = ctl.liveBrokerIds(c.latest).length;
      if (live >= 3) {
        this.creatingTopic = true;
        driver.request(
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

  private leaderNode(): number {
    const leader = this.driver?.leaderId ?? null;
    return leader === null ? -1 : this.w.controllers[leader]!;
  }

  onMessage(from: number, msg: unknown): void {
    if (this.driver === null) return;
    if (!isControl(msg)) {
      this.driver.onMessage((msg as { raft: QMessage }).raft);
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
    const driver = this.driver;
    if (driver === null || !driver.isActive) {
      if (msg.ctl === "heartbeat" || msg.ctl === "alterPartition")
        reply({ ctl: "notController", leader: this.leaderNode() }, "NotController");
      return;
    }
    switch (msg.ctl) {
      case "heartbeat": {
        if (msg.brokerEpoch < 0) {
          driver.request(
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
        const wasLive = ctl.isLive(driver.latestImage, msg.brokerId);
        driver.request(
          {
            type: "brokerHeartbeat",
            nowMs: w.sim.localNowMs(this.index),
            brokerId: msg.brokerId,
            brokerEpoch: msg.brokerEpoch,
            // The core's one flag, as the broker's controller wire maps WantShutDown: fenced on request.
            wantFence: msg.wantShutDown,
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
        if (w.bug("unfenced-broker-rejoins-isr") && !wasLive && driver.isActive)
          this.rejoinIsrs(msg.brokerId);
        return;
      }
      case "alterPartition":
        driver.request(
          {
            type: "alterPartition",
            brokerId: msg.brokerId,
            brokerEpoch: msg.brokerEpoch,
            topic: topicName,
            partition: msg.partition,
            leaderEpoch: msg.leaderEpoch,
            partitionEpoch: this.w.bug("alter-partition-stale-epoch")
              ? (driver.latestImage.topics[topicName]?.partitions[msg.partition]?.partitionEpoch ??
                msg.partitionEpoch)
              : msg.partitionEpoch,
            isr: msg.newIsr,
          },
          (r, ok) => {
            if (r === null || r.type !== "alterPartition") return;
            // A refusal decided on this node's image is only as good as its leadership: a deposed
            // leader that has not noticed yet would refuse from a stale image, and the partition leader
            // would then wait for metadata that never comes. Refusals need a quorum heard from lately
            // (a leader lease); without one the answer is NOT_CONTROLLER, which the leader retries.
            const error = driver.trustedError(r.error, ok, leaseMs);
            // A leader proposed a fenced broker: without the eligibility list it then holds its HW.
            if (error === "INELIGIBLE_REPLICA") w.probes.hit("isr-ineligible-refused");
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
    const driver = this.driver;
    if (driver === null) return;
    const parts = driver.latestImage.topics[topicName]?.partitions ?? noPartitions;
    for (const p of parts) {
      const latest = driver.latestImage;
      const now = latest?.topics[topicName]?.partitions[p.partition];
      if (now === undefined) return;
      if (!now.replicas.includes(brokerId) || now.isr.includes(brokerId) || now.leader < 0) continue;
      const leader = ctl.findBroker(latest, now.leader);
      if (leader === undefined) continue;
      driver.request(
        {
          type: "alterPartition",
          brokerId: now.leader,
          brokerEpoch: leader.brokerEpoch,
          topic: topicName,
          partition: now.partition,
          leaderEpoch: now.leaderEpoch,
          partitionEpoch: now.partitionEpoch,
          isr: [...now.isr, brokerId],
        },
        () => {},
      );
    }
  }

  private sendImage(to: number, fenced: boolean, brokerEpoch: number): void {
    const driver = this.driver!;
    // Known bug: the answer carries the image with this controller's uncommitted proposals in it.
    const image = this.w.bug("broker-applies-uncommitted-metadata") ? driver.latestImage : driver.image;
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
        term: driver.quorumState.term,
        metadataOffset: image.offset,
        partitions,
        brokers: image.brokers.map((b) => ({ brokerId: b.brokerId, fenced: b.fenced })),
      },
      "BrokerHeartbeatResponse",
    );
  }

  // ------------------------------------------------------------------------------------------------
  // Views
  // ------------------------------------------------------------------------------------------------

  get isActive(): boolean {
    return this.driver?.isActive === true;
  }

  image(): ctl.MetadataImage | undefined {
    return this.driver?.image;
  }

  /** The Raft node's role, term and commit index, for teaching views; undefined before the first boot. */
  quorumView(): { readonly role: string; readonly term: number; readonly commitIndex: number } | undefined {
    const q = this.driver?.quorumState;
    return q === undefined ? undefined : { role: q.role, term: q.term, commitIndex: q.commitIndex };
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
