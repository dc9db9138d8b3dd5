/**
 * The workspace's package graph as turbo builds it: every `@eddy/*` a package names in
 * `dependencies` or `devDependencies`. Turbo refuses to run anything when that graph has a cycle
 * ("Cyclic dependency detected"), even a cycle through a dev dependency only a test uses, so
 * `scripts/package-graph.test.ts` checks there is none. Reads package.json files; writes nothing.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Package name -> the workspace packages it depends on (dev dependencies included). */
export type PackageGraph = ReadonlyMap<string, readonly string[]>;

/** More workspace packages than this is not this repository: refuse rather than walk on. */
const packagesMax = 200;

export function workspaceGraph(root: string): PackageGraph {
  const graph = new Map<string, string[]>();
  for (const folder of ["apps", "packages"]) {
    for (const name of readdirSync(join(root, folder)).sort()) {
      let text: string;
      try {
        text = readFileSync(join(root, folder, name, "package.json"), "utf8");
      } catch {
        continue;
      }
      const manifest = JSON.parse(text) as {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
      graph.set(
        manifest.name,
        names.filter((n) => n.startsWith("@eddy/")),
      );
      if (graph.size > packagesMax) throw new Error(`more than ${packagesMax} workspace packages`);
    }
  }
  return graph;
}

/** A cycle of the graph as the path around it (first name repeated last), or null when there is none. */
export function cycleOf(graph: PackageGraph): string[] | null {
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === "done") return null;
    if (state.get(name) === "visiting") return [...path.slice(path.indexOf(name)), name];
    state.set(name, "visiting");
    path.push(name);
    for (const next of graph.get(name) ?? []) {
      const found = visit(next);
      if (found !== null) return found;
    }
    path.pop();
    state.set(name, "done");
    return null;
  };
  for (const name of [...graph.keys()].sort()) {
    const found = visit(name);
    if (found !== null) return found;
  }
  return null;
}
