/**
 * This node's clients to its peers: exactly one `PeerClient` (one connection) per peer node id, made
 * when the peer is first named and replaced when its address changes. A peer named `secured` is
 * reached with the pool's `security` (the inter-broker listener's TLS and SASL); the others in
 * plaintext (a voter's controller listener). Owns the table of peers and
 * its bound; it must never share a client between two peers, so a peer that is down or cut off only
 * ever fails the requests sent to it.
 */
import type { ApiKey, RequestInputByKey, ResponseByKey } from "@eddy/protocol";
import {
  type PeerAddress,
  PeerClient,
  type PeerClientOptions,
  PeerRequestError,
  type PeerSecurity,
} from "./peer-client.ts";
import type { PeerFaults } from "./peer-faults.ts";

/** The most peers one node keeps clients for; a cluster larger than this is not one this broker runs. */
export const peersMax = 1_000;

/** A peer as the pool names it: where, and whether the pool's `security` applies to it. */
export interface PoolPeer extends PeerAddress {
  readonly secured?: boolean;
}

export interface PeerPoolOptions extends Omit<PeerClientOptions, "faults" | "security"> {
  /** What a `secured` peer's connection presents; without it every peer is plaintext. */
  readonly security?: PeerSecurity;
  /** The fault hook of each peer's connection, for tests; none in production. */
  readonly faultsFor?: (nodeId: number) => PeerFaults | undefined;
}

export class PeerPool {
  private readonly clients = new Map<number, PeerClient>();

  constructor(private readonly options: PeerPoolOptions) {}

  /** Names the peers: new ones get a client, a changed address a new client, the rest are closed. */
  setPeers(peers: readonly PoolPeer[]): void {
    if (peers.length > peersMax) throw new RangeError(`${peers.length} peers, more than ${peersMax}`);
    const named = new Set<number>();
    for (const peer of peers) {
      if (named.has(peer.nodeId)) throw new RangeError(`peer ${peer.nodeId} is named twice`);
      named.add(peer.nodeId);
      const current = this.clients.get(peer.nodeId);
      const security = peer.secured === true ? this.options.security : undefined;
      if (
        current !== undefined &&
        current.peer.host === peer.host &&
        current.peer.port === peer.port &&
        current.security === security
      )
        continue;
      current?.close();
      const faults = this.options.faultsFor?.(peer.nodeId);
      const { security: _, ...options } = this.options;
      const address = { nodeId: peer.nodeId, host: peer.host, port: peer.port };
      this.clients.set(
        peer.nodeId,
        new PeerClient(address, {
          ...options,
          ...(faults ? { faults } : {}),
          ...(security ? { security } : {}),
        }),
      );
    }
    for (const [nodeId, client] of this.clients) {
      if (named.has(nodeId)) continue;
      client.close();
      this.clients.delete(nodeId);
    }
  }

  client(nodeId: number): PeerClient | undefined {
    return this.clients.get(nodeId);
  }

  /** Sends a request to one peer; a peer not named answers at once with `PeerDown`. */
  request<K extends ApiKey>(
    nodeId: number,
    apiKey: K,
    apiVersion: number,
    body: RequestInputByKey[K],
    timeoutMs?: number,
  ): Promise<ResponseByKey[K]> {
    const client = this.clients.get(nodeId);
    if (client === undefined) {
      return Promise.reject(
        new PeerRequestError("PeerDown", { nodeId, host: "?", port: 0 }, "not a known peer of this node"),
      );
    }
    return client.request(apiKey, apiVersion, body, timeoutMs);
  }

  /** Sends a one-way frame to one peer (see `PeerClient.post`); false when it was dropped. */
  post(nodeId: number, frame: Uint8Array): boolean {
    return this.clients.get(nodeId)?.post(frame) ?? false;
  }

  /** Closes every client; their pending requests fail with `Closed`. */
  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
