/**
 * Topic-level configs under Kafka 3.9's names (its `LogConfig`): which names exist, how each value
 * is checked (type, range, allowed values, with Kafka's messages), the value a topic gets when it
 * does not override one (what DescribeConfigs reports), and how a topic's configs become the log
 * settings of its partitions.
 *
 * Owns the table and the checks only. It must never let a value through that the storage engine or
 * the controller would refuse later: a topic whose configs pass here is created exactly as asked.
 */
import { invariant } from "@eddy/core";
import { type LogConfig, logConfigFromKafka } from "@eddy/storage";
import type { BrokerConfig } from "../config/broker-config.ts";
import type { LiveBrokerConfig } from "./broker-configs.ts";
import { brokerLogConfig } from "./storage.ts";

type Kind = "boolean" | "string" | "int" | "long" | "double" | "list";

/** Kafka's DescribeConfigs ConfigType value of each kind (v3+). */
export const describeConfigType: Readonly<Record<Kind, number>> = {
  boolean: 1,
  string: 2,
  int: 3,
  long: 5,
  double: 6,
  list: 7,
};

export interface TopicConfigDefinition {
  readonly name: string;
  readonly kind: Kind;
  /** Inclusive bounds of a number. */
  readonly min?: number;
  readonly max?: number;
  /** The allowed values of a string, or of each element of a list. */
  readonly values?: readonly string[];
  /** A check after type and range; returns why the (trimmed) value is refused, or null. */
  readonly refuse?: (value: string) => string | null;
  /** The value of a topic that does not override this config, from the broker's settings. */
  readonly fallback: (broker: BrokerConfig, log: LogConfig) => string;
}

const intMin = -(2 ** 31);
const intMax = 2 ** 31 - 1;
const longMinBig = -(2n ** 63n);
const longMaxBig = 2n ** 63n - 1n;
const longMaxText = "9223372036854775807";
/**
 * The storage engine's smallest segment (room for one batch header) and offset index (four 8-byte
 * entries). Its package does not export them; the log-settings guard in `checkTopicConfigs` catches
 * any drift.
 */
const segmentBytesMin = 61;
const indexBytesMin = 32;

/** Kafka writes "never" as Long.MAX_VALUE; the log settings use Infinity. */
const longText = (value: number): string => (Number.isFinite(value) ? String(value) : longMaxText);
const constant =
  (text: string): TopicConfigDefinition["fallback"] =>
  () =>
    text;

/** Kafka's ThrottledReplicaListValidator: `*`, or a list of partition:broker pairs. */
function throttledReplicasProblem(value: string): string | null {
  if (value === "" || value === "*") return null;
  return value.split(/\s*,\s*/).every((entry) => /^\d+:\d+$/.test(entry))
    ? null
    : "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";
}

/** Every topic config Kafka 3.9 knows, sorted by name (DescribeConfigs lists them in this order). */
export const topicConfigDefinitions: readonly TopicConfigDefinition[] = [
  {
    name: "cleanup.policy",
    kind: "list",
    values: ["compact", "delete"],
    // Kafka's default, unless the dynamic broker config log.cleanup.policy says otherwise.
    fallback: (broker) => (broker as LiveBrokerConfig).logCleanupPolicy ?? "delete",
  },
  {
    name: "compression.gzip.level",
    kind: "int",
    // -1 is Deflater's default level; otherwise 1 (fastest) to 9 (smallest).
    refuse: (v) =>
      v === "-1" || (Number(v) >= 1 && Number(v) <= 9) ? null : "Value must be between 1 and 9",
    fallback: constant("-1"),
  },
  { name: "compression.lz4.level", kind: "int", min: 1, max: 17, fallback: constant("9") },
  {
    name: "compression.type",
    kind: "string",
    values: ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"],
    fallback: constant("producer"),
  },
  { name: "compression.zstd.level", kind: "int", min: -131072, max: 22, fallback: constant("3") },
  { name: "delete.retention.ms", kind: "long", min: 0, fallback: constant("86400000") },
  { name: "file.delete.delay.ms", kind: "long", min: 0, fallback: constant("60000") },
  { name: "flush.messages", kind: "long", min: 1, fallback: (_, log) => longText(log.flushIntervalMessages) },
  { name: "flush.ms", kind: "long", min: 0, fallback: (_, log) => longText(log.flushIntervalMs) },
  {
    name: "follower.replication.throttled.replicas",
    kind: "list",
    refuse: throttledReplicasProblem,
    fallback: constant(""),
  },
  {
    name: "index.interval.bytes",
    kind: "int",
    min: 0,
    fallback: (_, log) => String(log.indexIntervalBytes),
  },
  {
    name: "leader.replication.throttled.replicas",
    kind: "list",
    refuse: throttledReplicasProblem,
    fallback: constant(""),
  },
  { name: "local.retention.bytes", kind: "long", min: -2, fallback: constant("-2") },
  { name: "local.retention.ms", kind: "long", min: -2, fallback: constant("-2") },
  { name: "max.compaction.lag.ms", kind: "long", min: 1, fallback: constant(longMaxText) },
  { name: "max.message.bytes", kind: "int", min: 0, fallback: (broker) => String(broker.messageBytesMax) },
  { name: "message.downconversion.enable", kind: "boolean", fallback: constant("true") },
  {
    name: "message.format.version",
    kind: "string",
    refuse: (v) => (/^\d+\.\d+(\.\d+)?(-IV\d+)?$/.test(v) ? null : "not a Kafka version such as 3.0-IV1"),
    fallback: constant("3.0-IV1"),
  },
  { name: "message.timestamp.after.max.ms", kind: "long", min: 0, fallback: constant(longMaxText) },
  { name: "message.timestamp.before.max.ms", kind: "long", min: 0, fallback: constant(longMaxText) },
  { name: "message.timestamp.difference.max.ms", kind: "long", min: 0, fallback: constant(longMaxText) },
  {
    name: "message.timestamp.type",
    kind: "string",
    values: ["CreateTime", "LogAppendTime"],
    // Kafka rewrites each batch's timestamps with the broker's clock for LogAppendTime. This broker
    // stores batches as produced, so it refuses the setting rather than silently keep client times.
    refuse: (v) =>
      v === "LogAppendTime" ? "LogAppendTime is not supported by this broker (only CreateTime)" : null,
    fallback: constant("CreateTime"),
  },
  { name: "min.cleanable.dirty.ratio", kind: "double", min: 0, max: 1, fallback: constant("0.5") },
  { name: "min.compaction.lag.ms", kind: "long", min: 0, fallback: constant("0") },
  {
    name: "min.insync.replicas",
    kind: "int",
    min: 1,
    fallback: (broker) => String(broker.minInsyncReplicas),
  },
  { name: "preallocate", kind: "boolean", fallback: constant("false") },
  { name: "remote.log.copy.disable", kind: "boolean", fallback: constant("false") },
  { name: "remote.log.delete.on.disable", kind: "boolean", fallback: constant("false") },
  {
    name: "remote.storage.enable",
    kind: "boolean",
    // Kafka's own answer when tiered storage is off in the broker, which it always is here.
    refuse: (v) =>
      v === "true"
        ? "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."
        : null,
    fallback: constant("false"),
  },
  { name: "retention.bytes", kind: "long", fallback: (_, log) => String(log.retentionBytesMax) },
  { name: "retention.ms", kind: "long", min: -1, fallback: (_, log) => String(log.retentionMs) },
  {
    name: "segment.bytes",
    kind: "int",
    // Kafka allows 14 (a legacy record's overhead); this log needs room for one batch header.
    min: segmentBytesMin,
    fallback: (_, log) => String(log.segmentBytesMax),
  },
  {
    name: "segment.index.bytes",
    kind: "int",
    min: indexBytesMin,
    fallback: (_, log) => String(log.indexBytesMax),
  },
  { name: "segment.jitter.ms", kind: "long", min: 0, fallback: constant("0") },
  { name: "segment.ms", kind: "long", min: 1, fallback: (_, log) => longText(log.rollMs) },
  {
    name: "unclean.leader.election.enable",
    kind: "boolean",
    fallback: (broker) => String(broker.uncleanLeaderElectionEnable),
  },
];

const definitionsByName: ReadonlyMap<string, TopicConfigDefinition> = new Map(
  topicConfigDefinitions.map((d) => [d.name, d]),
);

const kindName: Readonly<Record<Kind, string>> = {
  boolean: "BOOLEAN",
  string: "STRING",
  int: "INT",
  long: "LONG",
  double: "DOUBLE",
  list: "LIST",
};

/** Why a trimmed value is refused (Kafka's wording after "Invalid value X for configuration Y: "). */
function valueProblem(d: TopicConfigDefinition, value: string): string | null {
  switch (d.kind) {
    case "int":
    case "long": {
      if (!/^[+-]?\d+$/.test(value)) return `Not a number of type ${kindName[d.kind]}`;
      const n = BigInt(value);
      const [low, high] = d.kind === "int" ? [BigInt(intMin), BigInt(intMax)] : [longMinBig, longMaxBig];
      if (n < low || n > high) return `Not a number of type ${kindName[d.kind]}`;
      if (d.min !== undefined && n < BigInt(d.min)) return `Value must be at least ${d.min}`;
      if (d.max !== undefined && n > BigInt(d.max)) return `Value must be no more than ${d.max}`;
      break;
    }
    case "double": {
      const n = Number(value);
      if (value === "" || !Number.isFinite(n)) return "Not a number of type DOUBLE";
      if (d.min !== undefined && n < d.min) return `Value must be at least ${d.min}`;
      if (d.max !== undefined && n > d.max) return `Value must be no more than ${d.max}`;
      break;
    }
    case "boolean":
      if (value !== "true" && value !== "false") return "Expected value to be either true or false";
      break;
    case "string":
      if (d.values !== undefined && !d.values.includes(value)) {
        return `String must be one of: ${d.values.join(", ")}`;
      }
      break;
    case "list":
      for (const element of value === "" ? [] : value.split(/\s*,\s*/)) {
        if (d.values !== undefined && !d.values.includes(element)) {
          return `String must be one of: ${d.values.join(", ")}`;
        }
      }
      break;
  }
  return d.refuse?.(value) ?? null;
}

/** A topic's configs as the controller stores them, or the sentence saying why they are refused. */
export type TopicConfigsChecked =
  | { readonly _tag: "Valid"; readonly configs: Readonly<Record<string, string>> }
  | { readonly _tag: "Invalid"; readonly problem: string };

/**
 * Checks a CreateTopics request's configs as Kafka does, in its order: null values, then unknown
 * names, then each value, then the rules between values. Values are stored trimmed and booleans in
 * lower case (Kafka parses them so), so every later reader sees one spelling.
 */
export function checkTopicConfigs(
  entries: readonly { readonly name: string; readonly value: string | null }[],
  broker: BrokerConfig,
): TopicConfigsChecked {
  const invalid = (problem: string): TopicConfigsChecked => ({ _tag: "Invalid", problem });
  const nullNames = entries.filter((e) => e.value === null).map((e) => e.name);
  if (nullNames.length > 0)
    return invalid(`Null value not supported for topic configs: ${nullNames.join(",")}`);
  const configs: Record<string, string> = {};
  for (const { name, value } of entries) {
    const d = definitionsByName.get(name);
    if (d === undefined) return invalid(`Unknown topic config name: ${name}`);
    if (Object.hasOwn(configs, name)) return invalid(`Duplicate topic config name: ${name}`);
    const trimmed = (value ?? "").trim();
    const normal = d.kind === "boolean" ? trimmed.toLowerCase() : trimmed;
    const problem = valueProblem(d, normal);
    if (problem !== null) return invalid(`Invalid value ${value} for configuration ${name}: ${problem}`);
    configs[name] = normal;
  }
  const minLag = BigInt(configs["min.compaction.lag.ms"] ?? "0");
  const maxLag = BigInt(configs["max.compaction.lag.ms"] ?? longMaxText);
  if (minLag > maxLag) {
    return invalid(
      `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`,
    );
  }
  // The table's ranges cover what the storage engine needs; this is the guard that they still do.
  const log = logConfigFromKafka(storageView(configs), brokerLogConfig(broker));
  if (log._tag === "Invalid") return invalid(`Invalid topic configs for this broker's log: ${log.problem}`);
  return { _tag: "Valid", configs };
}

/** The configs as the storage engine reads them: it writes "no size limit" only as -1, Kafka as any negative. */
function storageView(configs: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const bytes = configs["retention.bytes"];
  return bytes !== undefined && BigInt(bytes) < 0n ? { ...configs, "retention.bytes": "-1" } : configs;
}

/**
 * Whether a topic's cleanup.policy deletes old segments (Kafka: `delete` is in the list); a topic
 * without its own follows the broker's (the dynamic log.cleanup.policy, else `delete`).
 */
function deletesOldSegments(configs: Readonly<Record<string, string>>, broker: BrokerConfig): boolean {
  const policy = configs["cleanup.policy"] ?? (broker as LiveBrokerConfig).logCleanupPolicy;
  return policy === undefined || policy.split(/\s*,\s*/).includes("delete");
}

/**
 * The configs of a stored topic that are in effect: each one that passes today's checks. Topics
 * created before configs were checked may hold others; those are left out, so the broker's value
 * applies to them (and DescribeConfigs shows that value), and `log` names them.
 */
export function effectiveTopicConfigs(
  configs: Readonly<Record<string, string>>,
  broker: BrokerConfig,
  log: (line: string) => void = () => {},
): Record<string, string> {
  const effective: Record<string, string> = {};
  for (const [name, value] of Object.entries(configs)) {
    const checked = checkTopicConfigs([{ name, value }], broker);
    if (checked._tag === "Valid") Object.assign(effective, checked.configs);
    else log(`topic config ignored, the broker's value applies: ${checked.problem}`);
  }
  return effective;
}

/**
 * A topic's log settings: its effective configs over the broker's. A topic whose cleanup.policy
 * lacks `delete` keeps every segment, as in Kafka, where retention.ms and retention.bytes delete
 * only under that policy (this broker does not compact, so such a log grows until the policy
 * changes).
 */
export function topicLogConfig(effective: Readonly<Record<string, string>>, broker: BrokerConfig): LogConfig {
  const parsed = logConfigFromKafka(storageView(effective), brokerLogConfig(broker));
  invariant(parsed._tag === "Valid", "topic configs: effective configs the log refuses");
  const config = parsed.config;
  return deletesOldSegments(effective, broker)
    ? config
    : { ...config, retentionMs: -1, retentionBytesMax: -1 };
}

/** The largest batch a topic accepts: its max.message.bytes, else the broker's message.max.bytes. */
export function topicMessageBytesMax(
  effective: Readonly<Record<string, string>>,
  broker: BrokerConfig,
): number {
  const own = effective["max.message.bytes"];
  return own === undefined ? broker.messageBytesMax : Number(own);
}
