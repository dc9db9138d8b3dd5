/**
 * The one table of served APIs and version ranges. ApiVersions answers from it and the request
 * handler refuses anything outside it. Ranges follow docs/client-compat.md §1.7: wide enough for
 * kafka-python 2.0.2, kcat/librdkafka 2.0.2, kafkajs 2.2.4 and @platformatic/kafka 2.12, with no
 * flexible versions yet except ApiVersions v3.
 */
import { metadataApi } from "./03-metadata.ts";
import { apiVersionsApi } from "./18-api-versions.ts";
import type { AnyApiDefinition } from "./api.ts";

export const apiRegistry: readonly AnyApiDefinition[] = [metadataApi, apiVersionsApi].sort(
  (a, b) => a.key - b.key,
);

export const apiByKey: ReadonlyMap<number, AnyApiDefinition> = new Map(
  apiRegistry.map((api) => [api.key, api]),
);
