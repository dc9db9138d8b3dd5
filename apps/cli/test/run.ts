/**
 * Running `bun run eddy ARGS` as a user would, for the CLI's tests: a child process from the
 * repository root, with stdin given or closed, its exit code and both outputs collected. Owns nothing
 * else; must never block the test's event loop (a kafkajs consumer may be running in it).
 */
import { repoRoot } from "@eddy/broker/test/harness.ts";
import { spawn } from "bun";

export interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function eddy(args: string[], input?: string): Promise<Run> {
  const child = spawn(["bun", "run", "--silent", "eddy", ...args], {
    cwd: repoRoot,
    stdin: input === undefined ? "ignore" : new TextEncoder().encode(input),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { code, out, err };
}
