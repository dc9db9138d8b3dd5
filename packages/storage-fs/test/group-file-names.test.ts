// The committed-offsets files keep the names they had when the engine used Buffer and node:crypto
// (it now uses TextEncoder and @noble/hashes so it also loads in a browser): g-<utf-8 hex>.json for
// short group ids, h-<sha256 hex>.json for long ones, so existing data directories read as before.
import { expect, test } from "bun:test";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { StateStore } from "@eddy/storage";
import * as Effect from "effect/Effect";
import { removeDir, runtime, tempDir } from "./helpers.ts";

test("group offset files are named as before: utf-8 hex, or SHA-256 for long ids", async () => {
  const dataDir = tempDir();
  const shortGroup = "group/ü";
  const longGroup = `group-${"x".repeat(300)}`;
  const offset = { topic: "a", partition: 0, offset: 5, leaderEpoch: 1, metadata: "", commitTimestampMs: 1 };
  const rt = runtime({ dataDir });
  try {
    const listed = await rt.runPromise(
      StateStore.use((state) =>
        Effect.gen(function* () {
          yield* state.commitGroupOffsets(shortGroup, [offset]);
          yield* state.commitGroupOffsets(longGroup, [offset]);
          return yield* state.groups();
        }),
      ),
    );
    expect([...listed].sort()).toEqual([longGroup, shortGroup].sort());
    const names = fs.readdirSync(`${dataDir}/eddy-state/groups`).sort();
    expect(names).toEqual(
      [
        `g-${Buffer.from(shortGroup, "utf8").toString("hex")}.json`,
        `h-${createHash("sha256").update(longGroup).digest("hex")}.json`,
      ].sort(),
    );
  } finally {
    await rt.dispose();
    removeDir(dataDir);
  }
});
