/**
 * Resolves the broker's configuration from its four sources, in Kafka's property names:
 * command-line flags (shortcuts and `--override`) > `KAFKA_*` environment variables > the `--config`
 * file > defaults. Owns resolution and typed conversion, with each key's text decoded by its effect
 * Schema (`property-schema.ts`); it never reads files or the environment
 * itself (the caller passes them in), so every rule here is testable without I/O.
 */
import {
  acceptedIgnoredNames,
  type ConfigDefinition,
  definitionFor,
  definitionsByName,
} from "./definitions.ts";
import { propertyProblem } from "./property-schema.ts";

export type ConfigSource = "flag" | "env" | "file" | "default";

/** A configuration problem, phrased for the operator; the broker prints it and exits non-zero. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface ConfigEntry {
  readonly text: string;
  readonly source: ConfigSource;
  /** Where the value came from, for messages: `--override log.dirs=...`, `KAFKA_LOG_DIRS`, `server.properties`. */
  readonly origin: string;
}

export interface RawSources {
  readonly flags: ReadonlyArray<readonly [name: string, text: string, origin: string]>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly file: ReadonlyMap<string, string> | null;
  readonly filePath: string | null;
}

export interface ResolvedConfig {
  readonly entries: ReadonlyMap<string, ConfigEntry>;
  /** Notices for keys that were accepted but have no effect. */
  readonly notices: readonly string[];
}

/**
 * Maps `KAFKA_LOG_DIRS` to `log.dirs` with the convention of Kafka's container images: `_` is a dot,
 * `__` an underscore and `___` a dash.
 */
export function envNameToProperty(envName: string): string | null {
  if (!envName.startsWith("KAFKA_")) return null;
  // Runs of underscores are read longest first: three make a dash, two an underscore, one a dot.
  return envName
    .slice("KAFKA_".length)
    .toLowerCase()
    .replace(/_{1,3}/g, (run) => (run.length === 3 ? "-" : run.length === 2 ? "_" : "."));
}

/** Checks `text` against the key's schema (type and range); returns an error phrase or null. */
export function validateText(def: ConfigDefinition, text: string): string | null {
  return propertyProblem(def, text);
}

/** Commonly known Kafka environment variables that are not broker properties (launcher settings). */
const launcherEnvNames: ReadonlySet<string> = new Set([
  "KAFKA_HOME",
  "KAFKA_HEAP_OPTS",
  "KAFKA_OPTS",
  "KAFKA_JVM_PERFORMANCE_OPTS",
  "KAFKA_LOG4J_OPTS",
  "KAFKA_GC_LOG_OPTS",
  "KAFKA_JMX_OPTS",
  "KAFKA_DEBUG",
]);

export function resolveConfig(sources: RawSources): ResolvedConfig {
  const entries = new Map<string, ConfigEntry>();
  const notices: string[] = [];
  const problems: string[] = [];

  const accept = (name: string, text: string, source: ConfigSource, origin: string): void => {
    const def = definitionFor(name);
    if (def === undefined) {
      if (acceptedIgnoredNames.has(name)) {
        notices.push(`${origin}: ${name} is accepted but has no effect in Eddy`);
        return;
      }
      problems.push(`${origin}: unknown property "${name}"`);
      return;
    }
    const problem = validateText(def, text);
    if (problem !== null) {
      problems.push(`${origin}: ${name} ${problem}`);
      return;
    }
    entries.set(name, { text: text.trim(), source, origin });
  };

  // Lowest precedence first, so each later source overwrites what it names.
  for (const def of definitionsByName.values()) {
    if (def.defaultText !== null)
      entries.set(def.name, { text: def.defaultText, source: "default", origin: "default" });
  }
  if (sources.file !== null) {
    for (const [name, text] of sources.file) accept(name, text, "file", sources.filePath ?? "config file");
  }
  for (const envName of Object.keys(sources.env).sort()) {
    const text = sources.env[envName];
    const name = envNameToProperty(envName);
    if (name === null || text === undefined || launcherEnvNames.has(envName)) continue;
    if (definitionFor(name) === undefined && !acceptedIgnoredNames.has(name)) {
      // Environment variables are shared with other tools, so an unknown one is a notice, not a failure.
      notices.push(`${envName}: no broker property "${name}"; ignored`);
      continue;
    }
    accept(name, text, "env", envName);
  }
  for (const [name, text, origin] of sources.flags) accept(name, text, "flag", origin);

  if (problems.length > 0) throw new ConfigError(problems.join("\n"));
  return { entries, notices };
}

/** Typed accessors over a resolved configuration; they assume validation already passed. */
export function configText(config: ResolvedConfig, name: string): string | null {
  return config.entries.get(name)?.text ?? null;
}

export function configInt(config: ResolvedConfig, name: string): number | null {
  const text = configText(config, name);
  if (text === null) return null;
  const value = Number(text);
  // Longs beyond 2^53 (Long.MAX_VALUE defaults) mean "never"; they become Infinity for the shell.
  return Number.isSafeInteger(value) ? value : Number.POSITIVE_INFINITY;
}

export function configBool(config: ResolvedConfig, name: string): boolean {
  return configText(config, name)?.toLowerCase() === "true";
}
