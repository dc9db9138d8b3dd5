/**
 * A node's link to the other nodes of its cluster: one outbound connection per voter (at its
 * `controller.quorum.voters` address) carrying Eddy's internal one-way messages, the dispatch of the
 * messages that arrive, and the forwarding of controller requests to the active controller with
 * their answers matched by request id. Replication uses Kafka's Fetch over a second connection to
 * each peer (`fetch`), so a fetch the leader holds never delays the messages on the first.
 *
 * The fetches go to each broker's registered address, its inter-broker listener (`security`: named by
 * `inter.broker.listener.name`, or Kafka's default, the PLAINTEXT listener; `config/inter-broker-settings.ts`),
 * with that listener's TLS and SASL, and so does everything sent to a broker-only node; the quorum
 * and the controller requests to a voter stay on its controller listener, as Kafka's
 * `controller.listener.names`. Nothing falls back from one to the other: a broker not reached on its
 * inter-broker listener is not reached. Tests cut nodes apart with `faults` (`peer-cuts.ts`), which
 * covers both kinds of connection.
 *
 * Owns: the peer table, request ids and the bounded table of forwarded requests waiting for an
 * answer (each with a timeout). Must never block a caller on a peer: a peer that is down or cut off
 * drops the message at once (the quorum and the replicas resend on their own timers), and a forwarded
 * request that gets no answer resolves with null when its time is up.
 */
import type { controller } from "@eddy/core";
import {
  type ApiKey,
  ApiKey as apiKeys,
  type FetchRequestInput,
  type FetchResponse,
  type RequestInputByKey,
  type ResponseByKey,
} from "@eddy/protocol";
import type { QuorumVoter } from "../config/cluster-settings.ts";
import { type PeerAddress, type PeerSecurity, peerClientDefaults } from "../net/peer-client.ts";
import { PeerPool, type PoolPeer } from "../net/peer-pool.ts";
import { decodeInternalFrame, encodeInternalFrame, type InternalMessage } from "./internal-message.ts";
import { PeerCuts } from "./peer-cuts.ts";

/** Forwarded controller requests waiting for their answer; more are refused at once (null). */
export const forwardedRequestsMax = 10_000;
/** Unregistered broker-only nodes remembered by the address they asked to be answered at. */
const replyPeersMax = 1_000;

/** What the link hands the node: every message that arrives, by kind. */
export interface ClusterLinkHandlers {
  quorum(message: Extract<InternalMessage, { kind: "quorum" }>): void;
  controllerRequest(message: Extract<InternalMessage, { kind: "controllerRequest" }>): void;
  metadataImage(message: Extract<InternalMessage, { kind: "metadataImage" }>): void;
}

export interface ForwardedAnswer {
  readonly response: controller.Response | null;
  readonly committed: boolean;
  /** The active controller as the answering node knows it, -1 when it knows none. */
  readonly leaderId: number;
}

interface Waiting {
  readonly resolve: (answer: ForwardedAnswer | null) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class ClusterLink {
  private readonly pool: PeerPool;
  /** The replica fetchers' connections to the same peers (`replica-fetcher.ts`). */
  private readonly fetchPool: PeerPool;
  private readonly waiting = new Map<number, Waiting>();
  private nextRequestId = 1;
  private handlers: ClusterLinkHandlers | null = null;
  private closed = false;
  /** Messages dropped because their peer was down, counted for the log line that reports them. */
  private droppedCount = 0;
  private droppedLoggedMs = 0;

  constructor(
    readonly nodeId: number,
    voters: readonly QuorumVoter[],
    private readonly log: (line: string) => void,
    /** The test-only fault hook (`peer-cuts.ts`); a new, unarmed one when not given. */
    faults?: PeerCuts,
    private readonly security?: PeerSecurity,
  ) {
    this.faults = faults ?? new PeerCuts();
    const poolOptions = {
      ...peerClientDefaults,
      clientId: `eddy-node-${nodeId}`,
      // Peers on this machine or a LAN answer fast; a node that went away is retried often, so a
      // restarted peer is reached again within a second.
      connectTimeoutMs: 2_000,
      reconnectBackoffMs: 50,
      reconnectBackoffMsMax: 500,
      log,
      // Applies to the peers named `secured`: those reached at a registered inter-broker address.
      ...(security === undefined ? {} : { security }),
    };
    this.pool = new PeerPool({ ...poolOptions, faultsFor: this.faults.faultsForPool() });
    this.fetchPool = new PeerPool({
      ...poolOptions,
      clientId: `eddy-replica-fetcher-${nodeId}`,
      faultsFor: this.faults.faultsForPool(),
    });
    this.voterPeers = voters
      .filter((v) => v.nodeId !== nodeId)
      .map((v) => ({ nodeId: v.nodeId, host: v.host, port: v.port }));
    this.voterIds = voters.map((v) => v.nodeId);
    this.pool.setPeers(this.voterPeers);
    this.fetchPool.setPeers(this.voterPeers);
  }

  /** Cuts this node off from named peers, for tests only (`peer-cuts.ts`). */
  readonly faults: PeerCuts;
  /** The voters' ids, in the order `controller.quorum.voters` names them. */
  readonly voterIds: readonly number[];
  private readonly voterPeers: readonly PeerAddress[];
  private brokerPeersKey = "";

  /**
   * Adds the registered brokers that are not voters (broker-only nodes), reached at their registered
   * client address; voters stay at their controller address.
   */
  setBrokerPeers(brokers: readonly controller.BrokerRegistration[]): void {
    const voters = new Set(this.voterIds);
    this.registeredPeers = brokers
      .filter((b) => b.brokerId !== this.nodeId)
      .map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, secured: true }));
    this.brokerPeers = this.registeredPeers.filter((b) => !voters.has(b.nodeId));
    this.updatePeers();
  }

  /** Every other registered broker at its registered (inter-broker) address. */
  private registeredPeers: readonly PoolPeer[] = [];
  private brokerPeers: readonly PoolPeer[] = [];
  /** Broker-only nodes heard from before their registration committed, by the address they gave. */
  private readonly replyPeers = new Map<number, PoolPeer>();
  private replyAddress: { host: string; port: number } | undefined;

  /** The address this node's controller requests ask to be answered at (a broker-only node's client listener). */
  setReplyAddress(host: string, port: number): void {
    this.replyAddress = { host, port };
  }

  private updatePeers(): void {
    const known = new Set([...this.voterPeers, ...this.brokerPeers].map((p) => p.nodeId));
    const early = [...this.replyPeers.values()].filter((p) => !known.has(p.nodeId));
    const peers = [...this.voterPeers, ...this.brokerPeers, ...early];
    // Replication fetches from each broker's registered (inter-broker) address only. A controller-only
    // node has no inter-broker settings unless one is named, but it hosts no replica and never fetches.
    const fetchPeers = this.security === undefined ? peers : this.registeredPeers;
    const key = JSON.stringify([peers, fetchPeers]);
    if (key === this.brokerPeersKey) return;
    this.brokerPeersKey = key;
    this.pool.setPeers(peers);
    this.fetchPool.setPeers(fetchPeers);
  }

  /** Remembers where node `from` takes its answers, when it is no voter and not registered yet. */
  noteReplyTo(from: number, replyTo: { host: string; port: number } | undefined): void {
    if (replyTo === undefined || from === this.nodeId || this.voterIds.includes(from)) return;
    const current = this.replyPeers.get(from);
    if (current?.host === replyTo.host && current.port === replyTo.port) return;
    if (this.replyPeers.size >= replyPeersMax && current === undefined) return;
    this.replyPeers.set(from, { nodeId: from, host: replyTo.host, port: replyTo.port, secured: true });
    this.updatePeers();
  }

  /** Sets who receives what arrives; messages before this are dropped. */
  attach(handlers: ClusterLinkHandlers): void {
    this.handlers = handlers;
  }

  /** Sends a message to node `to` (this node's own are delivered here, after the current work). */
  send(to: number, message: InternalMessage, records?: Uint8Array): void {
    if (this.closed) return;
    if (to === this.nodeId) {
      queueMicrotask(() => this.dispatch(message));
      return;
    }
    let frame: Uint8Array;
    try {
      frame = encodeInternalFrame(this.nodeId, message, records);
    } catch (error) {
      this.log(`cluster: not sent to node ${to}: ${(error as Error).message}`);
      return;
    }
    if (!this.pool.post(to, frame)) this.dropped(to, message.kind);
  }

  /** A frame of Eddy's internal api arrived on a listener; a malformed one is refused with a log line. */
  onFrame(frame: Uint8Array): void {
    let decoded: ReturnType<typeof decodeInternalFrame>;
    try {
      decoded = decodeInternalFrame(frame);
    } catch (error) {
      this.log(`cluster: refused a frame: ${(error as Error).message}`);
      return;
    }
    // The fault hook cut this peer off inbound: what it sends is lost, as on a cut wire.
    if (this.faults.isCutIn(decoded.message.from)) return;
    this.dispatch(decoded.message);
  }

  /**
   * Sends a controller request to node `to` (the active controller as this node knows it) and
   * resolves with its answer, or with null when none came within `timeoutMs` or it could not be sent.
   */
  forward(to: number, input: controller.Input, timeoutMs: number): Promise<ForwardedAnswer | null> {
    if (this.closed || this.waiting.size >= forwardedRequestsMax) return Promise.resolve(null);
    const requestId = this.nextRequestId;
    this.nextRequestId = requestId >= 0x7fff_ffff ? 1 : requestId + 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(requestId);
        resolve(null);
      }, timeoutMs);
      this.waiting.set(requestId, { resolve, timer });
      const replyTo = this.replyAddress;
      this.send(to, {
        kind: "controllerRequest",
        from: this.nodeId,
        requestId,
        input,
        ...(replyTo ? { replyTo } : {}),
      });
    });
  }

  /** Sends a replica Fetch to node `to` and resolves with its response; rejects with `PeerRequestError`. */
  fetch(to: number, version: number, body: FetchRequestInput, timeoutMs: number): Promise<FetchResponse> {
    return this.fetchPool.request(to, apiKeys.Fetch, version, body, timeoutMs);
  }

  /**
   * Sends a Kafka request to node `to` on the same connection and resolves with its response; rejects
   * with a `PeerRequestError` when none came (the controller requests of `controller-client.ts`).
   */
  request<K extends ApiKey>(
    to: number,
    apiKey: K,
    apiVersion: number,
    body: RequestInputByKey[K],
    timeoutMs: number,
  ): Promise<ResponseByKey[K]> {
    return this.pool.request(to, apiKey, apiVersion, body, timeoutMs);
  }

  /** Answers a forwarded request (called on the controller that received it). */
  answer(to: number, requestId: number, answer: ForwardedAnswer): void {
    this.send(to, { kind: "controllerAnswer", from: this.nodeId, requestId, ...answer });
  }

  close(): void {
    this.closed = true;
    this.pool.close();
    this.fetchPool.close();
    for (const w of this.waiting.values()) {
      clearTimeout(w.timer);
      w.resolve(null);
    }
    this.waiting.clear();
  }

  private dispatch(message: InternalMessage): void {
    const handlers = this.handlers;
    if (handlers === null || this.closed) return;
    try {
      switch (message.kind) {
        case "quorum":
          handlers.quorum(message);
          return;
        case "controllerRequest":
          this.noteReplyTo(message.from, message.replyTo);
          handlers.controllerRequest(message);
          return;
        case "metadataImage":
          handlers.metadataImage(message);
          return;
        case "controllerAnswer": {
          const w = this.waiting.get(message.requestId);
          if (w === undefined) return;
          this.waiting.delete(message.requestId);
          clearTimeout(w.timer);
          w.resolve({ response: message.response, committed: message.committed, leaderId: message.leaderId });
          return;
        }
      }
    } catch (error) {
      // A message the core refused (an invariant it breaks) is dropped; the node goes on.
      this.log(
        `cluster: a ${message.kind} message from node ${message.from} was refused: ${(error as Error).message}`,
      );
    }
  }

  private dropped(to: number, kind: string): void {
    this.droppedCount++;
    const nowMs = performance.now();
    if (nowMs - this.droppedLoggedMs < 5_000) return;
    this.droppedLoggedMs = nowMs;
    this.log(`cluster: node ${to} unreachable; ${this.droppedCount} message(s) dropped (last: ${kind})`);
    this.droppedCount = 0;
  }
}
