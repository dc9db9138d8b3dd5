/**
 * `/healthz` and `/readyz` through a broker's life: 503 "starting" while the node opens, 200 once it
 * has loaded its metadata and listens, 503 "shutting down" while it stops, and nothing after. The
 * node is slowed by a preload (`fixtures/admin-slow-node.ts`) so each phase lasts long enough to be
 * seen. Also: `--admin-port 0` serves nothing, a taken admin port refuses the start naming it, and
 * the harness keeps the listener off.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { freePort, startAdminBroker } from "./admin-harness.ts";
import { removeDir, repoRoot, startBroker, tempDir } from "./harness.ts";

/** Each test starts clients and waits on a real broker; the 5 s default is too short on a busy machine. */
const testTimeoutMs = 60_000;

const slowNode = join(import.meta.dir, "fixtures/admin-slow-node.ts");
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});

/** GET a path; `null` when nothing answers (connection refused). */
async function get(url: string): Promise<{ status: number; text: string } | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return { status: response.status, text: await response.text() };
  } catch {
    return null;
  }
}

describe("health and readiness", () => {
  test(
    "readyz: 503 starting while the node opens, 200 once it serves, 503 shutting down while it stops",
    async () => {
      const port = freePort();
      const admin = `http://127.0.0.1:${port}`;
      const seen: { status: number; text: string }[] = [];
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const answer = await get(`${admin}/readyz`);
          if (answer !== null) seen.push(answer);
          await Bun.sleep(50);
        }
      })();
      const broker = await startBroker({
        args: ["--admin-port", String(port)],
        preload: slowNode,
        env: { EDDY_TEST_OPEN_DELAY_MS: "1500", EDDY_TEST_CLOSE_DELAY_MS: "1500" },
      });
      dirs.push(broker.dataDir);
      polling = false;
      await poll;
      expect(seen.length).toBeGreaterThan(3);
      expect(seen[0]).toEqual({ status: 503, text: "starting: loading metadata and partitions\n" });
      // The banner is out: the node has loaded its metadata and listens.
      expect(await get(`${admin}/readyz`)).toEqual({ status: 200, text: "ready\n" });
      expect(await get(`${admin}/healthz`)).toEqual({ status: 200, text: "ok\n" });

      const stopping: { status: number; text: string }[] = [];
      const exited = broker.stop("SIGTERM");
      for (let i = 0; i < 10; i++) {
        const answer = await get(`${admin}/readyz`);
        if (answer === null) break;
        stopping.push(answer);
        await Bun.sleep(50);
      }
      expect(await exited).toBe(0);
      // An answer may still come before the process has handled the signal; from the first answer
      // after it, every one says the node is shutting down (never ready again).
      const afterSignal = stopping.slice(
        stopping.findIndex((a) => !(a.status === 200 && a.text === "ready\n")),
      );
      expect(stopping.findIndex((a) => a.status !== 200)).toBeGreaterThanOrEqual(0);
      expect(afterSignal.length).toBeGreaterThan(0);
      expect(afterSignal.every((a) => a.status === 503 && a.text === "shutting down\n")).toBe(true);
      // Stopped: the listener is gone with the broker.
      expect(await get(`${admin}/healthz`)).toBeNull();
    },
    testTimeoutMs,
  );

  test(
    "before the node serves, the admin API answers 503 with the reason and /metrics only the process",
    async () => {
      const port = freePort();
      const admin = `http://127.0.0.1:${port}`;
      const early = (async () => {
        for (let i = 0; i < 200; i++) {
          const api = await fetch(`${admin}/api/v1/topics`).catch(() => null);
          if (api !== null) {
            const metrics = await (await fetch(`${admin}/metrics`)).text();
            return { status: api.status, body: await api.json(), metrics };
          }
          await Bun.sleep(25);
        }
        return null;
      })();
      const broker = await startBroker({
        args: ["--admin-port", String(port)],
        preload: slowNode,
        env: { EDDY_TEST_OPEN_DELAY_MS: "1500" },
      });
      dirs.push(broker.dataDir);
      try {
        const answer = await early;
        expect(answer).not.toBeNull();
        expect(answer!.status).toBe(503);
        expect(answer!.body).toEqual({ error: "starting: loading metadata and partitions" });
        expect(answer!.metrics).toContain("kafka_server_kafkaserver_brokerstate 1\n");
        expect(answer!.metrics).toContain("process_resident_memory_bytes ");
        expect(answer!.metrics).not.toContain("kafka_log_log_size");
      } finally {
        expect(await broker.stop()).toBe(0);
      }
    },
    testTimeoutMs,
  );

  test(
    "--admin-port 0 serves nothing and prints no admin line; the harness default is off",
    async () => {
      const broker = await startBroker();
      dirs.push(broker.dataDir);
      try {
        expect(broker.output()).toContain("\n  storage     fs\n");
        expect(broker.output()).not.toContain("  admin ");
      } finally {
        await broker.stop();
      }
    },
    testTimeoutMs,
  );

  test(
    "a taken admin port refuses the start with exit 1, naming admin.port and what to do",
    async () => {
      const running = await startAdminBroker();
      dirs.push(running.broker.dataDir);
      try {
        const port = new URL(running.admin).port;
        const dataDir = tempDir("admin-taken");
        dirs.push(dataDir);
        const child = Bun.spawnSync(
          ["bun", "run", "broker", "--port", "0", "--data-dir", dataDir, "--admin-port", port],
          { cwd: repoRoot, timeout: 30_000 },
        );
        expect(child.exitCode).toBe(1);
        const err = child.stderr.toString();
        expect(err).toContain(
          `eddy: cannot start: admin listener (admin.port) cannot bind 127.0.0.1:${port}`,
        );
        expect(err).toContain("--admin-port");
      } finally {
        await running.broker.stop();
      }
    },
    testTimeoutMs,
  );
});
