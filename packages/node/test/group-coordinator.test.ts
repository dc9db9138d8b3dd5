/**
 * The shared group coordinator driven by a hand-run environment: a group's lifecycle with wake-ups
 * at the core's own times, answers held until their records are durable (and in order), a failed
 * write answered `null` and rebuilt from storage, a restart reloading groups and offsets, a clock set
 * back that never reaches the core, requests handled at the clock's time (the broker used to handle
 * them at its last 100 ms tick), the purge of a deleted topic's offsets, and the simulator's hooks.
 */
import { describe, expect, test } from "bun:test";
import { group } from "@eddy/core";
import type { GroupCoordinator } from "../src/groups/group-coordinator.ts";
import {
  ask,
  commit,
  fetchOffsets,
  GroupTestEnv,
  heartbeat,
  join,
  sync,
  testGroupOptions,
} from "./group-test-env.ts";

const NONE = group.ErrorCode.NONE;

/** One dynamic member forms generation 1 of `groupId` and syncs its own assignment; returns its id. */
function formGroup(env: GroupTestEnv, c: GroupCoordinator, groupId: string): string {
  const joined = ask(c, join(groupId));
  // The initial rebalance delay holds the first join.
  expect(joined.answer).toBeUndefined();
  env.advanceTo(env.clockMs + (testGroupOptions.initialRebalanceDelayMs ?? 0));
  expect(joined.answer?.errorCode).toBe(NONE);
  const memberId = joined.answer?.memberId ?? "";
  const synced = ask(c, sync(groupId, 1, memberId, [memberId]));
  expect(synced.answer?.errorCode).toBe(NONE);
  return memberId;
}

function committed(c: GroupCoordinator, groupId: string, topic = "t"): number | undefined {
  return c.coreState.groups.get(groupId)?.offsets.get(topic)?.get(0)?.offset;
}

describe("group lifecycle", () => {
  test("join, sync, heartbeat, commit, fetch and leave, with wake-ups at the core's own times", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    // Nothing held yet: no wake-up but the (far) offset expiry check, which no group needs yet.
    expect(env.wakes).toEqual([]);
    const first = ask(c, join("g"));
    // The core asked to be woken when the initial delay ends: exactly then, not at a fixed tick.
    expect(env.wakes.map((w) => w.atMs)).toEqual([env.clockMs + 100]);
    env.advanceTo(env.clockMs + 99);
    expect(first.answer).toBeUndefined();
    env.advanceTo(env.clockMs + 1);
    expect(first.answer?.errorCode).toBe(NONE);
    expect(first.answer?.generationId).toBe(1);
    const member = first.answer?.memberId ?? "";
    expect(first.answer?.leaderId).toBe(member);
    const synced = ask(c, sync("g", 1, member, [member]));
    expect(synced.answer?.errorCode).toBe(NONE);
    expect([...(synced.answer?.assignment ?? [])]).toEqual([9]);
    expect(ask(c, heartbeat("g", 1, member)).answer?.errorCode).toBe(NONE);
    expect(ask(c, commit("g", 1, member, 42)).answer?.partitions[0]?.errorCode).toBe(NONE);
    const fetched = ask(c, fetchOffsets("g")).answer;
    expect(fetched?.partitions.map((p) => p.committedOffset)).toEqual([42]);
    const left = ask(c, {
      type: "leaveGroup",
      groupId: "g",
      members: [{ memberId: member, groupInstanceId: null }],
    });
    expect(left.answer?.errorCode).toBe(NONE);
    expect(c.coreState.groups.get("g")?.state).toBe("Empty");
    // Every record the core asked for is durable, in order: the synced generation, the commit and the
    // group left empty.
    expect(env.records.map((r) => r.kind)).toEqual(["groupMetadata", "offsetCommit", "groupMetadata"]);
  });

  test("a member that stops heartbeating is expired at its session deadline, by a wake-up", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    const member = formGroup(env, c, "g");
    const deadlineMs = c.coreState.groups.get("g")?.members.get(member)?.sessionDeadlineMs ?? 0;
    expect(env.wakes.some((w) => w.atMs === deadlineMs)).toBe(true);
    env.advanceTo(deadlineMs - 1);
    expect(c.coreState.groups.get("g")?.members.size).toBe(1);
    env.advanceTo(deadlineMs);
    expect(c.coreState.groups.get("g")?.members.size).toBe(0);
    expect(c.coreState.groups.get("g")?.state).toBe("Empty");
  });

  test("a request is handled at the clock's time, so a heartbeat's session deadline counts from it", () => {
    // The broker used to step requests at its last 100 ms tick (up to 250 ms behind), which cut
    // sessions short by that much; Kafka counts a session from the heartbeat's arrival.
    const env = new GroupTestEnv();
    const c = env.open();
    const member = formGroup(env, c, "g");
    env.clockMs += 240;
    expect(ask(c, heartbeat("g", 1, member)).answer?.errorCode).toBe(NONE);
    expect(c.coreState.nowMs).toBe(env.clockMs);
    expect(c.coreState.groups.get("g")?.members.get(member)?.sessionDeadlineMs).toBe(env.clockMs + 5_000);
  });
});

describe("persistence completion ordering", () => {
  test("answers wait for their step's write; later requests queue behind it and answer in order", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    env.asyncWrites = true;
    const order: string[] = [];
    c.request(commit("g", -1, "", 1), (a) => order.push(`commit ${a?.partitions[0]?.errorCode}`));
    // The commit's record is being written: its answer waits.
    expect(env.pending?.records.map((r) => r.kind)).toEqual(["offsetCommit"]);
    expect(order).toEqual([]);
    // A fetch behind it must not see the offset before it is durable, nor be answered first.
    c.request(fetchOffsets("g"), (a) => order.push(`fetch ${a?.partitions[0]?.committedOffset}`));
    c.request(commit("g", -1, "", 2), (a) => order.push(`commit ${a?.partitions[0]?.errorCode}`));
    expect(c.waitingCount).toBe(3);
    expect(order).toEqual([]);
    env.completeWrite();
    // The first commit and the fetch are answered; the second commit's write is now in flight.
    expect(order).toEqual(["commit 0", "fetch 1"]);
    expect(env.pending?.records.map((r) => (r.kind === "offsetCommit" ? r.offset : -1))).toEqual([2]);
    env.completeWrite();
    expect(order).toEqual(["commit 0", "fetch 1", "commit 0"]);
    expect(env.records.map((r) => (r.kind === "offsetCommit" ? r.offset : -1))).toEqual([1, 2]);
    expect(c.waitingCount).toBe(0);
  });

  test("a held sync answered in another member's step waits for that step's write", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    const a = ask(c, join("g"));
    const b = ask(c, join("g"));
    // The second member extends the initial delay; by the rebalance timeout both are answered.
    env.advanceTo(env.clockMs + 5_000);
    expect([a.answer?.errorCode, b.answer?.errorCode]).toEqual([NONE, NONE]);
    const leader = a.answer?.leaderId ?? "";
    const follower = [a.answer?.memberId, b.answer?.memberId].find((m) => m !== leader) ?? "";
    env.asyncWrites = true;
    // The follower's sync is held until the leader brings the assignment.
    const held = ask(c, sync("g", 1, follower));
    expect(held.answer).toBeUndefined();
    expect(env.pending).toBeNull();
    const led = ask(c, sync("g", 1, leader, [leader, follower]));
    // The leader's step completed the rebalance; its group metadata is being written, and neither
    // answer may go out before it is durable.
    expect(env.pending?.records.map((r) => r.kind)).toEqual(["groupMetadata"]);
    expect([held.answer, led.answer]).toEqual([undefined, undefined]);
    env.completeWrite();
    expect(held.answer?.errorCode).toBe(NONE);
    expect(led.answer?.errorCode).toBe(NONE);
  });

  test("a failed write answers every stepped request null; queued ones run on the state rebuilt from storage", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    expect(ask(c, commit("g", -1, "", 1)).answer?.partitions[0]?.errorCode).toBe(NONE);
    const held = ask(c, join("waiting"));
    expect(held.answer).toBeUndefined();
    env.asyncWrites = true;
    const failed = ask(c, commit("g", -1, "", 2));
    const queued = ask(c, fetchOffsets("g"));
    env.failWrite();
    expect(failed.answer).toBeNull();
    expect(held.answer).toBeNull();
    expect(env.lines.some((l) => l.startsWith("groups: write failed, rebuilding from storage"))).toBe(true);
    // The queued fetch waits for the rebuild, then sees only what is durable.
    expect(c.isBroken).toBe(true);
    expect(queued.answer).toBeUndefined();
    env.completeReloads();
    expect(c.isBroken).toBe(false);
    expect(queued.answer?.partitions.map((p) => p.committedOffset)).toEqual([1]);
    // The held join's group was never durable: the rebuilt coordinator does not know it.
    expect(c.coreState.groups.has("waiting")).toBe(false);
    const after = ask(c, commit("g", -1, "", 3));
    env.completeWrite();
    expect(after.answer?.partitions[0]?.errorCode).toBe(NONE);
    expect(committed(c, "g")).toBe(3);
  });

  test("a failed rebuild answers what waits null, and the next request tries again", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    env.asyncWrites = true;
    const failed = ask(c, commit("g", -1, "", 1));
    env.failWrite();
    const queued = ask(c, fetchOffsets("g"));
    c.loadFailed(new Error("a stored value does not decode"));
    expect(failed.answer).toBeNull();
    expect(queued.answer).toBeNull();
    expect(env.lines.some((l) => l.includes("cannot load group state: a stored value does not decode"))).toBe(
      true,
    );
    env.reloads.length = 0;
    const retried = ask(c, fetchOffsets("g"));
    expect(env.reloads.length).toBe(1);
    env.completeReloads();
    expect(retried.answer?.partitions).toEqual([]);
  });

  test("close answers waiting and queued requests null and refuses new ones", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    const held = ask(c, join("g"));
    env.asyncWrites = true;
    const inFlight = ask(c, commit("g2", -1, "", 1));
    const queued = ask(c, fetchOffsets("g2"));
    c.close();
    expect([held.answer, inFlight.answer, queued.answer]).toEqual([null, null, null]);
    expect(ask(c, fetchOffsets("g2")).answer).toBeNull();
    // A completion after closing changes nothing.
    env.completeWrite();
    expect(inFlight.answer).toBeNull();
  });
});

describe("restart reload", () => {
  test("a coordinator opened on the durable records has the groups, members and offsets back", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    const member = formGroup(env, c, "g");
    expect(ask(c, commit("g", 1, member, 17)).answer?.partitions[0]?.errorCode).toBe(NONE);
    expect(ask(c, commit("simple", -1, "", 5)).answer?.partitions[0]?.errorCode).toBe(NONE);
    c.close();

    env.clockMs += 1_000;
    env.wakes.length = 0;
    const reopened = env.open();
    expect(committed(reopened, "g")).toBe(17);
    expect(committed(reopened, "simple")).toBe(5);
    const g = reopened.coreState.groups.get("g");
    expect(g?.state).toBe("Stable");
    expect(g?.generationId).toBe(1);
    expect([...(g?.members.keys() ?? [])]).toEqual([member]);
    // The restored member carries on in its generation, and its session is timed again.
    expect(ask(reopened, heartbeat("g", 1, member)).answer?.errorCode).toBe(NONE);
    expect(env.wakes.length).toBeGreaterThan(0);
    // Each coordinator built draws its own seed, so member ids do not repeat across restarts.
    expect(env.seedNext).toBe(9);
  });
});

describe("clock set back", () => {
  test("a clock set back never reaches the core; timers run on once it catches up", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    const member = formGroup(env, c, "g");
    const coreMs = c.coreState.nowMs;
    const deadlineMs = c.coreState.groups.get("g")?.members.get(member)?.sessionDeadlineMs ?? 0;
    // An hour back: requests are handled at the core's last time, and nothing throws.
    env.advanceTo(coreMs - 3_600_000);
    expect(ask(c, heartbeat("g", 1, member)).answer?.errorCode).toBe(NONE);
    expect(ask(c, commit("g", 1, member, 3)).answer?.partitions[0]?.errorCode).toBe(NONE);
    expect(c.coreState.nowMs).toBe(coreMs);
    // The session deadline counted from the core's time, not the clock's.
    expect(c.coreState.groups.get("g")?.members.get(member)?.sessionDeadlineMs).toBe(deadlineMs);
    // Wake-ups that fire early (the set-back clock has not moved past the core's time) re-arm one
    // wake-up for the rest, counted on the environment's clock, whose timers run on it.
    for (const w of env.wakes.splice(0)) w.coordinator.onWakeTimer();
    expect(env.wakes.map((w) => w.atMs)).toEqual([deadlineMs]);
    expect(c.coreState.nowMs).toBe(coreMs);
    expect(c.coreState.groups.get("g")?.members.size).toBe(1);
    // Once the clock is back past the deadline, the wake-up expires the member.
    env.advanceTo(deadlineMs);
    expect(c.coreState.groups.get("g")?.members.size).toBe(0);
  });
});

describe("purging a deleted topic's offsets", () => {
  test("tombstones are made durable before the core forgets the offsets", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    ask(c, commit("g1", -1, "", 5, "gone"));
    ask(c, commit("g1", -1, "", 6, "kept"));
    ask(c, commit("g2", -1, "", 7, "gone"));
    env.asyncWrites = true;
    let result: number | Error | undefined;
    c.purgeTopicOffsets(
      (topic) => topic === "gone",
      (r) => {
        result = r;
      },
    );
    expect(env.pending?.records.map((r) => r.kind)).toEqual(["offsetTombstone", "offsetTombstone"]);
    // Until the tombstones are durable the offsets are still served.
    expect(result).toBeUndefined();
    expect(committed(c, "g1", "gone")).toBe(5);
    env.completeWrite();
    expect(result).toBe(2);
    expect(committed(c, "g1", "gone")).toBeUndefined();
    expect(committed(c, "g2", "gone")).toBeUndefined();
    expect(committed(c, "g1", "kept")).toBe(6);
  });

  test("a failed purge reports the error and keeps the offsets for the next try", () => {
    const env = new GroupTestEnv();
    const c = env.open();
    ask(c, commit("g", -1, "", 5, "gone"));
    env.asyncWrites = true;
    let result: number | Error | undefined;
    c.purgeTopicOffsets(
      (topic) => topic === "gone",
      (r) => {
        result = r;
      },
    );
    env.failWrite();
    expect(result).toBeInstanceOf(Error);
    env.completeReloads();
    expect(committed(c, "g", "gone")).toBe(5);
  });
});

describe("hooks", () => {
  test("a step hook sees every input and may answer in the core's place; persisted sees durable records", () => {
    const env = new GroupTestEnv();
    const seen: string[] = [];
    const durable: string[] = [];
    const c = env.open({
      step: (_c, state, input, next) => {
        seen.push(input.type);
        if (input.type !== "heartbeat") return next(state, input);
        return {
          state,
          ready: {
            persist: [],
            respond: [
              { kind: "heartbeat", requestId: input.requestId, errorCode: group.ErrorCode.UNKNOWN_MEMBER_ID },
            ],
            nextTickAtMs: null,
          },
        };
      },
      persisted: (_c, record) => durable.push(record.kind),
    });
    expect(ask(c, heartbeat("g", 1, "m")).answer?.errorCode).toBe(group.ErrorCode.UNKNOWN_MEMBER_ID);
    env.asyncWrites = true;
    ask(c, commit("g", -1, "", 1));
    expect(durable).toEqual([]);
    env.completeWrite();
    expect(durable).toEqual(["offsetCommit"]);
    expect(seen).toEqual(["load", "heartbeat", "offsetCommit"]);
  });
});
