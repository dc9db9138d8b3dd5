/**
 * Scenario transcripts for the classic group coordinator (packages/core/testdata/group/*.txt). Each file is
 * a script of requests and ticks with the exact Ready each produces; `UPDATE_TRANSCRIPTS=1 bun test`
 * regenerates them.
 */
import { test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { GroupTranscript } from "./group-transcript.ts";
import { runTranscript } from "./transcript.ts";

const dir = join(import.meta.dir, "..", "testdata", "group");

for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".txt"))
  .sort()) {
  test(`group transcript ${file}`, () => {
    const driver = new GroupTranscript();
    runTranscript(join(dir, file), (c) => driver.run(c));
  });
}
