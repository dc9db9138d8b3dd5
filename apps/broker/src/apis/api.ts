/**
 * The shape of one Kafka API handler: its key, the version range this broker serves (the one table
 * ApiVersions reads is `registry.ts`), and a function from the decoded request to the response body.
 * A handler returns `null` when the request gets no response on the wire (Produce with acks=0).
 */
import type { ApiKey, RequestByKey, RequestHeader, ResponseInputByKey } from "@eddy/protocol";
import type { ConnectionInfo } from "../net/server.ts";
import type { BrokerNode } from "../node/broker-node.ts";

export interface RequestContext {
  readonly node: BrokerNode;
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly connection: ConnectionInfo;
  /**
   * Who sent the request, as the authorizer reads it (`security/authorizer-principal.ts`): the SASL
   * user, else the TLS client certificate's subject, else `User:ANONYMOUS` (PLAINTEXT).
   */
  readonly principal: string;
  /** The address the request came from, as an ACL's host names it. */
  readonly host: string;
  /** The served version ranges, for ApiVersions. */
  readonly apis: readonly AnyApiDefinition[];
}

export type ApiResult<K extends ApiKey> = ResponseInputByKey[K] | null;

export interface ApiDefinition<K extends ApiKey> {
  readonly key: K;
  readonly name: string;
  readonly versionMin: number;
  readonly versionMax: number;
  /**
   * The highest version ApiVersions lists, when below `versionMax`: the versions above it are served
   * for the nodes of the cluster only (Fetch v12-v16, whose topic ids clients cannot learn from this
   * broker's Metadata v0-v8).
   */
  readonly versionMaxAdvertised?: number;
  /**
   * Served for the nodes of the cluster, not for clients (Kafka's spec lists only the "controller"
   * listener for it): ApiVersions lists it on a controller listener only.
   */
  readonly controllerOnly?: boolean;
  readonly handle: (ctx: RequestContext, request: RequestByKey[K]) => ApiResult<K> | Promise<ApiResult<K>>;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds handlers of every key.
export type AnyApiDefinition = ApiDefinition<any>;

export function defineApi<K extends ApiKey>(definition: ApiDefinition<K>): ApiDefinition<K> {
  return definition;
}
