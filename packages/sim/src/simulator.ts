/**
 * The event loop: one queue ordered by (virtual time, sequence), a node table, the simulated network
 * and the fault schedule. Nodes are plain objects implementing `SimNode`; the loop delivers messages
 * and timers to them, defers events of paused nodes, drops those of crashed ones and applies
 * scheduled faults. Time jumps straight to the next event (idle skipping), so a quiet cluster costs
 * nothing. The loop knows nothing about Kafka; the cluster model lives in `cluster/`.
 */
import { invariant } from "@eddy/core";
import { EventQueue } from "./event-queue.ts";
import type { FaultEvent } from "./faults.ts";
import type { Network } from "./network.ts";
import type { Streams } from "./rng.ts";
import type { Trace } from "./trace.ts";
import type { Violations } from "./violation.ts";

/** One run may not process more events than this; a run that does is live-locked (a liveness bug). */
export const runEventsMax = 20_000_000;
export const deferredEventsMax = 1_000_000;
export const cancelledTimersMax = 1_000_000;

export interface SimNode {
  readonly name: string;
  /** Index in the simulator's node table and the network's link matrix. */
  index: number;
  /** A server takes part in faults; clients do not crash, pause or get partitioned on their own. */
  readonly server: boolean;
  onMessage(from: number, msg: unknown): void;
  onTimer(tag: number): void;
  /** Called when the node crashes: it must drop volatile state and lose unflushed writes. */
  onCrash(): void;
  /** Called when the node restarts after a crash: it must rebuild state from what was durable. */
  onRestart(): void;
  /**
   * A clean stop (SIGTERM): the node runs its shutdown sequence and, when done, calls the simulator's
   * `crash` on itself (its disk by then holds everything). A node without it stops as it crashes.
   */
  onStop?(): void;
  /** Disk faults and torn tails are routed to the node, which owns its disk. */
  onDiskFault?(e: FaultEvent): void;
  /** A readable name for a timer tag, for the trace (the teaching view shows it). */
  timerName?(tag: number): string;
}

/** Messages the simulator remembers as dropped, for teaching views. */
export const droppedRememberedMax = 16;
/** Queued events a scan for messages in flight looks at, at most. */
export const queueScannedMax = 10_000;

/** One message between two nodes: when it was sent and when it arrives (-1: dropped). */
export interface MessageInFlight {
  readonly from: number;
  readonly to: number;
  readonly label: string;
  readonly sentMs: number;
  readonly arriveMs: number;
}

type Ev =
  | {
      readonly k: 0;
      readonly from: number;
      readonly to: number;
      /** The destination's incarnation at send time: a restarted process has new connections. */
      readonly toIncarnation: number;
      readonly msg: unknown;
      readonly label: string;
      /** Virtual time it was sent at: teaching views draw it moving from send to arrival. */
      readonly sentMs: number;
    }
  | { readonly k: 1; readonly node: number; readonly tag: number; readonly incarnation: number }
  | { readonly k: 2; readonly fault: FaultEvent }
  | { readonly k: 3; readonly fn: () => void; readonly label: string };

export class Simulator {
  readonly queue = new EventQueue<Ev>();
  readonly nodes: SimNode[] = [];
  readonly network: Network;
  nowMs = 0;
  eventCount = 0;
  private readonly up: boolean[] = [];
  private readonly pausedUntilMs: number[] = [];
  /** Events that reached a paused node, in arrival order; delivered in that order when it resumes. */
  private readonly deferred: Ev[][] = [];
  private readonly incarnation: number[] = [];
  /** A clean stop is under way (the node has not exited yet). */
  private readonly stopping: boolean[] = [];
  /** A restart arrived while the node was still stopping: it runs as soon as the node has exited. */
  private readonly restartAfterStop: boolean[] = [];
  /** Clock skew: a node's local clock runs at permille/1000 of virtual time since its base. */
  private readonly timerPermille: number[] = [];
  private readonly localBaseMs: number[] = [];
  private readonly realBaseMs: number[] = [];
  private readonly routeBuf: number[] = [0, 0];
  /** Trace ids of strings the hot path would otherwise look up on every event (see `dispatch`). */
  private recvKindId: number | undefined = undefined;
  private timerKindId: number | undefined = undefined;
  private readonly nodeNameIds: (number | undefined)[] = [];
  private readonly timerTagIds = new Map<number, number>();

  constructor(
    nodes: readonly SimNode[],
    readonly streams: Streams,
    readonly trace: Trace,
    readonly violations: Violations,
    network: (count: number) => Network,
  ) {
    for (const n of nodes) this.addNode(n);
    this.network = network(this.nodes.length);
    // Client connections are TCP streams in Kafka: FIFO, never duplicated.
    for (const c of this.nodes) {
      if (c.server) continue;
      for (const s of this.nodes) if (s !== c) this.network.setStream(c.index, s.index);
    }
  }

  private addNode(n: SimNode): void {
    n.index = this.nodes.length;
    this.nodes.push(n);
    this.up.push(true);
    this.pausedUntilMs.push(0);
    this.deferred.push([]);
    this.incarnation.push(0);
    this.stopping.push(false);
    this.restartAfterStop.push(false);
    this.timerPermille.push(1000);
    this.localBaseMs.push(0);
    this.realBaseMs.push(0);
  }

  /**
   * The node's local clock: virtual time, skewed by its clock-skew fault. Servers hand this to the
   * core as `nowMs`; it never goes backwards.
   */
  localNowMs(node: number): number {
    const permille = this.timerPermille[node]!;
    if (permille === 1000) return this.localBaseMs[node]! + (this.nowMs - this.realBaseMs[node]!);
    return Math.floor(this.localBaseMs[node]! + ((this.nowMs - this.realBaseMs[node]!) * permille) / 1000);
  }

  private setSkew(node: number, permille: number): void {
    invariant(permille > 0, "clock skew must keep time moving");
    this.localBaseMs[node] = this.localNowMs(node);
    this.realBaseMs[node] = this.nowMs;
    this.timerPermille[node] = permille;
  }

  /** Resolves role aliases ("leader:0", "follower:0", "controller:active") to node names. */
  resolver: ((alias: string) => string | undefined) | null = null;
  /** The node crashed last, for the "last-crashed" alias in schedules. */
  private lastCrashed = "";

  /** The index of a node by name or alias; -1 when an alias names nobody right now. */
  resolveIndex(name: string): number {
    let real = name;
    if (name === "last-crashed") real = this.lastCrashed;
    else if (name.includes(":")) real = this.resolver?.(name) ?? "";
    if (real === "") return -1;
    const n = this.nodes.find((x) => x.name === real);
    invariant(n !== undefined, () => `unknown node ${name}`);
    return n.index;
  }

  isUp(index: number): boolean {
    return this.up[index] === true;
  }

  /** Sends `msg` from one node to another through the network. `label` names it in the trace. */
  send(from: number, to: number, msg: unknown, label: string): void {
    if (!this.up[from]) return;
    const n = this.network.route(from, to, this.nowMs, this.routeBuf);
    const toIncarnation = this.incarnation[to]!;
    const sentMs = this.nowMs;
    for (let i = 0; i < n; i++)
      this.queue.push(this.routeBuf[i]!, { k: 0, from, to, toIncarnation, msg, label, sentMs });
    if (n === 0) this.rememberDrop({ from, to, label, sentMs, arriveMs: -1 });
  }

  /**
   * The last messages the network dropped at send (a cut link, a drop input, per-message loss), newest
   * last, at most `droppedRememberedMax`: a ring for teaching views, never read by the run itself.
   */
  private readonly dropped: MessageInFlight[] = [];

  private rememberDrop(m: MessageInFlight): void {
    if (this.dropped.length >= droppedRememberedMax) this.dropped.shift();
    this.dropped.push(m);
  }

  /** See `dropped`; oldest first. Reading never changes the run. */
  messagesDropped(): readonly MessageInFlight[] {
    return this.dropped;
  }

  /**
   * Messages sent and not yet delivered (one per copy), at most `countMax`, by arrival time; a message
   * held for a paused node is not listed (it has arrived). Reading never changes the run.
   */
  messagesInFlight(countMax: number): MessageInFlight[] {
    const out: MessageInFlight[] = [];
    this.queue.forEachQueued(queueScannedMax, (timeMs, ev) => {
      if (ev.k === 0 && out.length < countMax)
        out.push({ from: ev.from, to: ev.to, label: ev.label, sentMs: ev.sentMs, arriveMs: timeMs });
    });
    return out.sort((a, b) => a.arriveMs - b.arriveMs || a.sentMs - b.sentMs);
  }

  /** Timers cancelled before they fire; they are dropped unseen (no event, no trace line). */
  private readonly cancelled = new Set<number>();

  /** Cancels a timer armed with `timer` (by the id it returned); a fired or unknown id is ignored. */
  cancelTimer(id: number): void {
    if (id >= 0 && this.cancelled.size < cancelledTimersMax) this.cancelled.add(id);
  }

  /**
   * Arms a timer on `node` that fires after `delayMs` of the node's (possibly skewed) local clock.
   * Returns an id for `cancelTimer`.
   */
  timer(node: number, delayMs: number, tag: number): number {
    invariant(delayMs >= 0, "Simulator.timer: negative delay");
    const permille = this.timerPermille[node]!;
    const skewed = permille === 1000 ? delayMs : Math.ceil((delayMs * 1000) / permille);
    return this.queue.push(this.nowMs + skewed, { k: 1, node, tag, incarnation: this.incarnation[node]! });
  }

  /** Runs `fn` at `atMs` (workload steps, phase changes, end-of-phase checks). */
  at(atMs: number, label: string, fn: () => void): void {
    this.queue.push(Math.max(atMs, this.nowMs), { k: 3, fn, label });
  }

  schedule(faults: readonly FaultEvent[]): void {
    for (const f of faults) this.queue.push(f.atMs, { k: 2, fault: f });
  }

  /** Processes events until the queue is empty or virtual time passes `untilMs`. */
  runUntil(untilMs: number): void {
    const q = this.queue;
    for (;;) {
      const next = q.peekTimeMs();
      if (next === undefined || next > untilMs) break;
      const item = q.popItem();
      if (item.k === 1 && this.cancelled.size > 0 && this.cancelled.delete(q.poppedSeq)) continue;
      this.nowMs = q.poppedTimeMs;
      this.eventCount++;
      invariant(this.eventCount < runEventsMax, "Simulator: event budget exhausted (live-lock?)");
      this.dispatch(item);
    }
    if (untilMs > this.nowMs) this.nowMs = untilMs;
  }

  /**
   * Processes the next event if its time is at most `untilMs` (a cancelled timer is dropped on the
   * way, as in `runUntil`); returns whether one was processed. Teaching tools step with this; the
   * same events in the same order as `runUntil`, one at a time.
   */
  runNext(untilMs: number): boolean {
    const q = this.queue;
    for (;;) {
      const next = q.peekTimeMs();
      if (next === undefined || next > untilMs) return false;
      const item = q.popItem();
      if (item.k === 1 && this.cancelled.size > 0 && this.cancelled.delete(q.poppedSeq)) continue;
      this.nowMs = q.poppedTimeMs;
      this.eventCount++;
      invariant(this.eventCount < runEventsMax, "Simulator: event budget exhausted (live-lock?)");
      this.dispatch(item);
      return true;
    }
  }

  private dispatch(ev: Ev): void {
    const trace = this.trace;
    switch (ev.k) {
      case 0: {
        const to = ev.to;
        // Messages addressed to an earlier incarnation die with its connections.
        if (!this.up[to] || ev.toIncarnation !== this.incarnation[to]) return;
        if (this.pausedUntilMs[to]! > this.nowMs) {
          this.defer(to, ev);
          return;
        }
        // A partition that started while the message was in flight cuts it too.
        if (!this.network.connected(ev.from, to)) return;
        const node = this.nodes[to]!;
        if (trace.recording) this.recordRecv(ev, node);
        else {
          // Interned in `Trace.event`'s order (kind, node, label), so every id is the one it would give.
          const kindId = this.recvKind();
          const nodeId = this.nodeNameId(to);
          trace.eventIds(this.nowMs, kindId, nodeId, trace.intern(ev.label), ev.from + 1);
        }
        node.onMessage(ev.from, ev.msg);
        return;
      }
      case 1: {
        const n = ev.node;
        if (!this.up[n] || ev.incarnation !== this.incarnation[n]) return;
        if (this.pausedUntilMs[n]! > this.nowMs) {
          this.defer(n, ev);
          return;
        }
        const node = this.nodes[n]!;
        if (trace.recording) this.recordTimer(ev.tag, node);
        else {
          const kindId = this.timerKind();
          const nodeId = this.nodeNameId(n);
          let tagId = this.timerTagIds.get(ev.tag);
          if (tagId === undefined) {
            tagId = trace.intern(String(ev.tag));
            this.timerTagIds.set(ev.tag, tagId);
          }
          trace.eventIds(this.nowMs, kindId, nodeId, tagId, 0);
        }
        node.onTimer(ev.tag);
        return;
      }
      case 2:
        this.traceFault(ev.fault);
        this.applyFault(ev.fault);
        return;
      case 3:
        trace.event(this.nowMs, "step", "sim", ev.label);
        ev.fn();
        return;
    }
  }

  // The trace calls that build a detail closure live outside `dispatch`: a closure over its variables
  // would make every call of `dispatch` allocate a scope for them, recording or not.
  private recordRecv(ev: Extract<Ev, { k: 0 }>, node: SimNode): void {
    this.trace.event(
      this.nowMs,
      "recv",
      node.name,
      ev.label,
      () => ({ from: this.nodes[ev.from]!.name, type: ev.label, msg: ev.msg }),
      ev.from + 1,
    );
  }

  private recordTimer(tag: number, node: SimNode): void {
    this.trace.event(this.nowMs, "timer", node.name, String(tag), () => ({
      tag,
      name: node.timerName?.(tag) ?? String(tag),
    }));
  }

  private traceFault(fault: FaultEvent): void {
    this.trace.event(this.nowMs, "fault", faultTarget(fault), fault.kind, () => fault);
  }

  private recvKind(): number {
    if (this.recvKindId === undefined) this.recvKindId = this.trace.intern("recv");
    return this.recvKindId;
  }

  private timerKind(): number {
    if (this.timerKindId === undefined) this.timerKindId = this.trace.intern("timer");
    return this.timerKindId;
  }

  private nodeNameId(node: number): number {
    let id = this.nodeNameIds[node];
    if (id === undefined) {
      id = this.trace.intern(this.nodes[node]!.name);
      this.nodeNameIds[node] = id;
    }
    return id;
  }

  private defer(node: number, ev: Ev): void {
    const list = this.deferred[node]!;
    invariant(list.length < deferredEventsMax, "Simulator: too many events deferred for a paused node");
    list.push(ev);
  }

  /** Ends a pause (if it is over) and delivers what arrived meanwhile, in arrival order. */
  private resume(node: number): void {
    if (this.pausedUntilMs[node]! > this.nowMs) return;
    this.pausedUntilMs[node] = 0;
    const list = this.deferred[node]!;
    this.deferred[node] = [];
    for (const ev of list) {
      if (this.pausedUntilMs[node]! > this.nowMs) this.defer(node, ev);
      else this.dispatch(ev);
    }
  }

  crash(index: number): void {
    if (!this.up[index]) return;
    const node = this.nodes[index]!;
    this.lastCrashed = node.name;
    this.up[index] = false;
    this.incarnation[index]!++;
    this.pausedUntilMs[index] = 0;
    this.deferred[index] = [];
    const restartNow = this.restartAfterStop[index]!;
    this.stopping[index] = false;
    this.restartAfterStop[index] = false;
    node.onCrash();
    if (restartNow) this.at(this.nowMs, `restart-${node.name}`, () => this.restart(index));
  }

  /**
   * Starts a clean stop: the node's shutdown sequence (a broker's controlled shutdown) runs while it
   * keeps handling events, and ends with the node's own `crash`. A paused process takes the signal
   * when it resumes; a node without a shutdown sequence stops at once.
   */
  stop(index: number): void {
    if (!this.up[index] || this.stopping[index]) return;
    // Stopping from now on, so a restart that comes before the node has exited waits for the exit.
    this.stopping[index] = true;
    this.signalStop(index, this.incarnation[index]!);
  }

  /** Delivers the stop signal to `incarnation` of the node, once it is not paused. */
  private signalStop(index: number, incarnation: number): void {
    if (!this.up[index] || this.incarnation[index] !== incarnation) return;
    const node = this.nodes[index]!;
    const pausedUntilMs = this.pausedUntilMs[index]!;
    if (pausedUntilMs > this.nowMs) {
      this.at(pausedUntilMs, `stop-${node.name}`, () => this.signalStop(index, incarnation));
      return;
    }
    if (node.onStop === undefined) this.crash(index);
    else node.onStop();
  }

  restart(index: number): void {
    if (this.up[index]) {
      // A node still stopping comes back once it has exited, as an operator's restart would.
      if (this.stopping[index]) this.restartAfterStop[index] = true;
      return;
    }
    this.up[index] = true;
    this.incarnation[index]!++;
    this.nodes[index]!.onRestart();
  }

  applyFault(f: FaultEvent): void {
    const idx = (name: string) => this.resolveIndex(name);
    switch (f.kind) {
      case "crash": {
        const i = idx(f.node);
        if (i >= 0) this.crash(i);
        return;
      }
      case "restart": {
        const i = idx(f.node);
        if (i >= 0) this.restart(i);
        return;
      }
      case "stop": {
        const i = idx(f.node);
        if (i >= 0) this.stop(i);
        return;
      }
      case "pause": {
        const i = idx(f.node);
        if (i < 0 || !this.up[i]) return;
        const until = Math.max(this.pausedUntilMs[i]!, this.nowMs + f.durationMs);
        this.pausedUntilMs[i] = until;
        this.at(until, `resume-${f.node}`, () => this.resume(i));
        return;
      }
      case "partition": {
        const servers = this.nodes.filter((n) => n.server);
        const side = new Set(f.nodes.map(idx).filter((i) => i >= 0));
        // Clients reach every server: a partition splits the servers, as a network split inside a
        // data centre would, while clients keep their connections.
        this.network.partition(servers.filter((n) => side.has(n.index)).map((n) => n.index));
        this.reconnectClients();
        return;
      }
      case "oneWay": {
        const a = idx(f.from);
        const b = idx(f.to);
        if (a >= 0 && b >= 0) this.network.blockOneWay(a, b);
        return;
      }
      case "isolate": {
        const i = idx(f.node);
        if (i >= 0) this.network.isolate(i);
        return;
      }
      case "heal":
        this.network.healAll();
        return;
      case "clog": {
        const a = idx(f.from);
        const b = idx(f.to);
        if (a >= 0 && b >= 0) this.network.clog(a, b, this.nowMs + f.durationMs);
        return;
      }
      case "slow": {
        const i = idx(f.node);
        if (i >= 0) this.network.slow(i, f.extraMs, this.nowMs + f.durationMs);
        return;
      }
      case "clockSkew": {
        const i = idx(f.node);
        if (i >= 0) this.setSkew(i, f.permille);
        return;
      }
      case "diskFail":
      case "tornTail": {
        const i = idx(f.node);
        if (i >= 0) this.nodes[i]!.onDiskFault?.(f);
        return;
      }
    }
  }

  private reconnectClients(): void {
    const n = this.nodes.length;
    for (const c of this.nodes) {
      if (c.server) continue;
      for (let s = 0; s < n; s++) {
        if (!this.nodes[s]!.server) continue;
        this.network.unblock(c.index, s);
        this.network.unblock(s, c.index);
      }
    }
  }

  /**
   * The liveness phase: heal the network, end pauses and skews, restart every crashed server except
   * those in `keepDown` (a minority left crashed: the majority must still converge).
   */
  healEverything(keepDown: readonly number[] = []): void {
    this.network.healAll();
    this.network.faultsEnabled = false;
    for (let i = 0; i < this.nodes.length; i++) {
      if (keepDown.includes(i)) {
        this.crash(i);
        continue;
      }
      this.pausedUntilMs[i] = 0;
      this.resume(i);
      this.setSkew(i, 1000);
      // A node still stopping cleanly restarts once it has exited.
      if (!this.up[i] || this.stopping[i]) this.restart(i);
    }
  }
}

function faultTarget(f: FaultEvent): string {
  switch (f.kind) {
    case "heal":
      return "net";
    case "partition":
      return f.nodes.join("+") || "none";
    case "oneWay":
    case "clog":
      return `${f.from}>${f.to}`;
    default:
      return f.node;
  }
}
