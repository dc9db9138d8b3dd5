/**
 * The worker's session without a browser: going back to a step is the same moment as opening a link
 * to it (trace hash, view, client log, lesson checks); going back to the step of an input drops it
 * and those after it; a new input after going back forks the timeline; a session opened from the
 * link's text of a timeline is the session that made it.
 */
import { expect, test } from "bun:test";
import { lessonById } from "../src/lessons/index.ts";
import { Session } from "../src/worker/session.ts";

const lesson = lessonById("replication")!;

/** Everything of a session the page shows that must match between two ways to reach one moment. */
function moment(s: Session): string {
  return JSON.stringify({
    step: s.step,
    hash: s.run.hashHex,
    view: s.run.view(),
    rows: s.clientLog.rows,
    errors: [...s.clientLog.errorCounts],
    checks: s.checkResults(),
    inputs: s.inputsText,
  });
}

test("going back to a step is the moment a link to it opens, and drops the inputs from that step on", () => {
  const live = Session.open(lesson, lesson.seed, "", 600);
  live.input({ kind: "crash", node: "leader:1" });
  live.advance(50);
  live.input({ kind: "produce", producer: "p2", key: 4 });
  live.advance(400);
  expect(live.inputs.map((t) => t.step)).toEqual([600, 650]);
  const atLink = Session.open(lesson, lesson.seed, live.inputsText, 1_050);
  expect(moment(atLink)).toBe(moment(live));

  const back = live.rewind(650);
  expect(back.inputs.map((t) => t.step)).toEqual([600]);
  expect(moment(back)).toBe(moment(Session.open(lesson, lesson.seed, back.inputsText, 650)));

  const beforeKill = live.rewind(600);
  expect(beforeKill.inputs).toEqual([]);
  expect(moment(beforeKill)).toBe(moment(Session.open(lesson, lesson.seed, "", 600)));
});

test("a new input after going back forks the timeline there", () => {
  const live = Session.open(lesson, lesson.seed, "", 500);
  live.input({ kind: "crash", node: "b2" });
  live.advance(100);
  const fork = live.rewind(550);
  fork.input({ kind: "restart", node: "b2" });
  expect(fork.inputsText).toBe("500~crash.b2_550~restart.b2");
  fork.advance(100);
  expect(fork.run.view()!.brokers[2]!.up).toBe(true);
  expect(moment(fork)).toBe(moment(Session.open(lesson, lesson.seed, fork.inputsText, 650)));
});

test("a refused input changes nothing but the refusal shown", () => {
  const s = Session.open(lesson, lesson.seed, "", 300);
  const before = moment(s);
  s.input({ kind: "removeConsumer", consumer: "k3" });
  expect(s.refusal).toContain("removeConsumer.k3");
  expect(moment(s)).toBe(before);
});
