/**
 * Starts the broker the way a user does (`bun run broker` from the repository root, in its own
 * process) and runs real clients against it. Each test gets its own port (the OS picks one) and its
 * own data directory, so test files can run side by side.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Subprocess, spawn, spawnSync } from "bun";

export const repoRoot = resolve(import.meta.dir, "../../..");

export interface RunningBroker {
  readonly port: number;
  readonly bootstrap: string;
  readonly dataDir: string;
  readonly process: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the broker printed so far, stdout and stderr. */
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: "SIGTERM" | "SIGINT" | "SIGKILL"): Promise<number>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `eddy-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Appends what `stream` carries, decoded as UTF-8, through `add` as it arrives. */
async function pump(stream: ReadableStream<Uint8Array>, add: (text: string) => void): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) add(decoder.decode(chunk, { stream: true }));
}

export interface CollectedProcess {
  readonly process: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything it printed on stdout so far. */
  output(): string;
  /** Everything it printed on stderr so far. */
  errors(): string;
}

/** Starts a command (a client script, a kcat consumer) and collects its output as it arrives. */
export function spawnCollecting(
  cmd: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): CollectedProcess {
  const child = spawn(cmd, {
    cwd: options.cwd,
    env: options.env,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  let err = "";
  void pump(child.stdout, (text) => {
    out += text;
  });
  void pump(child.stderr, (text) => {
    err += text;
  });
  return { process: child, output: () => out, errors: () => err };
}

export async function startBroker(
  options: {
    args?: string[];
    dataDir?: string;
    env?: Record<string, string>;
    startMsMax?: number;
    /**
     * A module Bun loads before the broker (a test fixture that changes the process's world, such as
     * its wall clock). The broker then runs as `bun --preload P apps/broker/src/main.ts`, which is
     * what the `broker` script runs, plus the preload.
     */
    preload?: string;
  } = {},
): Promise<RunningBroker> {
  const dataDir = options.dataDir ?? tempDir("data");
  const entry =
    options.preload === undefined
      ? ["run", "broker"]
      : ["--preload", options.preload, "apps/broker/src/main.ts"];
  // The admin listener is off unless a test asks for it (`--admin-port N` in `args`, the last flag
  // wins): its default, 9644, would collide between brokers that run side by side.
  const args = [...entry, "--port", "0", "--data-dir", dataDir, "--admin-port", "0", ...(options.args ?? [])];
  const child = spawn(["bun", ...args], {
    cwd: repoRoot,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...options.env },
  });
  let text = "";
  const add = (chunk: string): void => {
    text += chunk;
  };
  void pump(child.stdout, add);
  void pump(child.stderr, add);
  const deadline = Date.now() + (options.startMsMax ?? 20_000);
  let port = 0;
  while (Date.now() < deadline) {
    const match = /listening\s+\S+:(\d+)[\s\S]*\nready/.exec(text);
    if (match !== null) {
      port = Number(match[1]);
      break;
    }
    if (child.exitCode !== null) break;
    await Bun.sleep(25);
  }
  if (port === 0) {
    child.kill("SIGKILL");
    throw new Error(`broker did not start:\n${text}`);
  }
  return {
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    process: child,
    output: () => text,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return await child.exited;
    },
  };
}

/** Runs kcat with a time limit and returns its output; a non-zero exit fails with what it printed. */
export function kcat(args: string[], input?: string, timeoutMs = 30_000): string {
  const result = spawnSync(["kcat", ...args], {
    stdin: input === undefined ? "ignore" : new TextEncoder().encode(input),
    timeout: timeoutMs,
  });
  const out = result.stdout.toString();
  if (result.exitCode !== 0) {
    throw new Error(`kcat ${args.join(" ")} exited ${result.exitCode}:\n${out}\n${result.stderr.toString()}`);
  }
  return out;
}

/** Every record of `topic` from the beginning, one line each as kcat prints it with `format` (default: the value). */
export function kcatReadAll(bootstrap: string, topic: string, format = "%s\n"): string[] {
  return kcat(["-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", format])
    .split("\n")
    .filter((line) => line.length > 0);
}

/**
 * Polls `probe` until it returns something other than `null` or `false` and resolves with that; a
 * probe that throws (a client mid-rebalance) is tried again. Fails after `timeoutMs`, naming `what`
 * and the last error.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | null | false> | T | null | false,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== null && value !== false) return value;
    } catch (error) {
      last = error;
    }
    await Bun.sleep(200);
  }
  throw new Error(`timed out waiting for ${what}${last === null ? "" : `: ${String(last)}`}`);
}
