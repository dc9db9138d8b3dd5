/**
 * One cluster id shared by every node: `bun run broker -- --format --cluster-id <id>` writes
 * `meta.properties`, and a start with `--cluster-id` or another `--node-id` refuses a data directory
 * of another cluster or node with exit code 1 and a clear message, changing nothing in it. Every
 * broker here is started the way users start it (`bun run broker ...` from the repository root).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "bun";
import { parseCli } from "../src/config/cli.ts";
import { removeDir, repoRoot, startBroker, tempDir } from "./harness.ts";

const clusterA = "MkU3OEVBNTcwNTJENDM2Qg";
const clusterB = "4L6g3nShT-eMCtK--X86sw";

/** Runs `bun run broker <args>` to its end (the format command, or a start that is refused). */
function brokerCommand(args: string[]): { exitCode: number; out: string; err: string } {
  // A start refused for its data directory must not be refused for a taken admin port instead.
  const admin = args.includes("--format") ? [] : ["--admin-port", "0"];
  const result = spawnSync(["bun", "run", "broker", ...args, ...admin], {
    cwd: repoRoot,
    stdin: "ignore",
    timeout: 30_000,
  });
  return { exitCode: result.exitCode ?? -1, out: result.stdout.toString(), err: result.stderr.toString() };
}

/** Every file of a directory tree with its bytes and modification time, to show nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string, depth: number): void => {
    if (depth > 4) return;
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path, depth + 1);
      else out[path] = `${stat.mtimeMs}:${readFileSync(path).toString("base64")}`;
    }
  };
  walk(dir, 0);
  return out;
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});

describe("cluster id", () => {
  test("--format writes meta.properties once; a second format is refused, --ignore-formatted accepts the same ids", () => {
    const dir = tempDir("format");
    dirs.push(dir);
    const first = brokerCommand(["--format", "--cluster-id", clusterA, "--node-id", "2", "--data-dir", dir]);
    expect(first.exitCode).toBe(0);
    expect(first.out).toContain(`Formatted ${dir} for cluster ${clusterA}, node 2`);
    const meta = readFileSync(join(dir, "meta.properties"), "utf8");
    expect(meta).toContain(`cluster.id=${clusterA}`);
    expect(meta).toContain("node.id=2");
    expect(meta).toContain("version=1");

    const before = snapshot(dir);
    const again = brokerCommand(["--format", "--cluster-id", clusterB, "--node-id", "2", "--data-dir", dir]);
    expect(again.exitCode).toBe(1);
    expect(again.err).toContain(
      `eddy: cannot format: ${dir} is already formatted (cluster ${clusterA}, node 2)`,
    );
    const same = brokerCommand(["--format", "--cluster-id", clusterA, "--node-id", "2", "--data-dir", dir]);
    expect(same.exitCode).toBe(1);
    const ignored = brokerCommand([
      "--format",
      "--ignore-formatted",
      "--cluster-id",
      clusterA,
      "--node-id",
      "2",
      "--data-dir",
      dir,
    ]);
    expect(ignored.exitCode).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  test("--format refuses what is not a cluster id, and needs one", () => {
    const dir = tempDir("format-bad");
    dirs.push(dir);
    const bad = brokerCommand(["--format", "--cluster-id", "my-cluster", "--data-dir", dir]);
    expect(bad.exitCode).toBe(2);
    expect(bad.err).toContain('--cluster-id: "my-cluster" is not a cluster id');
    const missing = brokerCommand(["--format", "--data-dir", dir]);
    expect(missing.exitCode).toBe(2);
    expect(missing.err).toMatch(/--format needs --cluster-id.*e\.g\. --cluster-id [A-Za-z0-9_-]{22}/);
    expect(readdirSync(dir)).toEqual([]);
  });

  test("a formatted node starts with its cluster id; another cluster id or node id is refused, nothing changed", async () => {
    const dir = tempDir("cluster-id");
    dirs.push(dir);
    expect(brokerCommand(["--format", "--cluster-id", clusterA, "--data-dir", dir]).exitCode).toBe(0);
    const broker = await startBroker({ dataDir: dir, args: ["--cluster-id", clusterA] });
    expect(await broker.stop()).toBe(0);

    const before = snapshot(dir);
    const otherCluster = brokerCommand(["--port", "0", "--data-dir", dir, "--cluster-id", clusterB]);
    expect(otherCluster.exitCode).toBe(1);
    expect(otherCluster.err).toContain(
      `eddy: cannot start: ${dir} belongs to cluster ${clusterA}, not cluster ${clusterB} (--cluster-id)`,
    );
    const otherNode = brokerCommand(["--port", "0", "--data-dir", dir, "--node-id", "7"]);
    expect(otherNode.exitCode).toBe(1);
    expect(otherNode.err).toContain(`eddy: cannot start: ${dir} belongs to node 1, not node 7`);
    expect(snapshot(dir)).toEqual(before);

    // Without --cluster-id the node takes the id its directory holds, as it always has.
    const plain = await startBroker({ dataDir: dir });
    expect(await plain.stop()).toBe(0);
    expect(readFileSync(join(dir, "meta.properties"), "utf8")).toContain(`cluster.id=${clusterA}`);
  }, 60_000);

  test("a first start with --cluster-id formats the empty directory with it", async () => {
    const dir = tempDir("cluster-id-first");
    dirs.push(dir);
    const broker = await startBroker({ dataDir: dir, args: ["--cluster-id", clusterB] });
    expect(await broker.stop()).toBe(0);
    expect(readFileSync(join(dir, "meta.properties"), "utf8")).toContain(`cluster.id=${clusterB}`);
  });

  test("the command line: --cluster-id is checked, --format needs fs storage, --ignore-formatted needs --format", () => {
    expect(parseCli(["--cluster-id", clusterA], {}).config.clusterIdExpected).toBe(clusterA);
    expect(parseCli([], {}).config.clusterIdExpected).toBeNull();
    expect(parseCli(["--format", "--cluster-id", clusterA], {}).kind).toBe("format");
    expect(() => parseCli(["--cluster-id", "x".repeat(23)], {})).toThrow(/is not a cluster id/);
    expect(() => parseCli(["--format", "--cluster-id", clusterA, "--storage", "memory"], {})).toThrow(
      /--format needs --storage fs/,
    );
    expect(() => parseCli(["--ignore-formatted"], {})).toThrow(/--ignore-formatted goes with --format/);
  });

  test("a node of a cluster (voters set) does not invent a cluster id for an unformatted directory", () => {
    const dir = tempDir("cluster-unformatted");
    dirs.push(dir);
    const refused = brokerCommand([
      "--port",
      "0",
      "--data-dir",
      dir,
      "--override",
      "controller.quorum.voters=1@127.0.0.1:19092",
      "--override",
      "listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:19092",
      "--override",
      "controller.listener.names=CONTROLLER",
    ]);
    expect(refused.exitCode).toBe(1);
    expect(refused.err).toContain(`${dir} is not formatted: a node of a cluster needs the cluster's id`);
    expect(readdirSync(dir)).toEqual([]);
  });
});
