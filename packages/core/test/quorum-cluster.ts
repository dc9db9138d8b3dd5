/**
 * A tiny in-process cluster for the Raft node: durable storage per node, a network that can drop,
 * duplicate and reorder messages, and a shell that acts on each Ready in the documented order
 * (persist, then send, then apply). Every event is followed by the cluster-wide safety checks
 * (election safety, log matching, leader completeness, state machine safety, monotonic commit).
 * Test code only: it never reads a clock or ambient randomness.
 */
import { invariant } from "../src/invariant.ts";
import { type PrngState, prngFromSeed, prngJump } from "../src/prng.ts";
import * as quorum from "../src/quorum/index.ts";

type P = string;
type S = readonly quorum.Entry<P>[];
export type Msg = quorum.Message<P, S>;

/** Bounds the in-flight message pool so duplication cannot grow it without end. */
export const networkMessagesMax = 2000;

export type Durable = quorum.DurableState<P, S>;

export interface SimNode {
  readonly id: number;
  state: quorum.QuorumState<P, S>;
  durable: Durable;
  up: boolean;
  /** The state machine: every applied entry (no-ops included) in index order. */
  applied: quorum.Entry<P>[];
  /** A persisted-acknowledgement the shell has not fed back yet (when acks are manual). */
  pendingAck: { index: number; term: number } | null;
  commitSeen: number;
  termSeen: number;
}

export interface ClusterOptions {
  readonly ids: readonly number[];
  readonly seed: number;
  readonly config?: Partial<quorum.QuorumConfig>;
  /** Feed `persisted` back right after each Ready; otherwise an `ack` event does it. */
  readonly autoAck?: boolean;
  /** Compact a node once this many applied entries lie above its snapshot (0: never). */
  readonly compactEvery?: number;
  /** Fold every step's input and Ready into `traceHash` (costly; for determinism checks). */
  readonly hashTrace?: boolean;
  /** Called with a line for every notable event, for transcripts. */
  readonly trace?: (line: string) => void;
}

export class Cluster {
  readonly nodes = new Map<number, SimNode>();
  network: Msg[] = [];
  /** Pairs (a, b) with a < b whose traffic is cut in both directions. */
  readonly cut = new Set<string>();
  /** Directed links "from>to" whose traffic is cut one way only (asymmetric partitions). */
  readonly cutOneWay = new Set<string>();
  /** Global state machine: index -> the entry every node applied there. */
  readonly committed = new Map<number, quorum.Entry<P>>();
  /** term -> the only node that led it. */
  readonly leaders = new Map<number, number>();
  private prng: PrngState;
  private readonly options: ClusterOptions;

  constructor(options: ClusterOptions) {
    this.options = options;
    let prng = prngFromSeed(options.seed);
    for (const id of options.ids) {
      prng = prngJump(prng);
      const state = quorum.initialState<P, S>({
        id,
        voters: options.ids,
        prng,
        emptySnapshotData: [],
        config: options.config ?? {},
      });
      this.nodes.set(id, {
        id,
        state,
        durable: {
          hardState: { term: 0, votedFor: null, commitIndex: 0 },
          snapshot: state.snapshot,
          entries: [],
        },
        up: true,
        applied: [],
        pendingAck: null,
        commitSeen: 0,
        termSeen: 0,
      });
    }
    this.prng = prngJump(prng);
  }

  node(id: number): SimNode {
    const n = this.nodes.get(id);
    invariant(n !== undefined, `no node ${id}`);
    return n;
  }

  /** A rolling hash of every step's input and Ready, to compare runs of one seed. */
  traceHash = 0;

  private trace(line: string): void {
    this.options.trace?.(line);
  }

  private mixHash(text: string): void {
    let h = this.traceHash;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    this.traceHash = h;
  }

  /** Steps one node and acts on its Ready as a correct shell would. */
  step(id: number, input: quorum.Input<P, S>): quorum.Ready<P, S> {
    const n = this.node(id);
    invariant(n.up, `node ${id} is down`);
    const before = n.state;
    const { state, ready } = quorum.step(n.state, input);
    n.state = state;
    if (this.options.hashTrace === true)
      this.mixHash(`${id}:${JSON.stringify(input)}=>${JSON.stringify(ready)}`);
    this.handleReady(n, ready, before);
    return ready;
  }

  private handleReady(n: SimNode, ready: quorum.Ready<P, S>, before: quorum.QuorumState<P, S>): void {
    // 1. Persist.
    n.durable = quorum.persistReady(n.durable, ready);
    if (ready.hardState !== null) {
      const hs = ready.hardState;
      this.trace(`  ${n.id}: persist term=${hs.term} vote=${hs.votedFor ?? "none"} commit=${hs.commitIndex}`);
    }
    if (ready.snapshot !== null)
      this.trace(`  ${n.id}: persist snapshot ${ready.snapshot.index}/${ready.snapshot.term}`);
    if (ready.entries.length > 0) {
      const first = ready.entries[0]!;
      const last = ready.entries[ready.entries.length - 1]!;
      this.trace(`  ${n.id}: persist entries ${first.index}/${first.term}..${last.index}/${last.term}`);
      n.pendingAck = { index: last.index, term: last.term };
    }
    // 2. Send.
    for (const m of ready.messages) {
      if (this.network.length < networkMessagesMax) this.network.push(m);
    }
    // 3. Apply.
    if (ready.snapshot !== null) {
      n.applied = [...ready.snapshot.data];
      this.checkApplied(n, ready.snapshot.data);
    }
    for (const e of ready.committed) {
      const lastApplied = n.applied.length === 0 ? 0 : n.applied[n.applied.length - 1]!.index;
      invariant(e.index === lastApplied + 1, `node ${n.id} applies ${e.index} after ${lastApplied}`);
      n.applied.push(e);
      this.checkApplied(n, [e]);
    }
    const soft = ready.softState;
    if (soft.role !== before.role || soft.term !== before.term) {
      this.trace(`  ${n.id}: ${soft.role} term=${soft.term} leader=${soft.leaderId ?? "none"}`);
    }
    for (const e of ready.committed) {
      this.trace(`  ${n.id}: apply ${e.index}/${e.term} ${e.payload ?? "(noop)"}`);
    }
    this.checkNode(n, before.role !== "leader" || before.term !== n.state.term);
    if (this.options.autoAck !== false && n.pendingAck !== null) this.ack(n.id);
    this.maybeCompact(n);
  }

  /** Feeds the pending persisted-acknowledgement back into the node. */
  ack(id: number): void {
    const n = this.node(id);
    const pending = n.pendingAck;
    if (pending === null || !n.up) return;
    n.pendingAck = null;
    this.step(id, { type: "persisted", index: pending.index, term: pending.term });
  }

  private maybeCompact(n: SimNode): void {
    const every = this.options.compactEvery ?? 0;
    if (every <= 0 || !n.up) return;
    const appliedIndex = n.state.appliedIndex;
    if (appliedIndex - n.state.snapshot.index < every) return;
    const data = n.applied.filter((e) => e.index <= appliedIndex);
    const term = quorum.termAt(n.state, appliedIndex);
    invariant(term !== null, "compacting an unknown index");
    // The shell persists the snapshot before telling the node to compact.
    n.durable = {
      ...n.durable,
      snapshot: { index: appliedIndex, term, data },
      entries: n.durable.entries.filter((e) => e.index > appliedIndex),
    };
    const { state } = quorum.step(n.state, { type: "compact", index: appliedIndex, data });
    n.state = state;
    this.trace(`  ${n.id}: compact to ${appliedIndex}/${term}`);
  }

  private checkApplied(n: SimNode, entries: readonly quorum.Entry<P>[]): void {
    for (const e of entries) {
      const known = this.committed.get(e.index);
      if (known === undefined) this.committed.set(e.index, e);
      else
        invariant(
          known.term === e.term && known.payload === e.payload,
          () =>
            `state machine safety: node ${n.id} applied ${e.index}/${e.term} but ${known.index}/${known.term} was`,
        );
    }
  }

  private checkNode(n: SimNode, fresh: boolean): void {
    const s = n.state;
    invariant(s.commitIndex >= n.commitSeen, `node ${n.id} commit went back`);
    n.commitSeen = s.commitIndex;
    // Monotonic epochs: the durable term never goes back, across restarts too.
    invariant(n.durable.hardState.term >= n.termSeen, `node ${n.id} durable term went back`);
    n.termSeen = n.durable.hardState.term;
    // Quorum-backed commit: a majority holds the committed entry durably (a crash cannot lose it).
    if (s.commitIndex > 0) {
      const term = quorum.termAt(s, s.commitIndex);
      let holders = 0;
      for (const other of this.nodes.values()) {
        const d = other.durable;
        if (d.snapshot.index >= s.commitIndex) holders++;
        else if (d.entries.some((e) => e.index === s.commitIndex && e.term === term)) holders++;
      }
      invariant(
        holders >= quorum.quorumSize(this.options.ids),
        () => `commit ${s.commitIndex} of node ${n.id} is durable on ${holders} nodes only`,
      );
    }
    if (s.role === "leader") {
      const other = this.leaders.get(s.term);
      invariant(
        other === undefined || other === n.id,
        () => `two leaders in term ${s.term}: ${other}, ${n.id}`,
      );
      this.leaders.set(s.term, n.id);
      // Leader completeness: a new leader's log holds every entry committed before its election.
      if (fresh)
        for (const [index, e] of this.committed) {
          if (index <= s.snapshot.index) continue;
          invariant(
            quorum.termAt(s, index) === e.term,
            () => `leader completeness: leader ${n.id} of term ${s.term} lacks ${index}/${e.term}`,
          );
        }
    }
  }

  /** Log matching across every pair of live nodes. */
  checkLogMatching(): void {
    const live = [...this.nodes.values()];
    for (let i = 0; i < live.length; i++) {
      for (let j = i + 1; j < live.length; j++) {
        const a = live[i]!.state;
        const b = live[j]!.state;
        const from = Math.max(a.snapshot.index, b.snapshot.index) + 1;
        const to = Math.min(quorum.lastIndex(a), quorum.lastIndex(b));
        let matchedAt = -1;
        for (let k = to; k >= from; k--) {
          if (quorum.termAt(a, k) === quorum.termAt(b, k)) {
            matchedAt = k;
            break;
          }
        }
        for (let k = from; k <= matchedAt; k++) {
          const ea = a.entries[k - a.snapshot.index - 1]!;
          const eb = b.entries[k - b.snapshot.index - 1]!;
          invariant(
            ea.term === eb.term && ea.payload === eb.payload,
            () => `log matching: nodes ${a.id} and ${b.id} differ at ${k} below ${matchedAt}`,
          );
        }
      }
    }
  }

  private linkCut(a: number, b: number): boolean {
    return this.cut.has(a < b ? `${a}-${b}` : `${b}-${a}`) || this.cutOneWay.has(`${a}>${b}`);
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) {
      if (other !== id) this.cut.add(id < other ? `${id}-${other}` : `${other}-${id}`);
    }
  }

  /** Drops every message from `from` to `to`, but not the other way. */
  cutLink(from: number, to: number): void {
    if (from !== to) this.cutOneWay.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
    this.cutOneWay.clear();
  }

  /** Delivers the message at position `i` of the pool (mod its size); cut links drop it. */
  deliver(i: number): boolean {
    if (this.network.length === 0) return false;
    const k = i % this.network.length;
    const m = this.network[k]!;
    this.network.splice(k, 1);
    const to = this.node(m.to);
    if (!to.up || this.linkCut(m.from, m.to)) {
      this.trace(`  drop ${describeMessage(m)}`);
      return true;
    }
    this.trace(describeMessage(m));
    this.step(m.to, { type: "message", message: m });
    return true;
  }

  /** Delivers (or drops) the first in-flight message matching `match`; false when none does. */
  deliverFirst(match: (m: Msg) => boolean, drop = false): boolean {
    const k = this.network.findIndex(match);
    if (k < 0) return false;
    if (drop) {
      this.trace(`  drop ${describeMessage(this.network[k]!)}`);
      this.network.splice(k, 1);
      return true;
    }
    return this.deliver(k);
  }

  drop(i: number): void {
    if (this.network.length === 0) return;
    this.network.splice(i % this.network.length, 1);
  }

  duplicate(i: number): void {
    if (this.network.length === 0 || this.network.length >= networkMessagesMax) return;
    this.network.push(this.network[i % this.network.length]!);
  }

  /** Delivers every message in order until the network is quiet (or the bound is hit). */
  stabilize(deliveriesMax = 10_000): number {
    let delivered = 0;
    while (this.network.length > 0) {
      invariant(delivered < deliveriesMax, "stabilize: network never quiets");
      this.deliver(0);
      delivered++;
    }
    return delivered;
  }

  tick(id: number): void {
    if (this.node(id).up) this.step(id, { type: "tick" });
  }

  tickAll(): void {
    for (const id of this.nodes.keys()) this.tick(id);
  }

  /** "index/term" -> payload of every proposal a leader accepted. */
  readonly accepted = new Map<string, string>();

  propose(id: number, payload: string): quorum.ProposeResult | null {
    if (!this.node(id).up) return null;
    const result = this.step(id, { type: "propose", payload }).proposal;
    if (result?.accepted) {
      const key = `${result.index}/${result.term}`;
      invariant(!this.accepted.has(key), `two proposals accepted at ${key}`);
      this.accepted.set(key, payload);
    }
    return result;
  }

  /**
   * Against the naive model of one shared log: every committed entry is a proposal some leader
   * accepted at exactly that index and term, and no proposal commits twice.
   */
  checkCommittedAgainstProposals(): void {
    const seen = new Set<string>();
    for (const [index, e] of this.committed) {
      if (e.payload === null) continue;
      invariant(
        this.accepted.get(`${index}/${e.term}`) === e.payload,
        () => `committed ${index}/${e.term} ${e.payload} was never accepted there`,
      );
      invariant(!seen.has(e.payload), () => `${e.payload} committed twice`);
      seen.add(e.payload);
    }
  }

  crash(id: number): void {
    const n = this.node(id);
    n.up = false;
    n.pendingAck = null;
    this.trace(`  ${id}: crash`);
  }

  restart(id: number): void {
    const n = this.node(id);
    if (n.up) return;
    // Each restart takes the next jump of the root stream: never a shifted copy of another stream.
    this.prng = prngJump(this.prng);
    const prng = this.prng;
    n.state = quorum.initialState<P, S>({
      id,
      voters: this.options.ids,
      prng,
      emptySnapshotData: [],
      config: this.options.config ?? {},
      durable: n.durable,
    });
    n.applied = [...n.durable.snapshot.data];
    n.up = true;
    n.commitSeen = n.state.commitIndex;
    this.trace(`  ${id}: restart term=${n.state.term} commit=${n.state.commitIndex}`);
    // The first tick hands out the committed entries after the snapshot again.
  }

  leader(): SimNode | null {
    let best: SimNode | null = null;
    for (const n of this.nodes.values()) {
      if (n.up && n.state.role === "leader" && (best === null || n.state.term > best.state.term)) best = n;
    }
    return best;
  }
}

export function describeMessage(m: Msg): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case "RequestVote":
      return `${head}${m.preVote ? " pre-vote" : ""} last=${m.lastLogIndex}/${m.lastLogTerm}`;
    case "Vote":
      return `${head}${m.preVote ? " pre-vote" : ""} ${m.granted ? "granted" : "rejected"}`;
    case "AppendEntries": {
      const entries = m.entries.map(
        (e) => `${e.index}/${e.term}${e.payload === null ? "" : ` ${e.payload}`}`,
      );
      return `${head} prev=${m.prevLogIndex}/${m.prevLogTerm} commit=${m.leaderCommit} entries=[${entries.join(", ")}]`;
    }
    case "AppendResponse":
      return m.success
        ? `${head} match=${m.matchIndex}`
        : `${head} rejected=${m.rejectedIndex} hint=${m.hintIndex}`;
    case "InstallSnapshot":
      return `${head} snapshot=${m.snapshot.index}/${m.snapshot.term}`;
  }
}
