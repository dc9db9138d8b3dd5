/**
 * Builds the studio's static files with Bun.build (no CDN, nothing fetched at run time): index.html,
 * studio.css (packages/ui's shared stylesheet, then the studio's own rules), page.js (the page) and
 * worker-source.js (the simulation worker's bundle as a string, which the page starts from a Blob). Classic scripts only, so the build also opens from a folder
 * (file:// refuses module scripts and worker files). Owns bundling; it must never serve or write.
 */
import { join } from "node:path";

export interface StudioFile {
  readonly body: string;
  readonly contentType: string;
}

/** The static build: file name (no folders) to contents. */
export type StudioFiles = ReadonlyMap<string, StudioFile>;

const srcDir = import.meta.dir;

async function bundle(entry: string): Promise<string> {
  const result = await Bun.build({
    entrypoints: [join(srcDir, entry)],
    target: "browser",
    format: "iife",
    minify: true,
    // A classic script has no import.meta; the one use below the apps (protocol's runtime-modules.ts
    // requiring native addons next to itself) never runs in a browser, which has no process.
    define: { "import.meta.url": JSON.stringify("file:///eddy-studio/") },
  });
  if (!result.success || result.outputs.length !== 1) {
    throw new Error(`studio build of ${entry} failed:\n${result.logs.map(String).join("\n")}`);
  }
  return await result.outputs[0]!.text();
}

export async function buildStudio(): Promise<StudioFiles> {
  const [pageJs, workerJs] = await Promise.all([bundle("page/page.ts"), bundle("worker/sim-worker.ts")]);
  const html = await Bun.file(join(srcDir, "page/index.html")).text();
  // One stylesheet file: the look shared with the console first, so the studio's own rules win.
  const sharedCss = await Bun.file(Bun.fileURLToPath(import.meta.resolve("@eddy/ui/ui.css"))).text();
  const css = `${sharedCss}\n${await Bun.file(join(srcDir, "page/studio.css")).text()}`;
  return new Map<string, StudioFile>([
    ["index.html", { body: html, contentType: "text/html; charset=utf-8" }],
    ["studio.css", { body: css, contentType: "text/css; charset=utf-8" }],
    ["page.js", { body: pageJs, contentType: "text/javascript; charset=utf-8" }],
    [
      "worker-source.js",
      {
        body: `globalThis.studioWorkerSource=${JSON.stringify(workerJs)};\n`,
        contentType: "text/javascript; charset=utf-8",
      },
    ],
  ]);
}
