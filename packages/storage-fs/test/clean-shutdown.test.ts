// Recovery reads only what it must, on real files. After a clean close and Kafka's clean-shutdown
// marker, a reopened log scans no segment from its first byte (the active segment's index tail only);
// after a kill only the segments at and after the recovery point are scanned, and a corrupt tail is
// still cut. Each case counts the engine's scans (`recoveryStats`) and reads every batch back.
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { batchMake } from "@eddy/protocol";
import {
  cleanShutdownFileName,
  type Files,
  type LogConfig,
  logConfigDefault,
  PartitionLog,
  takeCleanShutdownMarker,
  writeCleanShutdownMarker,
} from "@eddy/storage";
import { nodeFiles } from "../src/index.ts";
import { makeBatches, removeDir, tempDir } from "./helpers.ts";
import { killableFiles } from "./killable-files.ts";

const dirs: Array<string> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});
function fresh(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

// 40 batches of 5 records, 161 bytes each; 2 KiB segments hold 12 batches, so the log has 4 segments,
// and an index entry every 300 bytes gives the active segment several entries.
const batches = makeBatches(40, 5, 100);
const config: LogConfig = { ...logConfigDefault, segmentBytesMax: 2048, indexIntervalBytes: 300 };

function open(
  files: Files,
  dataDir: string,
  cleanShutdown: boolean,
  lines: Array<string> = [],
  flushOnRoll = false,
): PartitionLog {
  return PartitionLog.open({
    flushOnRoll,
    files,
    dir: `${dataDir}/orders-0`,
    name: "orders-0",
    config,
    tailCacheBytesMax: 0,
    logLine: (line) => lines.push(line),
    nowMs: 0,
    cleanShutdown,
  });
}

/** Every batch of the log, one read per batch, from its files (the tail cache is off). */
function readBack(log: PartitionLog): Array<Uint8Array> {
  const info = log.info();
  const out: Array<Uint8Array> = [];
  for (let offset = info.logStartOffset; offset < info.logEndOffset; ) {
    const read = log.read({ fetchOffset: offset, maxBytes: 1 });
    expect(read.batchCount).toBe(1);
    out.push(read.records.slice());
    offset = read.nextOffset;
  }
  return out;
}

test("after a clean close and the marker, no segment is scanned and every batch reads back", async () => {
  const dir = fresh();
  const first = open(nodeFiles, dir, false);
  for (const batch of batches) first.append(batch, 0);
  const infoBefore = first.info();
  const segmentsBefore = first.segmentInfos();
  expect(segmentsBefore.length).toBe(4);
  expect(await first.close()).toBe(true);
  writeCleanShutdownMarker(nodeFiles, dir);
  expect(fs.existsSync(`${dir}/${cleanShutdownFileName}`)).toBe(true);

  // The next start takes the marker away before anything is written.
  expect(takeCleanShutdownMarker(nodeFiles, dir)).toBe(true);
  expect(fs.existsSync(`${dir}/${cleanShutdownFileName}`)).toBe(false);
  expect(takeCleanShutdownMarker(nodeFiles, dir)).toBe(false);
  const lines: Array<string> = [];
  const clean = open(nodeFiles, dir, true, lines);
  expect(clean.recoveryStats.segmentsScanned).toBe(0);
  expect(clean.recoveryStats.segmentsLoaded).toBe(4);
  // Only the batches from the active segment's last index entry on were read.
  const activeBytes = segmentsBefore.at(-1)!.sizeBytes;
  expect(clean.recoveryStats.tailBytesScanned).toBeGreaterThan(0);
  expect(clean.recoveryStats.tailBytesScanned).toBeLessThan(activeBytes);
  expect(lines).toEqual([]);
  // The flushed offset differs (nothing was flushed before the close); the log itself is the same.
  expect({ ...clean.info(), flushedOffset: 0 }).toEqual({ ...infoBefore, flushedOffset: 0 });
  expect(clean.segmentInfos()).toEqual(segmentsBefore);
  expect(readBack(clean)).toEqual(batches);

  // The state it resumed from is the state a full scan builds: the next index entry and the next
  // roll land where they would have, and a second open that scans agrees byte for byte.
  const more = makeBatches(50, 5, 100).slice(40);
  for (const batch of more) clean.append(batch, 0);
  const afterAppend = clean.segmentInfos();
  expect(await clean.close()).toBe(true);
  const scanned = open(nodeFiles, dir, false);
  expect(scanned.recoveryStats.segmentsScanned).toBe(1);
  expect(scanned.segmentInfos()).toEqual(afterAppend);
  expect(readBack(scanned)).toEqual([...batches, ...more]);
  await scanned.close();
});

test("after a kill only the segments at and after the recovery point are scanned", async () => {
  const dir = fresh();
  const disk = killableFiles();
  const log = open(disk.files, dir, false);
  for (const batch of batches.slice(0, 30)) log.append(batch, 0);
  await log.flush();
  for (const batch of batches.slice(30)) log.append(batch, 0);
  const segments = log.segmentInfos();
  disk.kill();

  const recoveryPoint = Number(fs.readFileSync(`${dir}/orders-0/recovery-point-offset-checkpoint`, "utf8"));
  const unflushed = segments.filter((s) => s.baseOffset >= recoveryPoint).length;
  expect(unflushed).toBeGreaterThanOrEqual(2);
  expect(unflushed).toBeLessThan(segments.length);
  const after = open(nodeFiles, dir, false);
  expect(after.recoveryStats.segmentsScanned).toBe(unflushed);
  expect(after.recoveryStats.segmentsLoaded).toBe(segments.length - unflushed);
  expect(readBack(after)).toEqual(batches);
  await after.close();
});

test("after a kill a corrupt byte in the unflushed tail is cut, and what was flushed stays", async () => {
  const dir = fresh();
  const disk = killableFiles();
  const log = open(disk.files, dir, false);
  for (const batch of batches.slice(0, 30)) log.append(batch, 0);
  await log.flush();
  for (const batch of batches.slice(30)) log.append(batch, 0);
  const active = log.segmentInfos().at(-1)!;
  disk.kill();
  const path = `${dir}/orders-0/${String(active.baseOffset).padStart(20, "0")}.log`;
  const bytes = fs.readFileSync(path);
  const size = batches[0]!.length;
  bytes[size + 80] = bytes[size + 80]! ^ 0x01;
  fs.writeFileSync(path, bytes);

  const lines: Array<string> = [];
  const after = open(nodeFiles, dir, false, lines);
  expect(lines.join("\n")).toContain("corrupt tail");
  expect(after.info().logEndOffset).toBe(active.baseOffset + 5);
  expect(fs.statSync(path).size).toBe(size);
  expect(readBack(after)).toEqual(batches.slice(0, active.baseOffset / 5 + 1));
  await after.close();
});

test("a marker with a damaged active segment falls back to a scan that cuts the damage", async () => {
  const dir = fresh();
  const first = open(nodeFiles, dir, false);
  for (const batch of batches) first.append(batch, 0);
  const active = first.segmentInfos().at(-1)!;
  await first.close();
  const path = `${dir}/orders-0/${String(active.baseOffset).padStart(20, "0")}.log`;
  const bytes = fs.readFileSync(path);
  const size = batches[0]!.length;
  // The last batch lies after the last index entry, so the index-tail check reads it.
  bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x01;
  fs.writeFileSync(path, bytes);

  const lines: Array<string> = [];
  const after = open(nodeFiles, dir, true, lines);
  expect(lines.join("\n")).toContain(`scanning active segment ${active.baseOffset}`);
  expect(lines.join("\n")).toContain("corrupt tail");
  expect(after.recoveryStats.segmentsScanned).toBe(1);
  expect(fs.statSync(path).size).toBe(bytes.length - size);
  expect(readBack(after)).toEqual(batches.slice(0, -1));
  await after.close();
});

test("a marker with the active segment's index removed rebuilds it by a scan and loses nothing", async () => {
  const dir = fresh();
  const first = open(nodeFiles, dir, false);
  for (const batch of batches) first.append(batch, 0);
  const segments = first.segmentInfos();
  await first.close();
  const index = `${dir}/orders-0/${String(segments.at(-1)!.baseOffset).padStart(20, "0")}.index`;
  // A stale index that points into the wrong batch must not be believed either.
  fs.writeFileSync(index, new Uint8Array([0, 0, 0, 1, 0, 0, 0, 161]));
  const lines: Array<string> = [];
  const after = open(nodeFiles, dir, true, lines);
  expect(lines.join("\n")).toContain("scanning active segment");
  expect(after.recoveryStats.segmentsScanned).toBe(1);
  expect(after.segmentInfos()).toEqual(segments);
  expect(readBack(after)).toEqual(batches);
  // An append after recovery continues at the log end.
  after.append(batchMake({ baseOffset: 200, recordCount: 1, baseTimestampMs: 5 }), 0);
  expect(after.info().logEndOffset).toBe(201);
  await after.close();
});

test("with flushOnRoll the recovery point follows the rolls, so a kill rescans only the active segment", async () => {
  const dir = fresh();
  const disk = killableFiles();
  const lines: Array<string> = [];
  const log = open(disk.files, dir, false, lines, true);
  for (const batch of batches) log.append(batch, 0);
  const segments = log.segmentInfos();
  const active = segments.at(-1)!;
  const checkpoint = `${dir}/orders-0/recovery-point-offset-checkpoint`;
  // The last roll's background fsync completes on the thread pool.
  for (
    let i = 0;
    i < 200 &&
    !(fs.existsSync(checkpoint) && Number(fs.readFileSync(checkpoint, "utf8")) === active.baseOffset);
    i++
  ) {
    await Bun.sleep(5);
  }
  expect(Number(fs.readFileSync(checkpoint, "utf8"))).toBe(active.baseOffset);
  disk.kill();
  const after = open(nodeFiles, dir, false);
  expect(after.recoveryStats.segmentsScanned).toBe(1);
  expect(after.recoveryStats.scannedFromOffset).toBe(active.baseOffset);
  expect(after.recoveryStats.segmentsLoaded).toBe(segments.length - 1);
  expect(readBack(after)).toEqual(batches);
  expect(lines).toEqual([]);
  await after.close();
});
