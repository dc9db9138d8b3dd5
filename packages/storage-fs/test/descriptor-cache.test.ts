// The file engine's descriptor cache: more files than `openDescriptorsMax` stay usable (written, read
// back, sized, fsynced, truncated) while the process never holds more descriptors than the bound, and
// whole partition logs beyond it append and read as before. Without the cache 10,000 partitions held
// 30,000 descriptors and the broker failed with EMFILE near 7,000 under a limit of 20,000.
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { batchMake } from "@eddy/protocol";
import { type FileHandle, logConfigMake, PartitionLog } from "@eddy/storage";
import { descriptorCounts, nodeFiles, openDescriptorsMax } from "../src/index.ts";
import { removeDir, tempDir } from "./helpers.ts";

const dirs: Array<string> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

/** Descriptors this process holds now, counted by the kernel. */
function processDescriptors(): number {
  return fs.readdirSync("/proc/self/fd").length;
}

test("files past the bound keep their bytes while the open descriptors stay within it", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const filesCount = openDescriptorsMax + 300;
  const before = processDescriptors();
  const handles: Array<FileHandle> = [];
  for (let i = 0; i < filesCount; i++) {
    const handle = nodeFiles.open(`${dir}/f${i}`, true);
    handle.write(new TextEncoder().encode(`file ${i}`), 0);
    handles.push(handle);
  }
  expect(descriptorCounts.open).toBeLessThanOrEqual(openDescriptorsMax);
  expect(processDescriptors() - before).toBeLessThanOrEqual(openDescriptorsMax);
  const opensBefore = descriptorCounts.opens;
  // The first files were closed by the cache; using them reopens them and their bytes are there.
  for (let i = 0; i < filesCount; i += 97) {
    const into = new Uint8Array(32);
    const got = handles[i]!.read(into, 0);
    expect(new TextDecoder().decode(into.subarray(0, got))).toBe(`file ${i}`);
    expect(handles[i]!.size()).toBe(`file ${i}`.length);
  }
  expect(descriptorCounts.opens).toBeGreaterThan(opensBefore);
  await handles[0]!.sync();
  handles[1]!.syncNow();
  handles[2]!.truncate(2);
  expect(fs.readFileSync(`${dir}/f2`, "utf8")).toBe("fi");
  for (const handle of handles) handle.close();
  expect(processDescriptors()).toBeLessThanOrEqual(before);
  expect(() => handles[3]!.read(new Uint8Array(1), 0)).toThrow(/closed/);
});

test("an fsync in flight keeps its descriptor while other files push it out of the cache", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const first = nodeFiles.open(`${dir}/pinned`, true);
  first.write(new Uint8Array([1, 2, 3]), 0);
  const syncing = first.sync();
  const others: Array<FileHandle> = [];
  for (let i = 0; i < openDescriptorsMax + 10; i++) others.push(nodeFiles.open(`${dir}/o${i}`, true));
  await syncing;
  expect(first.size()).toBe(3);
  first.close();
  for (const handle of others) handle.close();
});

test("partition logs past the bound append and read back their batches", () => {
  const dir = tempDir();
  dirs.push(dir);
  // Three files a partition: this many logs need more descriptors than the bound allows.
  const logsCount = Math.ceil(openDescriptorsMax / 3) + 50;
  const logs: Array<PartitionLog> = [];
  for (let p = 0; p < logsCount; p++) {
    const log = PartitionLog.open({
      files: nodeFiles,
      dir: `${dir}/t-${p}`,
      name: `t-${p}`,
      config: logConfigMake({}),
      tailCacheBytesMax: 0,
      logLine: () => {},
      nowMs: 0,
    });
    log.append(batchMake({ baseOffset: 0, recordCount: 2, body: new TextEncoder().encode(`p${p}`) }), 0);
    logs.push(log);
  }
  expect(descriptorCounts.open).toBeLessThanOrEqual(openDescriptorsMax);
  for (let p = 0; p < logsCount; p += 101) {
    const read = logs[p]!.read({ fetchOffset: 0, maxBytes: 1 << 20 });
    expect(read.batchCount).toBe(1);
    expect(read.nextOffset).toBe(2);
  }
  for (const log of logs) log.flushNow();
  for (const log of logs) void log.close();
});
