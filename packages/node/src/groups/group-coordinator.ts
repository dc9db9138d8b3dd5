/**
 * The group coordinator on a node: the core's classic group machine (`group.step`) and everything
 * around it, for the broker and the simulator alike. It is the only code that steps the core's group
 * machine. It owns request ids, the callbacks waiting for answers (JoinGroup and SyncGroup answers the
 * core holds until a rebalance moves on), the inputs queued while a write is in flight, the clock fed
 * to the core, wake-ups at the core's own next time, rebuilding from durable records (at open and
 * after a failed write), and the purge of a deleted topic's committed offsets.
 *
 * Every step is acted on in the order the core prescribes: persist the step's records, answer only
 * once they (and every earlier step's) are durable, then arm the wake-up at the core's next time.
 * Steps run one at a time: while a batch of records is being written, later inputs wait in a bounded
 * queue, so a failed write never has later writes behind it that were derived from the lost state.
 * A failed write answers every stepped request `null`, throws the state away and rebuilds it from
 * what the environment holds durably; queued requests are then stepped on the rebuilt state.
 *
 * It is synchronous and Effect-free. It must never read a clock, set a timer, draw randomness or
 * touch storage itself: its environment does (`group-env.ts`), and it never lets the environment's
 * time go backwards into the core.
 */
import { group, invariant } from "@eddy/core";
import type { GroupEnv, GroupHooks, GroupReply, GroupRequest, GroupStepFn } from "./group-env.ts";

/** Requests waiting for an answer (held in the core, awaiting durability, or queued); more get `null`. */
export const groupWaitersMax = 100_000;
/** Inputs queued behind an in-flight write or rebuild; beyond this a request is answered `null`. */
export const groupQueuedMax = 100_000;
/** The longest wake-up delay handed to the environment (a `setTimeout` limit); a later one re-arms. */
export const groupWakeDelayMsMax = 2 ** 31 - 1;

export type GroupCoreOptions = Partial<Omit<group.CoordinatorOptions, "seed">>;

/** A queued piece of work: a request, or a purge of a deleted topic's offsets. */
type Work =
  | { readonly kind: "request"; readonly input: group.Input; readonly reply: GroupReply }
  | {
      readonly kind: "purge";
      readonly gone: (topic: string) => boolean;
      readonly done: (deleted: number | Error) => void;
    };

/** The one batch of records being written, and what waits for it. */
type InFlight =
  | {
      readonly kind: "step";
      readonly batchId: number;
      readonly records: readonly group.PersistRecord[];
      readonly respond: readonly group.Response[];
    }
  | {
      readonly kind: "purge";
      readonly batchId: number;
      readonly records: readonly group.PersistRecord[];
      readonly done: (deleted: number | Error) => void;
    };

export class GroupCoordinator {
  private state: group.CoordinatorState;
  private readonly stepFn: GroupStepFn;
  /** Callbacks of stepped requests, by request id: answered in the core's respond order. */
  private readonly waiting = new Map<group.RequestId, GroupReply>();
  /** Work not yet stepped, oldest first from `queueHead`. */
  private queue: Work[] = [];
  private queueHead = 0;
  private requestIdNext = 1;
  private batchIdNext = 1;
  private inFlight: InFlight | null = null;
  /** The time the core asked to be woken at, or +inf. */
  private wakeAtMs = Number.POSITIVE_INFINITY;
  /** A wake-up came; its tick runs before the next queued work (at once unless a write is in flight). */
  private tickWanted = false;
  /** The earliest time armed when the wake-ups that wanted the pending tick came, or +inf. */
  private tickDueAtMs = Number.POSITIVE_INFINITY;
  /** The state was thrown away (a failed write or core step) and must be rebuilt before any step. */
  private broken = false;
  private reloading = false;
  private pumping = false;
  private closed = false;

  private constructor(
    private readonly env: GroupEnv,
    private readonly options: GroupCoreOptions,
    private readonly hooks: GroupHooks,
    state: group.CoordinatorState,
  ) {
    this.state = state;
    const core: GroupStepFn = group.step;
    const wrap = hooks.step;
    this.stepFn = wrap === undefined ? core : (s, input) => wrap(this, s, input, core);
  }

  /**
   * Builds the coordinator from the durable records (none for a fresh node) at the environment's
   * time. Throws what the core throws for records it cannot load: a node must not serve groups it
   * could not rebuild.
   */
  static open(
    env: GroupEnv,
    options: GroupCoreOptions,
    records: readonly group.PersistRecord[],
    hooks: GroupHooks = {},
  ): GroupCoordinator {
    const state = group.initialState({ ...options, seed: env.seed() }, Math.max(0, env.nowMs()));
    const coordinator = new GroupCoordinator(env, options, hooks, state);
    coordinator.act(coordinator.stepFn(state, { type: "load", records }));
    return coordinator;
  }

  /** The core's state (read-only: the simulator's checkers and the broker's logs read it). */
  get coreState(): group.CoordinatorState {
    return this.state;
  }

  /** Requests waiting for an answer, queued ones included. */
  get waitingCount(): number {
    return this.waiting.size + this.queuedCount;
  }

  /** True while the state is thrown away and not yet rebuilt (requests wait or are answered `null`). */
  get isBroken(): boolean {
    return this.broken;
  }

  private get queuedCount(): number {
    return this.queue.length - this.queueHead;
  }

  // ------------------------------------------------------------------------------------------------
  // Inputs
  // ------------------------------------------------------------------------------------------------

  /**
   * Steps one request; `reply` is called once with its answer when it may be sent (once the records
   * of its step and every earlier step are durable, and for a held JoinGroup or SyncGroup only when
   * the rebalance moves on), or with `null` when the coordinator cannot answer it.
   */
  request<R extends GroupRequest>(input: R, reply: GroupReply<R["type"]>): void {
    if (this.closed || this.waitingCount >= groupWaitersMax || this.queuedCount >= groupQueuedMax) {
      reply(null);
      return;
    }
    const requestId = this.requestIdNext++;
    invariant(Number.isSafeInteger(requestId), "groups: request ids ran out");
    const checked: GroupReply = (answer) => {
      invariant(answer === null || answer.kind === input.type, "groups: an answer of another kind");
      (reply as GroupReply)(answer);
    };
    this.enqueue({ kind: "request", input: { ...input, requestId } as group.Input, reply: checked });
    this.drive(null);
  }

  /**
   * Deletes every group's committed offsets of the topics `gone` names (deleted topics), as Kafka's
   * coordinator does: the tombstones are made durable first, then replayed into the core (a `load`
   * of durable records), so a restart or a topic recreated under the same name never sees the old
   * offsets. `done` gets the number of offsets deleted, or the error that kept them.
   */
  purgeTopicOffsets(gone: (topic: string) => boolean, done: (deleted: number | Error) => void): void {
    if (this.closed) {
      done(new Error("groups: closed, offsets of deleted topics kept"));
      return;
    }
    if (this.queuedCount >= groupQueuedMax) {
      done(new Error("groups: too many queued inputs, offsets of deleted topics kept"));
      return;
    }
    this.enqueue({ kind: "purge", gone, done });
    this.drive(null);
  }

  /**
   * The environment's wake-up: advances the core's timers (sessions, rebalances, offset expiry). Any
   * call ticks once the clock has moved, and the tick re-arms at the core's next time (which may be
   * later than the time armed: a heartbeat moved a session deadline on). A call before the armed time
   * with the clock unmoved (a clock set back) waits for the rest; one at or after it ticks even at an
   * unmoved clock, so a timer the core reports due now is never left waiting for the clock to move.
   */
  onWakeTimer(): void {
    if (this.closed) return;
    this.tickDueAtMs = Math.min(this.tickDueAtMs, this.wakeAtMs);
    this.wakeAtMs = Number.POSITIVE_INFINITY;
    this.tickWanted = true;
    this.drive(null);
  }

  /** The environment finished writing batch `batchId`: its answers (or its purge) go ahead. */
  persistCompleted(batchId: number): void {
    const flight = this.inFlight;
    if (this.closed || flight === null) return;
    invariant(
      flight.batchId === batchId,
      `groups: batch ${batchId} completed while ${flight.batchId} is in flight`,
    );
    this.inFlight = null;
    this.drive(() => {
      this.durable(flight.records);
      if (flight.kind === "step") this.answerAll(flight.respond);
      else this.finishPurge(flight.records, flight.done);
    });
  }

  /** Writing batch `batchId` failed: nothing it carried is acknowledged, and the state is rebuilt. */
  persistFailed(batchId: number, error: unknown): void {
    const flight = this.inFlight;
    if (this.closed || flight === null) return;
    invariant(
      flight.batchId === batchId,
      `groups: batch ${batchId} failed while ${flight.batchId} is in flight`,
    );
    this.inFlight = null;
    this.env.log(`groups: write failed, rebuilding from storage: ${errorText(error)}`);
    this.drive(() => {
      if (flight.kind === "purge") flight.done(asError(error));
      this.breakState();
    });
  }

  /** The environment read back every durable record: a fresh core state replays them. */
  loaded(records: readonly group.PersistRecord[]): void {
    if (this.closed || !this.reloading) return;
    this.reloading = false;
    const fresh = group.initialState(
      { ...this.options, seed: this.env.seed() },
      Math.max(this.env.nowMs(), this.state.nowMs),
    );
    let result: group.StepResult;
    try {
      result = this.stepFn(fresh, { type: "load", records });
    } catch (error) {
      this.loadFailed(error);
      return;
    }
    this.broken = false;
    this.wakeAtMs = Number.POSITIVE_INFINITY;
    // A load persists and answers nothing; acting on it arms the wake-up the rebuilt groups need.
    this.drive(() => this.act(result));
  }

  /**
   * Reading the durable records back failed (a stored value that does not decode, a failing disk):
   * everything queued is answered `null` (purges with the error), and the next input tries again.
   */
  loadFailed(error: unknown): void {
    if (this.closed) return;
    this.reloading = false;
    this.broken = true;
    this.env.log(`groups: cannot load group state: ${errorText(error)}`);
    this.drive(() => this.failQueued(asError(error)));
  }

  /** Answers every waiting request `null` and refuses new ones; stored state is untouched. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inFlight = null;
    this.answerWaitingNull();
    this.failQueued(new Error("groups: closed"));
  }

  // ------------------------------------------------------------------------------------------------
  // Stepping
  // ------------------------------------------------------------------------------------------------

  /**
   * The coordinator's time: the environment's, never earlier than the core's last time (a clock set
   * back must not reach the core, which asserts that time never goes backwards).
   */
  private nowMs(): number {
    return Math.max(this.env.nowMs(), this.state.nowMs);
  }

  private enqueue(work: Work): void {
    invariant(this.queuedCount < groupQueuedMax, "groups: queue over its bound");
    this.queue.push(work);
  }

  private dequeue(): Work | undefined {
    if (this.queueHead >= this.queue.length) return undefined;
    const work = this.queue[this.queueHead]!;
    this.queueHead++;
    // Emptied, the array starts over; otherwise it is compacted once its consumed prefix is half of
    // it, so it never holds more than twice the queued work.
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead >= 1024 && this.queueHead * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return work;
  }

  /** Puts work back at the head of the queue: a tick before it left a write in flight. */
  private requeueFirst(work: Work): void {
    if (this.queueHead > 0) {
      this.queueHead--;
      this.queue[this.queueHead] = work;
    } else {
      this.queue.unshift(work);
    }
  }

  /**
   * Runs `entry` (an answer, a completion), then queued work and wanted ticks until the queue is
   * empty or a write, a rebuild or closing stops it. Every step runs inside here, one at a time: a
   * call made from an answer callback (another request, say) only queues, and the outer call runs it.
   */
  private drive(entry: (() => void) | null): void {
    if (this.pumping) {
      entry?.();
      return;
    }
    this.pumping = true;
    try {
      entry?.();
      // Each turn steps one piece of work or one tick; the queue's bound bounds the turns.
      const turnsMax = 2 * groupQueuedMax + 16;
      for (let turns = 0; ; turns++) {
        invariant(turns <= turnsMax, "groups: the queue did not drain");
        if (this.closed || this.inFlight !== null || this.reloading) return;
        if (this.broken) {
          // Rebuilt only when something waits for it: a failed rebuild is retried by the next input.
          if (this.queuedCount === 0) return;
          this.startReload();
          continue;
        }
        if (this.tickWanted) {
          this.tickWanted = false;
          this.wakeTick();
          continue;
        }
        const work = this.dequeue();
        if (work === undefined) return;
        this.run(work);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Steps one piece of work at the clock's time now (a tick first when the clock moved). */
  private run(work: Work): void {
    // Requests are handled at the time they are stepped, as Kafka does: a session deadline or a
    // rebalance timeout counts from then, not from the last wake-up.
    this.tickToNow();
    if (this.inFlight !== null || this.broken) {
      this.requeueFirst(work);
      return;
    }
    if (work.kind === "purge") {
      this.startPurge(work.gone, work.done);
      return;
    }
    const input = work.input;
    invariant(input.type !== "tick" && input.type !== "load", "groups: a queued request is a tick or a load");
    const requestId = input.requestId;
    invariant(!this.waiting.has(requestId), "groups: a request id is in use twice");
    this.waiting.set(requestId, work.reply);
    this.stepAndAct(input);
  }

  /** The tick of a wake-up (see `onWakeTimer`). */
  private wakeTick(): void {
    const dueAtMs = this.tickDueAtMs;
    this.tickDueAtMs = Number.POSITIVE_INFINITY;
    const now = this.nowMs();
    if (now > this.state.nowMs || dueAtMs <= now) this.stepAndAct({ type: "tick", nowMs: now });
    else if (dueAtMs < Number.POSITIVE_INFINITY) this.armWake(dueAtMs);
  }

  private tickToNow(): void {
    const now = this.nowMs();
    if (now > this.state.nowMs) this.stepAndAct({ type: "tick", nowMs: now });
  }

  private stepAndAct(input: group.Input): void {
    let result: group.StepResult;
    try {
      result = this.stepFn(this.state, input);
    } catch (error) {
      this.env.coreFailed(this, input, error);
      this.env.log(`groups: step ${input.type} failed, rebuilding from storage: ${errorText(error)}`);
      this.breakState();
      return;
    }
    this.act(result);
  }

  /** The core's order: persist, then answer once durable, then arm the wake-up. */
  private act(result: group.StepResult): void {
    this.state = result.state;
    const ready = result.ready;
    if (ready.persist.length > 0) {
      invariant(this.inFlight === null, "groups: a step ran while a write was in flight");
      const batchId = this.batchIdNext++;
      if (this.env.persist(this, batchId, ready.persist)) {
        this.durable(ready.persist);
        this.answerAll(ready.respond);
      } else {
        this.inFlight = { kind: "step", batchId, records: ready.persist, respond: ready.respond };
      }
    } else {
      this.answerAll(ready.respond);
    }
    this.armWake(ready.nextTickAtMs);
  }

  private armWake(atMs: number | null): void {
    if (atMs === null || atMs >= this.wakeAtMs) return;
    this.wakeAtMs = atMs;
    this.env.wakeAfter(this, this.delayUntil(atMs));
  }

  /**
   * The delay until the core's time `atMs` by the environment's clock, which is the clock its timers
   * run on: when that clock is behind the core's (set back), the wait is longer than the core's own
   * distance to `atMs`, and a shorter one would only fire early and be re-armed.
   */
  private delayUntil(atMs: number): number {
    return Math.min(Math.max(0, atMs - this.env.nowMs()), groupWakeDelayMsMax);
  }

  private durable(records: readonly group.PersistRecord[]): void {
    const persisted = this.hooks.persisted;
    if (persisted === undefined) return;
    for (const record of records) persisted(this, record);
  }

  private answerAll(responses: readonly group.Response[]): void {
    for (const response of responses) {
      const reply = this.waiting.get(response.requestId);
      // The core answers only requests it was handed; one no longer waiting was answered `null` when
      // its state was thrown away, and the rebuilt core does not hold it.
      if (reply === undefined) continue;
      this.waiting.delete(response.requestId);
      reply(response);
    }
  }

  // ------------------------------------------------------------------------------------------------
  // Purging a deleted topic's offsets
  // ------------------------------------------------------------------------------------------------

  private startPurge(gone: (topic: string) => boolean, done: (deleted: number | Error) => void): void {
    const tombstones: group.PersistRecord[] = [];
    for (const g of this.state.groups.values()) {
      for (const [topic, partitions] of g.offsets) {
        if (!gone(topic)) continue;
        for (const partition of partitions.keys()) {
          tombstones.push({ kind: "offsetTombstone", groupId: g.groupId, topic, partition });
        }
      }
    }
    invariant(
      tombstones.length <= this.state.groups.size * this.state.options.offsetsPerGroupMax,
      "groups: more tombstones than offsets held",
    );
    if (tombstones.length === 0) {
      done(0);
      return;
    }
    const batchId = this.batchIdNext++;
    if (this.env.persist(this, batchId, tombstones)) {
      this.durable(tombstones);
      this.finishPurge(tombstones, done);
    } else {
      this.inFlight = { kind: "purge", batchId, records: tombstones, done };
    }
  }

  /** Replays durable tombstones into the core and reports how many offsets went. */
  private finishPurge(
    tombstones: readonly group.PersistRecord[],
    done: (deleted: number | Error) => void,
  ): void {
    this.stepAndAct({ type: "load", records: tombstones });
    if (this.broken) {
      done(new Error("groups: replaying the purge failed; the state is rebuilt from storage"));
      return;
    }
    for (const t of tombstones) {
      invariant(t.kind === "offsetTombstone", "groups: a purge of another record kind");
      const left = this.state.groups.get(t.groupId)?.offsets.get(t.topic)?.has(t.partition) ?? false;
      invariant(!left, "groups: an offset of a deleted topic survived the purge");
    }
    done(tombstones.length);
  }

  // ------------------------------------------------------------------------------------------------
  // Failure and rebuild
  // ------------------------------------------------------------------------------------------------

  /**
   * Throws the state away: every stepped request is answered `null` (its answer depended on the lost
   * state), queued ones stay queued for the rebuilt state, and the rebuild starts.
   */
  private breakState(): void {
    this.broken = true;
    this.wakeAtMs = Number.POSITIVE_INFINITY;
    this.tickWanted = false;
    this.tickDueAtMs = Number.POSITIVE_INFINITY;
    this.answerWaitingNull();
    this.startReload();
  }

  private startReload(): void {
    if (this.reloading || this.closed) return;
    this.reloading = true;
    this.env.reload(this);
  }

  private answerWaitingNull(): void {
    if (this.waiting.size === 0) return;
    const replies = [...this.waiting.values()];
    this.waiting.clear();
    for (const reply of replies) reply(null);
  }

  private failQueued(error: Error): void {
    // Taken out first: a callback may queue new work, which waits for the next rebuild attempt.
    const work = this.queue.slice(this.queueHead);
    this.queue = [];
    this.queueHead = 0;
    for (const w of work) {
      if (w.kind === "request") w.reply(null);
      else w.done(error);
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
