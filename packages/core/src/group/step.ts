/**
 * The coordinator's single entry point. `step` routes one input to its handler, runs the timers on a
 * tick, asserts every touched group's invariants and returns the Ready for the shell.
 *
 * Ownership: `step` advances the state it is given in place and returns it; the caller must use only the
 * returned state afterwards (clone first with `structuredClone` to keep a snapshot). It must never read a
 * clock or draw randomness other than `state.prng`.
 */
import { invariant, unreachable } from "../invariant.ts";
import { deleteGroups, describeGroups, listGroups } from "./admin.ts";
import type { Context } from "./context.ts";
import { heartbeat } from "./heartbeat.ts";
import { joinGroup } from "./join-group.ts";
import { leaveGroup } from "./leave-group.ts";
import { load } from "./load.ts";
import { expireOffsets, offsetCommit, offsetFetch } from "./offsets.ts";
import { advanceTimers, nextTimerEvent } from "./rebalance.ts";
import { checkGroup } from "./state.ts";
import { syncGroup } from "./sync-group.ts";
import type { CoordinatorState, Input, StepResult } from "./types.ts";

/** Responses one step may produce: every held request of a group plus one, with room for batch requests. */
function respondMax(state: CoordinatorState): number {
  return 2 * state.options.membersPerGroupMax * Math.max(1, state.groups.size) + 16;
}

export function step(state: CoordinatorState, input: Input): StepResult {
  const ctx: Context = { state, nowMs: state.nowMs, persist: [], respond: [], answered: new Set() };
  const touched = new Set<string>();
  let everyGroup = false;
  // On a tick, the groups whose timers fired or whose offsets were expired: only they changed.
  const changedByTick = new Set<string>();
  let overdue = false;
  switch (input.type) {
    case "joinGroup":
      joinGroup(ctx, input);
      touched.add(input.groupId);
      break;
    case "syncGroup":
      syncGroup(ctx, input);
      touched.add(input.groupId);
      break;
    case "heartbeat":
      heartbeat(ctx, input);
      touched.add(input.groupId);
      break;
    case "leaveGroup":
      leaveGroup(ctx, input);
      touched.add(input.groupId);
      break;
    case "offsetCommit":
      offsetCommit(ctx, input);
      touched.add(input.groupId);
      break;
    case "offsetFetch":
      offsetFetch(ctx, input);
      break;
    case "describeGroups":
      describeGroups(ctx, input);
      break;
    case "listGroups":
      listGroups(ctx, input);
      break;
    case "deleteGroups":
      deleteGroups(ctx, input);
      break;
    case "load":
      for (const groupId of load(ctx, input.records)) touched.add(groupId);
      break;
    case "tick":
      overdue = tick(ctx, input.nowMs, changedByTick);
      everyGroup = true;
      break;
    default:
      unreachable(input, "group input");
  }
  invariant(ctx.nowMs === state.nowMs, "step: a handler left the clock moved");
  let nextTickAtMs: number | null = overdue ? state.nowMs : null;
  const checked = everyGroup ? [...state.groups.keys()] : [...touched];
  for (const groupId of checked) {
    const group = state.groups.get(groupId);
    if (group === undefined) continue;
    // Invariants are asserted where a group changed; a tick that fired nothing in a group left it as
    // the step that last changed it (and checked it) did. Every group still counts for the next tick.
    if (!everyGroup || changedByTick.has(groupId)) checkGroup(state, group);
    const event = nextTimerEvent(group);
    if (event !== null) nextTickAtMs = earlier(nextTickAtMs, Math.max(event.atMs, state.nowMs));
    if (group.offsetCount > 0 || group.state === "Empty")
      nextTickAtMs = earlier(nextTickAtMs, state.nextOffsetExpiryCheckMs);
  }
  invariant(state.groups.size <= state.options.groupsMax, "step: more groups than groupsMax");
  invariant(ctx.respond.length <= respondMax(state), "step: too many responses in one step");
  return { state, ready: { persist: ctx.persist, respond: ctx.respond, nextTickAtMs } };
}

function earlier(current: number | null, atMs: number): number {
  return current === null ? atMs : Math.min(current, atMs);
}

/**
 * Advances logical time: every group's due timers in deadline order, then the periodic offset expiry.
 * Adds to `changed` every group it may have changed.
 */
function tick(ctx: Context, nowMs: number, changed: Set<string>): boolean {
  const state = ctx.state;
  invariant(Number.isSafeInteger(nowMs), "tick: nowMs must be an integer");
  if (!(nowMs >= state.nowMs)) invariant(false, `tick: time went backwards (${nowMs} < ${state.nowMs})`);
  let overdue = false;
  for (const group of [...state.groups.values()]) {
    ctx.nowMs = state.nowMs;
    // A group with nothing due is left alone (`advanceTimers` would return at once).
    const due = nextTimerEvent(group);
    if (due === null || due.atMs > nowMs) continue;
    changed.add(group.groupId);
    if (advanceTimers(ctx, group, nowMs)) overdue = true;
  }
  ctx.nowMs = nowMs;
  state.nowMs = nowMs;
  if (nowMs >= state.nextOffsetExpiryCheckMs) {
    for (const group of [...state.groups.values()]) {
      changed.add(group.groupId);
      expireOffsets(ctx, group);
    }
    state.nextOffsetExpiryCheckMs = nowMs + state.options.offsetsRetentionCheckIntervalMs;
  }
  invariant(state.nextOffsetExpiryCheckMs > nowMs, "tick: next expiry check must be in the future");
  return overdue;
}
