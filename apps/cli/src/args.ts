/**
 * The CLI's command line, parsed by `node:util`'s parseArgs (the parser `bun run broker` and
 * `bun run perf` use). Owns the usage text, the table of commands with the arguments and options each
 * takes, and turning argv into one checked `Command` or a `UsageError` whose message the caller prints
 * with the usage. Must never do I/O: a bad argument is refused before any file is read or any
 * connection is made (the `--command-config` file is read by `settings.ts`).
 */
import { parseArgs } from "node:util";
import { aclCommand, userCommand } from "./access-args.ts";
import type { AclBinding, AclFilter } from "./acls.ts";
import type { EntityType } from "./configs.ts";
import { type ConsumedRecord, compileFormat, FormatError } from "./format.ts";
import type { ScramMechanism } from "./users.ts";

export const usage = `Usage: eddy [options] <command>   (from the repository: bun run eddy -- ...)

Commands:
  topics list                              every topic with its partition count and replication factor
  topics create NAME [--partitions N] [--replication-factor R] [--config KEY=VALUE ...] [--if-not-exists]
                                           create a topic (N and R default to the broker's
                                           num.partitions and default.replication.factor)
  topics describe NAME                     each partition's leader, replicas, ISR, log start and end offsets
  topics alter NAME --partitions N [--if-exists]
                                           grow a topic to N partitions (Kafka cannot remove any)
  topics delete NAME [--if-exists]         delete a topic and its data
  groups list                              every consumer group with its state
  groups describe GROUP                    state, members, assignments, committed offsets and lag
  groups reset-offsets GROUP (--topic T[:P,P...] ... | --all-topics)
         (--to-earliest | --to-latest | --to-datetime ISO | --to-offset N | --shift-by N)
         [--dry-run | --execute]           plan new committed offsets (a dry run unless --execute);
                                           the group must have no active members to execute
  groups delete GROUP                      delete an empty group and its committed offsets
  configs describe --entity-type topics|brokers [--entity-name NAME | --entity-default]
                                           every config of a topic or broker (all brokers when no
                                           name; the cluster-wide dynamic defaults with
                                           --entity-default), its value and its source
  configs alter --entity-type topics|brokers (--entity-name NAME | --entity-default)
         [--add-config K=V,K=V...] [--delete-config K,K...]
                                           set and delete a topic's configs, or a broker's dynamic
                                           ones (log.retention.ms, log.segment.bytes, message.max.bytes,
                                           min.insync.replicas, ...; for every broker with
                                           --entity-default), with IncrementalAlterConfigs
  cluster                                  the cluster id, the active controller and every broker
  acls list [FILTER]                       the ACLs matching FILTER (every one with none)
  acls create --principal TYPE:NAME --operation OP [--operation OP ...] RESOURCE
         [--permission allow|deny] [--host H] [--pattern-type literal|prefixed]
                                           allow (or deny) each OP (read, write, create, delete,
                                           alter, describe, describe-configs, alter-configs,
                                           cluster-action, idempotent-write, all) from H (default *)
  acls delete FILTER                       delete every ACL matching FILTER (pattern type literal
                                           unless --pattern-type says any, match or prefixed)
                                           RESOURCE: --topic T | --group G | --cluster |
                                           --resource-type TYPE --resource-name NAME; FILTER: any
                                           of --principal, --host, --operation, --permission, a
                                           RESOURCE and --pattern-type (what is left out matches any)
  users list                               every user with SCRAM credentials, mechanism, iterations
  users describe USER                      one user's SCRAM credentials (never a salt or key)
  users alter USER [--mechanism SCRAM-SHA-256|SCRAM-SHA-512] [--iterations N] [--password P]
                                           set USER's SCRAM credential (default SCRAM-SHA-256, 4096
                                           iterations); without --password, one line of stdin
  users delete USER [--mechanism M]        delete USER's credential for M, or every one
  dump-log FILE... [--no-index]            print segment files of this machine (.log with its
                                           .index and .timeindex) as kafka-dump-log.sh does
  produce TOPIC [--key-separator S] [--header K=V ...] [--acks 0|1|all] [--partition P]
                                           one record per stdin line (KEY S VALUE with a separator);
                                           keyed records go where Kafka's murmur2 puts them
  consume TOPIC [--from-beginning | --offset N | --timestamp ISO] [--partition P ...]
         [--group GROUP] [--max-messages N] [-e] [-f FORMAT]
                                           print records, one a line (the value, FORMAT, or JSON with
                                           -o json); -e stops at the end of every partition; a group
                                           starts at its committed offsets and commits what it printed
                                           FORMAT as kcat's -f: %t topic %p partition %o offset %k key
                                           %s value %K %S their lengths %T timestamp ms %h headers
                                           %% percent, \\n \\t \\r escapes; default '%s\\n'

Options:
  -b, --bootstrap-server HOST:PORT[,...]   brokers to try in order          default 127.0.0.1:9092
      --command-config FILE                Kafka client properties: bootstrap.servers, request.timeout.ms,
                                           security.protocol, sasl.*, ssl.* (PEM stores)
  -o, --output text|json                   human tables or one JSON document  default text
      --timeout-ms MS                      give up on a silent broker after MS  default 30000
  -h, --help                               show this help

Exit codes: 0 done, 1 the broker refused or could not be reached (the message says what to do),
2 bad usage (this text).`;

export class UsageError extends Error {}

export interface Address {
  readonly host: string;
  readonly port: number;
}

/** The options every command takes, as given; `settings.ts` fills in the config file and defaults. */
export interface GlobalOptions {
  /** Null: not given with -b. */
  readonly bootstrap: readonly Address[] | null;
  readonly commandConfig: string | null;
  readonly output: "text" | "json";
  /** Null: not given with --timeout-ms. */
  readonly timeoutMs: number | null;
}

/** Where `groups reset-offsets` moves each partition's committed offset. */
export type ResetSpec =
  | { readonly to: "earliest" }
  | { readonly to: "latest" }
  | { readonly to: "datetime"; readonly timestampMs: number }
  | { readonly to: "offset"; readonly offset: number }
  | { readonly to: "shift"; readonly by: number };

/** A topic named by `--topic T` (every partition: null) or `--topic T:0,2`. */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[] | null;
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
      /** An existing topic is not an error. */
      readonly ifNotExists: boolean;
    }
  | { readonly kind: "topics describe"; readonly topic: string }
  | { readonly kind: "topics delete"; readonly topic: string; readonly ifExists: boolean }
  | {
      readonly kind: "topics alter";
      readonly topic: string;
      readonly partitions: number;
      readonly ifExists: boolean;
    }
  | { readonly kind: "cluster" }
  | { readonly kind: "acls list" | "acls delete"; readonly filter: AclFilter }
  | { readonly kind: "acls create"; readonly bindings: readonly AclBinding[] }
  | { readonly kind: "users list" }
  | { readonly kind: "users describe"; readonly user: string }
  | {
      readonly kind: "users alter";
      readonly user: string;
      readonly mechanism: ScramMechanism;
      readonly iterations: number;
      /** Null: read one line of stdin. */
      readonly password: string | null;
    }
  | { readonly kind: "users delete"; readonly user: string; readonly mechanism: ScramMechanism | null }
  | { readonly kind: "configs describe"; readonly entityType: EntityType; readonly entityName: string | null }
  | {
      readonly kind: "configs alter";
      readonly entityType: EntityType;
      readonly entityName: string;
      readonly set: readonly { readonly name: string; readonly value: string }[];
      readonly remove: readonly string[];
    }
  | { readonly kind: "dump-log"; readonly files: readonly string[]; readonly indexes: boolean }
  | { readonly kind: "groups list" }
  | { readonly kind: "groups describe"; readonly group: string }
  | {
      readonly kind: "groups reset-offsets";
      readonly group: string;
      /** Null: --all-topics, the topics the group has committed offsets for. */
      readonly topics: readonly TopicPartitions[] | null;
      readonly spec: ResetSpec;
      readonly execute: boolean;
    }
  | { readonly kind: "groups delete"; readonly group: string }
  | {
      readonly kind: "produce";
      readonly topic: string;
      readonly keySeparator: string | null;
      readonly headers: readonly { readonly key: string; readonly value: string }[];
      readonly acks: number;
      readonly partition: number | null;
    }
  | {
      readonly kind: "consume";
      readonly topic: string;
      readonly partitions: readonly number[] | null;
      readonly start: StartAt;
      readonly group: string | null;
      readonly messagesMax: number | null;
      readonly exitAtEnd: boolean;
      /** Null: the default, the value or with --output json a JSON object. */
      readonly render: ((record: ConsumedRecord) => string) | null;
    };

/** Where `consume` starts when no group offset says; a negative offset counts back from the end. */
export type StartAt =
  | { readonly from: "beginning" }
  | { readonly from: "end" }
  | { readonly from: "offset"; readonly offset: number }
  | { readonly from: "timestamp"; readonly timestampMs: number };

export type Kind = Command["kind"];

export interface Parsed {
  readonly options: GlobalOptions;
  readonly command: Command;
}

const options = {
  "bootstrap-server": { type: "string", short: "b" },
  "command-config": { type: "string" },
  output: { type: "string", short: "o" },
  "timeout-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
  partitions: { type: "string" },
  "replication-factor": { type: "string" },
  config: { type: "string", multiple: true },
  topic: { type: "string", multiple: true },
  "all-topics": { type: "boolean" },
  "to-earliest": { type: "boolean" },
  "to-latest": { type: "boolean" },
  "to-datetime": { type: "string" },
  "to-offset": { type: "string" },
  "shift-by": { type: "string" },
  "dry-run": { type: "boolean" },
  execute: { type: "boolean" },
  "key-separator": { type: "string" },
  header: { type: "string", multiple: true },
  acks: { type: "string" },
  partition: { type: "string", multiple: true },
  "from-beginning": { type: "boolean" },
  offset: { type: "string" },
  timestamp: { type: "string" },
  group: { type: "string" },
  "max-messages": { type: "string" },
  "exit-at-end": { type: "boolean", short: "e" },
  format: { type: "string", short: "f" },
  "no-index": { type: "boolean" },
  "if-exists": { type: "boolean" },
  "if-not-exists": { type: "boolean" },
  principal: { type: "string" },
  host: { type: "string" },
  operation: { type: "string", multiple: true },
  permission: { type: "string" },
  "resource-type": { type: "string" },
  "resource-name": { type: "string" },
  "pattern-type": { type: "string" },
  cluster: { type: "boolean" },
  mechanism: { type: "string" },
  iterations: { type: "string" },
  password: { type: "string" },
  "entity-type": { type: "string" },
  "entity-name": { type: "string" },
  "entity-default": { type: "boolean" },
  "add-config": { type: "string", multiple: true },
  "delete-config": { type: "string", multiple: true },
} as const;

type OptionName = keyof typeof options;
const aclOptions: OptionName[] = [
  "principal",
  "host",
  "operation",
  "permission",
  "resource-type",
  "resource-name",
  "pattern-type",
  "topic",
  "group",
  "cluster",
];
const globalOptions: readonly OptionName[] = [
  "bootstrap-server",
  "command-config",
  "output",
  "timeout-ms",
  "help",
];

/**
 * Each command: the positional argument it needs (if any; `many`: one or more of them) and the
 * options it takes.
 */
const commands: Record<
  Exclude<Kind, "help">,
  { arg: string | null; many?: boolean; options: readonly OptionName[] }
> = {
  "topics list": { arg: null, options: [] },
  "topics create": {
    arg: "NAME",
    options: ["partitions", "replication-factor", "config", "if-not-exists"],
  },
  "topics describe": { arg: "NAME", options: [] },
  "topics delete": { arg: "NAME", options: ["if-exists"] },
  "topics alter": { arg: "NAME", options: ["partitions", "if-exists"] },
  cluster: { arg: null, options: [] },
  "acls list": { arg: null, options: aclOptions },
  "acls create": { arg: null, options: aclOptions },
  "acls delete": { arg: null, options: aclOptions },
  "users list": { arg: null, options: [] },
  "users describe": { arg: "USER", options: [] },
  "users alter": { arg: "USER", options: ["mechanism", "iterations", "password"] },
  "users delete": { arg: "USER", options: ["mechanism"] },
  "configs describe": { arg: null, options: ["entity-type", "entity-name", "entity-default"] },
  "configs alter": {
    arg: null,
    options: ["entity-type", "entity-name", "entity-default", "add-config", "delete-config"],
  },
  "dump-log": { arg: "FILE", many: true, options: ["no-index"] },
  "groups list": { arg: null, options: [] },
  "groups describe": { arg: "GROUP", options: [] },
  "groups delete": { arg: "GROUP", options: [] },
  produce: { arg: "TOPIC", options: ["key-separator", "header", "acks", "partition"] },
  consume: {
    arg: "TOPIC",
    options: [
      "from-beginning",
      "offset",
      "timestamp",
      "partition",
      "group",
      "max-messages",
      "exit-at-end",
      "format",
    ],
  },
  "groups reset-offsets": {
    arg: "GROUP",
    options: [
      "topic",
      "all-topics",
      "to-earliest",
      "to-latest",
      "to-datetime",
      "to-offset",
      "shift-by",
      "dry-run",
      "execute",
    ],
  },
};
const commandGroups = new Set(Object.keys(commands).map((k) => k.split(" ")[0]!));
/** Commands of one word, with no subcommand. */
const single = new Set(Object.keys(commands).filter((k) => !k.includes(" ")));

function positiveInt(flag: string, text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || Number(text) > 2 ** 31 - 1) {
    throw new UsageError(`--${flag} must be a positive integer, not '${text}'`);
  }
  return Number(text);
}

/** An integer within ±2^53 (offsets and shifts), optionally refusing negatives. */
function integer(flag: string, text: string, negativeOk: boolean): number {
  const pattern = negativeOk ? /^-?[0-9]{1,16}$/ : /^[0-9]{1,16}$/;
  if (!pattern.test(text) || !Number.isSafeInteger(Number(text))) {
    const what = negativeOk ? "an integer" : "a non-negative integer";
    throw new UsageError(`--${flag} must be ${what}, not '${text}'`);
  }
  return Number(text);
}

/** A list of HOST:PORT, comma-separated, as Kafka's bootstrap.servers; `what` names the source. */
export function parseBootstrap(text: string, what: string): Address[] {
  return text.split(",").map((one) => {
    const match = /^(.+):([0-9]{1,5})$/.exec(one.trim());
    const port = match === null ? Number.NaN : Number(match[2]);
    if (match === null || port < 1 || port > 65535) {
      throw new UsageError(`${what} must be HOST:PORT[,HOST:PORT...], not '${text}'`);
    }
    // [::1]:9092 names an IPv6 host.
    return { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
  });
}

/** An ISO 8601 date-time (as Kafka's --to-datetime takes it), or epoch milliseconds. */
export function parseDateTime(flag: string, text: string): number {
  if (/^[0-9]{1,15}$/.test(text)) return Number(text);
  const ms = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `--${flag} must be an ISO date-time such as 2026-12-07T10:00:00Z, or epoch milliseconds, not '${text}'`,
    );
  }
  return ms;
}

/**
 * Splits `a=1,b=[x,y]` at the commas outside brackets, as kafka-configs.sh reads --add-config (a
 * list value is written in brackets).
 */
function splitConfigList(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of text) {
    if (c === "[") depth++;
    if (c === "]") depth = Math.max(0, depth - 1);
    if (c === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function topicPartitions(text: string): TopicPartitions {
  const at = text.lastIndexOf(":");
  if (at < 0) {
    if (text.length === 0) throw new UsageError("--topic needs a topic name");
    return { topic: text, partitions: null };
  }
  const topic = text.slice(0, at);
  const list = text.slice(at + 1).split(",");
  if (topic.length === 0 || list.some((p) => !/^[0-9]{1,9}$/.test(p))) {
    throw new UsageError(`--topic must be TOPIC or TOPIC:PARTITION,PARTITION..., not '${text}'`);
  }
  return { topic, partitions: [...new Set(list.map(Number))].sort((a, b) => a - b) };
}

function resetSpec(v: Values): ResetSpec {
  const given: ResetSpec[] = [];
  if (v["to-earliest"] === true) given.push({ to: "earliest" });
  if (v["to-latest"] === true) given.push({ to: "latest" });
  if (v["to-datetime"] !== undefined)
    given.push({ to: "datetime", timestampMs: parseDateTime("to-datetime", v["to-datetime"]) });
  if (v["to-offset"] !== undefined)
    given.push({ to: "offset", offset: integer("to-offset", v["to-offset"], false) });
  if (v["shift-by"] !== undefined) given.push({ to: "shift", by: integer("shift-by", v["shift-by"], true) });
  if (given.length !== 1) {
    throw new UsageError(
      `'groups reset-offsets' needs exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by (got ${given.length})`,
    );
  }
  return given[0]!;
}

export type Values = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>
>["values"];

/** Options whose value may be a negative number. */
const negativeValueOptions = new Set(["--shift-by", "--offset"]);

/**
 * `--shift-by -3` as Kafka's tool takes it: parseArgs reads a value starting with a dash as a
 * possible option and refuses it, so a negative number after such an option is joined to it
 * (`--shift-by=-3`) before parsing.
 */
function joinNegativeValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    if (negativeValueOptions.has(arg) && next !== undefined && /^-[0-9]+$/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function parseCliArgs(argv: readonly string[]): Parsed {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof options; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  const bootstrap =
    v["bootstrap-server"] === undefined ? null : parseBootstrap(v["bootstrap-server"], "--bootstrap-server");
  const output = v.output ?? "text";
  if (output !== "text" && output !== "json") {
    throw new UsageError(`--output must be text or json, not '${output}'`);
  }
  const timeoutMs = v["timeout-ms"] === undefined ? null : positiveInt("timeout-ms", v["timeout-ms"]);
  const global: GlobalOptions = { bootstrap, commandConfig: v["command-config"] ?? null, output, timeoutMs };
  if (v.help === true) return { options: global, command: { kind: "help" } };

  const [group, ...afterGroup] = parsed.positionals;
  if (group === undefined) throw new UsageError("no command given");
  if (!commandGroups.has(group)) throw new UsageError(`unknown command '${group}'`);
  const isSingle = single.has(group);
  const action = isSingle ? null : afterGroup[0];
  const rest = isSingle ? afterGroup : afterGroup.slice(1);
  if (action === undefined) throw new UsageError(`'${group}' needs a subcommand`);
  const kind = (action === null ? group : `${group} ${action}`) as Exclude<Kind, "help">;
  const spec = commands[kind];
  if (spec === undefined) throw new UsageError(`unknown command '${kind}'`);
  if (spec.arg === null && rest.length > 0)
    throw new UsageError(`'${kind}' takes no argument, got '${rest[0]}'`);
  if (spec.arg !== null && rest.length === 0) throw new UsageError(`'${kind}' needs ${spec.arg}`);
  if (rest.length > 1)
    throw new UsageError(`'${kind}' takes one ${spec.arg}, got ${rest.length}: ${rest.join(" ")}`);
  for (const flag of Object.keys(v) as OptionName[]) {
    if (globalOptions.includes(flag) || spec.options.includes(flag)) continue;
    const owners = Object.entries(commands)
      .filter(([, s]) => s.options.includes(flag))
      .map(([k]) => `'${k}'`);
    throw new UsageError(`--${flag} is an option of ${owners.join(" and ")}, not of '${kind}'`);
  }
  if (kind === "dump-log") {
    return { options: global, command: { kind, files: rest, indexes: v["no-index"] !== true } };
  }
  const name = rest[0] ?? "";
  return { options: global, command: buildCommand(kind, name, v) };
}

function buildCommand(kind: Exclude<Kind, "help" | "dump-log">, name: string, v: Values): Command {
  switch (kind) {
    case "topics list":
    case "groups list":
    case "cluster":
      return { kind };
    case "configs describe":
    case "configs alter": {
      const entityType = v["entity-type"];
      if (entityType !== "topics" && entityType !== "brokers") {
        throw new UsageError(
          `'${kind}' needs --entity-type topics or brokers${entityType === undefined ? "" : `, not '${entityType}'`}`,
        );
      }
      if (v["entity-default"] === true && (entityType === "topics" || v["entity-name"] !== undefined)) {
        throw new UsageError(
          "--entity-default names the brokers' cluster-wide default; it goes with --entity-type brokers and without --entity-name",
        );
      }
      // Kafka names the cluster-wide default broker resource with the empty name.
      const entityName = v["entity-default"] === true ? "" : (v["entity-name"] ?? null);
      if (entityName === null && (entityType === "topics" || kind === "configs alter")) {
        throw new UsageError(`'${kind}' of ${entityType} needs --entity-name`);
      }
      if (kind === "configs describe") return { kind, entityType, entityName };
      const set = (v["add-config"] ?? []).flatMap(splitConfigList).map((pair) => {
        const at = pair.indexOf("=");
        if (at <= 0) throw new UsageError(`--add-config takes KEY=VALUE,KEY=VALUE..., not '${pair}'`);
        return { name: pair.slice(0, at), value: pair.slice(at + 1).replace(/^\[(.*)\]$/, "$1") };
      });
      const remove = (v["delete-config"] ?? []).flatMap(splitConfigList);
      if (set.length + remove.length === 0) {
        throw new UsageError("'configs alter' needs --add-config or --delete-config");
      }
      const both = set.filter((c) => remove.includes(c.name)).map((c) => c.name);
      if (both.length > 0) throw new UsageError(`${both.join(", ")} both added and deleted`);
      return { kind, entityType, entityName: entityName!, set, remove };
    }
    case "acls list":
    case "acls create":
    case "acls delete":
      return aclCommand(kind, v);
    case "users list":
      return { kind };
    case "users describe":
      return { kind, user: name };
    case "users alter":
    case "users delete":
      return userCommand(kind, name, v);
    case "topics alter":
      if (v.partitions === undefined) throw new UsageError("'topics alter' needs --partitions N");
      return {
        kind,
        topic: name,
        partitions: positiveInt("partitions", v.partitions),
        ifExists: v["if-exists"] === true,
      };
    case "topics delete":
      return { kind, topic: name, ifExists: v["if-exists"] === true };
    case "topics describe":
      return { kind, topic: name };
    case "groups describe":
    case "groups delete":
      return { kind, group: name };
    case "groups reset-offsets": {
      const topics = (v.topic ?? []).map(topicPartitions);
      if (topics.length > 0 === (v["all-topics"] === true)) {
        throw new UsageError("'groups reset-offsets' needs --topic T[:P,...] (repeatable) or --all-topics");
      }
      if (v["dry-run"] === true && v.execute === true) {
        throw new UsageError("--dry-run and --execute cannot go together");
      }
      return {
        kind,
        group: name,
        topics: v["all-topics"] === true ? null : topics,
        spec: resetSpec(v),
        execute: v.execute === true,
      };
    }
    case "produce": {
      const acks = v.acks ?? "all";
      if (!["0", "1", "-1", "all"].includes(acks))
        throw new UsageError(`--acks must be 0, 1 or all, not '${acks}'`);
      const partitions = v.partition ?? [];
      if (partitions.length > 1) throw new UsageError("'produce' takes one --partition");
      if (v["key-separator"] === "") throw new UsageError("--key-separator must not be empty");
      return {
        kind,
        topic: name,
        keySeparator: v["key-separator"] ?? null,
        headers: (v.header ?? []).map((pair) => {
          const at = pair.indexOf("=");
          if (at <= 0) throw new UsageError(`--header must be KEY=VALUE, not '${pair}'`);
          return { key: pair.slice(0, at), value: pair.slice(at + 1) };
        }),
        acks: acks === "all" ? -1 : Number(acks),
        partition: partitions.length === 0 ? null : integer("partition", partitions[0]!, false),
      };
    }
    case "consume": {
      const starts = [v["from-beginning"] === true, v.offset !== undefined, v.timestamp !== undefined];
      if (starts.filter(Boolean).length > 1) {
        throw new UsageError("give at most one of --from-beginning, --offset, --timestamp");
      }
      if (
        v.group !== undefined &&
        (v.partition !== undefined || v.offset !== undefined || v.timestamp !== undefined)
      ) {
        throw new UsageError(
          "--group takes the partitions the group assigns and starts at its committed offsets; it cannot go with --partition, --offset or --timestamp (use 'eddy groups reset-offsets' to move the group)",
        );
      }
      const start: StartAt =
        v["from-beginning"] === true
          ? { from: "beginning" }
          : v.offset !== undefined
            ? { from: "offset", offset: integer("offset", v.offset, true) }
            : v.timestamp !== undefined
              ? { from: "timestamp", timestampMs: parseDateTime("timestamp", v.timestamp) }
              : { from: "end" };
      let render: ((record: ConsumedRecord) => string) | null = null;
      if (v.format !== undefined) {
        try {
          render = compileFormat(v.format);
        } catch (error) {
          if (error instanceof FormatError) throw new UsageError(`-f: ${error.message}`);
          throw error;
        }
      }
      return {
        kind,
        topic: name,
        partitions:
          v.partition === undefined
            ? null
            : [...new Set(v.partition.map((p) => integer("partition", p, false)))].sort((a, b) => a - b),
        start,
        group: v.group ?? null,
        messagesMax: v["max-messages"] === undefined ? null : positiveInt("max-messages", v["max-messages"]),
        exitAtEnd: v["exit-at-end"] === true,
        render,
      };
    }
    case "topics create": {
      const configs = (v.config ?? []).map((pair) => {
        const at = pair.indexOf("=");
        if (at <= 0) throw new UsageError(`--config must be KEY=VALUE, not '${pair}'`);
        return { name: pair.slice(0, at), value: pair.slice(at + 1) };
      });
      return {
        kind,
        topic: name,
        partitions: v.partitions === undefined ? -1 : positiveInt("partitions", v.partitions),
        replicationFactor:
          v["replication-factor"] === undefined
            ? -1
            : positiveInt("replication-factor", v["replication-factor"]),
        configs,
        ifNotExists: v["if-not-exists"] === true,
      };
    }
  }
}
