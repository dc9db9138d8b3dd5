/**
 * One node, two worlds: the code that drives the core's state machines is written once, in
 * packages/node, and both the broker and the simulator run it. This module finds product code of
 * apps/broker or packages/sim that calls a step function of @eddy/core itself (the partition replica,
 * the Raft quorum, the metadata controller, the group coordinator, the producer-id allocator), so a
 * second copy of the driving code cannot creep back in; `scripts/one-driver.test.ts` runs it. Tests
 * may still step the core directly. `bun scripts/one-driver.ts` prints what it finds.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { stripCommentsAndStrings } from "./import-rule.ts";

export const root = resolve(import.meta.dir, "..");
/** Where the core may not be driven from. */
export const shells = ["apps/broker/src", "packages/sim/src"];
/** Files in one walk; a tree with more is not this repository. */
const filesMax = 10_000;

/**
 * A call of a core step function: `partition.step(`, `quorum.step(`, `controller.step(` (or an alias
 * such as `ctl.step(`, `core.step(`), `group.step(`, `producer.allocatorStep(`, and the same names
 * imported on their own (`allocatorStep(`).
 */
const stepCall = /\b(?:[A-Za-z_$][\w$]*\.)?(?:step|allocatorStep)\s*\(/g;
/** The namespaces of @eddy/core whose `step` is a state machine's, and the names they are imported under. */
const coreNamespaces = /import\s*\{([^}]*)\}\s*from\s*["']@eddy\/core["']/g;

export interface StepCall {
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

/** The core step calls in one source file (comments and strings ignored). */
export function coreStepCalls(file: string, source: string): StepCall[] {
  const code = stripCommentsAndStrings(source, false);
  const names = new Set<string>();
  for (const m of source.matchAll(coreNamespaces)) {
    for (const part of m[1]!.split(",")) {
      const [imported, alias] = part.trim().split(/\s+as\s+/);
      if (imported === undefined || imported === "") continue;
      const local = (alias ?? imported).trim();
      if (["partition", "quorum", "controller", "group", "producer"].includes(imported.trim()))
        names.add(local);
      if (imported.trim() === "allocatorStep") names.add("allocatorStep");
    }
  }
  const out: StepCall[] = [];
  for (const m of code.matchAll(stepCall)) {
    const text = m[0].replace(/\s*\($/, "");
    const owner = text.includes(".") ? text.slice(0, text.indexOf(".")) : text;
    if (!names.has(owner)) continue;
    const line = code.slice(0, m.index ?? 0).split("\n").length;
    out.push({ file, line, text });
  }
  return out;
}

export function sourceFiles(dir: string, budget: { left: number }): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    budget.left -= 1;
    if (budget.left < 0) throw new Error(`more than ${filesMax} files under ${dir}`);
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full, budget));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) out.push(full);
  }
  return out;
}

/** Every core step call under the shells' source folders of the repository at `repoRoot`. */
export function shellStepCalls(repoRoot: string = root): StepCall[] {
  const budget = { left: filesMax };
  const calls: StepCall[] = [];
  for (const dir of shells)
    for (const file of sourceFiles(join(repoRoot, dir), budget))
      calls.push(...coreStepCalls(relative(repoRoot, file), readFileSync(file, "utf8")));
  return calls;
}

if (import.meta.main) {
  const calls = shellStepCalls(process.argv[2] ?? root);
  for (const c of calls) console.error(`${c.file}:${c.line}: ${c.text}(...)`);
  console.log(`${calls.length} core step call(s) outside packages/node`);
  if (calls.length > 0) process.exit(1);
}
