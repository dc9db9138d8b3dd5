// The committed generated code must be exactly what the generator writes from the specs. Runs the generator
// into a temporary directory and compares file by file. Skipped (with a note) when the shared spec folder is
// absent, as in a clone without `shared/` beside it.

import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate, outDirDefault, specDirDefault } from "../scripts/generate.ts";

const specPresent = existsSync(specDirDefault);

test("committed src/generated matches a fresh generator run", () => {
  if (!specPresent) {
    console.log(`spec folder ${specDirDefault} absent: regenerate-and-diff check not run`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "eddy-codec-gen-"));
  try {
    const written = generate(specDirDefault, dir).sort();
    const committed = readdirSync(outDirDefault)
      .filter((n) => n.endsWith(".ts"))
      .sort();
    expect(committed).toEqual(written);
    const stale: string[] = [];
    for (const name of written) {
      if (readFileSync(join(dir, name), "utf8") !== readFileSync(join(outDirDefault, name), "utf8"))
        stale.push(name);
    }
    expect(stale).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
