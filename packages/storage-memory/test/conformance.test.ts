// Runs the shared conformance suite against the memory engine, with the hot tail cache on (reads
// of fresh data from memory) and off (every read through the index and a file read), with
// simulated power losses among the commands.
import { test } from "bun:test";
import { conformanceCases } from "@eddy/storage/conformance";
import { layerMemory, MemoryDisk } from "../src/index.ts";

for (const tailCacheBytesMax of [8 * 1024 * 1024, 0, 300]) {
  const cases = conformanceCases(
    {
      setup: async () => {
        const disk = new MemoryDisk();
        return {
          layer: (config) => layerMemory({ disk, config, tailCacheBytesMax, logLine: () => {} }),
          cleanup: async () => {},
          crash: (unsynced) =>
            disk.crash(
              unsynced === "lose"
                ? { _tag: "LoseUnsynced" }
                : unsynced === "keep"
                  ? { _tag: "KeepUnsynced" }
                  : { _tag: "TornTail", keptUnsyncedBytes: unsynced },
            ),
        };
      },
    },
    { numRuns: Number(process.env.EDDY_CONFORMANCE_RUNS ?? 150), crashes: true },
  );
  for (const c of cases) test(`memory (tail cache ${tailCacheBytesMax} bytes): ${c.name}`, c.run, 60_000);
}
