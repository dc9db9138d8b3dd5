/**
 * Portability below the apps, shown under Deno: the simulator's one-thread batch and the protocol round
 * trip run as separate processes under Bun and under Deno (the npm package `deno`, a root
 * devDependency), and must print the same batch hash, the same batch figures and the same round-trip
 * hashes. Owns only the comparison; it must never skip when Deno is missing (a missing binary fails,
 * naming the install line) and never run the sim's worker-thread batch, which is Bun-only.
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { resolve } from "node:path";

const root = resolve(import.meta.dir, "..");
const denoBin = resolve(root, "node_modules/.bin/deno");
const denoInstallLine =
  "bun add -d deno (at the repository root; or bun install, since it is in package.json)";

/**
 * Seeds in the compared batch: a few hundred, so the batch covers many fault mixes while each runtime
 * takes about 2.5 s on the 2-core machine (Deno 2.9.6 runs the simulator at Bun's speed, within 5 %).
 */
const simSeeds = 300;

/**
 * Deno's permissions, all for the native addons below the apps (@node-rs/crc32, snappy, lz4-napi):
 * their napi-rs loaders read NAPI_RS_* variables (env), ask `process.report` whether libc is musl
 * (sys), and load the `.node` library (ffi). The code of the packages itself needs none of them except
 * env, read only to print a failing run's stack (SIM_DEBUG). Deno resolves `@eddy/*` and the npm
 * packages through the node_modules folder Bun installed (`--node-modules-dir=manual`: it never
 * installs anything), so no deno.json is needed.
 */
const denoRunFlags = [
  "run",
  "--node-modules-dir=manual",
  "--no-prompt",
  "--allow-env",
  "--allow-sys",
  "--allow-ffi",
] as const;

const simScript = "packages/sim/scripts/portable-batch.ts";
const roundTripScript = "packages/protocol/scripts/portable-round-trip.ts";

interface Ran {
  readonly result: Record<string, unknown>;
  readonly wallMs: number;
}

/** Runs one command from the repository root and parses the JSON line it prints last. */
async function runJson(command: readonly string[]): Promise<Ran> {
  const startMs = performance.now();
  const proc = Bun.spawn([...command], {
    cwd: root,
    stdout: "pipe",
    stderr: "pipe",
    // No colour codes in errors, and no update check: the test machine has no network.
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const wallMs = performance.now() - startMs;
  if (code !== 0) throw new Error(`${command.join(" ")} exited with ${code}:\n${stderr}${stdout}`);
  const last = stdout.trimEnd().split("\n").at(-1) ?? "";
  return { result: JSON.parse(last) as Record<string, unknown>, wallMs };
}

/**
 * Deno through the package's own launcher (node_modules/.bin/deno, a CommonJS script that starts the
 * binary of the matching @deno/<platform> package); Bun runs the launcher, so no Node is needed.
 */
async function underDeno(script: string, args: readonly string[]): Promise<Ran> {
  requireDeno();
  try {
    return await runJson([process.execPath, denoBin, ...denoRunFlags, script, ...args]);
  } catch (error) {
    // The launcher is there but its platform package may not be (optional dependencies skipped).
    throw new Error(`${String(error)}\nIf the Deno binary is missing, install it with: ${denoInstallLine}`);
  }
}

/** Fails, naming the install line, when the npm package's launcher is absent: never a silent skip. */
function requireDeno(): void {
  if (!existsSync(denoBin)) throw new Error(`${denoBin} is missing. Install Deno with: ${denoInstallLine}`);
}

function underBun(script: string, args: readonly string[]): Promise<Ran> {
  return runJson([process.execPath, script, ...args]);
}

/** The figures that must not depend on the runtime: all but its name and the wall-clock ones. */
function deterministic(result: Record<string, unknown>): Record<string, unknown> {
  const { runtime: _runtime, wallMs: _wallMs, ...rest } = result;
  return rest;
}

test("the Deno binary from the npm package is installed", () => {
  // Checked on its own too, so a missing binary is named plainly as the first failure.
  requireDeno();
});

test(`the simulator: ${simSeeds} seeds give the same batch hash under Deno as under Bun`, async () => {
  requireDeno(); // before Bun's run, so a missing Deno fails at once
  const bun = await underBun(simScript, [String(simSeeds)]);
  const deno = await underDeno(simScript, [String(simSeeds)]);
  console.log(
    `sim ${simSeeds} seeds: batch hash ${bun.result.batchHash}; ` +
      `${bun.result.runtime} ${(bun.wallMs / 1000).toFixed(1)} s, ` +
      `${deno.result.runtime} ${(deno.wallMs / 1000).toFixed(1)} s (process start included)`,
  );
  expect(String(deno.result.runtime)).toStartWith("deno ");
  expect(bun.result.seeds).toBe(simSeeds);
  expect(deno.result.batchHash).toBe(bun.result.batchHash);
  expect(deterministic(deno.result)).toEqual(deterministic(bun.result));
  // The batch must really run the cluster, not agree vacuously.
  expect(Number(bun.result.acked)).toBeGreaterThan(simSeeds * 5);
}, 180_000);

test("the protocol round trip gives the same hashes under Deno as under Bun", async () => {
  requireDeno();
  const bun = await underBun(roundTripScript, []);
  const deno = await underDeno(roundTripScript, []);
  console.log(
    `protocol round trip: hash ${bun.result.hash}; ` +
      `${bun.result.runtime} ${(bun.wallMs / 1000).toFixed(1)} s, ` +
      `${deno.result.runtime} ${(deno.wallMs / 1000).toFixed(1)} s`,
  );
  expect(String(deno.result.runtime)).toStartWith("deno ");
  expect(deno.result.hash).toBe(bun.result.hash);
  expect(deterministic(deno.result)).toEqual(deterministic(bun.result));
}, 180_000);
