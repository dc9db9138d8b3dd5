/**
 * The admin listener's fault hook (`src/admin/fault-route.ts`) is for tests only: a node started
 * without `eddy.test.fault.injection.enable=true` refuses it with 403, and a cluster of one, which has
 * no peers, refuses it with 409 even when enabled. Its use in a cluster is cluster-split.test.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { type AdminBroker, startAdminBroker } from "./admin-harness.ts";

const started: AdminBroker[] = [];
afterAll(async () => {
  for (const s of started) await s.broker.stop();
});

const cut = (admin: string) =>
  fetch(`${admin}/v1/faults`, { method: "POST", body: JSON.stringify({ cut: [2], direction: "both" }) });

describe("POST /v1/faults", () => {
  test("refused with 403 unless eddy.test.fault.injection.enable=true", async () => {
    const node = await startAdminBroker();
    started.push(node);
    const response = await cut(node.admin);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toContain(
      "eddy.test.fault.injection.enable=true",
    );
  }, 30_000);

  test("enabled on a cluster of one: 409, it has no peers", async () => {
    const node = await startAdminBroker({ args: ["--override", "eddy.test.fault.injection.enable=true"] });
    started.push(node);
    const response = await cut(node.admin);
    expect(response.status).toBe(409);
  }, 30_000);
});
