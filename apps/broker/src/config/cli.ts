/**
 * The broker's command line: shortcut flags, `--override key=value`, `--config FILE`, and `KAFKA_*`
 * environment variables, resolved with the precedence flag > env > file > default. Owns turning argv
 * and the environment into a `BrokerConfig`, or into a `ConfigError` the caller prints without a
 * stack trace. Reading the config file is the only I/O here.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { clusterIdProblem, newClusterId } from "../node/meta-properties.ts";
import { type BrokerConfig, toBrokerConfig } from "./broker-config.ts";
import { parseProperties } from "./properties.ts";
import { ConfigError, type RawSources, type ResolvedConfig, resolveConfig } from "./resolve.ts";

export const usage = `Usage: bun run broker [options]

Options (Kafka property names in brackets; precedence: flag > KAFKA_* env > --config file > default):
  --host HOST            listen address                   [listeners]         default 127.0.0.1
  --port PORT            listen port                      [listeners]         default 9092
  --data-dir DIR         data directory                   [log.dirs]          default ./data
  --storage fs|memory    storage engine                   [eddy.storage.engine] default fs
  --node-id N            this node's id                   [node.id]           default 1
  --admin-port PORT      admin HTTP port (metrics, health) [admin.port]       default 9644, 0: off
  --cluster-id ID        the cluster this node belongs to; a data directory of another cluster is refused
  --format               write meta.properties for --cluster-id and --node-id into the data directory
                         and exit (Kafka's kafka-storage format); refused if it is already formatted
  --ignore-formatted     with --format: accept a directory already formatted with the same ids
  --config FILE          read a Kafka server.properties file
  --override KEY=VALUE   set any broker property (repeatable)
  -h, --help             show this help

Environment: KAFKA_LOG_DIRS=/x sets log.dirs (_ is a dot, __ an underscore, ___ a dash).`;

export interface CliResult {
  /** `format` writes meta.properties and exits (`--format`); `run` starts the broker. */
  readonly kind: "run" | "help" | "format";
  /** `--ignore-formatted`, for `format`. */
  readonly ignoreFormatted: boolean;
  readonly config: BrokerConfig;
  readonly resolved: ResolvedConfig;
}

/**
 * Applies `--host`/`--port` to the client listener (the first that is not a controller listener) of a
 * `listeners` list and keeps the others as they are, so `--port 0` beside a CONTROLLER listener edits
 * only the listener clients use. Entries it cannot read are kept unchanged for validation to name.
 */
export function listenersWith(
  base: string,
  controllerNames: readonly string[],
  host: string | undefined,
  port: string | undefined,
): string {
  const entries = base
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  const pattern = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/;
  let at = entries.findIndex((e) => {
    const name = pattern.exec(e)?.[1]?.toUpperCase();
    return name !== undefined && !controllerNames.includes(name);
  });
  if (at < 0) at = 0;
  const match = pattern.exec(entries[at] ?? "");
  const name = match?.[1] ?? "PLAINTEXT";
  const h = host ?? match?.[2] ?? "127.0.0.1";
  const bracketed = h.includes(":") && !h.startsWith("[") ? `[${h}]` : h;
  entries[at] = `${name}://${bracketed}:${port ?? match?.[3] ?? "9092"}`;
  return entries.join(",");
}

/** Parses argv (without the runtime and script) and the environment into a broker configuration. */
export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliResult {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        "data-dir": { type: "string" },
        storage: { type: "string" },
        "node-id": { type: "string" },
        "admin-port": { type: "string" },
        "cluster-id": { type: "string" },
        format: { type: "boolean" },
        "ignore-formatted": { type: "boolean" },
        config: { type: "string" },
        override: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}\n\n${usage}`);
  }
  const v = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const flag = (name: string): string | undefined => {
    const value = v[name];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "") throw new ConfigError(`--${name} needs a value`);
    return value;
  };

  let file: Map<string, string> | null = null;
  const filePath = flag("config") ?? null;
  if (filePath !== null) {
    let text: string;
    try {
      text = readFileSync(filePath, "utf8");
    } catch (error) {
      throw new ConfigError(
        `--config ${filePath}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
    try {
      file = parseProperties(text);
    } catch (error) {
      throw new ConfigError(`--config ${filePath}: ${(error as Error).message}`);
    }
  }

  const flags: [string, string, string][] = [];
  for (const item of (v.override as string[] | undefined) ?? []) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new ConfigError(`--override expects KEY=VALUE, got "${item}"`);
    const key = item.slice(0, eq).trim();
    // Messages name the flag; a secret's value (a password, an inline private key) never appears in them.
    const origin =
      /sasl|jaas|password|secret|ssl\.keystore\.key/i.test(key) || /PRIVATE KEY/.test(item)
        ? `--override ${key}=(hidden)`
        : `--override ${item}`;
    flags.push([key, item.slice(eq + 1), origin]);
  }
  const port = flag("port");
  if (port !== undefined && !/^\d+$/.test(port))
    throw new ConfigError(`--port expects a number, got "${port}"`);
  const host = flag("host");
  const dataDir = flag("data-dir");
  const storage = flag("storage");
  const nodeId = flag("node-id");
  if (dataDir !== undefined) flags.push(["log.dirs", dataDir, "--data-dir"]);
  if (storage !== undefined) flags.push(["eddy.storage.engine", storage, "--storage"]);
  if (nodeId !== undefined) flags.push(["node.id", nodeId, "--node-id"]);
  const adminPort = flag("admin-port");
  if (adminPort !== undefined) flags.push(["admin.port", adminPort, "--admin-port"]);

  const sources: RawSources = { flags, env, file, filePath };
  let resolved = resolveConfig(sources);
  if (host !== undefined || port !== undefined) {
    // The shortcuts edit the listener that the other sources chose, so --port alone keeps the host.
    const base = resolved.entries.get("listeners")?.text ?? "PLAINTEXT://127.0.0.1:9092";
    const controllerNames = (resolved.entries.get("controller.listener.names")?.text ?? "")
      .split(",")
      .map((n) => n.trim().toUpperCase());
    const listeners = listenersWith(base, controllerNames, host, port);
    resolved = resolveConfig({ ...sources, flags: [...flags, ["listeners", listeners, "--host/--port"]] });
  }
  const clusterId = flag("cluster-id") ?? null;
  const clusterIdText = clusterId === null ? null : clusterIdProblem(clusterId);
  if (clusterIdText !== null) throw new ConfigError(`--cluster-id: ${clusterIdText}`);
  const format = v.format === true;
  if (format && clusterId === null) {
    throw new ConfigError(
      `--format needs --cluster-id, the same on every node of the cluster; for a new cluster, e.g. --cluster-id ${newClusterId()}`,
    );
  }
  if (v["ignore-formatted"] === true && !format)
    throw new ConfigError("--ignore-formatted goes with --format");
  const config = toBrokerConfig(resolved, clusterId);
  if (format && config.storageEngine !== "fs") {
    throw new ConfigError("--format needs --storage fs: memory storage keeps nothing to format");
  }
  return {
    kind: v.help === true ? "help" : format ? "format" : "run",
    ignoreFormatted: v["ignore-formatted"] === true,
    config,
    resolved,
  };
}
