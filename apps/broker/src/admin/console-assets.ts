/**
 * The web console's files, served at `/` by the admin listener: `console/console.html`,
 * `console.css` (packages/ui's `ui.css`, the look shared with the studio, then `console/console.css`)
 * and `console.js`, which Bun.build bundles from `console/main.ts` (with packages/ui's views) the first
 * time the page is asked for (nothing from a CDN, nothing fetched by the page but the admin API).
 * Owns bundling and serving those three files; a failed bundle answers 500 and is tried again on
 * the next request rather than cached.
 */
import { join } from "node:path";

const consoleDir = join(import.meta.dir, "console");
/** The stylesheet the console shares with the studio, from the workspace package (read at run time). */
const sharedCssPath = Bun.fileURLToPath(import.meta.resolve("@eddy/ui/ui.css"));

interface Asset {
  readonly body: string;
  readonly contentType: string;
}

let bundle: Promise<Asset> | null = null;

async function buildScript(): Promise<Asset> {
  const result = await Bun.build({
    entrypoints: [join(consoleDir, "main.ts")],
    target: "browser",
    format: "iife",
    minify: true,
  });
  if (!result.success || result.outputs.length !== 1) {
    throw new Error(`console bundle failed:\n${result.logs.map(String).join("\n")}`);
  }
  return { body: await result.outputs[0]!.text(), contentType: "text/javascript; charset=utf-8" };
}

function scriptAsset(): Promise<Asset> {
  if (bundle === null) {
    bundle = buildScript();
    bundle.catch(() => {
      bundle = null;
    });
  }
  return bundle;
}

const files: Record<string, () => Promise<Asset>> = {
  "/": async () => ({
    body: await Bun.file(join(consoleDir, "console.html")).text(),
    contentType: "text/html; charset=utf-8",
  }),
  "/console.css": async () => ({
    // One file: the shared look first, so the console's own rules win.
    body: `${await Bun.file(sharedCssPath).text()}\n${await Bun.file(join(consoleDir, "console.css")).text()}`,
    contentType: "text/css; charset=utf-8",
  }),
  "/console.js": scriptAsset,
};

/** The console's file for a path, or null when the path is not the console's. */
export function serveConsole(path: string): Promise<Response> | null {
  const load = files[path];
  if (load === undefined) return null;
  return load().then(
    (asset) =>
      new Response(asset.body, {
        headers: { "content-type": asset.contentType, "cache-control": "no-cache" },
      }),
  );
}
