// The log's synchronous twins over node:fs: `flushNow` and the checkpoint writers reach the disk and
// are read back by a fresh open (recovery), as their asynchronous calls are.
import { afterEach, expect, test } from "bun:test";
import * as fs from "node:fs";
import { batchMake } from "@eddy/protocol";
import { logConfigMake, PartitionLog } from "@eddy/storage";
import { nodeFiles } from "../src/index.ts";
import { removeDir, tempDir } from "./helpers.ts";

const dirs: Array<string> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function openLog(dir: string): PartitionLog {
  return PartitionLog.open({
    files: nodeFiles,
    dir: `${dir}/t-0`,
    name: "t-0",
    config: logConfigMake({ segmentBytesMax: 300 }),
    tailCacheBytesMax: 0,
    logLine: () => {},
    nowMs: 0,
  });
}

test("flushNow, advanceLogStartNow, writeLeaderEpochsNow and truncateFullyAndStartAtNow write real files", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const log = openLog(dir);
  for (let i = 0; i < 10; i++)
    log.append(batchMake({ baseOffset: i * 2, recordCount: 2, body: new Uint8Array(50) }), i);
  expect(log.flushNow()).toBe(20);
  expect(log.advanceLogStartNow(7).logStartOffset).toBe(7);
  log.writeLeaderEpochsNow([{ epoch: 2, startOffset: 0 }]);
  expect(fs.readFileSync(`${dir}/t-0/log-start-offset-checkpoint`, "utf8")).toBe("7\n");
  expect(fs.readFileSync(`${dir}/t-0/leader-epoch-checkpoint`, "utf8")).toBe("0\n1\n2 0\n");
  await log.close();
  const reopened = openLog(dir);
  expect(reopened.info()).toMatchObject({ logStartOffset: 7, logEndOffset: 20 });
  expect(reopened.readLeaderEpochs()).toEqual([{ epoch: 2, startOffset: 0 }]);
  expect(reopened.truncateFullyAndStartAtNow(40, 0)).toMatchObject({ logStartOffset: 40, logEndOffset: 40 });
  await reopened.close();
  expect(openLog(dir).info()).toMatchObject({ logStartOffset: 40, logEndOffset: 40 });
  expect(fs.readdirSync(`${dir}/t-0`).filter((f) => f.endsWith(".log"))).toEqual([
    "00000000000000000040.log",
  ]);
});
