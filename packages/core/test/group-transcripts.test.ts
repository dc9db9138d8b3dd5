/**
 * Scenario transcripts for the classic group coordinator (packages/core/testdata/group/*.txt). Each file is
 * a script of requests and ticks with the exact Ready each produces; `REWRITE=1 bun test` regenerates them.
 */
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { GroupTranscript, runTranscriptFile } from "./group-transcript.ts";

const dir = join(import.meta.dir, "..", "testdata", "group");
const rewrite = process.env.REWRITE === "1";

for (const file of readdirSync(dir)
  .filter((f) => f.endsWith(".txt"))
  .sort()) {
  test(`group transcript ${file}`, () => {
    const driver = new GroupTranscript();
    const mismatches = runTranscriptFile(join(dir, file), (block) => driver.run(block), rewrite);
    const report = mismatches
      .map((m) => `${file}:${m.line} ${m.command}\n--- expected\n${m.expected}\n--- actual\n${m.actual}`)
      .join("\n\n");
    expect(report).toBe("");
  });
}
