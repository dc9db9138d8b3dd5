// Runs the shared conformance suite against the file engine, each case in a fresh temp directory,
// with the hot tail cache on and off, and processes killed (SIGKILL-like) among the commands.
import { test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import { conformanceCases } from "@eddy/storage/conformance";
import { layer } from "../src/index.ts";
import { killableFiles } from "./killable-files.ts";

for (const tailCacheBytesMax of [8 * 1024 * 1024, 0]) {
  const cases = conformanceCases(
    {
      setup: async () => {
        const dataDir = fs.mkdtempSync(`${os.tmpdir()}/eddy-fs-conformance-`);
        const disk = killableFiles();
        return {
          layer: (config) =>
            layer({ dataDir, config, tailCacheBytesMax, logLine: () => {}, files: disk.files }),
          cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
          // A real disk cannot lose its page cache here; a kill -9 keeps every written byte.
          crash: () => disk.kill(),
        };
      },
    },
    { numRuns: Number(process.env.EDDY_CONFORMANCE_RUNS ?? 50), crashes: true },
  );
  for (const c of cases) test(`fs (tail cache ${tailCacheBytesMax} bytes): ${c.name}`, c.run, 120_000);
}
