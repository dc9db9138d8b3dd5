// Runs the shared conformance suite against the memory engine.
import { test } from "bun:test";
import { conformanceCases } from "../src/conformance/index.ts";
import { layerMemory, MemoryDisk } from "../src/index.ts";

const cases = conformanceCases({
  setup: async () => {
    const disk = new MemoryDisk();
    return { layer: (config) => layerMemory({ disk, config, logLine: () => {} }), cleanup: async () => {} };
  },
});
for (const c of cases) test(`memory: ${c.name}`, c.run, 60_000);
