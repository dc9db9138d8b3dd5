/**
 * Dynamic broker configs, as KRaft keeps them (Kafka's ConfigurationControlManager for the BROKER
 * resource): the `alterBrokerConfigs` input's decision, committed as one Config record per key that
 * changes (resource type broker; resource name a broker id, or "" for the cluster-wide default), and
 * how such a record changes the image's `brokerConfigs`.
 *
 * Owns: which changes a request may make (a resource named once, a broker id or "", each key named
 * once, at most `brokerConfigsPerResourceMax` keys per resource and `brokerConfigResourcesMax`
 * resources), which records it proposes and what it answers. It must never judge a key or value: the
 * broker checks them against the configs it can change live before it asks (as for topic configs).
 * It never performs I/O, reads a clock or draws randomness.
 */
import { invariant } from "../invariant.ts";
import {
  type ConfigRecord,
  configChangesPerTopicMax,
  configTextCharsMax,
  type TopicConfigChange,
} from "./topic-configs.ts";
import { type ControllerError, type MetadataImage, requestItemsMax } from "./types.ts";

/** The most keys one broker resource (a broker, or the default) may hold. */
export const brokerConfigsPerResourceMax = 64;
/** The most broker resources with configs: the default plus one per broker id, bounded. */
export const brokerConfigResourcesMax = 1_024;

/** A resource's change: the same shape as a topic's, named "" (the default) or by broker id. */
export type BrokerConfigChange = TopicConfigChange;

export interface AlterBrokerConfigsResult {
  readonly name: string;
  readonly error: ControllerError;
  /** Why the change was refused, in a sentence; null when it was not. */
  readonly message: string | null;
}

/** The image's dynamic broker configs (none when the field is absent). */
export function brokerConfigsOf(
  image: MetadataImage,
): Readonly<Record<string, Readonly<Record<string, string>>>> {
  return image.brokerConfigs ?? {};
}

/** "" (the cluster-wide default) or a broker id as Kafka writes it (digits, no sign or leading zero). */
export function isBrokerConfigResource(name: string): boolean {
  return name === "" || /^(0|[1-9][0-9]{0,9})$/.test(name);
}

/**
 * Decides a request on `image` (the controller's latest, pending batches included). `validateOnly`
 * answers as a real change would and proposes nothing. Keys whose value would not change propose no
 * record, as Kafka skips them.
 */
export function decideAlterBrokerConfigs(
  image: MetadataImage,
  resources: readonly BrokerConfigChange[],
  validateOnly: boolean,
): { readonly records: readonly ConfigRecord[]; readonly results: readonly AlterBrokerConfigsResult[] } {
  const records: ConfigRecord[] = [];
  const all = brokerConfigsOf(image);
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
  const tooMany = resources.length > requestItemsMax;
  const results = resources.map((r): AlterBrokerConfigsResult => {
    const refuse = (error: ControllerError, message: string) => ({ name: r.name, error, message });
    if (tooMany) return refuse("INVALID_REQUEST", `more than ${requestItemsMax} resources in one request`);
    if (counts.get(r.name)! > 1)
      return refuse("INVALID_REQUEST", "broker resource named twice in one request");
    if (!isBrokerConfigResource(r.name))
      return refuse(
        "INVALID_REQUEST",
        `a broker resource is a broker id or empty (the default), not '${r.name}'`,
      );
    const setKeys = Object.keys(r.set);
    if (setKeys.length + r.delete.length > configChangesPerTopicMax)
      return refuse(
        "INVALID_REQUEST",
        `more than ${configChangesPerTopicMax} config changes for one resource`,
      );
    const named = new Set<string>();
    for (const key of [...setKeys, ...r.delete]) {
      if (named.has(key)) return refuse("INVALID_REQUEST", `config ${key} named twice`);
      named.add(key);
      if (key.length === 0 || key.length > configTextCharsMax)
        return refuse("INVALID_CONFIG", `a config name must have 1 to ${configTextCharsMax} characters`);
    }
    for (const value of Object.values(r.set)) {
      if (value.length > configTextCharsMax)
        return refuse("INVALID_CONFIG", `a config value must have at most ${configTextCharsMax} characters`);
    }
    const current = all[r.name] ?? {};
    const after: Record<string, string> = { ...current, ...r.set };
    for (const key of r.delete) delete after[key];
    if (Object.keys(after).length > brokerConfigsPerResourceMax)
      return refuse(
        "INVALID_CONFIG",
        `a broker resource may hold at most ${brokerConfigsPerResourceMax} configs`,
      );
    if (
      all[r.name] === undefined &&
      Object.keys(all).length >= brokerConfigResourcesMax &&
      setKeys.length > 0
    )
      return refuse(
        "INVALID_CONFIG",
        `at most ${brokerConfigResourcesMax} broker resources may hold configs`,
      );
    if (validateOnly) return { name: r.name, error: "NONE", message: null };
    for (const key of setKeys) {
      const value = r.set[key]!;
      if (current[key] !== value)
        records.push({ type: "Config", resourceType: "broker", resourceName: r.name, name: key, value });
    }
    for (const key of r.delete) {
      if (Object.hasOwn(current, key))
        records.push({
          type: "Config",
          resourceType: "broker",
          resourceName: r.name,
          name: key,
          value: null,
        });
    }
    return { name: r.name, error: "NONE", message: null };
  });
  invariant(results.length === resources.length, "broker configs: one result per resource");
  return { records, results };
}

/**
 * The image's broker configs after one broker Config record: the key set or removed; a resource left
 * with no key goes, and the whole map is absent (undefined) once none is left, so an image that never
 * held a dynamic broker config keeps exactly its keys.
 */
export function applyBrokerConfigRecord(
  all: Readonly<Record<string, Readonly<Record<string, string>>>>,
  record: ConfigRecord,
): Readonly<Record<string, Readonly<Record<string, string>>>> | undefined {
  invariant(record.resourceType === "broker", "broker configs: a topic's record");
  invariant(isBrokerConfigResource(record.resourceName), "broker configs: a record for no broker resource");
  const resource: Record<string, string> = { ...(all[record.resourceName] ?? {}) };
  if (record.value === null) delete resource[record.name];
  else resource[record.name] = record.value;
  const next: Record<string, Readonly<Record<string, string>>> = { ...all };
  if (Object.keys(resource).length === 0) delete next[record.resourceName];
  else next[record.resourceName] = resource;
  invariant(Object.keys(resource).length <= brokerConfigsPerResourceMax, "broker configs: past the bound");
  return Object.keys(next).length === 0 ? undefined : next;
}
