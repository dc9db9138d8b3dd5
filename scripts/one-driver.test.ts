/**
 * One node, two worlds: product code of apps/broker and packages/sim never steps the core itself;
 * only packages/node does (see scripts/one-driver.ts).
 */
import { describe, expect, test } from "bun:test";
import { coreStepCalls, shellStepCalls } from "./one-driver.ts";

describe("one driver of the core", () => {
  test("apps/broker and packages/sim never call a core step function themselves", () => {
    const calls = shellStepCalls();
    expect(calls.map((c) => `${c.file}:${c.line}: ${c.text}(...)`)).toEqual([]);
  });

  test("the check sees calls through namespaces and aliases, and ignores comments, strings and other steps", () => {
    const source = [
      'import { controller as ctl, partition, quorum, invariant } from "@eddy/core";',
      "const a = partition.step(s, i);",
      "const b = ctl.step(c, i);",
      "// quorum.step(q, i) in a comment",
      'const c = "group.step(x)";',
      "const d = other.step(1);",
      "const e = quorum.step (q, i);",
    ].join("\n");
    expect(coreStepCalls("x.ts", source).map((c) => [c.line, c.text])).toEqual([
      [2, "partition.step"],
      [3, "ctl.step"],
      [7, "quorum.step"],
    ]);
  });
});
