/**
 * `admin.port` as users set it: Redpanda's 9644 by default, `--admin-port`, `--override`, the
 * `KAFKA_ADMIN_PORT` environment variable and a properties file, with the usual precedence, and
 * refusals of values that are not a port. In process, through the broker's own command-line parser.
 */
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCli } from "../src/config/cli.ts";
import { ConfigError } from "../src/config/resolve.ts";
import { removeDir, tempDir } from "./harness.ts";

describe("admin.port", () => {
  test("defaults to 9644; --admin-port 0 turns it off; the flag beats the environment, which beats the file", () => {
    expect(parseCli([], {}).config.adminPort).toBe(9644);
    expect(parseCli(["--admin-port", "0"], {}).config.adminPort).toBe(0);
    expect(parseCli(["--override", "admin.port=19644"], {}).config.adminPort).toBe(19644);
    expect(parseCli([], { KAFKA_ADMIN_PORT: "9645" }).config.adminPort).toBe(9645);
    const dir = tempDir("admin-config");
    try {
      const file = join(dir, "server.properties");
      writeFileSync(file, "admin.port=9700\n");
      expect(parseCli(["--config", file], {}).config.adminPort).toBe(9700);
      expect(parseCli(["--config", file], { KAFKA_ADMIN_PORT: "9645" }).config.adminPort).toBe(9645);
      expect(
        parseCli(["--config", file, "--admin-port", "9646"], { KAFKA_ADMIN_PORT: "9645" }).config.adminPort,
      ).toBe(9646);
      // The last --admin-port wins, which is how the test harness's default of 0 is overridden.
      expect(parseCli(["--admin-port", "0", "--admin-port", "9647"], {}).config.adminPort).toBe(9647);
    } finally {
      removeDir(dir);
    }
  });

  test("a value that is not a port is refused, naming the property", () => {
    for (const bad of ["70000", "-1", "http", ""]) {
      const attempt = () => parseCli(["--admin-port", bad], {});
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(bad === "" ? "--admin-port needs a value" : "admin.port");
    }
  });

  test("--help lists the flag", async () => {
    const { usage } = await import("../src/config/cli.ts");
    expect(usage).toContain("--admin-port PORT");
    expect(usage).toContain("[admin.port]");
  });
});
