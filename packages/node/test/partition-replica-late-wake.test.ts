/**
 * PartitionReplica.onWakeTimer when its timer is delivered late, after another step already moved the
 * core's clock (the simulator's seed 1475 with --heal-majority: a paused broker's deferred fetch
 * response ran before its deferred wake). Goal: the wake that a step replaced is never lost, so a
 * follower whose fetch went unanswered always fetches again. Method: one follower replica over an
 * in-memory log, its clock moved past the fetch timeout without firing the wake, a step at that time
 * (the fetch times out, a new one goes out), then the late wake; the next timeout must still fire.
 */
import { describe, expect, test } from "bun:test";
import { openReplica, TestEnv } from "./test-env.ts";

const fetchTimeoutMs = 500;

describe("PartitionReplica late wake-up", () => {
  test("a wake delivered after a step at the same time re-arms the next fetch timeout", () => {
    const env = new TestEnv();
    const r = openReplica(env, {
      core: { minInsyncReplicas: 1, replicaLagTimeMaxMs: 1_000, replicaFetchTimeoutMs: fetchTimeoutMs },
    });
    r.applyLeadership({ leader: 1, leaderEpoch: 1, partitionEpoch: 1, isr: [1, 0], replicas: [1, 0] });
    const fetches = () => env.sent.filter((m) => m.type === "fetch").length;
    expect(fetches()).toBe(1);
    expect(env.wakes.length).toBe(1);
    // The process was paused: its clock is past the fetch timeout, the wake not delivered yet. A step
    // runs first (here a metadata input), times the fetch out and sends the next one.
    env.clockMs += fetchTimeoutMs + 100;
    r.applyIsrEligibility([1]);
    expect(fetches()).toBe(2);
    // Then the late wake, at the same time: the second fetch's timeout must be armed after it.
    env.advanceTo(env.clockMs);
    expect(env.wakes.length).toBeGreaterThan(0);
    // The second fetch goes unanswered too: its timeout fires and a third fetch goes out.
    env.advanceTo(env.clockMs + fetchTimeoutMs + 100);
    expect(fetches()).toBe(3);
  });
});
