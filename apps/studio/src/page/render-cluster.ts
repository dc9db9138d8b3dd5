/**
 * The studio's servers, partitions and consumer groups, drawn with packages/ui's views (the same ones
 * the broker's web console draws): this module only turns the simulator's `ClusterView` into the
 * views' plain data (names as `b1`, `c0`, `k2`; partitions of topic t as `p0`). Owns that mapping; it
 * must never ask the worker for anything or keep state between snapshots.
 */
import type { ClusterView, PartitionView } from "@eddy/sim";
import {
  type BrokerCardsData,
  brokerCards,
  consumerGroup,
  type GroupData,
  h,
  type PartitionLogData,
  partitionLog,
  toDom,
} from "@eddy/ui";

const brokerName = (id: number) => `b${id}`;

export function serversData(view: ClusterView): { brokers: BrokerCardsData; controllers: BrokerCardsData } {
  return {
    brokers: {
      caption: "Brokers",
      factLabels: ["hosts"],
      nodes: view.brokers.map((b) => ({
        name: b.name,
        roles: ["broker"],
        liveness: b.up ? "up" : "down",
        activeController: false,
        facts: [b.coordinator ? "group coordinator" : "-"],
      })),
    },
    controllers: {
      caption: "Controllers (Raft quorum)",
      factLabels: ["Raft role", "term", "commit index"],
      nodes: view.controllers.map((c) => ({
        name: c.name,
        roles: ["controller"],
        liveness: c.up ? "up" : "down",
        activeController: c.active,
        facts: [c.role, c.term, c.commitIndex],
      })),
    },
  };
}

export function renderServers(region: HTMLElement, view: ClusterView): void {
  const { brokers, controllers } = serversData(view);
  region.replaceChildren(toDom(brokerCards(brokers)), toDom(brokerCards(controllers)));
}

export function partitionData(p: PartitionView): PartitionLogData {
  return {
    topic: null,
    partition: p.partition,
    leader: p.leader >= 0 ? brokerName(p.leader) : null,
    leaderEpoch: p.leaderEpoch,
    isr: p.isr.map(brokerName),
    placed: p.assignment.map(brokerName),
    note: null,
    replicas: p.replicas.map((r) => ({
      name: r.broker,
      up: r.up,
      role: r.role,
      leaderEpoch: r.leaderEpoch,
      logStartOffset: r.logStartOffset,
      highWatermark: r.highWatermark,
      logEndOffset: r.logEndOffset,
      isrKnown: r.isr.map(brokerName),
    })),
  };
}

export function renderPartitions(region: HTMLElement, view: ClusterView): void {
  region.replaceChildren(...view.partitions.map((p) => toDom(partitionLog(partitionData(p)))));
}

/** Each group of the run as the views' data: the coordinator's side, then its consumers' own. */
export function groupsData(view: ClusterView): GroupData[] {
  const leaderHighWatermark = (p: number): number | null => {
    const leader = view.partitions[p]?.replicas.find((r) => r.role === "leader");
    return leader?.highWatermark ?? null;
  };
  return view.groups.map((g) => {
    const consumers = view.consumers.filter((k) => k.group === g.id);
    return {
      id: g.id,
      state: g.state,
      generation: g.generation,
      memberCount: g.members,
      memberColumns: ["phase", "generation", "positions"],
      members: consumers.map((k) => ({
        name: k.name,
        assigned: k.assigned.map((p) => `p${p}`),
        cells: [
          k.stable ? "stable" : k.phase,
          k.generation,
          k.positions.map((pos, i) => `p${k.assigned[i]} at ${pos}`).join(", ") || "-",
        ],
      })),
      offsets: g.committed.map((c, p) => ({
        topic: null,
        partition: p,
        committed: c < 0 ? null : c,
        highWatermark: leaderHighWatermark(p),
        owner: consumers.find((k) => k.assigned.includes(p))?.name ?? null,
      })),
    };
  });
}

export function renderGroups(region: HTMLElement, view: ClusterView): void {
  const groups = groupsData(view);
  region.replaceChildren(
    ...(groups.length === 0 ? [toDom(h("p", {}, ["No consumer group yet."]))] : []),
    ...groups.map((g) => toDom(consumerGroup(g, { sentence: { "data-testid": `group-state-${g.id}` } }))),
  );
}
