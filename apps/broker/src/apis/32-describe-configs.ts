/**
 * DescribeConfigs (key 32): v0-v3. A topic's effective configuration: every topic config Kafka
 * knows, its own override (as stored, when it is in effect) or else the value the broker's settings
 * give it, with the source of each (a dynamic broker default shows as DYNAMIC_BROKER_CONFIG or
 * DYNAMIC_DEFAULT_BROKER_CONFIG). And the broker's own settings, under Kafka's names, in force now:
 * the ones it changes live (`node/broker-configs.ts`) are not read-only and carry their source with
 * Kafka's precedence (dynamic per-broker, dynamic default, static, default); the empty resource name
 * (the cluster-wide default) lists the dynamic defaults only.
 */
import { ErrorCode } from "@eddy/protocol";
import type { BrokerConfig } from "../config/broker-config.ts";
import {
  brokerConfigSource,
  brokerConfigSourceOf,
  dynamicBrokerConfig,
  dynamicBrokerConfigDefinitions,
} from "../node/broker-configs.ts";
import { brokerLogConfig } from "../node/storage.ts";
import { describeConfigType, effectiveTopicConfigs, topicConfigDefinitions } from "../node/topic-configs.ts";
import { allowed, allowedOnCluster } from "../security/authorizer-checks.ts";
import { defineApi } from "./api.ts";

const resourceTopic = 2;
const resourceBroker = 4;
/** Kafka's ConfigSource values. */
const sourceTopic = 1;
const sourceStaticBroker = 4;
const sourceDefault = 5;
const typeString = describeConfigType.string;
const typeInt = describeConfigType.int;
const typeLong = describeConfigType.long;
const typeBoolean = describeConfigType.boolean;

type Entry = readonly [name: string, value: string, type: number];

/** The dynamic broker config each topic config falls back to (Kafka's synonyms), by topic config name. */
const brokerSynonyms = new Map(dynamicBrokerConfigDefinitions.map((d) => [d.synonym, d.name]));

function brokerEntries(c: BrokerConfig): Entry[] {
  return [
    ["node.id", String(c.nodeId), typeInt],
    ["listeners", `${c.listener.name}://${c.listener.host}:${c.listener.port}`, typeString],
    ["advertised.listeners", `${c.advertised.name}://${c.advertised.host}:${c.advertised.port}`, typeString],
    ["log.dirs", c.dataDir, typeString],
    ["num.partitions", String(c.partitionCountDefault), typeInt],
    ["default.replication.factor", String(c.replicationFactorDefault), typeInt],
    ["auto.create.topics.enable", String(c.autoCreateTopicsEnable), typeBoolean],
    ["delete.topic.enable", String(c.deleteTopicEnable), typeBoolean],
    ["log.retention.ms", String(c.retentionMs), typeLong],
    ["log.retention.bytes", String(c.retentionBytesMax), typeLong],
    ["log.segment.bytes", String(c.segmentBytesMax), typeInt],
    ["log.roll.ms", String(c.rollMs), typeLong],
    ["message.max.bytes", String(c.messageBytesMax), typeInt],
    ["min.insync.replicas", String(c.minInsyncReplicas), typeInt],
    ["offsets.retention.minutes", String(c.offsetsRetentionMs / 60_000), typeInt],
    ["group.initial.rebalance.delay.ms", String(c.groupInitialRebalanceDelayMs), typeInt],
  ];
}

export const describeConfigsApi = defineApi({
  key: 32,
  name: "DescribeConfigs",
  versionMin: 0,
  versionMax: 3,
  handle: (ctx, request) => {
    const node = ctx.node;
    return {
      throttleTimeMs: 0,
      results: request.resources.map((resource) => {
        const wanted = resource.configurationKeys;
        const pick = (entries: { name: string }[]) =>
          wanted === null || wanted.length === 0 ? entries : entries.filter((e) => wanted.includes(e.name));
        const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
        // Kafka's rule: DESCRIBE_CONFIGS on the topic, or on the cluster for a broker's configs.
        const refusal =
          resource.resourceType === resourceTopic
            ? allowed(ctx, "DESCRIBE_CONFIGS", "TOPIC", resource.resourceName)
              ? null
              : ErrorCode.TOPIC_AUTHORIZATION_FAILED
            : resource.resourceType === resourceBroker && !allowedOnCluster(ctx, "DESCRIBE_CONFIGS")
              ? ErrorCode.CLUSTER_AUTHORIZATION_FAILED
              : null;
        if (refusal !== null) return { ...base, errorCode: refusal, errorMessage: null, configs: [] };
        if (resource.resourceType === resourceTopic) {
          const topic = node.image.topics[resource.resourceName];
          if (topic === undefined) {
            return {
              ...base,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              errorMessage: "unknown topic",
              configs: [],
            };
          }
          const log = brokerLogConfig(node.config);
          const effective = effectiveTopicConfigs(topic.configs, node.config);
          const configs = topicConfigDefinitions.map((d) => {
            const override = effective[d.name];
            const dynamic = brokerSynonyms.get(d.name);
            const inherited =
              dynamic === undefined
                ? sourceDefault
                : brokerConfigSourceOf(dynamic, "", node.image, node.config.nodeId);
            return {
              name: d.name,
              value: override ?? d.fallback(node.config, log),
              readOnly: false,
              isDefault: ctx.apiVersion === 0 && override === undefined,
              configSource:
                override !== undefined
                  ? sourceTopic
                  : inherited === brokerConfigSource.dynamicBroker ||
                      inherited === brokerConfigSource.dynamicDefault
                    ? inherited
                    : sourceDefault,
              isSensitive: false,
              synonyms: [],
              configType: describeConfigType[d.kind],
              documentation: null,
            };
          });
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: pick(configs) };
        }
        if (resource.resourceType === resourceBroker) {
          if (resource.resourceName === "") {
            // The cluster-wide default resource holds only what was set on it.
            const defaults = Object.entries(node.image.brokerConfigs?.[""] ?? {}).map(([name, value]) => ({
              name,
              value,
              readOnly: false,
              isDefault: false,
              configSource: brokerConfigSource.dynamicDefault,
              isSensitive: false,
              synonyms: [],
              configType: typeString,
              documentation: null,
            }));
            return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: pick(defaults) };
          }
          if (resource.resourceName !== String(node.config.nodeId)) {
            return {
              ...base,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: "unknown broker",
              configs: [],
            };
          }
          const listed = new Set<string>();
          const configs = brokerEntries(node.config).map(([name, value, configType]) => {
            listed.add(name);
            const dynamic = dynamicBrokerConfig(name);
            return {
              name,
              value,
              readOnly: dynamic === undefined,
              isDefault: false,
              configSource:
                dynamic === undefined
                  ? sourceStaticBroker
                  : brokerConfigSourceOf(
                      name,
                      dynamic.read(node.staticConfig),
                      node.image,
                      node.config.nodeId,
                    ),
              isSensitive: false,
              synonyms: [],
              configType,
              documentation: null,
            };
          });
          for (const d of dynamicBrokerConfigDefinitions) {
            if (listed.has(d.name)) continue;
            configs.push({
              name: d.name,
              value: d.read(node.config),
              readOnly: false,
              isDefault: false,
              configSource: brokerConfigSourceOf(
                d.name,
                d.read(node.staticConfig),
                node.image,
                node.config.nodeId,
              ),
              isSensitive: false,
              synonyms: [],
              configType: typeString,
              documentation: null,
            });
          }
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: pick(configs) };
        }
        return {
          ...base,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: "unsupported resource type",
          configs: [],
        };
      }),
    };
  },
});
