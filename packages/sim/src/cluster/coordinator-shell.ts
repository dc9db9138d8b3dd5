/**
 * The simulator's binding of the shared node's group coordinator (`GroupCoordinator` of @eddy/node,
 * the only code that steps the core's group machine) on the broker that hosts it. It owns the
 * coordinator's environment here (the broker's skewed clock, its timers, the durable records, which
 * model Kafka's __consumer_offsets as a list that survives crashes and are durable as soon as they are
 * written, and a seed from the run's stream), the mapping between simulated client requests and the
 * core's inputs and answers, and the simulator's hooks: the online checker watches every durable group
 * generation and every accepted commit, and the `stale-generation-commit` and
 * `rebalance-before-owners-rejoin` bug switches wrap the core's step (stale commits stored unfenced;
 * a rebalance timeout far below the session timeout). A crash discards the coordinator; a restart
 * opens a new one on the records. It must never step the core itself nor decide anything the driver
 * decides.
 */

import { group, invariant } from "@eddy/core";
import { GroupCoordinator, type GroupEnv, type GroupHooks, type GroupRequest } from "@eddy/node";
import { topicName } from "./assign.ts";
import type { BrokerNode } from "./broker-node.ts";
import type { ClientRequest, ClientResponse } from "./protocol.ts";
import type { World } from "./world.ts";

export const coordinatorRecordsMax = 500_000;
export const sessionTimeoutMs = 3_000;

/** The rebalance timeout under the `rebalance-before-owners-rejoin` bug: well below a heartbeat interval. */
const rebalanceTimeoutMsBuggy = 100;

/** The core's settings in the simulator: short sessions and delays, so rebalances fit a short run. */
const coreOptions = { sessionTimeoutMsMin: 500, initialRebalanceDelayMs: 100 };

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

export class CoordinatorShell {
  private coordinator: GroupCoordinator | null = null;
  /** The durable records: what every coordinator this broker opens loads; a crash keeps them. */
  private readonly records: group.PersistRecord[] = [];
  private broker: BrokerNode | null = null;
  private readonly env: GroupEnv;
  private readonly hooks: GroupHooks;

  constructor(private readonly w: World) {
    this.env = this.makeEnv();
    this.hooks = this.makeHooks();
  }

  boot(broker: BrokerNode): void {
    this.broker = broker;
    this.coordinator = GroupCoordinator.open(this.env, coreOptions, this.records, this.hooks);
  }

  crash(): void {
    // Waiting requests are dropped unanswered (their answers are `null`, which sends nothing): the
    // clients time out and rediscover the coordinator, as after a real crash.
    this.coordinator?.close();
    this.coordinator = null;
  }

  /** Stable with every member synced, for the liveness phase. */
  groupState(groupId: string): { state: string; generation: number; members: number } | undefined {
    const g = this.coordinator?.coreState.groups.get(groupId);
    if (g === undefined) return undefined;
    return { state: g.state, generation: g.generationId, members: g.members.size };
  }

  committedOffset(groupId: string, partition: number): number {
    return (
      this.coordinator?.coreState.groups.get(groupId)?.offsets.get(topicName)?.get(partition)?.offset ?? -1
    );
  }

  onTimer(): void {
    this.coordinator?.onWakeTimer();
  }

  onRequest(from: number, req: ClientRequest): void {
    const coordinator = this.coordinator;
    if (coordinator === null) return;
    const input = toInput(req);
    if (input === null) return;
    coordinator.request(input, (answer) => {
      if (answer !== null) this.respond(from, req, answer);
    });
  }

  private makeEnv(): GroupEnv {
    const w = this.w;
    return {
      nowMs: () => this.broker!.nowMs,
      wakeAfter: (_c, delayMs) => this.broker!.armCoordinatorTimer(delayMs),
      persist: (_c, _batchId, records) => {
        invariant(
          this.records.length + records.length <= coordinatorRecordsMax,
          "coordinator records exceed their bound",
        );
        for (const r of records) this.records.push(r);
        return true;
      },
      reload: () =>
        invariant(false, "coordinator: the simulator's records are durable on write, never reloaded"),
      seed: () => w.sim.streams.core.nextU32(),
      coreFailed: (_c, _input, error) => {
        // A broken core invariant ends the run, which reports it.
        throw error;
      },
      log: () => {},
    };
  }

  private makeHooks(): GroupHooks {
    const w = this.w;
    return {
      // 8: the generation a coordinator makes durable never goes back (a generation handed out in a
      // JoinGroup answer but never persisted may be handed out again after a failover, as in Kafka).
      persisted: (_c, r) => {
        if (r.kind === "groupMetadata")
          w.online.at(w.sim.nowMs).epoch("groupGeneration", r.groupId, r.generationId);
      },
      step: (_c, state, input, next) => {
        // Known bug: the coordinator gives members a rebalance timeout far below the session timeout,
        // so it completes a rebalance without the members that have not rejoined yet (their next
        // heartbeat, up to 800 ms away, would have told them) and hands their partitions to others
        // while they still own them.
        if (input.type === "joinGroup" && w.bug("rebalance-before-owners-rejoin"))
          return next(state, { ...input, rebalanceTimeoutMs: rebalanceTimeoutMsBuggy });
        if (input.type !== "offsetCommit" || !w.bug("stale-generation-commit")) return next(state, input);
        const g = state.groups.get(input.groupId);
        const fenced =
          g !== undefined && (!g.members.has(input.memberId) || input.generationId !== g.generationId);
        if (!fenced) return next(state, input);
        return acceptUnfenced(state, g, input);
      },
    };
  }

  private respond(client: number, req: ClientRequest, resp: group.Response): void {
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
        const current = this.coordinator?.coreState.groups.get(req.group)?.generationId ?? -1;
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

/** The core input of a simulated client request, or null for one the coordinator does not serve. */
function toInput(req: ClientRequest): GroupRequest | null {
  switch (req.api) {
    case "JoinGroup":
      return {
        type: "joinGroup",
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
        groupId: req.group,
        generationId: req.generation,
        memberId: req.memberId,
        groupInstanceId: null,
      };
    case "LeaveGroup":
      return {
        type: "leaveGroup",
        groupId: req.group,
        members: [{ memberId: req.memberId, groupInstanceId: null }],
      };
    case "OffsetCommit":
      return {
        type: "offsetCommit",
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
    case "OffsetFetch":
      return {
        type: "offsetFetch",
        groupId: req.group,
        partitions: req.partitions.map((p) => ({ topic: topicName, partition: p })),
      };
    default:
      return null;
  }
}

/**
 * The `stale-generation-commit` bug switch, in the core's place: the historical coordinator stored a
 * commit from a stale member or generation without fencing it. The commit goes straight into the
 * group's offsets, with its record, and is answered as accepted; the online checker (16) sees it.
 */
function acceptUnfenced(
  state: group.CoordinatorState,
  g: group.Group,
  input: Extract<group.Input, { type: "offsetCommit" }>,
): group.StepResult {
  const now = state.nowMs;
  let byPartition = g.offsets.get(topicName);
  if (byPartition === undefined) {
    byPartition = new Map();
    g.offsets.set(topicName, byPartition);
  }
  const persist: group.PersistRecord[] = [];
  for (const o of input.offsets) {
    if (!byPartition.has(o.partition)) g.offsetCount++;
    byPartition.set(o.partition, { offset: o.offset, leaderEpoch: -1, metadata: "", commitTimestampMs: now });
    persist.push({
      kind: "offsetCommit",
      groupId: input.groupId,
      topic: topicName,
      partition: o.partition,
      offset: o.offset,
      leaderEpoch: -1,
      metadata: "",
      commitTimestampMs: now,
      generationId: input.generationId,
    });
  }
  const respond: group.Response[] = [
    {
      kind: "offsetCommit",
      requestId: input.requestId,
      partitions: input.offsets.map((o) => ({ topic: topicName, partition: o.partition, errorCode: 0 })),
    },
  ];
  return { state, ready: { persist, respond, nextTickAtMs: null } };
}
