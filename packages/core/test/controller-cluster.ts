/**
 * Controllers on top of the quorum, wired as the shell documented in `controller/index.ts` wires
 * them: each controller node runs a Raft node whose entries are metadata record batches, applies
 * committed batches to its controller, activates when its Raft node is a ready leader, and answers a
 * request only once the batch it proposed has committed. Brokers are scripted clients that register,
 * heartbeat every 2 s while alive, and send AlterPartition. Messages between controllers are
 * delivered in order after every step of time. Test code only: no clock, no ambient randomness.
 */
import * as controller from "../src/controller/index.ts";
import { invariant } from "../src/invariant.ts";
import { type PrngState, prngFromSeed, prngJump } from "../src/prng.ts";
import * as quorum from "../src/quorum/index.ts";

type Batch = readonly controller.MetadataRecord[];
type RaftState = quorum.QuorumState<Batch, controller.MetadataImage>;
type RaftMessage = quorum.Message<Batch, controller.MetadataImage>;

/** Logical milliseconds per Raft tick: election timeouts of 1-2 s with the default ten ticks. */
export const tickMs = 100;
export const heartbeatIntervalMs = 2000;
const deliveriesPerStabilizeMax = 100_000;

interface Waiting {
  readonly index: number;
  readonly term: number;
  readonly response: controller.Response | null;
  readonly onResponse: (r: controller.Response | null) => void;
}

interface ControllerNode {
  readonly id: number;
  raft: RaftState;
  ctl: controller.ControllerState;
  up: boolean;
  durable: quorum.DurableState<Batch, controller.MetadataImage>;
  waiting: Waiting[];
}

interface ScriptedBroker {
  epoch: number;
  alive: boolean;
  lastBeatMs: number;
}

export class ControllerCluster {
  readonly nodes = new Map<number, ControllerNode>();
  readonly brokers = new Map<number, ScriptedBroker>();
  network: RaftMessage[] = [];
  nowMs = 0;
  readonly lines: string[] = [];
  /** "topicId/partition/leaderEpoch" -> leader, across every committed batch any node applied. */
  readonly leaderOfEpoch = new Map<string, number>();
  /** offset -> JSON of the batch: every node must apply the same batch at each offset. */
  readonly committedBatches = new Map<number, string>();
  private prng: PrngState;
  private readonly ids: readonly number[];
  private readonly config: Partial<controller.ControllerConfig>;

  /** Compact a controller's log once this many applied entries lie above its snapshot (0: never). */
  private readonly compactEvery: number;

  constructor(
    ids: readonly number[],
    seed: number,
    config: Partial<controller.ControllerConfig> = {},
    compactEvery = 0,
  ) {
    this.ids = ids;
    this.config = config;
    this.compactEvery = compactEvery;
    this.prng = prngFromSeed(seed);
    for (const id of ids) {
      this.prng = prngJump(this.prng);
      const raft = quorum.initialState<Batch, controller.MetadataImage>({
        id,
        voters: ids,
        prng: this.prng,
        emptySnapshotData: controller.emptyImage,
      });
      this.prng = prngJump(this.prng);
      this.nodes.set(id, {
        id,
        raft,
        ctl: controller.initialState({ prng: this.prng, config }),
        up: true,
        durable: {
          hardState: { term: 0, votedFor: null, commitIndex: 0 },
          snapshot: raft.snapshot,
          entries: [],
        },
        waiting: [],
      });
    }
  }

  private out(line: string): void {
    this.lines.push(line);
  }

  take(): string {
    const text = this.lines.join("\n");
    this.lines.length = 0;
    return text;
  }

  node(id: number): ControllerNode {
    const n = this.nodes.get(id);
    invariant(n !== undefined, `no controller ${id}`);
    return n;
  }

  active(): ControllerNode | null {
    for (const n of this.nodes.values()) if (n.up && n.ctl.active) return n;
    return null;
  }

  // ---- The shell around one controller node ----

  private stepRaft(
    n: ControllerNode,
    input: quorum.Input<Batch, controller.MetadataImage>,
  ): quorum.Ready<Batch, controller.MetadataImage> {
    const before = n.raft;
    const { state, ready } = quorum.step(n.raft, input);
    n.raft = state;
    // 1. Persist.
    n.durable = quorum.persistReady(n.durable, ready);
    // 2. Send.
    this.network.push(...ready.messages);
    // 3. Apply, standing down first if this node no longer leads.
    const soft = ready.softState;
    if (soft.role !== before.role || soft.term !== before.term)
      this.out(`c${n.id}: ${soft.role} term=${soft.term}`);
    if (soft.role !== "leader" && n.ctl.active) this.deactivate(n);
    if (ready.snapshot !== null) {
      n.ctl = controller.step(n.ctl, { type: "restore", image: ready.snapshot.data }).state;
      this.out(`c${n.id}: restored snapshot ${ready.snapshot.index} (image offset ${n.ctl.image.offset})`);
    }
    for (const entry of ready.committed) {
      if (entry.payload !== null) this.applyCommitted(n, entry.index, entry.payload);
      this.resolve(n, entry);
    }
    if (soft.leaderReady && !n.ctl.active) {
      n.ctl = controller.step(n.ctl, { type: "activate", nowMs: this.nowMs }).state;
      this.out(`c${n.id}: active controller at offset ${n.ctl.image.offset}`);
    }
    // The shell persisted synchronously above, so it acknowledges at once.
    const last = ready.entries[ready.entries.length - 1];
    if (last !== undefined) this.stepRaft(n, { type: "persisted", index: last.index, term: last.term });
    this.maybeCompact(n);
    return ready;
  }

  /** Snapshots the committed image at the applied index: persist it, then tell the Raft node. */
  private maybeCompact(n: ControllerNode): void {
    const applied = n.raft.appliedIndex;
    if (this.compactEvery <= 0 || applied - n.raft.snapshot.index < this.compactEvery) return;
    const term = quorum.termAt(n.raft, applied);
    invariant(term !== null, "compacting an unknown index");
    invariant(n.ctl.image.offset <= applied, "the image is ahead of the applied index");
    const snapshot = { index: applied, term, data: n.ctl.image };
    n.durable = { ...n.durable, snapshot, entries: n.durable.entries.filter((e) => e.index > applied) };
    n.raft = quorum.step(n.raft, { type: "compact", index: applied, data: n.ctl.image }).state;
    this.out(`c${n.id}: snapshot at ${applied} (image offset ${n.ctl.image.offset})`);
  }

  private applyCommitted(n: ControllerNode, offset: number, batch: Batch): void {
    const json = JSON.stringify(batch);
    const seen = this.committedBatches.get(offset);
    invariant(seen === undefined || seen === json, `controllers disagree on the batch at offset ${offset}`);
    this.committedBatches.set(offset, json);
    const wasActive = n.ctl.active;
    n.ctl = controller.step(n.ctl, { type: "committed", offset, records: batch }).state;
    invariant(!wasActive || n.ctl.active, "the active controller saw a batch it did not propose");
    for (const r of batch) {
      if (r.type === "PartitionChange" && r.leader !== controller.noLeader) {
        const key = `${r.topicId}/${r.partition}/${r.leaderEpoch}`;
        const other = this.leaderOfEpoch.get(key);
        invariant(other === undefined || other === r.leader, `two leaders share epoch ${key}`);
        this.leaderOfEpoch.set(key, r.leader);
      }
    }
    if (seen === undefined) {
      for (const r of batch) this.out(`commit @${offset} ${describeRecord(r)}`);
    }
  }

  private resolve(n: ControllerNode, entry: quorum.Entry<Batch>): void {
    const still: Waiting[] = [];
    for (const w of n.waiting) {
      if (w.index > entry.index) still.push(w);
      else if (w.index === entry.index && w.term === entry.term) w.onResponse(w.response);
      else w.onResponse(null);
    }
    n.waiting = still;
  }

  private deactivate(n: ControllerNode): void {
    n.ctl = controller.step(n.ctl, { type: "deactivate" }).state;
    for (const w of n.waiting) w.onResponse(null);
    n.waiting = [];
    this.out(`c${n.id}: no longer the active controller`);
  }

  private stabilize(): void {
    let delivered = 0;
    while (this.network.length > 0) {
      invariant(delivered++ < deliveriesPerStabilizeMax, "controller network never quiets");
      const m = this.network.shift()!;
      const to = this.node(m.to);
      if (!to.up || !this.node(m.from).up) continue;
      this.stepRaft(to, { type: "message", message: m });
    }
  }

  /**
   * Sends a request to the active controller; `onResponse` receives its answer once the batch it
   * proposed commits (null when the proposal was lost to a leader change: NOT_CONTROLLER).
   */
  request(input: controller.Input, onResponse: (r: controller.Response | null) => void): void {
    const n = this.active();
    if (n === null) {
      onResponse(null);
      return;
    }
    const { state, ready } = controller.step(n.ctl, input);
    n.ctl = state;
    if (ready.records.length === 0) {
      onResponse(ready.response);
      return;
    }
    const r = this.stepRaft(n, { type: "propose", payload: ready.records });
    const proposal = r.proposal;
    if (proposal === null || !proposal.accepted) {
      this.deactivate(n);
      onResponse(null);
      return;
    }
    n.waiting.push({ index: proposal.index, term: proposal.term, response: ready.response, onResponse });
    this.stabilize();
  }

  /** Controller `id` campaigns; messages flow until the quorum is quiet. */
  campaign(id: number): void {
    this.stepRaft(this.node(id), { type: "campaign" });
    this.stabilize();
  }

  // ---- Scripted brokers ----

  register(brokerId: number): void {
    const input: controller.Input = {
      type: "registerBroker",
      nowMs: this.nowMs,
      brokerId,
      host: `broker${brokerId}`,
      port: 9092,
      rack: null,
    };
    this.request(input, (r) => {
      if (r?.type !== "registerBroker" || r.error !== "NONE") {
        this.out(`b${brokerId}: register failed ${r === null ? "NOT_CONTROLLER" : JSON.stringify(r)}`);
        return;
      }
      this.brokers.set(brokerId, { epoch: r.brokerEpoch, alive: true, lastBeatMs: this.nowMs });
      this.out(`b${brokerId}: registered epoch=${r.brokerEpoch}`);
    });
  }

  heartbeat(brokerId: number, wantFence = false): void {
    const b = this.brokers.get(brokerId);
    invariant(b !== undefined, `broker ${brokerId} never registered`);
    b.lastBeatMs = this.nowMs;
    const input: controller.Input = {
      type: "brokerHeartbeat",
      nowMs: this.nowMs,
      brokerId,
      brokerEpoch: b.epoch,
      wantFence,
    };
    const fencedBefore =
      this.active() === null ? null : controller.findBroker(this.active()!.ctl.image, brokerId)?.fenced;
    this.request(input, (r) => {
      if (r?.type !== "brokerHeartbeat" || r.error !== "NONE") {
        this.out(`b${brokerId}: heartbeat failed ${r === null ? "NOT_CONTROLLER" : describe(r)}`);
      } else if (r.isFenced !== fencedBefore) {
        this.out(`b${brokerId}: heartbeat -> ${r.isFenced ? "fenced" : "unfenced"}`);
      }
    });
  }

  /** The partition's leader asks to set its ISR. */
  alterIsr(topic: string, partition: number, isr: readonly number[]): void {
    const n = this.active();
    const p = n?.ctl.image.topics[topic]?.partitions[partition];
    invariant(p !== undefined, `no partition ${topic}-${partition}`);
    const leader = this.brokers.get(p.leader);
    invariant(leader !== undefined, "partition has no registered leader");
    const input: controller.Input = {
      type: "alterPartition",
      brokerId: p.leader,
      brokerEpoch: leader.epoch,
      topic,
      partition,
      leaderEpoch: p.leaderEpoch,
      partitionEpoch: p.partitionEpoch,
      isr,
    };
    this.request(input, (r) =>
      this.out(`b${p.leader}: alter-partition ${r === null ? "NOT_CONTROLLER" : describe(r)}`),
    );
  }

  // ---- Time and faults ----

  /** Advances logical time in ticks: Raft ticks, broker heartbeats every 2 s, session checks. */
  advance(ms: number): void {
    invariant(ms % tickMs === 0, "advance by whole ticks");
    for (let t = 0; t < ms; t += tickMs) {
      this.nowMs += tickMs;
      for (const n of this.nodes.values()) if (n.up) this.stepRaft(n, { type: "tick" });
      this.stabilize();
      for (const [id, b] of this.brokers) {
        if (b.alive && this.nowMs - b.lastBeatMs >= heartbeatIntervalMs) this.heartbeat(id);
      }
      const n = this.active();
      if (n !== null) this.request({ type: "tick", nowMs: this.nowMs }, () => {});
    }
  }

  stopBroker(id: number): void {
    const b = this.brokers.get(id);
    invariant(b !== undefined, `broker ${id} never registered`);
    b.alive = false;
    this.out(`b${id}: stopped (no more heartbeats)`);
  }

  crashController(id: number): void {
    const n = this.node(id);
    n.up = false;
    for (const w of n.waiting) w.onResponse(null);
    n.waiting = [];
    this.out(`c${id}: crashed`);
  }

  restartController(id: number): void {
    const n = this.node(id);
    invariant(!n.up, `controller ${id} is up`);
    this.prng = prngJump(this.prng);
    n.raft = quorum.initialState<Batch, controller.MetadataImage>({
      id,
      voters: this.ids,
      prng: this.prng,
      emptySnapshotData: controller.emptyImage,
      durable: n.durable,
    });
    n.ctl = controller.initialState({
      prng: prngJump(this.prng),
      config: this.config,
      image: n.durable.snapshot.data,
    });
    n.up = true;
    this.out(`c${id}: restarted term=${n.raft.term}`);
  }

  /** Every live controller applied the same image at the same offset (after a tick or two). */
  imagesAgree(): boolean {
    const images = [...this.nodes.values()].filter((n) => n.up).map((n) => JSON.stringify(n.ctl.image));
    return images.every((i) => i === images[0]);
  }
}

export function describeRecord(r: controller.MetadataRecord): string {
  switch (r.type) {
    case "RegisterBroker":
      return `RegisterBroker b${r.brokerId} epoch=${r.brokerEpoch} ${r.host}:${r.port}`;
    case "FenceBroker":
    case "UnfenceBroker":
      return `${r.type} b${r.brokerId} epoch=${r.brokerEpoch}`;
    case "CreateTopic":
      return [
        `CreateTopic ${r.name}`,
        ...r.partitions.map((p) => `  ${r.name}-${p.partition} ${describePartition(p)}`),
      ].join("\n");
    case "CreatePartitions":
      return [
        `CreatePartitions ${r.name}`,
        ...r.partitions.map((p) => `  ${r.name}-${p.partition} ${describePartition(p)}`),
      ].join("\n");
    case "DeleteTopic":
      return `DeleteTopic ${r.name}`;
    case "PartitionChange":
      return (
        `PartitionChange ${r.topic}-${r.partition} leader=${r.leader} leaderEpoch=${r.leaderEpoch} ` +
        `isr=[${r.isr.join(",")}] partitionEpoch=${r.partitionEpoch}${r.unclean ? " UNCLEAN" : ""}`
      );
    case "ProducerIds":
      return `ProducerIds b${r.brokerId} epoch=${r.brokerEpoch} next=${r.nextProducerId}`;
    case "AccessControlEntry":
    case "RemoveAccessControlEntry":
      return `${r.type} ${controller.aclKey(r.acl)}`;
    case "Config":
      return `Config ${r.resourceType} ${r.resourceName} ${r.name}=${r.value ?? "(deleted)"}`;
    case "UserScramCredential":
      return `UserScramCredential ${r.credential.name} ${r.credential.mechanism} iterations=${r.credential.iterations}`;
    case "RemoveUserScramCredential":
      return `RemoveUserScramCredential ${r.name} ${r.mechanism}`;
  }
}

export function describePartition(p: controller.PartitionState): string {
  return (
    `replicas=[${p.replicas.join(",")}] leader=${p.leader} leaderEpoch=${p.leaderEpoch} ` +
    `isr=[${p.isr.join(",")}] partitionEpoch=${p.partitionEpoch}`
  );
}

function describe(r: controller.Response): string {
  switch (r.type) {
    case "alterPartition":
      return r.partition === null ? r.error : `${r.error} ${describePartition(r.partition)}`;
    case "createTopics":
      return r.topics.map((t) => `${t.name}: ${t.error}`).join(", ");
    case "deleteTopics":
    case "createPartitions":
      return r.topics.map((t) => `${t.name}: ${t.error}`).join(", ");
    case "electLeaders":
      return r.partitions.map((p) => `${p.topic}-${p.partition}: ${p.error}`).join(", ");
    case "registerBroker":
      return `${r.error} epoch=${r.brokerEpoch}`;
    case "brokerHeartbeat":
      return `${r.error} fenced=${r.isFenced}`;
    case "allocateProducerIds":
      return r.error === "NONE" ? `NONE [${r.firstProducerId}, +${r.size})` : r.error;
    case "createAcls":
      return r.results.map((x) => x.error).join(", ");
    case "deleteAcls":
      return r.results.map((x) => `${x.error} (${x.acls.length})`).join(", ");
    case "alterTopicConfigs":
      return r.topics.map((t) => `${t.name}: ${t.error}`).join(", ");
    case "alterBrokerConfigs":
      return r.resources.map((t) => `'${t.name}': ${t.error}`).join(", ");
    case "alterUserScramCredentials":
      return r.results.map((x) => `${x.name}: ${x.error}`).join(", ");
  }
}

export { describe as describeResponse };
