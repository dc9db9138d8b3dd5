/**
 * The broker's life as a scoped Effect: a refused start is a StartError whose reason says why (stored
 * data, the listener, anything else), and the process exits 1 naming it; a started broker is stopped
 * cleanly by its scope's release.
 */
import { afterAll, expect, test } from "bun:test";
import { HwCheckpointError } from "@eddy/node";
import { storageError } from "@eddy/storage";
import { spawnSync } from "bun";
import { startErrorOf } from "../src/lifetime.ts";
import { type RunningBroker, removeDir, repoRoot, startBroker, tempDir } from "./harness.ts";

let running: RunningBroker | undefined;
afterAll(async () => {
  if (running !== undefined) {
    await running.stop();
    removeDir(running.dataDir);
  }
});

test("a failed start is sorted into a reason by what was thrown", () => {
  expect(startErrorOf(storageError("Corrupt", "meta.properties", "field node.id")).reason._tag).toBe(
    "StartStorage",
  );
  expect(startErrorOf(new HwCheckpointError("/d/replication-offset-checkpoint: line 1")).reason._tag).toBe(
    "StartStorage",
  );
  const taken = Object.assign(new Error("Failed to start server. Is port 9092 in use?"), {
    code: "EADDRINUSE",
  });
  expect(startErrorOf(taken).reason._tag).toBe("StartListen");
  expect(startErrorOf(new Error("boom")).reason._tag).toBe("StartOther");
});

test("a port already in use is refused with exit 1 and a message naming the listener, not a stack trace", async () => {
  running = await startBroker();
  const dataDir = tempDir("lifetime");
  const second = spawnSync(["bun", "run", "broker", "--port", String(running.port), "--data-dir", dataDir], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
  });
  removeDir(dataDir);
  const err = second.stderr.toString();
  expect(second.exitCode).toBe(1);
  expect(err).toContain("eddy: cannot start:");
  expect(err).not.toContain("    at ");
}, 30_000);

test("a malformed high-watermark checkpoint refuses the start and is left as it was", async () => {
  const dataDir = tempDir("hwcp");
  const path = `${dataDir}/replication-offset-checkpoint`;
  await Bun.write(path, "0\n1\nt 0 not-a-number\n");
  const run = spawnSync(["bun", "run", "broker", "--port", "0", "--data-dir", dataDir], {
    cwd: repoRoot,
    stdout: "pipe",
    stderr: "pipe",
  });
  const text = await Bun.file(path).text();
  removeDir(dataDir);
  expect(run.exitCode).toBe(1);
  expect(run.stderr.toString()).toContain("replication-offset-checkpoint: line 3: bad offset not-a-number");
  expect(text).toBe("0\n1\nt 0 not-a-number\n");
}, 30_000);
