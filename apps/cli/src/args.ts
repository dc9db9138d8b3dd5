/**
 * The CLI's command line, parsed by `node:util`'s parseArgs (the parser `bun run broker` and
 * `bun run perf` use). Owns the usage text and turning argv into one checked `Command` or a
 * `UsageError` whose message the caller prints with the usage. Must never do I/O: a bad argument is
 * refused before any connection is made.
 */
import { parseArgs } from "node:util";

export const usage = `Usage: eddy [options] <command>   (from the repository: bun run eddy -- ...)

Commands:
  topics list                              every topic with its partition count and replication factor
  topics create NAME [--partitions N] [--replication-factor R] [--config KEY=VALUE ...]
                                           create a topic (N and R default to the broker's
                                           num.partitions and default.replication.factor)
  topics describe NAME                     each partition's leader, replicas, ISR, log start and end offsets
  topics delete NAME                       delete a topic and its data
  groups list                              every consumer group with its state
  groups describe GROUP                    state, members, assignments, committed offsets and lag

Options:
  -b, --bootstrap-server HOST:PORT         broker to connect to            default 127.0.0.1:9092
  -o, --output text|json                   human tables or one JSON document  default text
      --timeout-ms MS                      give up on a silent broker after MS  default 30000
  -h, --help                               show this help

Exit codes: 0 done, 1 the broker refused or could not be reached (the message says what to do),
2 bad usage (this text).`;

export class UsageError extends Error {}

export interface GlobalOptions {
  readonly host: string;
  readonly port: number;
  readonly output: "text" | "json";
  readonly timeoutMs: number;
}

export type Command =
  | { readonly kind: "help" }
  | { readonly kind: "topics list" }
  | {
      readonly kind: "topics create";
      readonly topic: string;
      /** -1: the broker's default. */
      readonly partitions: number;
      readonly replicationFactor: number;
      readonly configs: readonly { readonly name: string; readonly value: string }[];
    }
  | { readonly kind: "topics describe"; readonly topic: string }
  | { readonly kind: "topics delete"; readonly topic: string }
  | { readonly kind: "groups list" }
  | { readonly kind: "groups describe"; readonly group: string };

export interface Parsed {
  readonly options: GlobalOptions;
  readonly command: Command;
}

const options = {
  "bootstrap-server": { type: "string", short: "b" },
  output: { type: "string", short: "o" },
  "timeout-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
  partitions: { type: "string" },
  "replication-factor": { type: "string" },
  config: { type: "string", multiple: true },
} as const;

/** Options only `topics create` takes. */
const createOnly = ["partitions", "replication-factor", "config"] as const;

/** The commands that take one NAME argument, and what it names. */
const named: Record<string, string> = {
  "topics create": "NAME",
  "topics describe": "NAME",
  "topics delete": "NAME",
  "groups describe": "GROUP",
};
const bare = new Set(["topics list", "groups list"]);

function positiveInt(flag: string, text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 2 ** 31 - 1) {
    throw new UsageError(`--${flag} must be a positive integer, not '${text}'`);
  }
  return Number(text);
}

function bootstrap(text: string): { host: string; port: number } {
  const match = /^(.+):([0-9]{1,5})$/.exec(text);
  const port = match === null ? Number.NaN : Number(match[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new UsageError(`--bootstrap-server must be HOST:PORT, not '${text}'`);
  }
  // [::1]:9092 names an IPv6 host.
  return { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
}

export function parseCliArgs(argv: readonly string[]): Parsed {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  const { host, port } = bootstrap(v["bootstrap-server"] ?? "127.0.0.1:9092");
  const output = v.output ?? "text";
  if (output !== "text" && output !== "json") {
    throw new UsageError(`--output must be text or json, not '${output}'`);
  }
  const timeoutMs = v["timeout-ms"] === undefined ? 30_000 : positiveInt("timeout-ms", v["timeout-ms"]);
  const global: GlobalOptions = { host, port, output, timeoutMs };
  if (v.help === true) return { options: global, command: { kind: "help" } };

  const [group, action, ...rest] = parsed.positionals;
  if (group === undefined) throw new UsageError("no command given");
  if (group !== "topics" && group !== "groups") throw new UsageError(`unknown command '${group}'`);
  if (action === undefined) throw new UsageError(`'${group}' needs a subcommand`);
  const kind = `${group} ${action}`;
  if (!bare.has(kind) && named[kind] === undefined) throw new UsageError(`unknown command '${kind}'`);
  const argName = named[kind];
  if (argName === undefined && rest.length > 0)
    throw new UsageError(`'${kind}' takes no argument, got '${rest[0]}'`);
  if (argName !== undefined && rest.length === 0) throw new UsageError(`'${kind}' needs ${argName}`);
  if (rest.length > 1)
    throw new UsageError(`'${kind}' takes one ${argName}, got ${rest.length}: ${rest.join(" ")}`);
  const name = rest[0] ?? "";
  if (kind !== "topics create") {
    for (const flag of createOnly) {
      if (v[flag] !== undefined)
        throw new UsageError(`--${flag} is an option of 'topics create', not of '${kind}'`);
    }
  }
  switch (kind) {
    case "topics list":
    case "groups list":
      return { options: global, command: { kind } };
    case "topics describe":
    case "topics delete":
      return { options: global, command: { kind, topic: name } };
    case "groups describe":
      return { options: global, command: { kind, group: name } };
    default: {
      const configs = (v.config ?? []).map((pair) => {
        const at = pair.indexOf("=");
        if (at <= 0) throw new UsageError(`--config must be KEY=VALUE, not '${pair}'`);
        return { name: pair.slice(0, at), value: pair.slice(at + 1) };
      });
      return {
        options: global,
        command: {
          kind: "topics create",
          topic: name,
          partitions: v.partitions === undefined ? -1 : positiveInt("partitions", v.partitions),
          replicationFactor:
            v["replication-factor"] === undefined
              ? -1
              : positiveInt("replication-factor", v["replication-factor"]),
          configs,
        },
      };
    }
  }
}
