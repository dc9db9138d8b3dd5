/**
 * Broker and topic configs for the admin API, read through the DescribeConfigs handler itself, so
 * the console shows exactly what `kafka-configs.sh --describe` and `eddy configs describe` see.
 * Owns only the translation of its answer to plain JSON; must never alter a config.
 */

import { describeConfigsApi } from "../apis/32-describe-configs.ts";
import type { RequestContext } from "../apis/api.ts";
import type { BrokerNode } from "../node/broker-node.ts";

/** Kafka's resource types and config sources, by the numbers DescribeConfigs uses. */
const resourceType = { topic: 2, broker: 4 } as const;
const sourceName: Record<number, string> = {
  1: "topic",
  2: "dynamic-broker",
  3: "dynamic-default-broker",
  4: "static-broker",
  5: "default",
};
/** DescribeConfigs v3: the version whose answer carries sources and types. */
const describeVersion = 3;

export interface ConfigView {
  readonly name: string;
  readonly value: string | null;
  readonly source: string;
  readonly readOnly: boolean;
}

/** The configs of a topic or of this broker; null when the topic does not exist. */
export function describeConfigs(
  node: BrokerNode,
  kind: "topic" | "broker",
  name: string,
): ConfigView[] | null {
  // The handler reads only the node and the version from its context.
  const ctx = { node, apiVersion: describeVersion } as unknown as RequestContext;
  const answer = describeConfigsApi.handle(ctx, {
    resources: [{ resourceType: resourceType[kind], resourceName: name, configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  } as Parameters<typeof describeConfigsApi.handle>[1]) as {
    results: {
      errorCode: number;
      configs: { name: string; value: string | null; configSource: number; readOnly: boolean }[];
    }[];
  };
  const result = answer.results[0];
  if (result === undefined || result.errorCode !== 0) return null;
  return result.configs
    .map((c) => ({
      name: c.name,
      value: c.value,
      source: sourceName[c.configSource] ?? "unknown",
      readOnly: c.readOnly,
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
