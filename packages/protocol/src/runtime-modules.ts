/**
 * Reaches the runtime's Node-compatible modules (built-ins such as `node:zlib`, and native addons
 * such as `@node-rs/crc32`) where the runtime has them: Bun, Node and Deno do, a browser does not.
 * They are looked up at run time through `process.getBuiltinModule` instead of imported, so a
 * browser bundle never contains them and the caller picks a portable fallback. This module owns the
 * lookup only; it must never choose a fallback itself nor hide that one is in use (callers export
 * which implementation they run).
 */

interface NodeLikeProcess {
  readonly getBuiltinModule?: (id: string) => unknown;
}

interface ModuleApi {
  createRequire(from: string): (id: string) => unknown;
}

function builtinLookup(): ((id: string) => unknown) | undefined {
  const proc = (globalThis as { process?: NodeLikeProcess }).process;
  return proc?.getBuiltinModule;
}

/** A built-in module of a Node-compatible runtime (`node:zlib`), or undefined in a browser. */
export function builtinModule<T>(id: string): T | undefined {
  const lookup = builtinLookup();
  if (lookup === undefined) return undefined;
  return (lookup.call((globalThis as { process?: NodeLikeProcess }).process, id) ?? undefined) as
    | T
    | undefined;
}

/**
 * A package (a native addon) required from `fromUrl`'s folder, or undefined where the runtime cannot
 * load it: a browser, or a platform without the addon's binary (the caller then runs its fallback).
 */
export function nodePackage<T>(id: string, fromUrl: string): T | undefined {
  const moduleApi = builtinModule<ModuleApi>("node:module");
  if (moduleApi === undefined) return undefined;
  try {
    return moduleApi.createRequire(fromUrl)(id) as T;
  } catch {
    return undefined;
  }
}

/** The error a codec or helper throws when its module is missing in this runtime (a browser). */
export function unavailableInRuntime(what: string): Error {
  return new Error(`${what} is not available in this runtime (no Node-compatible modules, e.g. a browser)`);
}
