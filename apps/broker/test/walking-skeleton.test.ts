/**
 * The walking skeleton as a user meets it: `bun run broker` starts, prints its banner, is listed by
 * `kcat -L`, refuses bad options with a clear message, and exits 0 on SIGINT and SIGTERM.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { kcat, removeDir, repoRoot, startBroker, tempDir } from "./harness.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe("bun run broker", () => {
  test("prints a banner, is listed by kcat -L, and exits 0 on SIGTERM", async () => {
    const dataDir = tempDir("skeleton");
    dirs.push(dataDir);
    const broker = await startBroker({ dataDir });
    try {
      const banner = broker.output();
      expect(banner).toContain(`listening   127.0.0.1:${broker.port}`);
      expect(banner).toContain(`data dir    ${dataDir}`);
      expect(banner).toContain("storage     fs");
      expect(banner).toMatch(/Eddy \d+\.\d+\.\d+/);
      const listing = kcat(["-L", "-b", broker.bootstrap, "-m", "10"]);
      expect(listing).toContain("1 brokers:");
      expect(listing).toContain(`broker 1 at 127.0.0.1:${broker.port}`);
    } finally {
      expect(await broker.stop("SIGTERM")).toBe(0);
    }
    expect(broker.output()).toContain("stopped cleanly");
  }, 60_000);

  test("exits 0 on SIGINT, with memory storage and another node id", async () => {
    const broker = await startBroker({ args: ["--storage", "memory", "--node-id", "7"] });
    dirs.push(broker.dataDir);
    try {
      expect(broker.output()).toContain("storage     memory");
      expect(kcat(["-L", "-b", broker.bootstrap, "-m", "10"])).toContain(
        `broker 7 at 127.0.0.1:${broker.port}`,
      );
    } finally {
      expect(await broker.stop("SIGINT")).toBe(0);
    }
  }, 60_000);

  test("bad options give a clear error and a non-zero exit, not a stack trace", () => {
    for (const args of [
      ["--bogus"],
      ["--port", "x"],
      ["--override", "log.segment.bytes=big"],
      ["--storage", "tape"],
    ]) {
      const result = spawnSync(["bun", "run", "broker", ...args], { cwd: repoRoot, timeout: 20_000 });
      const stderr = result.stderr.toString();
      expect(result.exitCode).toBe(2);
      expect(stderr).toMatch(/^eddy: /m);
      expect(stderr).not.toContain("    at ");
    }
  }, 60_000);
});
