// The dump-log tool lists a segment's batches and index entries, and reports a torn tail.
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { dumpSegment } from "../src/index.ts";
import { makeBatches, removeDir, segmentPath, tempDir, writeLog } from "./helpers.ts";

const dirs: Array<string> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

test("dump-log prints batches with CRC validity, then index and time index entries", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const batches = makeBatches(6, 3, 100);
  await writeLog(dir, batches, { indexIntervalBytes: 200 });
  const path = segmentPath(dir, 0, ".log");
  const bytes = fs.readFileSync(path);
  const at = batches[0]!.length + 70;
  bytes[at] = bytes[at]! ^ 0xff;
  fs.writeFileSync(path, bytes);
  const lines = dumpSegment(path);
  const batchLines = lines.filter((l) => l.startsWith("baseOffset:"));
  expect(batchLines.length).toBe(6);
  expect(batchLines[0]).toContain("baseOffset: 0 lastOffset: 2 count: 3 position: 0 size: 161");
  expect(batchLines[0]).toContain("isvalid: true");
  expect(batchLines[1]).toContain("isvalid: false");
  expect(lines).toContain("offset: 8 position: 322");
  expect(lines).toContain("timestamp: 1700000000002 offset: 8");
  expect(dumpSegment(segmentPath(dir, 0, ".index"))).toContain("offset: 8 position: 322");
  fs.truncateSync(path, 161 * 2 + 20);
  expect(dumpSegment(path, { indexes: false }).join("\n")).toContain("Torn tail at position 322");
});
