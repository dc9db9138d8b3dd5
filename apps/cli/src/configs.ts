/**
 * `eddy configs describe|alter`, as `kafka-configs.sh`: a topic's or a broker's configuration with
 * DescribeConfigs (every config, its value and where it comes from), and changes with
 * IncrementalAlterConfigs (SET and DELETE per key). Owns the shape of those answers. Must never
 * send an alteration to a broker that did not say it serves IncrementalAlterConfigs: such a broker
 * would close the connection, so ApiVersions is asked first and the refusal says what to do instead.
 */

import type { KafkaConnection } from "@eddy/client";
import { ApiKey, ErrorCode } from "@eddy/protocol";
import { type Admin, ApiVersion, codeText, KafkaError, unknownTopic } from "./admin.ts";

export type EntityType = "topics" | "brokers";

export interface ConfigEntry {
  readonly name: string;
  /** Null for a sensitive value the broker does not show. */
  readonly value: string | null;
  readonly source: string;
  readonly readOnly: boolean;
  readonly sensitive: boolean;
}

export interface EntityConfigs {
  readonly entityType: EntityType;
  readonly entityName: string;
  readonly configs: readonly ConfigEntry[];
}

/** Kafka's resource types for DescribeConfigs and IncrementalAlterConfigs. */
const resourceType: Record<EntityType, number> = { topics: 2, brokers: 4 };
/** Kafka's ConfigSource names, by value. */
const sources = [
  "UNKNOWN",
  "DYNAMIC_TOPIC_CONFIG",
  "DYNAMIC_BROKER_CONFIG",
  "DYNAMIC_DEFAULT_BROKER_CONFIG",
  "STATIC_BROKER_CONFIG",
  "DEFAULT_CONFIG",
  "DYNAMIC_BROKER_LOGGER_CONFIG",
  "CLIENT_METRICS_CONFIG",
  "GROUP_CONFIG",
];
const operationSet = 0;
const operationDelete = 1;

/**
 * The configs of one topic, one broker, or (brokers with no name) every broker. A broker's are asked
 * of that broker, as Kafka's admin client does.
 */
export async function describeConfigs(
  admin: Admin,
  entityType: EntityType,
  entityName: string | null,
): Promise<EntityConfigs[]> {
  if (entityType === "topics") {
    if (entityName === null) throw new KafkaError("bug: topics need a name");
    return [await describeOne(admin.bootstrapConnection, "topics", entityName)];
  }
  if (entityName === "") return [await describeOne(admin.bootstrapConnection, "brokers", "")];
  const metadata = await admin.metadata([]);
  const ids =
    entityName === null
      ? metadata.brokers.map((b) => b.nodeId).sort((a, b) => a - b)
      : [brokerId(entityName)];
  const result: EntityConfigs[] = [];
  for (const id of ids) {
    if (!metadata.brokers.some((b) => b.nodeId === id)) {
      throw new KafkaError(`broker ${id} is not in the cluster; 'eddy cluster' lists the brokers`);
    }
    result.push(await describeOne(await admin.connectionTo(id), "brokers", String(id)));
  }
  return result;
}

function brokerId(name: string): number {
  if (!/^[0-9]{1,9}$/.test(name)) {
    throw new KafkaError(
      `a broker's --entity-name is its node id, not '${name}'; 'eddy cluster' lists the brokers`,
    );
  }
  return Number(name);
}

async function describeOne(
  connection: KafkaConnection,
  entityType: EntityType,
  name: string,
): Promise<EntityConfigs> {
  const response = await connection.request(ApiKey.DescribeConfigs, ApiVersion.describeConfigs, {
    resources: [{ resourceType: resourceType[entityType], resourceName: name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const result = response.results[0];
  const code = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopic(name);
  if (code !== ErrorCode.NONE || result === undefined) {
    throw new KafkaError(
      `cannot describe the configs of ${entityType} '${name}': ${codeText(code, result?.errorMessage)}`,
    );
  }
  return {
    entityType,
    entityName: name,
    configs: result.configs
      .map((c) => ({
        name: c.name,
        value: c.value,
        source: sources[c.configSource] ?? `SOURCE_${c.configSource}`,
        readOnly: c.readOnly,
        sensitive: c.isSensitive,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** Sets and deletes configs of one topic or broker with IncrementalAlterConfigs. */
export async function alterConfigs(
  admin: Admin,
  entityType: EntityType,
  entityName: string,
  set: readonly { name: string; value: string }[],
  remove: readonly string[],
): Promise<void> {
  let connection = admin.bootstrapConnection;
  if (entityType === "brokers" && entityName !== "") {
    // A broker's configs are changed on that broker, as Kafka's admin client sends them; its address
    // comes from the metadata.
    const id = brokerId(entityName);
    const metadata = await admin.metadata([]);
    if (!metadata.brokers.some((b) => b.nodeId === id))
      throw new KafkaError(`broker ${id} is not in the cluster; 'eddy cluster' lists the brokers`);
    connection = await admin.connectionTo(id);
  }
  const versions = await connection.request(ApiKey.ApiVersions, ApiVersion.apiVersions, {});
  const served = versions.apiKeys.find((k) => k.apiKey === ApiKey.IncrementalAlterConfigs);
  if (served === undefined || served.minVersion > ApiVersion.incrementalAlterConfigs) {
    throw new KafkaError(
      `the broker at ${connection.address} does not serve IncrementalAlterConfigs (API 44), so configs cannot be altered there; ` +
        (entityType === "topics"
          ? `a topic's configs can be given when it is created: 'eddy topics create NAME --config KEY=VALUE'`
          : "a broker's settings are changed in its configuration and a restart"),
    );
  }
  const response = await connection.request(
    ApiKey.IncrementalAlterConfigs,
    ApiVersion.incrementalAlterConfigs,
    {
      resources: [
        {
          resourceType: resourceType[entityType],
          resourceName: entityName,
          configs: [
            ...set.map((c) => ({ name: c.name, configOperation: operationSet, value: c.value })),
            ...remove.map((name) => ({ name, configOperation: operationDelete, value: null })),
          ],
        },
      ],
      validateOnly: false,
    },
  );
  const result = response.responses[0];
  const code = result?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw unknownTopic(entityName);
  if (code !== ErrorCode.NONE) {
    throw new KafkaError(
      `cannot alter the configs of ${entityType} '${entityName}': ${codeText(code, result?.errorMessage)}`,
    );
  }
}
