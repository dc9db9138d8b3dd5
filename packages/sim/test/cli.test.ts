/**
 * The command line as users run it: `bun run sim --seed N --trace FILE` twice writes byte-identical
 * traces, a failing replay exits 1 with its replay line, and a small batch prints the summary table
 * with its speed.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cli = join(import.meta.dir, "..", "src", "cli.ts");

function run(args: string[]): { code: number; out: string } {
  const p = Bun.spawnSync(["bun", cli, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString() };
}

test("the same seed traced twice gives byte-identical JSON-lines files", () => {
  const dir = mkdtempSync(join(tmpdir(), "sim-cli-"));
  const a = run(["--seed", "11", "--trace", join(dir, "a.jsonl")]);
  const b = run(["--seed", "11", "--trace", join(dir, "b.jsonl")]);
  expect(a.code).toBe(0);
  expect(b.code).toBe(0);
  const bytesA = readFileSync(join(dir, "a.jsonl"));
  expect(bytesA.length).toBeGreaterThan(10_000);
  expect(Buffer.compare(bytesA, readFileSync(join(dir, "b.jsonl")))).toBe(0);
}, 60_000);

test("a failing run exits 1 and prints the line that replays it", () => {
  const r = run(["--seed", "3", "--bug", "double-assignment", "--safety-ms", "3000"]);
  expect(r.code).toBe(1);
  expect(r.out).toContain("#15 group-exclusivity-fencing");
  expect(r.out).toContain("replay: bun run sim --seed 3 --bug double-assignment --safety-ms 3000");
}, 60_000);

test("a batch ends with the summary table and its speed", () => {
  const r = run(["--seeds", "5"]);
  expect(r.code).toBe(0);
  for (const row of [
    "seeds",
    "simulated time",
    "events",
    "invariants checked",
    "violations",
    "sim s / wall s",
  ]) {
    expect(r.out).toContain(`| ${row}`);
  }
}, 60_000);

test("--disks writes each broker's disk as Kafka lays it out, and the real dump-log reads its segments", () => {
  const dir = mkdtempSync(join(tmpdir(), "sim-disks-"));
  const r = run(["--seed", "3", "--disks", dir]);
  expect(r.code).toBe(0);
  expect(r.out).toContain(`disks: ${dir}`);
  for (const broker of ["b0", "b1", "b2"]) {
    const checkpoint = readFileSync(join(dir, broker, "data", "replication-offset-checkpoint"), "utf8");
    expect(checkpoint.startsWith("0\n")).toBe(true);
    const epochs = readFileSync(join(dir, broker, "data", "t-0", "leader-epoch-checkpoint"), "utf8");
    expect(epochs.startsWith("0\n")).toBe(true);
  }
  const dumpLog = join(import.meta.dir, "..", "..", "storage-fs", "src", "dump-log.ts");
  const segment = join(dir, "b0", "data", "t-0", "00000000000000000000.log");
  const dump = Bun.spawnSync(["bun", dumpLog, segment], { stdout: "pipe", stderr: "pipe" });
  expect(dump.exitCode).toBe(0);
  const batches = dump.stdout
    .toString()
    .split("\n")
    .filter((line) => line.startsWith("baseOffset:"));
  expect(batches.length).toBeGreaterThan(10);
  expect(batches[0]).toContain("baseOffset: 0 ");
  for (const line of batches) expect(line).toContain("isvalid: true");
}, 60_000);
