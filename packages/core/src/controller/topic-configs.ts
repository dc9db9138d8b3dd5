/**
 * Changing a topic's configs after it was created, as KRaft does (Kafka's ConfigurationControlManager
 * for the TOPIC resource): the `alterTopicConfigs` input's decision, committed as one Config record
 * (Kafka's ConfigRecord) per key that changes, and how such a record changes the image.
 *
 * Owns: which changes a request may make (the topic exists, each key named once, the topic's configs
 * stay within `topicConfigsMax`, unclean.leader.election.enable stays a boolean), which records it
 * proposes and what it answers. It must never judge a config's value beyond what the controller itself
 * reads: the broker checks names and values against Kafka's table before it asks (as for CreateTopics).
 * It never performs I/O, reads a clock or draws randomness.
 */
import { invariant } from "../invariant.ts";
import {
  type ControllerError,
  type MetadataImage,
  requestItemsMax,
  topicConfigsMax,
  uncleanLeaderElectionConfig,
} from "./types.ts";

/** The most keys one topic's change may set and delete together (Kafka's table holds about 40). */
export const configChangesPerTopicMax = 256;
/** The longest config name or value the controller stores, in UTF-16 code units. */
export const configTextCharsMax = 32_768;

/** One topic's change: keys to set to a value, and keys to remove (a key absent already is no change). */
export interface TopicConfigChange {
  readonly name: string;
  readonly set: Readonly<Record<string, string>>;
  readonly delete: readonly string[];
}

/**
 * Kafka's ConfigRecord for a topic or a broker (`broker-configs.ts`: a broker id, or "" for the
 * cluster-wide default): `value` null removes the key. One record per changed key, so a change of one
 * key never rewrites the others (and two changes of different keys compose).
 */
export interface ConfigRecord {
  readonly type: "Config";
  readonly resourceType: "topic" | "broker";
  readonly resourceName: string;
  readonly name: string;
  readonly value: string | null;
}

export interface AlterTopicConfigsResult {
  readonly name: string;
  readonly error: ControllerError;
  /** Why the change was refused, in a sentence; null when it was not. */
  readonly message: string | null;
}

export interface AlterTopicConfigsDecision {
  readonly records: readonly ConfigRecord[];
  readonly results: readonly AlterTopicConfigsResult[];
}

/**
 * Decides a request on `image` (the controller's latest, pending batches included). `validateOnly`
 * answers as a real change would and proposes nothing. Keys whose value would not change propose no
 * record, as Kafka skips them.
 */
export function decideAlterTopicConfigs(
  image: MetadataImage,
  topics: readonly TopicConfigChange[],
  validateOnly: boolean,
): AlterTopicConfigsDecision {
  const records: ConfigRecord[] = [];
  const counts = new Map<string, number>();
  for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const tooMany = topics.length > requestItemsMax;
  const results = topics.map((t): AlterTopicConfigsResult => {
    const refuse = (error: ControllerError, message: string) => ({ name: t.name, error, message });
    if (tooMany) return refuse("INVALID_REQUEST", `more than ${requestItemsMax} topics in one request`);
    if (counts.get(t.name)! > 1) return refuse("INVALID_REQUEST", "topic named twice in one request");
    const topic = image.topics[t.name];
    if (topic === undefined) return refuse("UNKNOWN_TOPIC_OR_PARTITION", "unknown topic");
    const setKeys = Object.keys(t.set);
    if (setKeys.length + t.delete.length > configChangesPerTopicMax)
      return refuse("INVALID_REQUEST", `more than ${configChangesPerTopicMax} config changes for one topic`);
    const named = new Set<string>();
    for (const key of [...setKeys, ...t.delete]) {
      if (named.has(key)) return refuse("INVALID_REQUEST", `config ${key} named twice`);
      named.add(key);
      if (key.length === 0 || key.length > configTextCharsMax)
        return refuse("INVALID_CONFIG", "a config name must have 1 to 32768 characters");
    }
    for (const value of Object.values(t.set)) {
      if (value.length > configTextCharsMax)
        return refuse("INVALID_CONFIG", `a config value must have at most ${configTextCharsMax} characters`);
    }
    const after: Record<string, string> = { ...topic.configs, ...t.set };
    for (const key of t.delete) delete after[key];
    if (Object.keys(after).length > topicConfigsMax)
      return refuse("INVALID_CONFIG", `a topic may override at most ${topicConfigsMax} configs`);
    const unclean = after[uncleanLeaderElectionConfig];
    if (unclean !== undefined && unclean !== "true" && unclean !== "false")
      return refuse("INVALID_CONFIG", `${uncleanLeaderElectionConfig} must be true or false`);
    if (validateOnly) return { name: t.name, error: "NONE", message: null };
    for (const key of setKeys) {
      const value = t.set[key]!;
      if (topic.configs[key] !== value)
        records.push({ type: "Config", resourceType: "topic", resourceName: t.name, name: key, value });
    }
    for (const key of t.delete) {
      if (Object.hasOwn(topic.configs, key))
        records.push({ type: "Config", resourceType: "topic", resourceName: t.name, name: key, value: null });
    }
    return { name: t.name, error: "NONE", message: null };
  });
  return { records, results };
}

/** A topic's configs after one Config record: the key set to its value, or removed. */
export function applyConfigRecord(
  configs: Readonly<Record<string, string>>,
  record: ConfigRecord,
): Readonly<Record<string, string>> {
  const next: Record<string, string> = { ...configs };
  if (record.value === null) delete next[record.name];
  else next[record.name] = record.value;
  invariant(
    Object.keys(next).length <= topicConfigsMax,
    () => `image: topic ${record.resourceName} over ${topicConfigsMax} configs`,
  );
  return next;
}
