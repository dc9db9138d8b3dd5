import { describe, expect, test } from "bun:test";
import { resolve } from "node:path";
import { checkRepository, checkSource } from "./import-rule.ts";

describe("import rule", () => {
  test("the repository has no violations", () => {
    expect(checkRepository(resolve(import.meta.dir, ".."))).toEqual([]);
  });

  test("core importing node:fs fails", () => {
    const v = checkSource(
      "packages/core",
      "packages/core/src/x.ts",
      'import { readFileSync } from "node:fs";\n',
    );
    expect(v.map((x) => x.rule)).toEqual(["packages/core may not import the I/O module node:fs"]);
  });

  test("core importing any I/O module or Bun fails", () => {
    for (const spec of ["fs", "node:net", "bun", "node:child_process", "node:os"]) {
      expect(
        checkSource("packages/core", "packages/core/src/x.ts", `import * as m from "${spec}";`).length,
      ).toBe(1);
    }
  });

  test("core using clocks, randomness, timers or Promises fails", () => {
    const src = [
      "export const a = Date.now();",
      "export const b = Math.random();",
      "setTimeout(() => {}, 1);",
      "export async function c() {}",
      "export const d: Promise<void> | null = null;",
    ].join("\n");
    const lines = checkSource("packages/core", "packages/core/src/x.ts", src).map((v) => v.line);
    expect(lines).toEqual([1, 2, 3, 4, 5]);
  });

  test("mentions in comments and strings are not code", () => {
    const src = '// Date.now() is forbidden here\nexport const s = "Math.random()";\n/* setTimeout( */\n';
    expect(checkSource("packages/core", "packages/core/src/x.ts", src)).toEqual([]);
  });

  test("imports that point up fail", () => {
    expect(checkSource("packages/core", "packages/core/src/x.ts", 'import "@eddy/storage-fs";').length).toBe(
      1,
    );
    expect(
      checkSource("packages/protocol", "packages/protocol/src/x.ts", 'import "@eddy/core";').length,
    ).toBe(1);
    expect(checkSource("packages/sim", "packages/sim/src/x.ts", 'import "@eddy/storage-fs";').length).toBe(1);
    expect(
      checkSource("packages/storage-memory", "packages/storage-memory/src/x.ts", 'import "@eddy/broker";')
        .length,
    ).toBe(1);
    expect(checkSource("apps/broker", "apps/broker/src/x.ts", 'import "@eddy/core";')).toEqual([]);
  });

  test("the perf tool imports only the protocol; its tests may start a broker with the broker's harness", () => {
    expect(checkSource("apps/perf", "apps/perf/src/x.ts", 'import "@eddy/protocol";')).toEqual([]);
    for (const spec of ["@eddy/core", "@eddy/node", "@eddy/broker"]) {
      expect(checkSource("apps/perf", "apps/perf/src/x.ts", `import "${spec}";`).length).toBe(1);
    }
    expect(
      checkSource("apps/perf", "apps/perf/test/x.test.ts", 'import "@eddy/broker/test/harness.ts";'),
    ).toEqual([]);
    expect(checkSource("apps/perf", "apps/perf/test/x.test.ts", 'import "@eddy/node";').length).toBe(1);
  });

  test("the shared views import no workspace package; the apps may import them, the packages below may not", () => {
    expect(checkSource("packages/ui", "packages/ui/src/x.ts", 'import "@eddy/sim";').length).toBe(1);
    expect(checkSource("apps/studio", "apps/studio/src/x.ts", 'import "@eddy/ui";')).toEqual([]);
    expect(checkSource("apps/broker", "apps/broker/src/x.ts", 'import "@eddy/ui";')).toEqual([]);
    for (const pkg of ["packages/core", "packages/node", "packages/storage", "packages/sim"]) {
      expect(checkSource(pkg, `${pkg}/src/x.ts`, 'import "@eddy/ui";').length).toBe(1);
    }
  });

  test("the shared client imports only the protocol; perf, the CLI and the broker may import it, the packages may not", () => {
    expect(checkSource("packages/client", "packages/client/src/x.ts", 'import "@eddy/protocol";')).toEqual(
      [],
    );
    for (const spec of ["@eddy/core", "@eddy/node", "@eddy/broker", "@eddy/storage-fs"]) {
      expect(checkSource("packages/client", "packages/client/src/x.ts", `import "${spec}";`).length).toBe(1);
    }
    for (const app of ["apps/perf", "apps/cli", "apps/broker"]) {
      expect(checkSource(app, `${app}/src/x.ts`, 'import "@eddy/client";')).toEqual([]);
    }
    // Its tests may not import the broker either: the broker imports the client (a cycle turbo refuses).
    expect(
      checkSource(
        "packages/client",
        "packages/client/test/x.test.ts",
        'import "@eddy/broker/test/harness.ts";',
      ).length,
    ).toBe(1);
    for (const pkg of ["packages/core", "packages/node", "packages/protocol"]) {
      expect(checkSource(pkg, `${pkg}/src/x.ts`, 'import "@eddy/client";').length).toBe(1);
    }
  });

  test("relative imports may not escape the package", () => {
    const v = checkSource(
      "packages/core",
      "packages/core/src/a/x.ts",
      'import "../../../storage-fs/src/index.ts";',
    );
    expect(v.length).toBe(1);
    expect(checkSource("packages/core", "packages/core/src/a/x.ts", 'import "../invariant.ts";')).toEqual([]);
  });

  test("protocol may not do I/O", () => {
    expect(checkSource("packages/protocol", "packages/protocol/src/x.ts", 'import "node:net";').length).toBe(
      1,
    );
    expect(checkSource("packages/protocol", "packages/protocol/src/x.ts", 'import "node:zlib";')).toEqual([]);
  });

  test("tests, benchmarks and build scripts may do I/O; the package's source may not", () => {
    for (const dir of ["test", "bench", "scripts"]) {
      expect(checkSource("packages/core", `packages/core/${dir}/x.ts`, 'import "node:fs";')).toEqual([]);
    }
    expect(checkSource("packages/core", "packages/core/src/x.test.ts", "Date.now();")).toEqual([]);
    expect(checkSource("packages/core", "packages/core/src/x.ts", 'import "node:fs";').length).toBe(1);
  });
});

describe("portability below the apps", () => {
  test("Bun's API or a bun import in product code below the apps fails", () => {
    const src = 'export const h = Bun.hash.crc32("x");\nimport { Database } from "bun:sqlite";\n';
    for (const pkg of ["packages/storage-memory", "packages/sim"]) {
      const lines = checkSource(pkg, `${pkg}/src/x.ts`, src).map((v) => v.line);
      expect(lines.sort()).toEqual([1, 2]);
    }
    // Core and protocol already refuse bun imports as I/O modules: one violation per line, not two.
    expect(
      checkSource("packages/core", "packages/core/src/x.ts", src)
        .map((v) => v.line)
        .sort(),
    ).toEqual([1, 2]);
  });

  test("the sim's Bun-only entry points, tests, scripts and runtime detection through globalThis pass", () => {
    const src = "export const v = Bun.version;";
    expect(checkSource("packages/sim", "packages/sim/src/cli.ts", src)).toEqual([]);
    expect(checkSource("packages/sim", "packages/sim/src/batch-parallel.ts", src)).toEqual([]);
    expect(checkSource("packages/sim", "packages/sim/test/x.test.ts", src)).toEqual([]);
    expect(checkSource("packages/sim", "packages/sim/scripts/x.ts", src)).toEqual([]);
    const detect = "const z = (globalThis as { Bun?: { v?: string } }).Bun?.v;";
    expect(checkSource("packages/protocol", "packages/protocol/src/x.ts", detect)).toEqual([]);
  });
});

describe("import rule for the shared node", () => {
  test("node reading the wall clock, setting its own timers or importing I/O fails", () => {
    const src = [
      "export const a = Date.now();",
      'import { readFileSync } from "node:fs";',
      "setTimeout(() => {}, 1);",
      "export const b = Bun.nanoseconds();",
    ].join("\n");
    const rules = checkSource("packages/node", "packages/node/src/x.ts", src).map((v) => v.line);
    expect(rules.sort()).toEqual([1, 2, 3, 4]);
  });

  test("node may import the core and storage, and sim and broker may import node", () => {
    expect(
      checkSource(
        "packages/node",
        "packages/node/src/x.ts",
        'import "@eddy/core";\nimport "@eddy/storage-memory";',
      ),
    ).toEqual([]);
    expect(checkSource("packages/node", "packages/node/src/x.ts", 'import "@eddy/sim";').length).toBe(1);
    expect(checkSource("packages/sim", "packages/sim/src/x.ts", 'import "@eddy/node";')).toEqual([]);
    expect(checkSource("apps/broker", "apps/broker/src/x.ts", 'import "@eddy/node";')).toEqual([]);
  });
});
