import { expect, test } from "bun:test";
import { MemoryDisk } from "@eddy/storage-memory";
import { HwCheckpoint, hwCheckpointFileName } from "../src/replica/hw-checkpoint.ts";

const decoder = new TextDecoder();

test("a background checkpoint write lands once, one at a time, and a failed one leaves the table to write", async () => {
  const disk = new MemoryDisk();
  disk.makeDir("/data");
  const hw = HwCheckpoint.open(disk, "/data");
  hw.record("t", 0, 10);
  const first = hw.writeInBackground();
  // A second call while the first runs gets the same write, not a second one on the same temporary file.
  expect(hw.writeInBackground()).toBe(first);
  await first;
  expect(decoder.decode(disk.readAll(`/data/${hwCheckpointFileName}`)!)).toBe("0\n1\nt 0 10\n");
  // Nothing changed: nothing to write.
  await hw.writeInBackground();

  hw.record("t", 0, 20);
  disk.faults.failNextWrite = "Io";
  await expect(hw.writeInBackground()).rejects.toThrow();
  await hw.settled();
  // The failed write keeps the change pending; the synchronous write (as at a clean stop) then lands it.
  hw.write();
  expect(decoder.decode(disk.readAll(`/data/${hwCheckpointFileName}`)!)).toBe("0\n1\nt 0 20\n");
  // A reopened table reads what was written.
  expect(HwCheckpoint.open(disk, "/data").stored("t", 0)).toBe(20);
});
