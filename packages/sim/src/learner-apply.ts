/**
 * Applies one learner input to an open run, now, between two steps: server faults go through the
 * simulator's own fault handling (the same code as a scheduled fault), link faults through the
 * network's switches, client inputs (produce, add or remove a consumer) through the cluster model's
 * hook, a bug switch through the world's `bug` question. Each applied input writes one `input` trace
 * line, so it is folded into the trace hash. Owns that mapping; it must never draw randomness (the
 * run's streams stay untouched, so a run without inputs is byte-identical) nor read the wall clock.
 */
import type { BugName } from "./bugs.ts";
import type { LearnerInput } from "./learner-input.ts";
import type { OpenRun } from "./run.ts";

/** Why an input could not be applied now, in words for the learner; undefined when it was applied. */
export type InputRefusal = string | undefined;

function hasNode(run: OpenRun, name: string): boolean {
  return run.sim.nodes.some((n) => n.name === name);
}

/**
 * The node's name after resolving a role alias ("leader:0", "follower:0", "controller:active",
 * "last-crashed"); undefined when it names nobody now.
 */
export function resolveNodeName(run: OpenRun, name: string): string | undefined {
  if (!name.includes(":") && name !== "last-crashed") return hasNode(run, name) ? name : undefined;
  const index = run.sim.resolveIndex(name);
  return index < 0 ? undefined : run.sim.nodes[index]!.name;
}

/** The input with any role alias replaced by the node it names now, or a refusal. */
export function resolveInput(run: OpenRun, input: LearnerInput): LearnerInput | string {
  const resolve = (name: string) => resolveNodeName(run, name);
  switch (input.kind) {
    case "crash":
    case "restart":
    case "stop":
    case "diskFail":
    case "pause": {
      const node = resolve(input.node);
      return node === undefined ? `no node ${input.node} now` : { ...input, node };
    }
    case "cut":
    case "drop":
    case "delay": {
      const from = resolve(input.from);
      const to = resolve(input.to);
      if (from === undefined || to === undefined) return `no link ${input.from} to ${input.to} now`;
      return from === to ? "a link needs two nodes" : { ...input, from, to };
    }
    default:
      return input;
  }
}

/** Turns `bug` on for the rest of the run, keeping the bugs the config switched on. */
function switchBugOn(run: OpenRun, bug: BugName): void {
  const world = run.world;
  const before = world.bug.bind(world);
  world.bug = (name) => name === bug || before(name);
}

function target(input: LearnerInput): string {
  switch (input.kind) {
    case "crash":
    case "restart":
    case "stop":
    case "diskFail":
    case "pause":
      return input.node;
    case "cut":
    case "drop":
    case "delay":
      return `${input.from}>${input.to}`;
    case "produce":
    case "producer":
      return input.producer;
    case "removeConsumer":
      return input.consumer;
    case "bug":
      return input.bug;
    default:
      return "net";
  }
}

/**
 * Applies a resolved input (see `resolveInput`) to the run now. Returns a refusal, and changes
 * nothing, when the model cannot take it (a client input the model has no hook for, no spare consumer).
 */
export function applyInput(run: OpenRun, input: LearnerInput): InputRefusal {
  const sim = run.sim;
  const net = sim.network;
  const nowMs = sim.nowMs;
  const index = (name: string) => sim.resolveIndex(name);
  if (
    input.kind === "produce" ||
    input.kind === "producer" ||
    input.kind === "addConsumer" ||
    input.kind === "removeConsumer"
  ) {
    const hook = run.model.learnerInput;
    if (hook === undefined) return "this model has no clients to drive";
    // The model decides first whether it can take the input, so a refusal leaves no trace line.
    const refusal = hook(input, true);
    if (refusal !== undefined) return refusal;
  }
  run.trace.event(nowMs, "input", target(input), input.kind, () => input);
  switch (input.kind) {
    case "crash":
    case "restart":
    case "stop":
      sim.applyFault({ atMs: nowMs, kind: input.kind, node: input.node });
      return undefined;
    case "pause":
      sim.applyFault({ atMs: nowMs, kind: "pause", node: input.node, durationMs: input.durationMs });
      return undefined;
    case "diskFail":
      sim.applyFault({ atMs: nowMs, kind: "diskFail", node: input.node, op: "write" });
      return undefined;
    case "cut": {
      const a = index(input.from);
      const b = index(input.to);
      net.blockOneWay(a, b);
      if (!input.oneWay) net.blockOneWay(b, a);
      return undefined;
    }
    case "heal":
      net.healAll();
      return undefined;
    case "drop": {
      const a = index(input.from);
      const b = index(input.to);
      net.blockOneWay(a, b);
      sim.at(nowMs + input.durationMs, `undrop-${input.from}>${input.to}`, () => net.unblock(a, b));
      return undefined;
    }
    case "delay":
      net.clog(index(input.from), index(input.to), nowMs + input.durationMs);
      return undefined;
    case "bug":
      switchBugOn(run, input.bug);
      return undefined;
    case "produce":
    case "producer":
    case "addConsumer":
    case "removeConsumer":
      run.model.learnerInput!(input, false);
      return undefined;
  }
}
