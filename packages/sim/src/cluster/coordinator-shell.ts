/**
 * The group coordinator as hosted by one broker: the core's classic group machine, its durable
 * records (Kafka's __consumer_offsets, modelled as a list that survives crashes) and the mapping
 * between simulated client requests and core inputs. Responses go out only after the step's records
 * are durable (they are, synchronously). A crash discards the machine; a restart rebuilds it with
 * `load`. The `stale-generation-commit` bug switch rewrites stale commits to the current generation.
 */
import { group, invariant } from "@eddy/core";
import { topicName } from "./assign.ts";
import type { BrokerNode } from "./broker-node.ts";
import type { ClientRequest, ClientResponse } from "./protocol.ts";
import type { World } from "./world.ts";

export const coordinatorRecordsMax = 500_000;
export const sessionTimeoutMs = 3_000;

/**
 * The subscription every simulated consumer sends (the one topic, no user data), encoded once: the
 * bytes are the same for every JoinGroup and nothing writes to them.
 */
let subscriptionEncoded: Uint8Array | null = null;

function subscriptionBytes(): Uint8Array {
  if (subscriptionEncoded === null) {
    subscriptionEncoded = group.assignors.encodeSubscription({
      topics: [topicName],
      userData: null,
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    });
  }
  return subscriptionEncoded;
}

interface Pending {
  readonly client: number;
  readonly req: ClientRequest;
}

export class CoordinatorShell {
  private state: group.CoordinatorState | null = null;
  private readonly records: group.PersistRecord[] = [];
  private broker: BrokerNode | null = null;
  private requestIdNext = 1;
  private readonly pending = new Map<number, Pending>();
  private tickArmedAtMs = Number.POSITIVE_INFINITY;

  constructor(private readonly w: World) {}

  boot(broker: BrokerNode): void {
    this.broker = broker;
    this.pending.clear();
    this.tickArmedAtMs = Number.POSITIVE_INFINITY;
    const seed = this.w.sim.streams.core.nextU32();
    this.state = group.initialState(
      { seed, sessionTimeoutMsMin: 500, initialRebalanceDelayMs: 100 },
      broker.nowMs,
    );
    this.step({ type: "load", records: [...this.records] });
  }

  crash(): void {
    this.state = null;
    this.pending.clear();
  }

  /** Stable with every member synced, for the liveness phase. */
  groupState(groupId: string): { state: string; generation: number; members: number } | undefined {
    const g = this.state?.groups.get(groupId);
    if (g === undefined) return undefined;
    return { state: g.state, generation: g.generationId, members: g.members.size };
  }

  committedOffset(groupId: string, partition: number): number {
    return this.state?.groups.get(groupId)?.offsets.get(topicName)?.get(partition)?.offset ?? -1;
  }

  onTimer(): void {
    this.tickArmedAtMs = Number.POSITIVE_INFINITY;
    this.step(null);
  }

  private step(input: group.Input | null): void {
    if (this.state === null) return;
    const now = this.broker!.nowMs;
    if (this.state.nowMs < now) this.act(group.step(this.state, { type: "tick", nowMs: now }));
    if (input !== null) this.act(group.step(this.state, input));
  }

  private act(res: group.StepResult): void {
    this.state = res.state;
    const ready = res.ready;
    for (const r of ready.persist) {
      invariant(this.records.length < coordinatorRecordsMax, "coordinator records exceed their bound");
      this.records.push(r);
      // 8: the generation a coordinator makes durable never goes back (a generation handed out in a
      // JoinGroup answer but never persisted may be handed out again after a failover, as in Kafka).
      if (r.kind === "groupMetadata")
        this.w.online.at(this.w.sim.nowMs).epoch("groupGeneration", r.groupId, r.generationId);
    }
    for (const resp of ready.respond) this.respond(resp);
    const next = ready.nextTickAtMs;
    if (next !== null && next < this.tickArmedAtMs) {
      this.tickArmedAtMs = next;
      this.broker!.armCoordinatorTimer(Math.max(0, next - this.broker!.nowMs));
    }
  }

  onRequest(from: number, req: ClientRequest): void {
    if (this.state === null) return;
    const requestId = this.requestIdNext++;
    this.pending.set(requestId, { client: from, req });
    const input = this.toInput(requestId, req);
    if (input === null) return;
    this.step(input);
  }

  private toInput(requestId: number, req: ClientRequest): group.Input | null {
    switch (req.api) {
      case "JoinGroup":
        return {
          type: "joinGroup",
          requestId,
          groupId: req.group,
          memberId: req.memberId,
          groupInstanceId: null,
          protocolType: "consumer",
          protocols: [{ name: req.protocol, metadata: subscriptionBytes() }],
          sessionTimeoutMs,
          rebalanceTimeoutMs: sessionTimeoutMs,
          apiVersion: 5,
          clientId: "sim",
          clientHost: "sim",
        };
      case "SyncGroup":
        return {
          type: "syncGroup",
          requestId,
          groupId: req.group,
          generationId: req.generation,
          memberId: req.memberId,
          groupInstanceId: null,
          protocolType: null,
          protocolName: null,
          assignments: req.assignments.map((a) => ({
            memberId: a.memberId,
            assignment: group.assignors.encodeAssignment({
              assignedPartitions: [{ topic: topicName, partitions: a.partitions }],
              userData: null,
            }),
          })),
        };
      case "Heartbeat":
        return {
          type: "heartbeat",
          requestId,
          groupId: req.group,
          generationId: req.generation,
          memberId: req.memberId,
          groupInstanceId: null,
        };
      case "LeaveGroup":
        return {
          type: "leaveGroup",
          requestId,
          groupId: req.group,
          members: [{ memberId: req.memberId, groupInstanceId: null }],
        };
      case "OffsetCommit": {
        const g = this.state!.groups.get(req.group);
        const current = g?.generationId ?? -1;
        const fenced = g === undefined || !g.members.has(req.memberId) || req.generation !== current;
        if (this.w.bug("stale-generation-commit") && fenced && g !== undefined) {
          // Historical bug: the coordinator stores commits without fencing stale members and
          // generations. Emulated beside the core: the commit goes straight into the group's offsets.
          this.acceptUnfenced(requestId, req, g);
          return null;
        }
        return {
          type: "offsetCommit",
          requestId,
          groupId: req.group,
          generationId: req.generation,
          memberId: req.memberId,
          groupInstanceId: null,
          apiVersion: 8,
          offsets: req.offsets.map((o) => ({
            topic: topicName,
            partition: o.partition,
            offset: o.offset,
            leaderEpoch: -1,
            metadata: null,
          })),
        };
      }
      case "OffsetFetch":
        return {
          type: "offsetFetch",
          requestId,
          groupId: req.group,
          partitions: req.partitions.map((p) => ({ topic: topicName, partition: p })),
        };
      default:
        this.pending.delete(requestId);
        return null;
    }
  }

  private acceptUnfenced(
    requestId: number,
    req: Extract<ClientRequest, { api: "OffsetCommit" }>,
    g: group.Group,
  ): void {
    const w = this.w;
    const now = this.broker!.nowMs;
    let byPartition = g.offsets.get(topicName);
    if (byPartition === undefined) {
      byPartition = new Map();
      g.offsets.set(topicName, byPartition);
    }
    for (const o of req.offsets) {
      if (!byPartition.has(o.partition)) g.offsetCount++;
      byPartition.set(o.partition, {
        offset: o.offset,
        leaderEpoch: -1,
        metadata: "",
        commitTimestampMs: now,
      });
      this.records.push({
        kind: "offsetCommit",
        groupId: req.group,
        topic: topicName,
        partition: o.partition,
        offset: o.offset,
        leaderEpoch: -1,
        metadata: "",
        commitTimestampMs: now,
        generationId: req.generation,
      });
      w.online
        .at(w.sim.nowMs)
        .commitAccepted(req.group, o.partition, o.offset, req.generation, g.generationId);
    }
    this.respond({
      kind: "offsetCommit",
      requestId,
      partitions: req.offsets.map((o) => ({ topic: topicName, partition: o.partition, errorCode: 0 })),
    });
  }

  private respond(
    resp:
      | group.Response
      | {
          kind: "offsetCommit";
          requestId: number;
          partitions: { topic: string; partition: number; errorCode: number }[];
        },
  ): void {
    const pend = this.pending.get(resp.requestId);
    if (pend === undefined) return;
    this.pending.delete(resp.requestId);
    const { client, req } = pend;
    const w = this.w;
    let out: ClientResponse | null = null;
    switch (resp.kind) {
      case "joinGroup":
        if (resp.errorCode === 0 && resp.generationId > 1 && resp.leaderId === resp.memberId)
          w.probes.hit("rebalance");
        out = {
          api: "JoinGroup",
          corr: req.corr,
          error: group.errorName(resp.errorCode),
          generation: resp.generationId,
          memberId: resp.memberId,
          leader: resp.leaderId,
          protocol: resp.protocolName === "roundrobin" ? "roundrobin" : "range",
          members: resp.members.map((m) => m.memberId),
        };
        break;
      case "syncGroup": {
        let partitions: number[] = [];
        if (resp.errorCode === 0 && resp.assignment.length > 0) {
          const a = group.assignors.decodeAssignment(resp.assignment);
          partitions = a.assignedPartitions.flatMap((tp) =>
            tp.topic === topicName ? [...tp.partitions] : [],
          );
        }
        out = { api: "SyncGroup", corr: req.corr, error: group.errorName(resp.errorCode), partitions };
        break;
      }
      case "heartbeat":
        out = { api: "Heartbeat", corr: req.corr, error: group.errorName(resp.errorCode) };
        break;
      case "leaveGroup":
        out = { api: "LeaveGroup", corr: req.corr, error: group.errorName(resp.errorCode) };
        break;
      case "offsetCommit": {
        invariant(req.api === "OffsetCommit", "commit answer for another request");
        const current = this.state?.groups.get(req.group)?.generationId ?? -1;
        let error = "NONE";
        for (const p of resp.partitions) {
          if (p.errorCode !== 0) {
            error = group.errorName(p.errorCode);
            w.probes.hit(`commit-${error}`);
            continue;
          }
          const offset = req.offsets.find((o) => o.partition === p.partition)?.offset ?? -1;
          w.online.at(w.sim.nowMs).commitAccepted(req.group, p.partition, offset, req.generation, current);
        }
        out = { api: "OffsetCommit", corr: req.corr, error };
        break;
      }
      case "offsetFetch":
        out = {
          api: "OffsetFetch",
          corr: req.corr,
          error: group.errorName(resp.errorCode),
          offsets: resp.partitions.map((p) => ({ partition: p.partition, offset: p.committedOffset })),
        };
        break;
      default:
        out = null;
    }
    if (out !== null) this.broker!.reply(client, out);
  }
}
