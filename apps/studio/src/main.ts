/**
 * `bun run studio`: builds the studio and serves it on localhost with Bun.serve, printing the address
 * (`--port P`, default 5173; 0 picks a free port), or with `--build DIR` writes the static build to
 * DIR and exits. Owns the command line and the server; it must never serve anything but the built
 * files, nor listen beyond 127.0.0.1.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildStudio } from "./build.ts";

const usage = "usage: bun run studio [-- --port P] | [-- --build DIR]";

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    port: { type: "string" },
    build: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
  strict: true,
});

if (values.help === true) {
  console.log(usage);
  process.exit(0);
}

const startMs = performance.now();
const files = await buildStudio();
const bundleBytes = [...files.values()].reduce((sum, f) => sum + Buffer.byteLength(f.body), 0);
const builtIn = `${files.size} files, ${(bundleBytes / 1e6).toFixed(2)} MB, built in ${Math.round(performance.now() - startMs)} ms`;

if (values.build !== undefined) {
  const dir = resolve(values.build);
  mkdirSync(dir, { recursive: true });
  for (const [name, file] of files) writeFileSync(join(dir, name), file.body);
  console.log(`studio: static build in ${dir} (${builtIn}); open ${join(dir, "index.html")}`);
  process.exit(0);
}

const port = Number(values.port ?? "5173");
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`studio: --port must be 0..65535, got ${values.port}\n${usage}`);
  process.exit(2);
}

const server = Bun.serve({
  hostname: "127.0.0.1",
  port,
  fetch(request) {
    const path = new URL(request.url).pathname;
    const file = files.get(path === "/" ? "index.html" : path.slice(1));
    if (file === undefined) return new Response("not found", { status: 404 });
    return new Response(file.body, {
      headers: { "content-type": file.contentType, "cache-control": "no-store" },
    });
  },
});

console.log(`studio: serving http://127.0.0.1:${server.port}/ (${builtIn}); Ctrl-C stops it`);
