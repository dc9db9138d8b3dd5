/**
 * What the studio's browser test and bench share: Debian's chromium (installed with apt-get as root
 * when missing, or a failure naming the command), the studio started as a user starts it
 * (`bun run studio -- --port 0`, its printed address read back), and a headless browser with a fresh
 * profile. Owns process and browser start-up; it must never assert anything about the page.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { type BrowserContext, chromium } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";
export const installLine = "apt-get install -y chromium";
export const repoRoot = resolve(import.meta.dir, "../../..");
const serverStartMsMax = 30_000;
const serverOutputCharsMax = 64_000;

export function ensureChromium(): void {
  if (existsSync(chromiumPath)) return;
  if (process.getuid?.() === 0) {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    spawnSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "inherit", env });
  }
  if (!existsSync(chromiumPath)) {
    throw new Error(`studio: ${chromiumPath} is missing; install it as root with: ${installLine}`);
  }
}

export interface StudioServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `bun run studio -- --port 0` and waits (bounded) for the address it prints. */
export async function startStudio(): Promise<StudioServer> {
  const proc: Subprocess<"ignore", "pipe", "inherit"> = Bun.spawn(
    ["bun", "run", "studio", "--", "--port", "0"],
    {
      cwd: repoRoot,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  const stop = async () => {
    proc.kill();
    await proc.exited;
  };
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + serverStartMsMax;
  while (Date.now() < deadline && text.length < serverOutputCharsMax) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(text);
    if (match !== null) {
      reader.releaseLock();
      return { url: match[0], stop };
    }
  }
  await stop();
  throw new Error(`studio did not print its address; it printed:\n${text}`);
}

/** Writes the static build with `bun run studio -- --build DIR` into a fresh folder; returns it. */
export function buildStatic(): string {
  const dir = mkdtempSync(join(tmpdir(), "eddy-studio-build-"));
  const built = spawnSync("bun", ["run", "studio", "--", "--build", dir], {
    cwd: repoRoot,
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`studio --build failed:\n${built.stdout}\n${built.stderr}`);
  return dir;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Headless chromium with a fresh profile (removed on close). */
export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  const userDataDir = mkdtempSync(join(tmpdir(), "eddy-studio-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1200, height: 1000 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
