/**
 * Scenario transcripts for the classic group coordinator (packages/core/testdata/group/*.txt). Each file is
 * a script of requests and ticks with the exact Ready each produces; `UPDATE_TRANSCRIPTS=1 bun test`
 * regenerates them.
 */
import { GroupTranscript } from "./group-transcript.ts";
import { transcriptTests } from "./transcript.ts";

transcriptTests("group", () => {
  const driver = new GroupTranscript();
  return (c) => driver.run(c);
});
