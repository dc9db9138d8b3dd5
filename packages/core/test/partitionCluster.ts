/**
 * An in-process cluster for partition transcripts and model tests: N brokers, each holding one replica
 * state machine per partition, a "disk" per replica (batch metadata with a label standing in for the
 * bytes), a FIFO network delivered by command, and a tiny controller that elects leaders from the ISR,
 * fences crashed brokers and answers AlterPartition. It plays the shell's part exactly as the real one
 * must: persist, then send, then respond, and report append completions.
 *
 * It is test scaffolding: it must never be imported by production code.
 */

import { partition, producer } from "../src/index.ts";
import { invariant } from "../src/invariant.ts";

type PartitionState = partition.PartitionState;
type PartitionInput = partition.PartitionInput;

/** A batch on a replica's disk: the metadata the core replicates, with a label for the bytes. */
export interface DiskBatch extends partition.ReplicatedBatch {
  readonly label: string;
}

interface Replica {
  state: PartitionState;
  disk: DiskBatch[];
  /** The persisted log start: records below it are deleted (whole batches below it are gone). */
  diskStart: number;
  /** Appends issued but not completed: lost if the broker crashes. */
  pendingAppends: DiskBatch[];
  hwCheckpoint: number;
  epochCheckpoint: readonly partition.EpochEntry[];
  /** Batches handed to the follower by fetch id, so `appendReplica` knows what to write. */
  fetched: Map<number, readonly DiskBatch[]>;
}

interface Broker {
  readonly id: number;
  up: boolean;
  restarts: number;
  readonly replicas: Replica[];
}

interface ControllerPartition {
  leader: number;
  leaderEpoch: number;
  partitionEpoch: number;
  isr: number[];
  readonly replicas: number[];
}

type ControllerReply = {
  readonly type: "alterPartitionResponse";
  readonly errorCode: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly isr: readonly number[];
};

interface InFlight {
  readonly from: number | "controller";
  readonly to: number | "controller";
  readonly partition: number;
  readonly message: partition.PeerMessage | ControllerReply;
  readonly batches: readonly DiskBatch[];
}

export interface Acked {
  readonly partition: number;
  readonly label: string;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly acks: number;
  readonly duplicate: boolean;
}

interface RequestInfo {
  readonly broker: number;
  readonly partition: number;
  readonly label: string;
  readonly batch: partition.ProduceBatch;
  readonly acks: number;
}

export interface ClusterOptions {
  readonly brokers: number;
  readonly partitions: number;
  readonly minInsyncReplicas: number;
  /** When false, appends complete only on `completeAppends`; otherwise right after each step. */
  readonly autoComplete: boolean;
  readonly replicaLagTimeMaxMs?: number;
}

/** Bound on delivery rounds in `stabilize`, so a livelock fails instead of hanging. */
export const stabilizeRoundsMax = 1_000;

const name = (code: number): string => producer.errorName(code);
const list = (ids: readonly number[]): string => `[${ids.join(",")}]`;

export class Cluster {
  readonly options: ClusterOptions;
  nowMs = 0;
  readonly brokers: Broker[] = [];
  readonly controller: ControllerPartition[] = [];
  network: InFlight[] = [];
  readonly requests = new Map<number, RequestInfo>();
  readonly responses: Array<{
    requestId: number;
    errorCode: number;
    baseOffset: number;
    duplicate: boolean;
  }> = [];
  readonly acked: Acked[] = [];
  /** Every (partition, leaderEpoch) -> leader seen, to check that two leaders never share an epoch. */
  readonly leadersByEpoch = new Map<string, number>();
  /** Brokers the controller has fenced (session expired); ineligible for the ISR until they return. */
  readonly fenced = new Set<number>();
  requestIdNext = 1;
  lines: string[] = [];

  constructor(options: ClusterOptions) {
    invariant(options.brokers >= 1 && options.partitions >= 1, "a cluster needs brokers and partitions");
    this.options = options;
    const ids = Array.from({ length: options.brokers }, (_, i) => i + 1);
    for (const id of ids) {
      const replicas: Replica[] = [];
      for (let p = 0; p < options.partitions; p++) {
        const config = {
          topic: "t",
          partition: p,
          brokerId: id,
          minInsyncReplicas: options.minInsyncReplicas,
          ...(options.replicaLagTimeMaxMs === undefined
            ? {}
            : { replicaLagTimeMaxMs: options.replicaLagTimeMaxMs }),
        };
        replicas.push({
          state: partition.initialState(config),
          disk: [],
          diskStart: 0,
          pendingAppends: [],
          hwCheckpoint: 0,
          epochCheckpoint: [],
          fetched: new Map(),
        });
      }
      this.brokers.push({ id, up: true, restarts: 0, replicas });
    }
    for (let p = 0; p < options.partitions; p++) {
      this.controller.push({
        leader: -1,
        leaderEpoch: -1,
        partitionEpoch: 0,
        isr: [...ids],
        replicas: [...ids],
      });
    }
  }

  broker(id: number): Broker {
    const broker = this.brokers.find((b) => b.id === id);
    invariant(broker !== undefined, `no broker ${id}`);
    return broker;
  }

  private prefix(broker: number, p: number): string {
    return this.options.partitions > 1 ? `b${broker}/p${p}` : `b${broker}`;
  }

  take(): string {
    const text = this.lines.join("\n");
    this.lines = [];
    return text;
  }

  /** Feeds one input to one replica and plays the shell for its Ready. */
  apply(brokerId: number, p: number, input: PartitionInput): void {
    const broker = this.broker(brokerId);
    invariant(broker.up, `broker ${brokerId} is down`);
    const replica = broker.replicas[p]!;
    const before = replica.state;
    const { state, ready } = partition.step(before, input);
    replica.state = state;
    const at = this.prefix(brokerId, p);
    if (state.role === "leader" && before.role === "leader" && state.isr.join() !== before.isr.join()) {
      this.lines.push(`${at}: isr ${list(state.isr)} pe${state.partitionEpoch}`);
    }
    if (state.role === "leader") {
      const key = `${p}/${state.leaderEpoch}`;
      const previous = this.leadersByEpoch.get(key);
      invariant(previous === undefined || previous === brokerId, `two leaders in epoch ${key}`);
      this.leadersByEpoch.set(key, brokerId);
    }
    for (const op of ready.persist) {
      switch (op.type) {
        case "append": {
          const request = op.requestId === null ? undefined : this.requests.get(op.requestId);
          invariant(request !== undefined, "append for an unknown request");
          replica.pendingAppends.push({
            baseOffset: op.baseOffset,
            lastOffset: op.lastOffset,
            leaderEpoch: op.leaderEpoch,
            producerId: request.batch.producerId,
            producerEpoch: request.batch.producerEpoch,
            baseSequence: request.batch.baseSequence,
            label: request.label,
          });
          this.lines.push(
            `${at}: append ${op.baseOffset}..${op.lastOffset} e${op.leaderEpoch} ${request.label}`,
          );
          break;
        }
        case "appendReplica": {
          const batches = replica.fetched.get(op.fetchId);
          invariant(batches !== undefined, "appendReplica for an unknown fetch");
          replica.fetched.delete(op.fetchId);
          replica.pendingAppends.push(...batches);
          this.lines.push(
            `${at}: append-replica ${op.baseOffset}..${op.lastOffset} ${batches.map((b) => b.label).join(",")}`,
          );
          break;
        }
        case "truncate":
          invariant(replica.pendingAppends.length === 0, "truncate with appends in flight");
          replica.disk = replica.disk.filter((b) => b.lastOffset < op.offset);
          invariant(diskEnd(replica) === op.offset, "truncation must fall on a batch boundary");
          this.lines.push(`${at}: truncate ${op.offset}`);
          break;
        case "advanceLogStart":
          invariant(
            op.offset >= replica.diskStart && op.offset <= diskEnd(replica),
            "log start out of the log",
          );
          replica.diskStart = op.offset;
          replica.disk = replica.disk.filter((b) => b.lastOffset >= op.offset);
          invariant(
            replica.disk[0] === undefined || replica.disk[0].baseOffset === op.offset,
            "log start inside a batch",
          );
          this.lines.push(`${at}: log-start ${op.offset}`);
          break;
        case "truncateFully":
          invariant(replica.pendingAppends.length === 0, "full truncation with appends in flight");
          replica.disk = [];
          replica.diskStart = op.offset;
          this.lines.push(`${at}: truncate-fully ${op.offset}`);
          break;
        case "epochCheckpoint":
          replica.epochCheckpoint = op.entries;
          this.lines.push(`${at}: epochs ${op.entries.map((e) => `${e.epoch}@${e.startOffset}`).join(" ")}`);
          break;
        case "highWatermark":
          replica.hwCheckpoint = op.offset;
          this.lines.push(`${at}: hw ${op.offset}`);
          break;
      }
    }
    for (const envelope of ready.send) {
      const m = envelope.message;
      let batches: DiskBatch[] = [];
      if (m.type === "fetchResponse") {
        batches = replica.disk.filter(
          (b) => b.baseOffset >= m.readFromOffset && b.lastOffset < m.readToOffset,
        );
        const err = m.errorCode === 0 ? "" : ` ${name(m.errorCode)}`;
        const div =
          m.divergingEpoch === null
            ? ""
            : ` diverging=${m.divergingEpoch.epoch}@${m.divergingEpoch.endOffset}`;
        const read =
          m.readToOffset > m.readFromOffset ? ` read=${m.readFromOffset}..${m.readToOffset - 1}` : "";
        this.lines.push(
          `${at}: -> b${envelope.to} fetch-response e${m.leaderEpoch} hw=${m.highWatermark}${read}${div}${err}`,
        );
      } else if (m.type === "fetch") {
        this.lines.push(
          `${at}: -> b${envelope.to} fetch offset=${m.fetchOffset} last-epoch=${m.lastFetchedEpoch} e${m.currentLeaderEpoch}`,
        );
      } else {
        this.lines.push(
          `${at}: -> controller alter-partition isr=${list(m.newIsr)} e${m.leaderEpoch} pe${m.partitionEpoch}`,
        );
      }
      this.network.push({ from: brokerId, to: envelope.to, partition: p, message: m, batches });
    }
    for (const response of ready.respond) {
      const request = this.requests.get(response.requestId);
      invariant(request !== undefined, "response to an unknown request");
      const ok = response.errorCode === 0;
      const detail = ok ? ` base=${response.baseOffset}${response.duplicate ? " duplicate" : ""}` : "";
      this.lines.push(`${at}: respond ${request.label} ${name(response.errorCode)}${detail}`);
      this.responses.push(response);
      if (ok && request.acks === -1 && !response.duplicate) {
        // The rule that loses data when wrong: acks=all only once every ISR member holds the record
        // and the ISR has at least min.insync.replicas members.
        const lastOffset = response.baseOffset + request.batch.recordCount - 1;
        invariant(
          state.isr.length >= this.options.minInsyncReplicas,
          "acks=all answered below min.insync.replicas",
        );
        for (const id of state.isr) {
          const member = this.broker(id).replicas[p]!;
          invariant(
            diskEnd(member) > lastOffset,
            `acks=all answered before ISR member b${id} had offset ${lastOffset}`,
          );
        }
      }
      if (ok) {
        const lastOffset = response.baseOffset + request.batch.recordCount - 1;
        this.acked.push({
          partition: p,
          label: request.label,
          baseOffset: response.baseOffset,
          lastOffset,
          acks: request.acks,
          duplicate: response.duplicate,
        });
      }
    }
    if (this.options.autoComplete && replica.pendingAppends.length > 0) this.completeAppends(brokerId, p);
  }

  /** The local log finishes every issued append (the shell's I/O completion). */
  completeAppends(brokerId: number, p: number): void {
    const replica = this.broker(brokerId).replicas[p]!;
    if (replica.pendingAppends.length === 0) return;
    for (const batch of replica.pendingAppends) {
      invariant(batch.baseOffset === diskEnd(replica), "appends must land at the log end");
      replica.disk.push(batch);
    }
    replica.pendingAppends = [];
    this.apply(brokerId, p, { type: "appendCompleted", logEndOffset: diskEnd(replica) });
  }

  produce(
    brokerId: number,
    p: number,
    acks: number,
    count: number,
    idem?: { pid: number; epoch: number; seq: number },
    timeoutMs = 60_000,
  ): number {
    const requestId = this.requestIdNext++;
    const batch: partition.ProduceBatch = {
      recordCount: count,
      sizeBytes: 100 * count,
      maxTimestamp: this.nowMs,
      producerId: idem?.pid ?? -1,
      producerEpoch: idem?.epoch ?? -1,
      baseSequence: idem?.seq ?? -1,
    };
    this.requests.set(requestId, { broker: brokerId, partition: p, label: `r${requestId}`, batch, acks });
    this.apply(brokerId, p, { type: "produce", requestId, acks, timeoutMs, batch });
    return requestId;
  }

  /** Delivers the messages queued now (not those their delivery produces), optionally filtered. */
  deliver(filter: (m: InFlight) => boolean = () => true): number {
    const batch = this.network.filter(filter);
    this.network = this.network.filter((m) => !filter(m));
    for (const m of batch) this.deliverOne(m);
    return batch.length;
  }

  /** Delivers the message at `index` of the in-flight queue (any order: the network may reorder). */
  deliverAt(index: number): void {
    const m = this.network[index];
    invariant(m !== undefined, "no such message");
    this.network = [...this.network.slice(0, index), ...this.network.slice(index + 1)];
    this.deliverOne(m);
  }

  dropAt(index: number): void {
    invariant(index >= 0 && index < this.network.length, "no such message");
    this.network = [...this.network.slice(0, index), ...this.network.slice(index + 1)];
  }

  drop(filter: (m: InFlight) => boolean): number {
    const before = this.network.length;
    this.network = this.network.filter((m) => !filter(m));
    return before - this.network.length;
  }

  private deliverOne(m: InFlight): void {
    const message = m.message;
    if (m.to === "controller") {
      invariant(message.type === "alterPartition", "only AlterPartition goes to the controller");
      this.controllerAlterPartition(m.from as number, m.partition, message);
      return;
    }
    const broker = this.broker(m.to);
    if (!broker.up) {
      this.lines.push(`${this.prefix(m.to, m.partition)}: dropped ${message.type} (down)`);
      return;
    }
    if (message.type === "fetch") {
      this.apply(m.to, m.partition, { ...message, type: "fetchFromFollower" });
    } else if (message.type === "fetchResponse") {
      const replica = broker.replicas[m.partition]!;
      replica.fetched.set(message.fetchId, m.batches);
      const batches = m.batches.map((b) => ({ ...b }));
      this.apply(m.to, m.partition, { ...message, type: "fetchResponse", batches });
    } else if (message.type === "alterPartitionResponse") {
      this.apply(m.to, m.partition, message);
    }
  }

  private controllerAlterPartition(
    from: number,
    p: number,
    request: Extract<partition.PeerMessage, { type: "alterPartition" }>,
  ): void {
    const c = this.controller[p]!;
    let errorCode = 0;
    if (request.incarnation !== this.broker(from).restarts) errorCode = producer.errorCode.STALE_BROKER_EPOCH;
    else if (request.leaderEpoch !== c.leaderEpoch || from !== c.leader)
      errorCode = producer.errorCode.FENCED_LEADER_EPOCH;
    else if (request.partitionEpoch !== c.partitionEpoch)
      errorCode = producer.errorCode.INVALID_UPDATE_VERSION;
    // KIP-841: a fenced broker is not eligible to join the ISR.
    else if (request.newIsr.some((id) => this.fenced.has(id)))
      errorCode = producer.errorCode.INELIGIBLE_REPLICA;
    if (errorCode === 0) {
      c.isr = [...request.newIsr];
      c.partitionEpoch++;
    }
    this.lines.push(
      `controller/p${p}: alter-partition from b${from} ${errorCode === 0 ? `isr=${list(c.isr)} pe${c.partitionEpoch}` : name(errorCode)}`,
    );
    // Like KRaft, the committed change reaches every broker through the metadata log as well.
    if (errorCode === 0) this.publish(p);
    const reply: ControllerReply = {
      type: "alterPartitionResponse",
      errorCode,
      leaderEpoch: c.leaderEpoch,
      partitionEpoch: c.partitionEpoch,
      isr: [...c.isr],
    };
    this.network.push({ from: "controller", to: from, partition: p, message: reply, batches: [] });
  }

  /** Pushes the controller's view of partition p to every live replica (metadata propagation). */
  publish(p: number): void {
    const c = this.controller[p]!;
    for (const broker of this.brokers) {
      if (!broker.up || !c.replicas.includes(broker.id)) continue;
      const common = {
        leaderEpoch: c.leaderEpoch,
        partitionEpoch: c.partitionEpoch,
        isr: [...c.isr],
        replicas: [...c.replicas],
      };
      if (c.leader === broker.id) this.apply(broker.id, p, { type: "becomeLeader", ...common });
      else if (c.leader >= 0)
        this.apply(broker.id, p, { type: "becomeFollower", leaderId: c.leader, ...common });
    }
  }

  /** Elects `leader` (or the first live ISR member); refuses anyone outside the ISR. */
  elect(p: number, leader?: number): boolean {
    const c = this.controller[p]!;
    const chosen = leader ?? c.isr.find((id) => this.broker(id).up);
    if (chosen === undefined || !c.isr.includes(chosen) || !this.broker(chosen).up) {
      this.lines.push(`controller/p${p}: refused election of ${chosen ?? "nobody"}: ISR ${list(c.isr)}`);
      return false;
    }
    c.leader = chosen;
    c.leaderEpoch++;
    c.partitionEpoch++;
    this.lines.push(`controller/p${p}: leader b${chosen} e${c.leaderEpoch} isr=${list(c.isr)}`);
    this.publish(p);
    return true;
  }

  /** The controller's reaction to a broker's session expiring (KRaft fencing). */
  fence(id: number): void {
    this.fenced.add(id);
    for (let p = 0; p < this.controller.length; p++) {
      const c = this.controller[p]!;
      if (!c.isr.includes(id)) continue;
      // The last ISR member stays in the ISR so the partition can come back only from it.
      if (c.isr.length > 1) c.isr = c.isr.filter((x) => x !== id);
      if (c.leader === id) {
        const next = c.isr.find((x) => x !== id && this.broker(x).up);
        if (next === undefined) {
          c.leader = -1;
          c.leaderEpoch++;
          c.partitionEpoch++;
          this.lines.push(`controller/p${p}: offline isr=${list(c.isr)}`);
          continue;
        }
        this.elect(p, next);
      } else {
        c.partitionEpoch++;
        this.lines.push(`controller/p${p}: isr=${list(c.isr)} pe${c.partitionEpoch}`);
        this.publish(p);
      }
    }
  }

  /** DeleteRecords (or retention) on a broker: its replica moves its log start, never past its HW. */
  deleteRecords(brokerId: number, p: number, offset: number): void {
    this.apply(brokerId, p, { type: "advanceLogStart", offset });
  }

  crash(id: number): void {
    const broker = this.broker(id);
    broker.up = false;
    for (const replica of broker.replicas) {
      // Unfinished appends are lost with the process.
      replica.pendingAppends = [];
      replica.fetched.clear();
    }
    this.lines.push(`b${id}: crashed`);
  }

  restart(id: number): void {
    const broker = this.broker(id);
    invariant(!broker.up, `broker ${id} is already up`);
    broker.up = true;
    broker.restarts++;
    this.fenced.delete(id);
    broker.replicas.forEach((replica, p) => {
      const logEndOffset = diskEnd(replica);
      let producers = producer.emptyPartitionProducers();
      for (const b of replica.disk) {
        const info = {
          producerId: b.producerId,
          producerEpoch: b.producerEpoch,
          baseSequence: b.baseSequence,
          recordCount: b.lastOffset - b.baseOffset + 1,
        };
        producers = producer.recordBatch(
          producers,
          info,
          b.baseOffset,
          b.lastOffset,
          this.nowMs,
          replica.state.config.producerIdsMax,
        );
      }
      // The core drops epochs at or past the recovered log end and writes the cache back itself.
      const epochs = replica.epochCheckpoint;
      const recovered = {
        logStartOffset: replica.diskStart,
        logEndOffset,
        highWatermark: replica.hwCheckpoint,
        epochs,
        producers,
      };
      replica.state = partition.initialState(replica.state.config, recovered, this.nowMs, broker.restarts);
      const c = this.controller[p]!;
      if (c.leader === -1 && c.isr.includes(id)) this.elect(p, id);
    });
    this.lines.push(`b${id}: restarted`);
    for (let p = 0; p < this.controller.length; p++) this.publish(p);
  }

  tick(ms: number): void {
    this.nowMs += ms;
    for (const broker of this.brokers) {
      if (!broker.up) continue;
      for (let p = 0; p < broker.replicas.length; p++)
        this.apply(broker.id, p, { type: "tick", nowMs: this.nowMs });
    }
  }

  stabilize(): void {
    for (let round = 0; round < stabilizeRoundsMax; round++) {
      if (!this.options.autoComplete) {
        for (const broker of this.brokers) {
          if (!broker.up) continue;
          for (let p = 0; p < broker.replicas.length; p++) this.completeAppends(broker.id, p);
        }
      }
      if (this.network.length === 0) return;
      this.deliver();
    }
    throw new Error("cluster did not stabilize");
  }

  status(): string {
    const out: string[] = [];
    for (let p = 0; p < this.controller.length; p++) {
      const c = this.controller[p]!;
      out.push(
        `p${p} controller: leader=${c.leader} e${c.leaderEpoch} pe${c.partitionEpoch} isr=${list(c.isr)}`,
      );
      for (const broker of this.brokers) {
        const r = broker.replicas[p]!;
        const s = r.state;
        const log = r.disk
          .map(
            (b) =>
              `${b.baseOffset}${b.lastOffset > b.baseOffset ? `..${b.lastOffset}` : ""}:e${b.leaderEpoch}:${b.label}`,
          )
          .join(" ");
        const down = broker.up ? "" : " DOWN";
        out.push(
          `  b${broker.id}${down} ${s.role} e${s.leaderEpoch} leo=${s.logEndOffset} hw=${s.highWatermark} isr=${list(s.isr)} log=[${log}]`,
        );
      }
    }
    return out.join("\n");
  }

  /** Cross-replica safety checks; returns the violations found (none expected). */
  check(): string[] {
    const problems: string[] = [];
    for (let p = 0; p < this.controller.length; p++) {
      const c = this.controller[p]!;
      const replicas = this.brokers.map((b) => ({ id: b.id, r: b.replicas[p]! }));
      // Committed-prefix agreement: any two replicas agree below the smaller of their high watermarks.
      for (const a of replicas) {
        for (const b of replicas) {
          if (a.id >= b.id) continue;
          const limit = Math.min(a.r.state.highWatermark, b.r.state.highWatermark);
          // Below the larger log start one of them may have deleted records on purpose.
          const start = Math.max(a.r.diskStart, b.r.diskStart);
          const inRange = (x: DiskBatch): boolean => x.baseOffset >= start && x.baseOffset < limit;
          const left = a.r.disk.filter(inRange).map((x) => `${x.baseOffset}:${x.label}`);
          const right = b.r.disk.filter(inRange).map((x) => `${x.baseOffset}:${x.label}`);
          if (left.join() !== right.join())
            problems.push(`p${p}: b${a.id} and b${b.id} disagree below ${limit}`);
        }
      }
      // No lost acknowledged write: every acks=all success is in the log of every ISR member at its offset.
      for (const ack of this.acked) {
        if (ack.partition !== p || ack.acks !== -1) continue;
        for (const id of c.isr) {
          const member = this.broker(id).replicas[p]!;
          // Records below a replica's log start were deleted on purpose (DeleteRecords, retention).
          if (ack.lastOffset < member.diskStart) continue;
          const disk = member.disk;
          // A duplicate's label is the retry's; the record at its offset is the original's.
          const found = disk.some(
            (b) => b.baseOffset === ack.baseOffset && (ack.duplicate || b.label === ack.label),
          );
          if (!found) {
            problems.push(`p${p}: acked ${ack.label}@${ack.baseOffset} missing on ISR member b${id}`);
          }
        }
      }
      // Leader completeness: a live leader holds everything any replica ever considered committed.
      if (c.leader >= 0 && this.broker(c.leader).up) {
        const leaderReplica = this.broker(c.leader).replicas[p]!;
        for (const { id, r } of replicas) {
          if (diskEnd(leaderReplica) < r.state.highWatermark) {
            problems.push(
              `p${p}: leader b${c.leader} ends at ${diskEnd(leaderReplica)} below b${id}'s HW ${r.state.highWatermark}`,
            );
          }
        }
      }
    }
    return problems;
  }
}

/** End of a replica's durable log: after its last batch, or its log start when it holds none. */
export function diskEnd(replica: {
  readonly disk: readonly DiskBatch[];
  readonly diskStart: number;
}): number {
  const last = replica.disk[replica.disk.length - 1];
  return last === undefined ? replica.diskStart : last.lastOffset + 1;
}
