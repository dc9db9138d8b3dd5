/**
 * Dynamic broker configs, as Kafka's DynamicBrokerConfig keeps them: the broker settings this broker
 * can change while it runs (the log defaults every topic without its own value follows,
 * message.max.bytes, min.insync.replicas), each checked with the checks of its topic-level synonym
 * (`topic-configs.ts`); the change IncrementalAlterConfigs or AlterConfigs asks for one BROKER
 * resource (a broker id, or "" for the cluster-wide default); and the settings in force, with
 * Kafka's precedence: dynamic per-broker over dynamic default over the static settings.
 *
 * Owns the table of what is dynamic and the overlay. It must never let a value through that the
 * topic-level checks refuse (a default every topic then inherits must be one a topic could hold), and
 * never let a setting it cannot apply live be changed: those are refused with INVALID_REQUEST naming
 * them, as Kafka refuses its read-only configs.
 */
import type { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import type { BrokerConfig } from "../config/broker-config.ts";
import { definitionFor } from "../config/definitions.ts";
import {
  type ConfigOperationEntry,
  configOperation,
  entriesRefusal,
  invalid,
  listAfterOperation,
  listOperationRefused,
  type TopicConfigChangeChecked,
} from "./topic-config-changes.ts";
import { checkTopicConfigs } from "./topic-configs.ts";

/**
 * The settings in force. `logCleanupPolicy` is the dynamic `log.cleanup.policy` (the static one is
 * Kafka's default, `delete`): the fallback of every topic's cleanup.policy.
 */
export type LiveBrokerConfig = BrokerConfig & { readonly logCleanupPolicy?: string };

type Writable = { -readonly [K in keyof LiveBrokerConfig]: LiveBrokerConfig[K] };

/** Kafka writes "never" and "no limit" as Long.MAX_VALUE; the settings use Infinity. */
const longMaxText = "9223372036854775807";
const longOrInfinity = (value: string): number =>
  value === longMaxText ? Number.POSITIVE_INFINITY : Number(value);
const longText = (value: number): string => (Number.isFinite(value) ? String(value) : longMaxText);

export interface DynamicBrokerConfigDefinition {
  /** Kafka's broker config name. */
  readonly name: string;
  /** The topic config whose checks the value passes (Kafka's synonym). */
  readonly synonym: string;
  readonly apply: (config: Writable, value: string) => void;
  readonly read: (config: LiveBrokerConfig) => string;
}

/** Every broker config this broker changes live, sorted by name. */
export const dynamicBrokerConfigDefinitions: readonly DynamicBrokerConfigDefinition[] = [
  {
    name: "log.cleanup.policy",
    synonym: "cleanup.policy",
    apply: (c, v) => {
      c.logCleanupPolicy = v;
    },
    read: (c) => c.logCleanupPolicy ?? "delete",
  },
  {
    name: "log.flush.interval.messages",
    synonym: "flush.messages",
    apply: (c, v) => {
      c.flushIntervalMessages = longOrInfinity(v);
    },
    read: (c) => longText(c.flushIntervalMessages),
  },
  {
    name: "log.flush.interval.ms",
    synonym: "flush.ms",
    apply: (c, v) => {
      c.flushIntervalMs = longOrInfinity(v);
    },
    read: (c) => longText(c.flushIntervalMs),
  },
  {
    name: "log.index.interval.bytes",
    synonym: "index.interval.bytes",
    apply: (c, v) => {
      c.indexIntervalBytes = Number(v);
    },
    read: (c) => String(c.indexIntervalBytes),
  },
  {
    name: "log.retention.bytes",
    synonym: "retention.bytes",
    apply: (c, v) => {
      c.retentionBytesMax = BigInt(v) < 0n ? -1 : Number(v);
    },
    read: (c) => String(c.retentionBytesMax),
  },
  {
    name: "log.retention.ms",
    synonym: "retention.ms",
    apply: (c, v) => {
      c.retentionMs = Number(v) < 0 ? -1 : Number(v);
    },
    read: (c) => String(c.retentionMs),
  },
  {
    name: "log.roll.ms",
    synonym: "segment.ms",
    apply: (c, v) => {
      c.rollMs = longOrInfinity(v);
    },
    read: (c) => longText(c.rollMs),
  },
  {
    name: "log.segment.bytes",
    synonym: "segment.bytes",
    apply: (c, v) => {
      c.segmentBytesMax = Number(v);
    },
    read: (c) => String(c.segmentBytesMax),
  },
  {
    name: "message.max.bytes",
    synonym: "max.message.bytes",
    apply: (c, v) => {
      c.messageBytesMax = Number(v);
    },
    read: (c) => String(c.messageBytesMax),
  },
  {
    name: "min.insync.replicas",
    synonym: "min.insync.replicas",
    apply: (c, v) => {
      c.minInsyncReplicas = Number(v);
    },
    read: (c) => String(c.minInsyncReplicas),
  },
];

const definitionsByName = new Map(dynamicBrokerConfigDefinitions.map((d) => [d.name, d]));

/** The definition of a config this broker changes live, or undefined. */
export function dynamicBrokerConfig(name: string): DynamicBrokerConfigDefinition | undefined {
  return definitionsByName.get(name);
}

/**
 * The settings in force on broker `nodeId`: `base` (read at start), then the cluster-wide dynamic
 * defaults, then this broker's own dynamic configs (Kafka's precedence). Keys the image holds that
 * this build does not know are skipped, so an image written by a newer build cannot stop it.
 */
export function effectiveBrokerConfig(base: BrokerConfig, image: controller.MetadataImage): LiveBrokerConfig {
  const dynamic = image.brokerConfigs;
  if (dynamic === undefined) return base;
  const config: Writable = { ...base };
  for (const resource of ["", String(base.nodeId)]) {
    for (const [name, value] of Object.entries(dynamic[resource] ?? {})) {
      const d = definitionsByName.get(name);
      if (d !== undefined && checkTopicConfigs([{ name: d.synonym, value }], base)._tag === "Valid")
        d.apply(config, value);
    }
  }
  return config;
}

/** Kafka's ConfigSource values a broker config may have. */
export const brokerConfigSource = {
  dynamicBroker: 2,
  dynamicDefault: 3,
  staticBroker: 4,
  default: 5,
} as const;

/**
 * Where a broker config's value on broker `nodeId` comes from, as DescribeConfigs reports it: its own
 * dynamic value, the dynamic default, or the start-up settings; a start-up value equal to Kafka's
 * documented default reads as DEFAULT_CONFIG (this broker does not keep which file set what).
 */
export function brokerConfigSourceOf(
  name: string,
  staticValue: string,
  image: controller.MetadataImage,
  nodeId: number,
): number {
  const dynamic = image.brokerConfigs ?? {};
  if (dynamic[String(nodeId)]?.[name] !== undefined) return brokerConfigSource.dynamicBroker;
  if (dynamic[""]?.[name] !== undefined) return brokerConfigSource.dynamicDefault;
  const documented = definitionFor(name)?.defaultText;
  return documented !== undefined && documented === staticValue
    ? brokerConfigSource.default
    : brokerConfigSource.staticBroker;
}

/** Kafka's answer to a config it cannot change while the broker runs (its read-only configs). */
function notDynamic(names: readonly string[]): TopicConfigChangeChecked {
  return invalid(
    ErrorCode.INVALID_REQUEST,
    `Cannot update these configs dynamically: ${names.join(", ")} (set them in server.properties and restart; dynamic: ${dynamicBrokerConfigDefinitions.map((d) => d.name).join(", ")})`,
  );
}

/** A value checked as its synonym is, named by the broker config in the refusal. */
function checkValue(
  d: DynamicBrokerConfigDefinition,
  value: string,
  base: BrokerConfig,
): string | TopicConfigChangeChecked {
  const checked = checkTopicConfigs([{ name: d.synonym, value }], base);
  if (checked._tag === "Invalid")
    return invalid(
      ErrorCode.INVALID_CONFIG,
      checked.problem.replace(`configuration ${d.synonym}:`, `configuration ${d.name}:`),
    );
  return checked.configs[d.synonym]!;
}

/**
 * IncrementalAlterConfigs for one broker resource: SET and DELETE on the dynamic configs, APPEND and
 * SUBTRACT on log.cleanup.policy (a LIST). A name that is not dynamic refuses the resource with
 * INVALID_REQUEST naming it; a bad value with INVALID_CONFIG naming the key and why.
 */
export function checkBrokerIncrementalChange(
  resource: string,
  stored: Readonly<Record<string, string>>,
  entries: readonly ConfigOperationEntry[],
  base: BrokerConfig,
  current: LiveBrokerConfig,
): TopicConfigChangeChecked {
  const refused = entriesRefusal(entries, true);
  if (refused !== null) return refused;
  const readOnly = entries
    .map((e) => e.name)
    .filter((n) => !definitionsByName.has(n) && !Object.hasOwn(stored, n));
  if (readOnly.length > 0) return notDynamic(readOnly);
  const set: Record<string, string> = {};
  const deleted: string[] = [];
  for (const { name, configOperation: op, value } of entries) {
    const d = definitionsByName.get(name);
    if (op === configOperation.delete) {
      if (Object.hasOwn(stored, name)) deleted.push(name);
      continue;
    }
    if (d === undefined) return notDynamic([name]);
    if (value === null)
      return invalid(ErrorCode.INVALID_CONFIG, `Null value not supported for broker configs: ${name}`);
    let next = value;
    if (op === configOperation.append || op === configOperation.subtract) {
      if (d.synonym !== "cleanup.policy") return listOperationRefused(op, name);
      next = listAfterOperation(op, stored[name] ?? d.read(current), value);
    } else if (op !== configOperation.set) {
      return invalid(ErrorCode.INVALID_REQUEST, `unknown config operation ${op} for ${name}`);
    }
    const checked = checkValue(d, next, base);
    if (typeof checked !== "string") return checked;
    if (stored[name] !== checked) set[name] = checked;
  }
  return {
    _tag: "Valid",
    change: { name: resource, set, delete: deleted.filter((n) => !Object.hasOwn(set, n)) },
  };
}

/**
 * AlterConfigs for one broker resource: the given configs become its whole dynamic set, checked as
 * above; every other dynamic key it holds is removed.
 */
export function checkBrokerReplacement(
  resource: string,
  stored: Readonly<Record<string, string>>,
  entries: readonly { readonly name: string; readonly value: string | null }[],
  base: BrokerConfig,
): TopicConfigChangeChecked {
  const refused = entriesRefusal(entries, false);
  if (refused !== null) return refused;
  const readOnly = entries.map((e) => e.name).filter((n) => !definitionsByName.has(n));
  if (readOnly.length > 0) return notDynamic(readOnly);
  const set: Record<string, string> = {};
  for (const { name, value } of entries) {
    if (Object.hasOwn(set, name))
      return invalid(ErrorCode.INVALID_REQUEST, "Error due to duplicate config keys");
    if (value === null)
      return invalid(ErrorCode.INVALID_CONFIG, `Null value not supported for broker configs: ${name}`);
    const checked = checkValue(definitionsByName.get(name)!, value, base);
    if (typeof checked !== "string") return checked;
    set[name] = checked;
  }
  const deleted = Object.keys(stored).filter((n) => !Object.hasOwn(set, n));
  return { _tag: "Valid", change: { name: resource, set, delete: deleted } };
}

/** Whether two images differ in the dynamic broker configs broker `nodeId` reads. */
export function brokerConfigsChanged(
  before: controller.MetadataImage,
  after: controller.MetadataImage,
  nodeId: number,
): boolean {
  if (before.brokerConfigs === after.brokerConfigs) return false;
  const same = (a: Readonly<Record<string, string>> = {}, b: Readonly<Record<string, string>> = {}) =>
    Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);
  return !["", String(nodeId)].every((r) => same(before.brokerConfigs?.[r], after.brokerConfigs?.[r]));
}
