/**
 * A hand-driven environment for group coordinator tests: a clock the test sets (and may set back),
 * wake-ups that fire only when the test advances the clock, and a durable record list written either
 * at once (as the simulator's memory does) or only when the test completes the write (as a real disk
 * does later), with failures on demand. It is the smallest binding of `GroupEnv`, beside the
 * broker's (wall clock, `setTimeout`, the storage port) and the simulator's.
 */
import type { group } from "@eddy/core";
import { GroupCoordinator, type GroupCoreOptions } from "../src/groups/group-coordinator.ts";
import type { GroupAnswer, GroupEnv, GroupHooks, GroupRequest } from "../src/groups/group-env.ts";

export const testGroupOptions: GroupCoreOptions = {
  sessionTimeoutMsMin: 1_000,
  initialRebalanceDelayMs: 100,
};

export class GroupTestEnv implements GroupEnv {
  clockMs = 10_000;
  /** The durable records, as a disk holds them across restarts. */
  readonly records: group.PersistRecord[] = [];
  /** True: writes complete only when the test calls `completeWrite` (or `failWrite`). */
  asyncWrites = false;
  /** The write in flight: its batch and records, applied to `records` when it completes. */
  pending: {
    coordinator: GroupCoordinator;
    batchId: number;
    records: readonly group.PersistRecord[];
  } | null = null;
  readonly wakes: { coordinator: GroupCoordinator; atMs: number }[] = [];
  readonly reloads: GroupCoordinator[] = [];
  readonly lines: string[] = [];
  seedNext = 7;

  nowMs(): number {
    return this.clockMs;
  }
  wakeAfter(coordinator: GroupCoordinator, delayMs: number): void {
    if (delayMs < 0) throw new Error(`a negative wake-up delay: ${delayMs}`);
    this.wakes.push({ coordinator, atMs: this.clockMs + delayMs });
  }
  persist(coordinator: GroupCoordinator, batchId: number, records: readonly group.PersistRecord[]): boolean {
    if (!this.asyncWrites) {
      this.records.push(...records);
      return true;
    }
    if (this.pending !== null) throw new Error("a second write while one is in flight");
    this.pending = { coordinator, batchId, records };
    return false;
  }
  reload(coordinator: GroupCoordinator): void {
    this.reloads.push(coordinator);
  }
  seed(): number {
    return this.seedNext++;
  }
  coreFailed(_coordinator: GroupCoordinator, _input: group.Input, error: unknown): void {
    throw error;
  }
  log(line: string): void {
    this.lines.push(line);
  }

  /** The write in flight becomes durable and the coordinator hears of it. */
  completeWrite(): void {
    const p = this.pending;
    if (p === null) throw new Error("no write in flight");
    this.pending = null;
    this.records.push(...p.records);
    p.coordinator.persistCompleted(p.batchId);
  }

  /** The write in flight fails: nothing of it is durable. */
  failWrite(): void {
    const p = this.pending;
    if (p === null) throw new Error("no write in flight");
    this.pending = null;
    p.coordinator.persistFailed(p.batchId, new Error("injected write failure"));
  }

  /** Answers every rebuild asked for with what is durable. */
  completeReloads(): void {
    for (const c of this.reloads.splice(0)) c.loaded([...this.records]);
  }

  /** Moves the clock to `atMs` (back too) and fires every wake-up due by then. */
  advanceTo(atMs: number): void {
    this.clockMs = atMs;
    const due = this.wakes.filter((w) => w.atMs <= atMs);
    this.wakes.splice(0, this.wakes.length, ...this.wakes.filter((w) => w.atMs > atMs));
    for (const w of due) w.coordinator.onWakeTimer();
  }

  open(hooks: GroupHooks = {}): GroupCoordinator {
    return GroupCoordinator.open(this, testGroupOptions, [...this.records], hooks);
  }
}

/** A request's answer box: `answer` is undefined until the reply comes (null: not answerable). */
export interface Box<T> {
  answer: T | null | undefined;
}

export function ask<R extends GroupRequest>(c: GroupCoordinator, input: R): Box<GroupAnswer<R["type"]>> {
  const box: Box<GroupAnswer<R["type"]>> = { answer: undefined };
  c.request(input, (a) => {
    if (box.answer !== undefined) throw new Error("a request answered twice");
    box.answer = a;
  });
  return box;
}

const subscription = new Uint8Array([0, 1, 2]);

export function join(groupId: string, memberId = "", sessionTimeoutMs = 5_000) {
  return {
    type: "joinGroup" as const,
    groupId,
    memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription }],
    sessionTimeoutMs,
    rebalanceTimeoutMs: sessionTimeoutMs,
    apiVersion: 3,
    clientId: "test",
    clientHost: "/127.0.0.1",
  };
}

export function sync(groupId: string, generationId: number, memberId: string, assignTo: string[] = []) {
  return {
    type: "syncGroup" as const,
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: assignTo.map((m) => ({ memberId: m, assignment: new Uint8Array([9]) })),
  };
}

export function heartbeat(groupId: string, generationId: number, memberId: string) {
  return { type: "heartbeat" as const, groupId, generationId, memberId, groupInstanceId: null };
}

export function commit(groupId: string, generationId: number, memberId: string, offset: number, topic = "t") {
  return {
    type: "offsetCommit" as const,
    groupId,
    generationId,
    memberId,
    groupInstanceId: null,
    apiVersion: 8,
    offsets: [{ topic, partition: 0, offset, leaderEpoch: -1, metadata: null }],
  };
}

export function fetchOffsets(groupId: string) {
  return { type: "offsetFetch" as const, groupId, partitions: null };
}
