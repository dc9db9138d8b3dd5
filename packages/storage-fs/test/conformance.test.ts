// Runs the shared conformance suite against the file engine, each case in a fresh temp directory.
import { test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import { conformanceCases } from "@eddy/storage-memory/conformance";
import { layer } from "../src/index.ts";

const cases = conformanceCases(
  {
    setup: async () => {
      const dataDir = fs.mkdtempSync(`${os.tmpdir()}/eddy-fs-conformance-`);
      return {
        layer: (config) => layer({ dataDir, config, logLine: () => {} }),
        cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
      };
    },
  },
  { numRuns: 40 },
);
for (const c of cases) test(`fs: ${c.name}`, c.run, 120_000);
