/**
 * The Kafka cluster model: 3 brokers running the core's partition replicas (broker 0 also hosts the
 * group coordinator), a 3-node controller quorum, producers with acks 0, 1 and all (keyed or not,
 * idempotent or not) and a consumer group. It also answers the liveness questions (invariants 20
 * to 23) and reads the final committed logs for the history checkers.
 */
import { invariant } from "@eddy/core";
import { type FinalLogs, retentionDeletedValue } from "../check-history.ts";
import type { ClientInput, ClusterFactory, ClusterModel, LivenessGap } from "../run.ts";
import { retentionOn } from "../run-config.ts";
import type { SimNode } from "../simulator.ts";
import { BrokerNode } from "./broker-node.ts";
import type { ClusterView, PartitionView } from "./cluster-view.ts";
import { ConsumerClient } from "./consumer-client.ts";
import { ControllerNode } from "./controller-node.ts";
import { CoordinatorShell } from "./coordinator-shell.ts";
import { ProducerClient, type ProducerSpec } from "./producer-client.ts";
import type { World } from "./world.ts";

export const groupId = "g";
export const brokerCount = 3;
export const controllerCount = 3;

const producerSpecs: readonly Omit<ProducerSpec, "name">[] = [
  { acks: -1, idempotent: true, keyed: true },
  { acks: -1, idempotent: false, keyed: false },
  { acks: 1, idempotent: false, keyed: true },
  { acks: 0, idempotent: false, keyed: false },
  { acks: -1, idempotent: true, keyed: false },
];

/** Spare consumers a model may hold for learners to add, at most. */
export const spareConsumersMax = 4;

/** What a teaching run may change about the model; `kafkaCluster` is every simulation run's. */
export interface KafkaClusterOptions {
  /** Consumers built but not started, which a learner's `addConsumer` input starts, in order. */
  readonly spareConsumers: number;
  /** Whether the workload's consumers leave and rejoin at random. */
  readonly consumerChurn: boolean;
  /** The group spare consumers join (absent: the workload's group), for a second, independent group. */
  readonly spareGroup?: string;
  /**
   * Whether brokers feed their replicas the ISR eligibility list from each image (absent: on, as the
   * broker does). Off only to show the clean-stop stall it prevents (scenarios test).
   */
  readonly isrEligibilityFeed?: boolean;
}

export const kafkaClusterDefaults: KafkaClusterOptions = { spareConsumers: 0, consumerChurn: true };

/** The model of every simulation run: no spare consumers, churn on. */
export const kafkaCluster: ClusterFactory = (w) => kafkaModel(w, kafkaClusterDefaults);

/** The model with teaching options (the studio's lessons); the defaults give `kafkaCluster`. */
export function kafkaClusterWith(options: KafkaClusterOptions): ClusterFactory {
  invariant(
    Number.isInteger(options.spareConsumers) &&
      options.spareConsumers >= 0 &&
      options.spareConsumers <= spareConsumersMax,
    "kafkaClusterWith: bad spare consumer count",
  );
  return (w) => kafkaModel(w, options);
}

function kafkaModel(w: World, options: KafkaClusterOptions): ClusterModel {
  const brokerNames = Array.from({ length: brokerCount }, (_, i) => `b${i}`);
  const controllerNames = Array.from({ length: controllerCount }, (_, i) => `c${i}`);
  const coordinator = new CoordinatorShell(w);
  const brokers = brokerNames.map(
    (n, i) => new BrokerNode(w, n, i, i === 0 ? coordinator : null, options.isrEligibilityFeed ?? true),
  );
  const controllers = controllerNames.map((n, i) => new ControllerNode(w, n, i));
  invariant(w.config.workload.producers <= producerSpecs.length, "too many producers for the specs");
  const producers = Array.from(
    { length: w.config.workload.producers },
    (_, i) => new ProducerClient(w, { name: `p${i}`, ...producerSpecs[i]! }),
  );
  const consumers: ConsumerClient[] = [];
  const protocolPick = () => (w.sim.streams.workload.int(0, 1) === 0 ? "range" : "roundrobin");
  let protocol: "range" | "roundrobin" = "range";
  const consumerOptions = { churn: options.consumerChurn };
  for (let i = 0; i < w.config.workload.consumers; i++) {
    consumers.push(new ConsumerClient(w, `k${i}`, groupId, () => protocol, consumerOptions));
  }
  const spares: ConsumerClient[] = [];
  for (let i = 0; i < options.spareConsumers; i++) {
    const name = `k${w.config.workload.consumers + i}`;
    spares.push(new ConsumerClient(w, name, options.spareGroup ?? groupId, () => protocol, consumerOptions));
  }
  // Spares sit last in the node table, so a model without them numbers every node as before.
  const nodes: SimNode[] = [...brokers, ...controllers, ...producers, ...consumers, ...spares];
  const allConsumers = [...consumers, ...spares];
  /** The group's members now: started and not removed (every consumer, in a run without a learner). */
  const members = () => allConsumers.filter((k) => k.active);
  /**
   * The groups with members now, the workload's first; with one group (every run but a teaching one)
   * the liveness checks below are exactly the one-group checks, messages included.
   */
  const groupsOf = (ks: readonly ConsumerClient[]) => {
    const ids = [groupId];
    for (const k of ks) if (!ids.includes(k.group)) ids.push(k.group);
    return ids.map((id) => ({ id, members: ks.filter((k) => k.group === id) }));
  };
  const groupName = (id: string) => (id === groupId ? "group" : `group ${id}`);
  const partitions = w.config.workload.partitions;

  const activeController = () => controllers.find((c) => c.isActive && w.sim.isUp(c.index));

  const model: ClusterModel = {
    nodes,
    brokerNames,
    controllerNames,
    pausableClientNames: consumers.map((k) => k.name),
    start() {
      w.brokers = brokers.map((b) => b.index);
      w.brokerLog = (id, p) => {
        const b = brokers[id];
        return b !== undefined && w.sim.isUp(b.index) ? b.replicaLog(p) : undefined;
      };
      w.committedIsr = (p) => {
        let newest: ReturnType<ControllerNode["image"]>;
        for (const c of controllers) {
          if (!w.sim.isUp(c.index)) continue;
          const image = c.image();
          if (image !== undefined && (newest === undefined || image.offset > newest.offset)) newest = image;
        }
        return newest?.topics.t?.partitions[p]?.isr;
      };
      w.controllers = controllers.map((c) => c.index);
      protocol = protocolPick();
      for (const c of controllers) c.start();
      for (const b of brokers) b.start();
      for (const p of producers) p.start();
      for (const k of consumers) k.start();
    },
    resolveNode(alias: string): string | undefined {
      const [role, arg] = alias.split(":");
      if (role === "controller") return activeController()?.name;
      const p = Number(arg);
      const meta = activeController()?.image()?.topics.t?.partitions[p];
      if (meta === undefined) return undefined;
      if (role === "leader") return meta.leader >= 0 ? brokers[meta.leader]?.name : undefined;
      if (role === "follower") {
        // The first live in-sync follower, so successive "follower:P" events take different ones.
        const id = meta.isr.find((b) => b !== meta.leader && w.sim.isUp(brokers[b]!.index));
        return id === undefined ? undefined : brokers[id]?.name;
      }
      return undefined;
    },
    onLiveness() {
      for (const k of members()) k.rejoin();
    },
    learnerInput(input: ClientInput, dryRun: boolean): string | undefined {
      switch (input.kind) {
        case "produce": {
          const p = producers.find((x) => x.name === input.producer);
          if (p === undefined) return `no producer ${input.producer}`;
          return p.queueLearnerRecord(input.key, dryRun);
        }
        case "producer": {
          const p = producers.find((x) => x.name === input.producer);
          if (p === undefined) return `no producer ${input.producer}`;
          return p.setLearnerSettings(input.acks, input.partitioner, input.key, dryRun);
        }
        case "addConsumer": {
          const spare = spares.find((k) => !k.wasStarted);
          if (spare === undefined) return "no spare consumer left to add";
          if (!dryRun) spare.start();
          return undefined;
        }
        case "removeConsumer": {
          const k = allConsumers.find((x) => x.name === input.consumer);
          if (k === undefined || !k.active) return `no active consumer ${input.consumer}`;
          if (!dryRun) k.remove();
          return undefined;
        }
      }
    },
    disks: () => brokers.map((b) => ({ node: b.name, disk: b.disk })),
    storage: () => brokers.map((b) => ({ node: b.name, counters: b.storageCounters() })),
    livenessGaps(complete = true): LivenessGap[] {
      const gaps: LivenessGap[] = [];
      const consumers = members();
      const groups = groupsOf(consumers);
      // Comparing replica logs decodes them whole; it runs last, and only when it can decide the answer.
      const logChecks: (() => void)[] = [];
      const active = activeController();
      if (active === undefined) return [{ invariant: 20, message: "no active controller" }];
      const topic = active.image()?.topics.t;
      if (topic === undefined) {
        // A replication-factor-3 topic needs 3 live brokers; with one left down it cannot exist yet.
        if (brokers.filter((b) => w.sim.isUp(b.index)).length < brokerCount) {
          w.probes.hit("topic-uncreatable-fault-model");
          return [];
        }
        return [{ invariant: 20, message: "topic not created" }];
      }
      const up = (b: BrokerNode) => w.sim.isUp(b.index);
      const offline = new Set<number>();
      for (const meta of topic.partitions) {
        const p = meta.partition;
        // Every in-sync replica is among the brokers left down: the fault model (a majority healed)
        // does not promise this partition comes back, so it is exempt (and counted).
        if (!meta.isr.some((id) => up(brokers[id]!))) {
          offline.add(p);
          continue;
        }
        const leader = meta.leader >= 0 ? brokers[meta.leader] : undefined;
        const ls = leader?.replicaState(p);
        // A leader that is down is not acting, whatever its last state said (its disk is not readable).
        if (
          leader === undefined ||
          !up(leader) ||
          ls === undefined ||
          ls.role !== "leader" ||
          ls.leaderEpoch !== meta.leaderEpoch
        ) {
          gaps.push({
            invariant: 20,
            message: `p=${p} has no acting leader (image leader ${meta.leader} epoch ${meta.leaderEpoch})`,
          });
          continue;
        }
        const liveReplicas = meta.replicas.filter((id) => up(brokers[id]!));
        if (meta.isr.length !== liveReplicas.length || !liveReplicas.every((id) => meta.isr.includes(id)))
          gaps.push({
            invariant: 22,
            message: `p=${p} ISR [${meta.isr.join(",")}] is not every live replica`,
          });
        if (ls.highWatermark !== ls.logEndOffset)
          gaps.push({
            invariant: 22,
            message: `p=${p} leader HW ${ls.highWatermark} < LEO ${ls.logEndOffset}`,
          });
        logChecks.push(() => {
          // Decoded lazily: while a replica's end differs, the logs differ without reading them.
          let leaderValues: number[] | undefined;
          for (const b of brokers) {
            if (b === leader || !up(b)) continue;
            const log = b.replicaLog(p)!;
            if (log.end === ls.logEndOffset)
              leaderValues ??= leader.replicaLog(p)!.values(0, ls.logEndOffset, false);
            if (log.end !== ls.logEndOffset || !sameValues(log.values(0, log.end, false), leaderValues!)) {
              gaps.push({
                invariant: 22,
                message: `p=${p} replica ${b.name} log (end ${log.end}) differs from leader ${leader.name} (end ${ls.logEndOffset})`,
              });
            }
          }
        });
        for (const k of consumers) {
          if (!k.assignedPartitions.includes(p)) continue;
          const pos = k.position(p) ?? -1;
          if (pos !== ls.highWatermark)
            gaps.push({ invariant: 21, message: `${k.name} at ${pos} on p=${p}, HW ${ls.highWatermark}` });
        }
        for (const group of groups) {
          if (group.members.length === 0) continue;
          const committed = coordinator.committedOffset(group.id, p);
          if (committed !== ls.highWatermark)
            gaps.push({
              invariant: 23,
              message: `${groupName(group.id)} committed p=${p} at ${committed}, HW ${ls.highWatermark}`,
            });
        }
      }
      for (const pr of producers)
        if (!pr.idle && !offline.has(pr.inflightPartition))
          gaps.push({ invariant: 21, message: `${pr.name} still has a send in flight` });
      if (offline.size > 0 && gaps.length === 0) w.probes.hit("partition-offline-fault-model");
      for (const group of groups) {
        const groupMembers = group.members;
        if (groupMembers.length === 0) continue;
        const g = coordinator.groupState(group.id);
        if (g === undefined || g.state !== "Stable" || g.members !== groupMembers.length) {
          gaps.push({
            invariant: 23,
            message: `${groupName(group.id)} ${g?.state ?? "missing"} with ${g?.members ?? 0}/${groupMembers.length} members`,
          });
        }
        const owned = new Set<number>();
        for (const k of groupMembers) {
          if (!k.stable) gaps.push({ invariant: 23, message: `${k.name} not stable` });
          for (const p of k.assignedPartitions) owned.add(p);
        }
        if (owned.size !== partitions)
          gaps.push({
            invariant: 23,
            message: `${group.id === groupId ? "" : `${group.id}: `}${owned.size}/${partitions} partitions assigned`,
          });
      }
      if (complete || gaps.length === 0) for (const check of logChecks) check();
      return gaps;
    },
    view(): ClusterView {
      const up = (index: number) => w.sim.isUp(index);
      const groupView = (id: string) => {
        const g = coordinator.groupState(id);
        return {
          id,
          state: g?.state ?? "missing",
          generation: g?.generation ?? -1,
          members: g?.members ?? 0,
          committed: Array.from({ length: partitions }, (_, p) => coordinator.committedOffset(id, p)),
        };
      };
      let newest: ReturnType<ControllerNode["image"]>;
      for (const c of controllers) {
        if (!up(c.index)) continue;
        const image = c.image();
        if (image !== undefined && (newest === undefined || image.offset > newest.offset)) newest = image;
      }
      const metas = newest?.topics.t?.partitions;
      const partitionViews: PartitionView[] = [];
      for (let p = 0; p < partitions; p++) {
        const meta = metas?.[p];
        partitionViews.push({
          partition: p,
          leader: meta?.leader ?? -1,
          leaderEpoch: meta?.leaderEpoch ?? -1,
          isr: meta?.isr ?? [],
          assignment: meta?.replicas ?? [],
          replicas: brokers.map((b) => {
            const s = up(b.index) ? b.replicaState(p) : undefined;
            return {
              broker: b.name,
              up: up(b.index),
              role: s?.role ?? (up(b.index) ? "none" : "down"),
              leaderEpoch: s?.leaderEpoch ?? -1,
              logStartOffset: s?.logStartOffset ?? 0,
              logEndOffset: s?.logEndOffset ?? 0,
              highWatermark: s?.highWatermark ?? 0,
              isr: s?.isr ?? [],
            };
          }),
        });
      }
      return {
        brokers: brokers.map((b, i) => ({ name: b.name, id: i, up: up(b.index), coordinator: i === 0 })),
        controllers: controllers.map((c) => {
          const q = up(c.index) ? c.quorumView() : undefined;
          return {
            name: c.name,
            up: up(c.index),
            role: q?.role ?? (up(c.index) ? "booting" : "down"),
            term: q?.term ?? 0,
            commitIndex: q?.commitIndex ?? 0,
            active: up(c.index) && c.isActive,
          };
        }),
        partitions: partitionViews,
        consumers: members().map((k) => ({
          name: k.name,
          group: k.group,
          stable: k.stable,
          assigned: k.assignedPartitions,
          phase: k.phaseName,
          generation: k.generationId,
          positions: k.assignedPartitions.map((p) => k.position(p) ?? -1),
          offsetResets: k.offsetResets,
        })),
        producers: producers.map((p) => ({
          name: p.name,
          acks: p.acks,
          idempotent: p.spec.idempotent,
          keyed: p.spec.keyed,
          partitioner: p.partitionerName,
          inflightPartition: p.inflightPartition,
          learnerQueued: p.learnerQueued,
        })),
        group: groupView(groupId),
        groups: groupsOf(members()).map((g) => groupView(g.id)),
      };
    },
    finalLogs(): FinalLogs {
      const out = new Map<number, number[]>();
      const topic = activeController()?.image()?.topics.t;
      for (let p = 0; p < partitions; p++) {
        const meta = topic?.partitions[p];
        // Offline by the fault model (its whole ISR was left down): no final log to check against.
        if (meta !== undefined && !meta.isr.some((id) => w.sim.isUp(brokers[id]!.index))) continue;
        const leaderId = meta?.leader ?? -1;
        let best: BrokerNode | undefined = leaderId >= 0 ? brokers[leaderId] : undefined;
        if (best?.replicaState(p)?.role !== "leader") {
          best = undefined;
          for (const b of brokers) {
            const s = b.replicaState(p);
            if (
              s !== undefined &&
              (best === undefined || s.highWatermark > best.replicaState(p)!.highWatermark)
            )
              best = b;
          }
        }
        // The committed log lives on a down broker: no final log to check against.
        if (best === undefined || !w.sim.isUp(best.index)) continue;
        const log = best.replicaLog(p)!;
        const values = log.values(0, Math.min(best.replicaState(p)!.highWatermark, log.durableEnd), false);
        // Offsets retention deleted are marked so the checkers let them go (runs with retention only).
        if (retentionOn(w.config.workload))
          for (let o = 0; o < Math.min(log.start, values.length); o++) values[o] = retentionDeletedValue;
        out.set(p, values);
      }
      return out;
    },
  };
  return model;
}

/** Whether two logs hold the same values (as their comma-joined text would compare, without building it). */
function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
