/**
 * A simulated consumer in a classic group: it joins through the coordinator, the elected leader
 * computes the assignment with the core's assignors, every member syncs, fetches its partitions from
 * their leaders, records each polled record in the history and commits its positions with its
 * generation. While the workload runs it may leave and rejoin (churn), which drives rebalances. It
 * never reads broker state directly.
 */
import { invariant } from "@eddy/core";
import type { SimNode } from "../simulator.ts";
import { assignPartitions } from "./assign.ts";
import { consumerFetchRecordsMax } from "./broker-node.ts";
import { sessionTimeoutMs } from "./coordinator-shell.ts";
import type { ClientRequest, ClientResponse, ResponseEnvelope } from "./protocol.ts";
import type { World } from "./world.ts";

export const fetchIntervalMs = 400;
export const commitIntervalMs = 500;
export const heartbeatIntervalMs = 800;
export const groupRequestTimeoutMs = 1_500;
/** Longer than the broker's fetch wait (200 ms) plus a round trip. */
export const fetchTimeoutMs = 400;
/** Kafka's retry.backoff.ms for metadata refreshes after a leader change. */
export const metadataBackoffMs = 100;

const timerFetch = 1;
const timerCommit = 2;
const timerHeartbeat = 3;
const timerChurn = 4;
const timerTimeout = 5;
const timerMetadata = 6;
/** Group requests (heartbeats, joins, syncs) whose send time is remembered until answered. */
const groupRequestsTrackedMax = 64;

/** "removed": a learner removed this member (learner inputs); it never acts again. */
type Phase = "out" | "joining" | "syncing" | "stable" | "left" | "removed";

export interface ConsumerOptions {
  /** Leave and rejoin at random while the workload runs (on in every run but a teaching lesson's). */
  readonly churn: boolean;
}

export class ConsumerClient implements SimNode {
  index = -1;
  readonly server = false;
  private leaders: number[] = [];
  private leaderEpochs: number[] = [];
  private coordinator = -1;
  private corrNext = 1;
  private phase: Phase = "out";
  private memberId = "";
  private generation = -1;
  private assigned: number[] = [];
  /** Partition -> the generation whose assignment gave it to this member (27). */
  private readonly assignedGeneration = new Map<number, number>();
  /**
   * Correlation id -> the coordinator's clock when a heartbeat, join or sync was sent, so its answer
   * renews the session (27). Sessions run on the coordinator's clock, which a skew fault may speed up.
   */
  private readonly groupSentMs = new Map<number, number>();
  private readonly positions = new Map<number, number>();
  private readonly fetching = new Map<number, number>();
  private assignmentEpoch = 0;
  private pendingCorr = -1;
  private positionsKnown = false;
  private started = false;

  constructor(
    private readonly w: World,
    readonly name: string,
    readonly group: string,
    private readonly protocolOf: () => "range" | "roundrobin",
    private readonly options: ConsumerOptions = { churn: true },
  ) {}

  /** Started and not removed: a member the liveness phase waits for. */
  get active(): boolean {
    return this.started && this.phase !== "removed";
  }

  /** Started at some point (a spare consumer waits until a learner adds it). */
  get wasStarted(): boolean {
    return this.started;
  }

  /** The group phase, in Kafka's words for the teaching view. */
  get phaseName(): string {
    return this.phase;
  }

  get generationId(): number {
    return this.generation;
  }

  /**
   * A learner removed this member: it commits, leaves the group (LeaveGroup) and never acts again;
   * its timers lapse without re-arming.
   */
  remove(): void {
    if (this.phase === "stable") this.commit();
    if (this.coordinator >= 0 && this.memberId !== "")
      this.send(this.coordinator, {
        api: "LeaveGroup",
        corr: this.corrNext++,
        group: this.group,
        memberId: this.memberId,
      });
    this.revoke();
    this.memberId = "";
    this.generation = -1;
    this.phase = "removed";
  }

  /** Stable with positions at the partitions' ends (used by the liveness phase). */
  get stable(): boolean {
    return this.phase === "stable" && this.positionsKnown;
  }

  get assignedPartitions(): readonly number[] {
    return this.phase === "stable" ? this.assigned : [];
  }

  position(p: number): number | undefined {
    return this.positions.get(p);
  }

  /** The liveness phase: a member that left for churn comes back now. */
  rejoin(): void {
    if (this.phase === "left") this.phase = "out";
  }

  start(): void {
    this.started = true;
    this.sendMetadata();
    this.w.sim.timer(this.index, this.w.sim.streams.workload.int(10, 200), timerHeartbeat);
    this.w.sim.timer(this.index, fetchIntervalMs, timerFetch);
    this.w.sim.timer(this.index, commitIntervalMs, timerCommit);
    if (this.options.churn)
      this.w.sim.timer(this.index, this.w.sim.streams.workload.int(1_000, 8_000), timerChurn);
  }

  private send(to: number, request: ClientRequest): void {
    this.w.sim.send(this.index, to, { client: true, request }, request.api);
  }

  private metadataSentMs = Number.NEGATIVE_INFINITY;

  private sendMetadata(): void {
    this.metadataSentMs = this.w.sim.nowMs;
    this.send(this.w.sim.streams.workload.pick(this.w.brokers), { api: "Metadata", corr: this.corrNext++ });
    this.w.sim.timer(this.index, groupRequestTimeoutMs, timerMetadata);
  }

  private join(): void {
    if (this.coordinator < 0) {
      this.sendMetadata();
      return;
    }
    this.phase = "joining";
    this.pendingCorr = this.corrNext++;
    this.trackGroupRequest(this.pendingCorr);
    this.send(this.coordinator, {
      api: "JoinGroup",
      corr: this.pendingCorr,
      group: this.group,
      memberId: this.memberId,
      protocol: this.protocolOf(),
    });
    this.w.sim.timer(this.index, groupRequestTimeoutMs, timerTimeout + 8 * this.pendingCorr);
  }

  /**
   * The coordinator's local clock now. Broker 0 hosts the group coordinator in this model, so that is
   * its clock even while this member does not know the coordinator.
   */
  private coordinatorNowMs(): number {
    return this.w.sim.localNowMs(this.coordinator >= 0 ? this.coordinator : this.w.brokers[0]!);
  }

  private trackGroupRequest(corr: number): void {
    this.groupSentMs.set(corr, this.coordinatorNowMs());
    if (this.groupSentMs.size > groupRequestsTrackedMax)
      this.groupSentMs.delete(this.groupSentMs.keys().next().value!);
  }

  /** A group request was answered without error: the coordinator heard it, the session runs on (27). */
  private groupAnswered(corr: number): void {
    const sentAtMs = this.groupSentMs.get(corr);
    if (sentAtMs === undefined) return;
    this.groupSentMs.delete(corr);
    this.w.online.at(this.w.sim.nowMs).groupSessionAck(this.group, this.name, sentAtMs + sessionTimeoutMs);
  }

  private revoke(): void {
    this.w.online.at(this.w.sim.nowMs).groupOwnershipEnds(this.group, this.name);
    if (this.assigned.length > 0) this.assignmentEpoch++;
    this.assigned = [];
    this.assignedGeneration.clear();
    this.positions.clear();
    this.fetching.clear();
    this.positionsKnown = false;
  }

  onTimer(timerTag: number): void {
    if (this.phase === "removed") return;
    const w = this.w;
    // Timeout timers carry the correlation id they guard, so a stale one never aborts a newer request.
    const tag = timerTag & 7;
    const corr = timerTag >> 3;
    switch (tag) {
      case timerHeartbeat:
        if (this.phase === "out") this.join();
        else if (this.phase === "stable" && this.coordinator >= 0) {
          const corr = this.corrNext++;
          this.trackGroupRequest(corr);
          this.send(this.coordinator, {
            api: "Heartbeat",
            corr,
            group: this.group,
            memberId: this.memberId,
            generation: this.generation,
          });
        }
        w.sim.timer(this.index, heartbeatIntervalMs, timerHeartbeat);
        return;
      case timerFetch:
        if (this.phase === "stable" && this.positionsKnown) this.fetchAll();
        w.sim.timer(this.index, fetchIntervalMs, timerFetch);
        return;
      case timerCommit:
        if (this.phase === "stable" && this.positionsKnown) this.commit();
        w.sim.timer(this.index, commitIntervalMs, timerCommit);
        return;
      case timerChurn:
        if (!w.workloadOn) {
          // The liveness phase: a member that left comes back, and churn stops.
          if (this.phase === "left") this.phase = "out";
          return;
        }
        if (this.phase === "left") {
          this.phase = "out";
        } else if (this.phase === "stable") {
          this.commit();
          this.send(this.coordinator, {
            api: "LeaveGroup",
            corr: this.corrNext++,
            group: this.group,
            memberId: this.memberId,
          });
          this.revoke();
          this.memberId = "";
          this.generation = -1;
          this.phase = "left";
        }
        w.sim.timer(this.index, w.sim.streams.workload.int(1_000, 8_000), timerChurn);
        return;
      case timerTimeout:
        if (corr !== this.pendingCorr) return;
        if ((this.phase === "joining" || this.phase === "syncing") && this.pendingCorr >= 0) {
          this.pendingCorr = -1;
          this.phase = "out";
          this.sendMetadata();
        } else if (this.phase === "stable" && !this.positionsKnown) {
          this.fetchPositions();
        }
        return;
      case timerMetadata:
        if (this.coordinator < 0 || this.leaders.some((l) => l < 0)) this.sendMetadata();
        return;
    }
  }

  private fetchAll(): void {
    for (const p of this.assigned) {
      const leader = this.leaders[p] ?? -1;
      const pos = this.positions.get(p);
      if (leader < 0 && this.w.sim.nowMs - this.metadataSentMs >= metadataBackoffMs) this.sendMetadata();
      if (leader < 0 || pos === undefined) continue;
      // One fetch in flight per partition; a lost one is re-sent after a timeout's worth of ticks.
      const sentAt = this.fetching.get(p);
      if (sentAt !== undefined) {
        if (this.w.sim.nowMs - sentAt < fetchTimeoutMs) continue;
        // No answer: the leader may be gone. Forget it and ask for metadata, as Kafka's client does.
        this.fetching.delete(p);
        this.leaders[p] = -1;
        if (this.w.sim.nowMs - this.metadataSentMs >= metadataBackoffMs) this.sendMetadata();
        continue;
      }
      this.fetching.set(p, this.w.sim.nowMs);
      this.send(leader, {
        api: "Fetch",
        corr: this.corrNext++,
        partition: p,
        offset: pos,
        leaderEpoch: this.leaderEpochs[p] ?? -1,
      });
    }
  }

  private commit(): void {
    // Only positions learned from the committed offsets (and advanced by polls) are ever committed.
    if (this.coordinator < 0 || this.assigned.length === 0 || !this.positionsKnown) return;
    const offsets = this.assigned.flatMap((p) => {
      const offset = this.positions.get(p);
      return offset === undefined ? [] : [{ partition: p, offset }];
    });
    const corr = this.corrNext++;
    this.commitsInflight.set(corr, { generation: this.generation, offsets });
    if (this.commitsInflight.size > 64)
      this.commitsInflight.delete(this.commitsInflight.keys().next().value!);
    this.send(this.coordinator, {
      api: "OffsetCommit",
      corr,
      group: this.group,
      memberId: this.memberId,
      generation: this.generation,
      offsets,
    });
  }

  private readonly commitsInflight = new Map<
    number,
    { generation: number; offsets: readonly { partition: number; offset: number }[] }
  >();

  private fetchPositions(): void {
    if (this.coordinator < 0) return;
    this.pendingCorr = this.corrNext++;
    this.send(this.coordinator, {
      api: "OffsetFetch",
      corr: this.pendingCorr,
      group: this.group,
      partitions: this.assigned,
    });
    this.w.sim.timer(this.index, groupRequestTimeoutMs, timerTimeout + 8 * this.pendingCorr);
  }

  onMessage(_from: number, msg: unknown): void {
    if (this.phase === "removed") return;
    const r = (msg as ResponseEnvelope).response as ClientResponse;
    const w = this.w;
    switch (r.api) {
      case "Metadata": {
        this.coordinator = r.coordinator;
        let moved = false;
        for (const p of r.partitions) {
          if ((this.leaderEpochs[p.partition] ?? -1) <= p.leaderEpoch) {
            if (this.leaders[p.partition] !== p.leader && this.assigned.includes(p.partition)) moved = true;
            this.leaders[p.partition] = p.leader;
            this.leaderEpochs[p.partition] = p.leaderEpoch;
          }
        }
        // A consumer always has a fetch outstanding (long polling): a new leader is asked at once.
        if (moved && this.phase === "stable" && this.positionsKnown) this.fetchAll();
        return;
      }
      case "JoinGroup": {
        if (r.corr !== this.pendingCorr || this.phase !== "joining") return;
        if (r.error === "MEMBER_ID_REQUIRED") {
          // JoinGroup v4+: the coordinator names us first, so a lost answer never leaves an orphan member.
          this.memberId = r.memberId;
          this.join();
          return;
        }
        if (r.error !== "NONE") {
          if (r.error === "UNKNOWN_MEMBER_ID") this.memberId = "";
          if (r.error === "NOT_COORDINATOR" || r.error === "COORDINATOR_NOT_AVAILABLE") this.coordinator = -1;
          this.phase = "out";
          return;
        }
        this.groupAnswered(r.corr);
        this.memberId = r.memberId;
        this.generation = r.generation;
        const assignments =
          r.leader === r.memberId
            ? assignPartitions(
                r.protocol,
                r.members,
                w.config.workload.partitions,
                w.bug("double-assignment"),
              )
            : [];
        this.phase = "syncing";
        this.pendingCorr = this.corrNext++;
        this.trackGroupRequest(this.pendingCorr);
        this.send(this.coordinator, {
          api: "SyncGroup",
          corr: this.pendingCorr,
          group: this.group,
          memberId: this.memberId,
          generation: this.generation,
          assignments,
        });
        w.sim.timer(this.index, groupRequestTimeoutMs, timerTimeout + 8 * this.pendingCorr);
        return;
      }
      case "SyncGroup":
        if (r.corr !== this.pendingCorr || this.phase !== "syncing") return;
        if (r.error !== "NONE") {
          this.phase = "out";
          return;
        }
        this.groupAnswered(r.corr);
        {
          // Known bug: the partitions this member lost in the rebalance are kept (and read on, under
          // the generation that gave them) instead of revoked, as an incremental-cooperative consumer
          // that skips revoking lost partitions would.
          const lost = w.bug("rebalance-keeps-lost-partitions")
            ? this.assigned
                .filter((p) => !r.partitions.includes(p))
                .map((p) => [p, this.assignedGeneration.get(p) ?? this.generation] as const)
            : [];
          this.revoke();
          this.assignmentEpoch++;
          this.assigned = [...r.partitions];
          for (const p of r.partitions) this.assignedGeneration.set(p, this.generation);
          for (const [p, g] of lost) {
            this.assigned.push(p);
            this.assignedGeneration.set(p, g);
          }
        }
        w.online.assignment(this.name, this.group, this.generation, r.partitions);
        w.online
          .at(w.sim.nowMs)
          .groupAssigned(this.group, this.name, this.generation, r.partitions, this.coordinatorNowMs());
        this.phase = "stable";
        this.fetchPositions();
        return;
      case "OffsetFetch":
        if (r.corr !== this.pendingCorr || this.phase !== "stable") return;
        this.pendingCorr = -1;
        if (r.error !== "NONE") return;
        for (const o of r.offsets)
          if (this.assigned.includes(o.partition)) this.positions.set(o.partition, Math.max(0, o.offset));
        for (const p of this.assigned) if (!this.positions.has(p)) this.positions.set(p, 0);
        this.positionsKnown = true;
        return;
      case "Heartbeat":
        if (r.error === "NONE") this.groupAnswered(r.corr);
        else this.groupSentMs.delete(r.corr);
        if (
          this.phase === "stable" &&
          (r.error === "REBALANCE_IN_PROGRESS" ||
            r.error === "ILLEGAL_GENERATION" ||
            r.error === "UNKNOWN_MEMBER_ID")
        ) {
          // Kafka commits before giving the partitions up, so the next owner starts where we stopped.
          this.commit();
          if (r.error === "UNKNOWN_MEMBER_ID") this.memberId = "";
          // The generation is over for this member whether or not it gives its partitions up (27).
          w.online.at(w.sim.nowMs).groupOwnershipEnds(this.group, this.name);
          if (!w.bug("rebalance-keeps-lost-partitions")) this.revoke();
          this.join();
        } else if (r.error === "NOT_COORDINATOR" || r.error === "COORDINATOR_NOT_AVAILABLE") {
          this.coordinator = -1;
          this.sendMetadata();
        }
        return;
      case "OffsetCommit": {
        const c = this.commitsInflight.get(r.corr);
        if (c === undefined) return;
        this.commitsInflight.delete(r.corr);
        for (const o of c.offsets) {
          w.history.commit({
            consumer: this.name,
            group: this.group,
            partition: o.partition,
            offset: o.offset,
            generation: c.generation,
            atMs: w.sim.nowMs,
            accepted: r.error === "NONE",
          });
        }
        return;
      }
      case "Fetch":
        this.onFetch(r);
        return;
      default:
        return;
    }
  }

  private onFetch(r: Extract<ClientResponse, { api: "Fetch" }>): void {
    const w = this.w;
    const partition = r.partition;
    if (!this.fetching.has(partition)) return;
    invariant(r.records.length <= consumerFetchRecordsMax, "fetch answer too large");
    this.fetching.delete(partition);
    if (r.error !== "NONE") {
      if (
        r.error === "NOT_LEADER_OR_FOLLOWER" ||
        r.error === "FENCED_LEADER_EPOCH" ||
        r.error === "UNKNOWN_LEADER_EPOCH"
      )
        this.sendMetadata();
      else if (r.error === "OFFSET_OUT_OF_RANGE" && r.logStartOffset !== undefined)
        this.resetBelowLogStart(r);
      return;
    }
    let pos = this.positions.get(partition);
    if (pos === undefined) return;
    if (r.records.length > 0 && r.records[0]!.offset === pos) {
      const generation = this.assignedGeneration.get(partition) ?? this.generation;
      w.online
        .at(w.sim.nowMs)
        .groupRead(this.group, this.name, generation, partition, this.coordinatorNowMs());
    }
    for (const rec of r.records) {
      if (rec.offset !== pos) break;
      w.history.poll({
        consumer: this.name,
        group: this.group,
        partition,
        offset: rec.offset,
        value: rec.value,
        atMs: w.sim.nowMs,
        assignmentEpoch: this.assignmentEpoch,
      });
      pos++;
    }
    this.positions.set(partition, pos);
    // Long polling: the next fetch goes out as soon as this one is answered.
    if (this.phase === "stable" && this.positionsKnown && this.assigned.includes(partition)) this.fetchAll();
  }

  /**
   * auto.offset.reset = earliest (the model's consumers start at offset 0 with no committed offset,
   * as "earliest" does): a position retention deleted moves to the log start, and the skipped records
   * are counted as lost to this consumer. Only runs with retention carry the log start in the answer.
   */
  private resetBelowLogStart(r: Extract<ClientResponse, { api: "Fetch" }>): void {
    const pos = this.positions.get(r.partition);
    const logStart = r.logStartOffset!;
    if (pos === undefined || pos >= logStart) return;
    this.positions.set(r.partition, logStart);
    this.offsetResets++;
    if (this.phase === "stable" && this.positionsKnown && this.assigned.includes(r.partition))
      this.fetchAll();
  }

  /** Positions reset because retention deleted them (auto.offset.reset), over the run. */
  offsetResets = 0;

  timerName(tag: number): string {
    return (
      ["", "fetch", "commit", "heartbeat", "churn", "request-timeout", "metadata-timeout"][tag & 7] ?? "timer"
    );
  }

  onCrash(): void {}

  /**
   * Only a learner crashes a consumer (the fault schedule never does): restarted, it is a new process
   * that joins as a new member, since its old timers died with the crash.
   */
  onRestart(): void {
    if (!this.started || this.phase === "removed") return;
    this.revoke();
    this.memberId = "";
    this.generation = -1;
    this.coordinator = -1;
    this.pendingCorr = -1;
    this.phase = "out";
    this.start();
  }
}
