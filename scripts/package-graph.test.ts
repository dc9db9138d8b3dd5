/**
 * The workspace's package graph has no cycle, so turbo runs at all: a package that depends on
 * another, even only for its tests, must not be depended on by it (apps/broker depends on
 * @eddy/client, so @eddy/client's tests may not start the broker). Method: the cycle finder on small
 * graphs with and without a cycle, then on the repository's package.json files.
 */
import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { cycleOf, workspaceGraph } from "./package-graph.ts";

describe("package graph", () => {
  test("the cycle finder names a cycle, also one through three packages, and none in a chain", () => {
    expect(
      cycleOf(
        new Map([
          ["a", ["b"]],
          ["b", ["a"]],
        ]),
      ),
    ).toEqual(["a", "b", "a"]);
    expect(
      cycleOf(
        new Map([
          ["a", ["b"]],
          ["b", ["c"]],
          ["c", ["a"]],
        ]),
      ),
    ).toEqual(["a", "b", "c", "a"]);
    expect(
      cycleOf(
        new Map([
          ["a", ["b", "c"]],
          ["b", ["c"]],
          ["c", []],
        ]),
      ),
    ).toBeNull();
  });

  test("the workspace's packages, dev dependencies included, form no cycle", () => {
    const graph = workspaceGraph(resolve(import.meta.dir, ".."));
    expect(graph.get("@eddy/broker")).toContain("@eddy/client");
    expect(cycleOf(graph)).toBeNull();
  });
});
