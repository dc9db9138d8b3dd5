/**
 * The architecture's import rule, checked by reading source files. Imports point down the list
 * protocol -> core -> storage -> storage-memory | storage-fs -> node -> sim -> broker and never up; sim never touches
 * the file engine; core never reaches I/O, clocks, randomness, timers, Promises or Effect, and the
 * protocol codec does no I/O; below the apps no product code uses Bun's API (it also runs under Deno),
 * except the simulator's command line and worker-thread batch. `bun scripts/import-rule.ts` prints
 * violations and exits non-zero.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
}

/** Which workspace packages each package may import. */
export const allowedImports: Readonly<Record<string, readonly string[]>> = {
  "packages/protocol": [],
  "packages/core": ["@eddy/protocol"],
  "packages/storage": ["@eddy/protocol", "@eddy/core"],
  "packages/storage-memory": ["@eddy/protocol", "@eddy/core", "@eddy/storage"],
  "packages/storage-fs": ["@eddy/protocol", "@eddy/core", "@eddy/storage"],
  // The node's tests run it over the memory disk; its product code sees only the storage port.
  "packages/node": ["@eddy/protocol", "@eddy/core", "@eddy/storage", "@eddy/storage-memory"],
  "packages/sim": ["@eddy/protocol", "@eddy/core", "@eddy/storage", "@eddy/storage-memory", "@eddy/node"],
  // The views the studio and the console share: browser code over plain data, beside the stack, not in it.
  "packages/ui": [],
  // The broker authenticates to its peers with the tools' SASL client, and its SCRAM server computes
  // the same keys with it: a package that speaks only the wire codec, so the import still points down.
  "apps/broker": [
    "@eddy/protocol",
    "@eddy/client",
    "@eddy/core",
    "@eddy/storage",
    "@eddy/storage-memory",
    "@eddy/storage-fs",
    "@eddy/node",
    "@eddy/sim",
    "@eddy/ui",
  ],
  // The Kafka client pieces the tools share (a connection, a group member): the wire codec and nothing else.
  "packages/client": ["@eddy/protocol"],
  // The perf tool is a Kafka client: it speaks the wire codec and knows nothing of the broker's insides.
  "apps/perf": ["@eddy/protocol", "@eddy/client"],
  // The operators' CLI is a Kafka client too (the wire codec), and runs storage-fs's dump-log on local files.
  "apps/cli": ["@eddy/protocol", "@eddy/client", "@eddy/storage-fs"],
  // The teaching studio runs the simulator in a browser page; like the broker, an app may import the packages.
  "apps/studio": [
    "@eddy/protocol",
    "@eddy/core",
    "@eddy/storage",
    "@eddy/storage-memory",
    "@eddy/node",
    "@eddy/sim",
    "@eddy/ui",
  ],
};

/**
 * Workspace packages a package's tests and benchmarks (not its product code) may also import: the perf
 * tool's and the CLI's tests start a real broker with the broker's own test harness. packages/client's
 * tests may not: the broker depends on the client, and turbo refuses a cycle of packages (its test
 * against a real broker lives in apps/cli/test/client.test.ts).
 */
export const testOnlyImports: Readonly<Record<string, readonly string[]>> = {
  "apps/perf": ["@eddy/broker"],
  "apps/cli": ["@eddy/broker"],
};

/** Modules that perform I/O or reach the outside world. */
const ioModules =
  /^(node:)?(fs|fs\/promises|net|dgram|http|https|http2|tls|child_process|worker_threads|cluster|dns|readline|os|process|inspector|v8|vm)$|^bun(:.*)?$/;

/** What core may not contain outside tests: ambient time, randomness, timers and asynchrony. */
const coreForbidden: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bDate\.now\s*\(/, "core reads the clock (Date.now)"],
  [/\bnew Date\s*\(/, "core reads the clock (new Date)"],
  [/\bperformance\.now\s*\(/, "core reads the clock (performance.now)"],
  [/\bprocess\.hrtime\b/, "core reads the clock (process.hrtime)"],
  [/\bMath\.random\s*\(/, "core draws ambient randomness (Math.random)"],
  [/\bcrypto\./, "core draws ambient randomness (crypto)"],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, "core sets a timer"],
  [/\basync\s+(function\b|\(|[A-Za-z_$][\w$]*\s*\()/, "core has an async function"],
  [/\bPromise\b/, "core uses Promise"],
  [/\bawait\b/, "core awaits"],
  [/\bprocess\./, "core touches the process"],
];

/**
 * What the node may not contain outside tests: it is handed a monotonic clock and timers by its
 * environment (real time in the broker, virtual time in the simulator), so it never reads ambient
 * time, draws ambient randomness, sets timers of its own or touches the process.
 */
const nodeForbidden: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bDate\.now\s*\(/, "node reads the wall clock (Date.now); use its environment's clock"],
  [/\bnew Date\s*\(/, "node reads the wall clock (new Date); use its environment's clock"],
  [/\bperformance\.now\s*\(/, "node reads the clock (performance.now); use its environment's clock"],
  [/\bprocess\.hrtime\b/, "node reads the clock (process.hrtime); use its environment's clock"],
  [/\bMath\.random\s*\(/, "node draws ambient randomness (Math.random)"],
  [/\bcrypto\./, "node draws ambient randomness (crypto)"],
  [
    /\b(setTimeout|setInterval|setImmediate)\s*\(/,
    "node sets a timer of its own; use its environment's timers",
  ],
  [/\bprocess\./, "node touches the process"],
  [/\bBun\./, "node uses Bun's runtime"],
];

/**
 * Packages below the apps must also run under Deno and Node (scripts/deno-portability.test.ts shows it):
 * outside tests they use no Bun API. The node has its own, stricter list above.
 */
const portablePackages: readonly string[] = [
  "packages/protocol",
  "packages/core",
  "packages/storage",
  "packages/storage-memory",
  "packages/sim",
  "packages/ui",
];

/** The simulator's Bun-only entry points: its command line and the batch over Bun worker threads. */
const bunOnlyFiles: readonly string[] = [
  "packages/sim/src/cli.ts",
  "packages/sim/src/batch-parallel.ts",
  "packages/sim/src/batch-worker.ts",
];

/** Blanks out comments and string contents (keeping line breaks) so code checks see only code. */
export function stripCommentsAndStrings(source: string, keepStrings: boolean): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      i += 2;
      while (i < source.length && !(source[i] === "*" && source[i + 1] === "/")) {
        if (source[i] === "\n") out += "\n";
        i++;
      }
      i += 2;
    } else if (c === '"' || c === "'" || c === "`") {
      const quote = c;
      out += c;
      i++;
      while (i < source.length && source[i] !== quote) {
        if (source[i] === "\\") {
          if (keepStrings) out += source[i]! + (source[i + 1] ?? "");
          i += 2;
          continue;
        }
        out += source[i] === "\n" ? "\n" : keepStrings ? source[i] : " ";
        i++;
      }
      out += quote;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const specifierPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["']([^"']+)["']/g;

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Tests, benchmarks and build scripts run on a developer's machine, not in the product: I/O is theirs to use. */
function isTestFile(path: string): boolean {
  const parts = path.split(sep);
  return (
    /\.test\.ts$/.test(path) || parts.includes("test") || parts.includes("bench") || parts.includes("scripts")
  );
}

/** Whether the portability rule applies: product code of a package below the apps, not a Bun-only entry. */
function mustBePortable(pkg: string, path: string): boolean {
  return (
    portablePackages.includes(pkg) && !isTestFile(path) && !bunOnlyFiles.includes(path.split(sep).join("/"))
  );
}

/** Checks one source file of package `pkg` (a key of `allowedImports`); `path` is for messages. */
export function checkSource(pkg: string, path: string, source: string): Violation[] {
  const violations: Violation[] = [];
  const allowed = allowedImports[pkg];
  if (allowed === undefined) return [{ file: path, line: 1, rule: `unknown package ${pkg}` }];
  const withStrings = stripCommentsAndStrings(source, true);
  for (const match of withStrings.matchAll(specifierPattern)) {
    const spec = match[1]!;
    const line = lineOf(withStrings, match.index ?? 0);
    const workspace = /^@eddy\/([^/]+)/.exec(spec);
    const name = workspace === null ? "" : `@eddy/${workspace[1]}`;
    const allowedInTests = isTestFile(path) && (testOnlyImports[pkg] ?? []).includes(name);
    if (workspace !== null && !allowed.includes(name) && !allowedInTests) {
      violations.push({
        file: path,
        line,
        rule: `${pkg} may not import ${spec} (imports point down, never up)`,
      });
    }
    if (spec.startsWith(".")) {
      const target = resolve("/", pkg, relative(pkg, path), "..", spec);
      if (!target.startsWith(`/${pkg}/`)) {
        violations.push({
          file: path,
          line,
          rule: `${spec} reaches outside ${pkg}; import the package by name`,
        });
      }
    }
    if (pkg === "packages/core" || pkg === "packages/protocol" || pkg === "packages/node") {
      if (!isTestFile(path) && ioModules.test(spec)) {
        violations.push({ file: path, line, rule: `${pkg} may not import the I/O module ${spec}` });
      }
    }
    // Core and protocol refuse bun imports above as I/O modules; one violation per import is enough.
    const ioRuleApplied = pkg === "packages/core" || pkg === "packages/protocol";
    if (mustBePortable(pkg, path) && !ioRuleApplied && /^bun(:|$)/.test(spec)) {
      violations.push({
        file: path,
        line,
        rule: `${pkg} may not import ${spec}: it must also run under Deno`,
      });
    }
    if (pkg === "packages/core" && !isTestFile(path) && /^effect(\/|$)|^@effect\//.test(spec)) {
      violations.push({ file: path, line, rule: "core may not use Effect: it is plain functions" });
    }
  }
  if (pkg === "packages/node" && !isTestFile(path)) {
    const code = stripCommentsAndStrings(source, false);
    for (const [pattern, rule] of nodeForbidden) {
      const global = new RegExp(pattern.source, "g");
      for (const match of code.matchAll(global)) {
        violations.push({ file: path, line: lineOf(code, match.index ?? 0), rule });
      }
    }
  }
  if (mustBePortable(pkg, path)) {
    const code = stripCommentsAndStrings(source, false);
    for (const match of code.matchAll(/\bBun\./g)) {
      violations.push({
        file: path,
        line: lineOf(code, match.index ?? 0),
        rule: `${pkg} uses Bun's runtime (Bun.): it must also run under Deno`,
      });
    }
  }
  if (pkg === "packages/core" && !isTestFile(path)) {
    const code = stripCommentsAndStrings(source, false);
    for (const [pattern, rule] of coreForbidden) {
      const global = new RegExp(pattern.source, "g");
      for (const match of code.matchAll(global)) {
        violations.push({ file: path, line: lineOf(code, match.index ?? 0), rule });
      }
    }
  }
  return violations;
}

function sourceFiles(dir: string, limit: { files: number }): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full, limit));
    else if (/\.(ts|tsx|js|mjs)$/.test(name)) out.push(full);
    limit.files -= 1;
    if (limit.files < 0) throw new Error("import rule: more than 100000 files; refusing to walk further");
  }
  return out;
}

/** Checks every package of the repository rooted at `root`. */
export function checkRepository(root: string): Violation[] {
  const violations: Violation[] = [];
  const limit = { files: 100_000 };
  for (const pkg of Object.keys(allowedImports)) {
    let files: string[];
    try {
      files = sourceFiles(join(root, pkg), limit);
    } catch {
      violations.push({ file: pkg, line: 0, rule: `package folder ${pkg} is missing` });
      continue;
    }
    for (const file of files) {
      const rel = relative(root, file);
      violations.push(...checkSource(pkg, rel, readFileSync(file, "utf8")));
    }
  }
  return violations;
}

if (import.meta.main) {
  const root = resolve(import.meta.dir, "..");
  const violations = checkRepository(root);
  for (const v of violations) console.error(`${v.file}:${v.line}: ${v.rule}`);
  if (violations.length > 0) process.exit(1);
  console.log("import rule: no violations");
}
