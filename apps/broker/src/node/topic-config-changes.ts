/**
 * A topic's config change as IncrementalAlterConfigs (SET, DELETE, APPEND, SUBTRACT) and AlterConfigs
 * (the whole set replaced) ask for it, checked with Kafka 3.9's topic config table
 * (`topic-configs.ts`) and turned into the controller's `alterTopicConfigs` change: the keys to set
 * (trimmed, as stored) and the keys to remove.
 *
 * Owns: the operations' meaning and the checks before the controller is asked. It must never let a
 * change through whose result `checkTopicConfigs` would refuse: a topic's stored configs always pass
 * the same checks as a topic created with them.
 */
import type { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import type { BrokerConfig } from "../config/broker-config.ts";
import { brokerLogConfig } from "./storage.ts";
import { checkTopicConfigs, effectiveTopicConfigs, topicConfigDefinitions } from "./topic-configs.ts";

/** Kafka's AlterConfigOp.OpType values (IncrementalAlterConfigs' configOperation). */
export const configOperation = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

/** The most config entries one resource of a request may carry (Kafka's table holds about 40 names). */
export const configEntriesPerResourceMax = 256;

export interface ConfigOperationEntry {
  readonly name: string;
  readonly configOperation: number;
  readonly value: string | null;
}

/** The change to ask the controller for, or why it is refused (a Kafka error code and a sentence). */
export type TopicConfigChangeChecked =
  | { readonly _tag: "Valid"; readonly change: controller.TopicConfigChange }
  | { readonly _tag: "Invalid"; readonly errorCode: number; readonly errorMessage: string };

const definitionsByName = new Map(topicConfigDefinitions.map((d) => [d.name, d]));

/** A refusal: Kafka's error code and the sentence the client shows. Broker configs refuse with it too. */
export function invalid(errorCode: number, errorMessage: string): TopicConfigChangeChecked {
  return { _tag: "Invalid", errorCode, errorMessage };
}

/**
 * The refusal of a resource's entries as a whole, before any is looked at: more than the bound, or
 * (IncrementalAlterConfigs, `duplicatesRefused`) a key named twice; null when they may be checked.
 */
export function entriesRefusal(
  entries: readonly { readonly name: string }[],
  duplicatesRefused: boolean,
): TopicConfigChangeChecked | null {
  if (entries.length > configEntriesPerResourceMax)
    return invalid(
      ErrorCode.INVALID_REQUEST,
      `more than ${configEntriesPerResourceMax} configs in one resource`,
    );
  if (duplicatesRefused && new Set(entries.map((e) => e.name)).size !== entries.length)
    return invalid(ErrorCode.INVALID_REQUEST, "Error due to duplicate config keys");
  return null;
}

/** The elements of a LIST config's value (Kafka splits on commas and trims each). */
function listElements(value: string): string[] {
  return value
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
}

/** Kafka's refusal of APPEND or SUBTRACT on a key that is not a LIST. */
export function listOperationRefused(op: number, name: string): TopicConfigChangeChecked {
  const verb = op === configOperation.append ? "append" : "subtract";
  return invalid(ErrorCode.INVALID_REQUEST, `Config value ${verb} is not allowed for config key: ${name}`);
}

/**
 * A LIST value after APPEND (the given elements it lacks added at the end) or SUBTRACT (the given
 * elements removed), from the value in effect; topic and broker configs both change lists this way.
 */
export function listAfterOperation(op: number, current: string, given: string): string {
  const now = listElements(current);
  const elements = listElements(given);
  const next =
    op === configOperation.append
      ? [...now, ...elements.filter((e) => !now.includes(e))]
      : now.filter((e) => !elements.includes(e));
  return next.join(",");
}

/**
 * IncrementalAlterConfigs for one topic: each operation applied in order to the topic's configs in
 * effect (`stored`, as the image holds them), then the whole result checked as CreateTopics checks a
 * new topic's configs. APPEND and SUBTRACT work on LIST configs only (cleanup.policy, the throttled
 * replica lists) and start from the default when the topic does not override the key.
 */
export function checkIncrementalChange(
  topic: string,
  stored: Readonly<Record<string, string>>,
  entries: readonly ConfigOperationEntry[],
  broker: BrokerConfig,
): TopicConfigChangeChecked {
  const refused = entriesRefusal(entries, true);
  if (refused !== null) return refused;
  const result: Record<string, string> = effectiveTopicConfigs(stored, broker);
  const removed = new Set<string>();
  for (const { name, configOperation: op, value } of entries) {
    const d = definitionsByName.get(name);
    // A key the topic holds from before configs were checked may still be removed.
    if (d === undefined && !(op === configOperation.delete && Object.hasOwn(stored, name)))
      return invalid(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${name}`);
    switch (op) {
      case configOperation.set:
        if (value === null)
          return invalid(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${name}`);
        result[name] = value;
        removed.delete(name);
        break;
      case configOperation.delete:
        delete result[name];
        removed.add(name);
        break;
      case configOperation.append:
      case configOperation.subtract: {
        if (d?.kind !== "list") return listOperationRefused(op, name);
        if (value === null)
          return invalid(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${name}`);
        const current = result[name] ?? d.fallback(broker, brokerLogConfig(broker));
        result[name] = listAfterOperation(op, current, value);
        removed.delete(name);
        break;
      }
      default:
        return invalid(ErrorCode.INVALID_REQUEST, `unknown config operation ${op} for ${name}`);
    }
  }
  const checked = checkTopicConfigs(
    Object.entries(result).map(([name, value]) => ({ name, value })),
    broker,
  );
  if (checked._tag === "Invalid") return invalid(ErrorCode.INVALID_CONFIG, checked.problem);
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(checked.configs)) if (stored[name] !== value) set[name] = value;
  // Keys held but not in effect (refused by today's checks) go too once the change names them.
  const deleted = Object.keys(stored).filter(
    (name) => !Object.hasOwn(checked.configs, name) && removed.has(name),
  );
  return { _tag: "Valid", change: { name: topic, set, delete: deleted } };
}

/**
 * AlterConfigs for one topic: the given configs become the topic's whole set, checked as CreateTopics
 * checks them; every other key the topic holds, and every name Kafka knows, is removed (naming all
 * known names keeps a change another client committed meanwhile from surviving the replacement).
 */
export function checkReplacement(
  topic: string,
  stored: Readonly<Record<string, string>>,
  entries: readonly { readonly name: string; readonly value: string | null }[],
  broker: BrokerConfig,
): TopicConfigChangeChecked {
  const refused = entriesRefusal(entries, false);
  if (refused !== null) return refused;
  const checked = checkTopicConfigs(entries, broker);
  if (checked._tag === "Invalid") return invalid(ErrorCode.INVALID_CONFIG, checked.problem);
  const set: Record<string, string> = { ...checked.configs };
  const gone = new Set([...Object.keys(stored), ...definitionsByName.keys()]);
  const deleted = [...gone].filter((name) => !Object.hasOwn(set, name));
  return { _tag: "Valid", change: { name: topic, set, delete: deleted } };
}

/** Kafka's ConfigResource.Type values the two APIs name. */
export const configResourceType = { topic: 2, broker: 4, brokerLogger: 8 } as const;

export interface ResourceAnswer {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

/**
 * How long an answer waits for this node's own image to show a committed change (a node that is not
 * the active controller learns it a quorum round later), so a DescribeConfigs sent here next reads
 * it. Past this the answer goes anyway: the change has committed.
 */
const changeVisibleWaitMsMax = 3_000;
const changeVisiblePollMs = 10;

/** Whether `image` holds the change: every set key at its value and every removed key gone. */
function changeVisible(image: controller.MetadataImage, change: controller.TopicConfigChange): boolean {
  const configs = image.topics[change.name]?.configs;
  // A topic deleted meanwhile will never show it; waiting longer would not help.
  if (configs === undefined) return true;
  return (
    Object.entries(change.set).every(([k, v]) => configs[k] === v) &&
    change.delete.every((k) => !Object.hasOwn(configs, k))
  );
}

/**
 * Asks the controller for the checked changes (one request for all of them) and answers each topic
 * once its records committed, with the controller's error and sentence when it refused one.
 */
export async function requestTopicConfigChanges(
  metadata: {
    request(input: controller.Input): Promise<controller.Response | null>;
    readonly image: controller.MetadataImage;
  },
  changes: readonly controller.TopicConfigChange[],
  validateOnly: boolean,
  errorCodeOf: (error: controller.ControllerError) => number,
): Promise<Map<string, ResourceAnswer>> {
  const answers = new Map<string, ResourceAnswer>();
  if (changes.length === 0) return answers;
  const response = await metadata.request({ type: "alterTopicConfigs", topics: changes, validateOnly });
  if (response?.type !== "alterTopicConfigs") throw new Error("controller gave no alterTopicConfigs answer");
  for (const t of response.topics) {
    answers.set(t.name, {
      errorCode: errorCodeOf(t.error),
      errorMessage: t.error === "NONE" ? null : (t.message ?? t.error),
    });
  }
  if (!validateOnly) {
    const applied = changes.filter((c) => answers.get(c.name)?.errorCode === ErrorCode.NONE);
    const deadlineMs = performance.now() + changeVisibleWaitMsMax;
    while (performance.now() < deadlineMs && !applied.every((c) => changeVisible(metadata.image, c)))
      await new Promise((resolve) => setTimeout(resolve, changeVisiblePollMs));
  }
  return answers;
}

/**
 * Whether a committed image changed a topic's configs: the same topic (not one recreated under its
 * name) with other keys or values. Compared by content, since a pushed or restored image holds new
 * objects for unchanged configs too.
 */
export function topicConfigsChanged(
  before: controller.TopicImage | undefined,
  after: controller.TopicImage,
): boolean {
  if (before === undefined || before.topicId !== after.topicId) return false;
  if (before.configs === after.configs) return false;
  const keys = Object.keys(after.configs);
  return (
    keys.length !== Object.keys(before.configs).length ||
    keys.some((k) => before.configs[k] !== after.configs[k])
  );
}
