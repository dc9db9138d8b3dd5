/**
 * The broker's clock bugs: a wall clock set back must never trip an invariant (the core's "time went
 * backwards"), and topics created while the node's clock ticks keep working. The broker is started
 * as the `broker` script runs it, with a preload that sets its wall clock back an hour after start, then kcat
 * creates topics, produces and consumes across the jump.
 */
import { afterAll, expect, test } from "bun:test";
import { resolve } from "node:path";
import { kcat, kcatReadAll, type RunningBroker, removeDir, startBroker } from "./harness.ts";

const preload = resolve(import.meta.dir, "fixtures/clock-jumps-back.ts");
let broker: RunningBroker | undefined;

afterAll(async () => {
  if (broker !== undefined) {
    await broker.stop();
    removeDir(broker.dataDir);
  }
});

test("a wall clock set back an hour breaks nothing: no tick fails, topics created after it serve", async () => {
  broker = await startBroker({ preload });
  expect(broker.output()).toContain("the wall clock will jump back");
  // Topics created (auto-created by kcat) before and after the jump, each produced to and read back.
  kcat(["-P", "-b", broker.bootstrap, "-t", "before-jump"], "a\nb\n");
  await Bun.sleep(2_000);
  kcat(["-P", "-b", broker.bootstrap, "-t", "before-jump"], "c\n");
  kcat(["-P", "-b", broker.bootstrap, "-t", "after-jump"], "x\ny\n");
  // Several of the node's ticks (metadata, heartbeats, groups, retention, HW checkpoint) run after it.
  await Bun.sleep(1_000);
  expect(kcatReadAll(broker.bootstrap, "before-jump")).toEqual(["a", "b", "c"]);
  expect(kcatReadAll(broker.bootstrap, "after-jump")).toEqual(["x", "y"]);
  const out = broker.output();
  expect(out).not.toContain("tick failed");
  expect(out).not.toContain("time went backwards");
  expect(out).not.toContain("InvariantError");
}, 60_000);
