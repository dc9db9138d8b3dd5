// Runs the shared conformance suite against the file engine, each case in a fresh temp directory,
// with the hot tail cache on and off.
import { test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import { conformanceCases } from "@eddy/storage-memory/conformance";
import { layer } from "../src/index.ts";

for (const tailCacheBytesMax of [8 * 1024 * 1024, 0]) {
  const cases = conformanceCases(
    {
      setup: async () => {
        const dataDir = fs.mkdtempSync(`${os.tmpdir()}/eddy-fs-conformance-`);
        return {
          layer: (config) => layer({ dataDir, config, tailCacheBytesMax, logLine: () => {} }),
          cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
        };
      },
    },
    { numRuns: 50 },
  );
  for (const c of cases) test(`fs (tail cache ${tailCacheBytesMax} bytes): ${c.name}`, c.run, 120_000);
}
