/**
 * The test-only fault hook of a node's links to its peers (issue 12: "the transport's own fault
 * hook"): named peers are cut off outbound (this node's connections to them close at once and none
 * opens until healed, on every pool of the cluster link), inbound (what they send is refused: their
 * internal messages are dropped, and a Kafka request from their peer clients, `eddy-node-N` or
 * `eddy-replica-fetcher-N`, closes its connection unanswered), or both. Every exchange between two
 * nodes travels on a connection one of them opened, so cutting both directions on one node isolates it
 * from the named peers whatever listener each exchange uses (the controller listener for the quorum,
 * the inter-broker listener for replication).
 *
 * Owns the two cut sets and one `PeerFaults` per pool and peer (a hook serves one client). Must never
 * be armed in production: only the admin route `POST /v1/faults` arms it, and it refuses unless the
 * node was started with `eddy.test.fault.injection.enable=true`; with nothing cut it changes nothing.
 */
import { PeerFaults } from "../net/peer-faults.ts";

export type CutDirection = "in" | "out" | "both";
export const cutDirections: readonly CutDirection[] = ["in", "out", "both"];

/** The most peers one cut names (a cluster's nodes; the peer pool holds at most as many). */
export const cutPeersMax = 1_000;

/** The client ids a node's peer pools send with (`cluster-link.ts`), and the node id they carry. */
const peerClientIdPattern = /^eddy-(?:node|replica-fetcher)-(\d{1,10})$/;

export class PeerCuts {
  private readonly outbound = new Set<number>();
  private readonly inbound = new Set<number>();
  /** One table per pool: its hook for each peer it asked about. */
  private readonly hookTables: Map<number, PeerFaults>[] = [];

  /** The `faultsFor` of one pool; each call makes a new table, since a hook serves one client. */
  faultsForPool(): (nodeId: number) => PeerFaults {
    const table = new Map<number, PeerFaults>();
    this.hookTables.push(table);
    return (nodeId) => {
      let hook = table.get(nodeId);
      if (hook === undefined) {
        if (table.size >= cutPeersMax) throw new RangeError(`more than ${cutPeersMax} peers in one pool`);
        hook = new PeerFaults();
        table.set(nodeId, hook);
      }
      // A client made for a peer that is cut already (its address changed) starts cut.
      if (this.outbound.has(nodeId) && !hook.isCut) hook.cut();
      return hook;
    };
  }

  /** Cuts the named peers off in `direction`; cuts already made stay. */
  cut(nodeIds: readonly number[], direction: CutDirection): void {
    checkIds(nodeIds);
    for (const id of nodeIds) {
      if (direction !== "in") {
        this.outbound.add(id);
        for (const table of this.hookTables) table.get(id)?.cut();
      }
      if (direction !== "out") this.inbound.add(id);
    }
  }

  /** Heals the named peers in `direction`, or every cut when `nodeIds` is null. */
  heal(nodeIds: readonly number[] | null, direction: CutDirection = "both"): void {
    const ids = nodeIds ?? [...new Set([...this.outbound, ...this.inbound])];
    checkIds(ids);
    for (const id of ids) {
      if (direction !== "in") {
        this.outbound.delete(id);
        for (const table of this.hookTables) table.get(id)?.heal();
      }
      if (direction !== "out") this.inbound.delete(id);
    }
  }

  /** True when messages from `nodeId` are refused here. */
  isCutIn(nodeId: number): boolean {
    return this.inbound.has(nodeId);
  }

  /** The peer a request's client id names when that peer is cut off inbound, else null. */
  refusedClient(clientId: string | null): number | null {
    if (this.inbound.size === 0 || clientId === null) return null;
    const match = peerClientIdPattern.exec(clientId);
    if (match === null) return null;
    const nodeId = Number(match[1]);
    return this.inbound.has(nodeId) ? nodeId : null;
  }

  /** What is cut now, for the admin route's answer and the node's log. */
  get state(): { readonly out: readonly number[]; readonly in: readonly number[] } {
    return { out: [...this.outbound].sort((a, b) => a - b), in: [...this.inbound].sort((a, b) => a - b) };
  }
}

function checkIds(nodeIds: readonly number[]): void {
  if (nodeIds.length > cutPeersMax) throw new RangeError(`${nodeIds.length} peers, more than ${cutPeersMax}`);
  for (const id of nodeIds) {
    if (!Number.isSafeInteger(id) || id < 0)
      throw new RangeError(`a peer id must be a node id (>= 0), not ${id}`);
  }
}
