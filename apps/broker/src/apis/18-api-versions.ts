/**
 * ApiVersions (key 18): v0-v3. Lists the version range of every API this broker serves, read from
 * the one registry table (the controller-only APIs on a controller listener only). A request for a
 * version above v3 gets UNSUPPORTED_VERSION with the v0 body layout and the key list, as KIP-511
 * prescribes, so a newer client can retry with a version we know (that path lives in the request
 * handler, which must answer before the body can be decoded).
 */
import { ErrorCode } from "@eddy/protocol";
import { type AnyApiDefinition, defineApi, type RequestContext } from "./api.ts";

/** The served range of each API, as ApiVersions lists them (also in the KIP-511 answer). */
export function servedApiVersions(
  apis: readonly AnyApiDefinition[],
): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return apis.map((api) => ({
    apiKey: api.key,
    minVersion: api.versionMin,
    maxVersion: api.versionMaxAdvertised ?? api.versionMax,
  }));
}

/**
 * The APIs listed to a connection: the controller-only ones (BrokerRegistration, BrokerHeartbeat,
 * AlterPartition, AllocateProducerIds) on a listener of `controller.listener.names` only, as Kafka
 * lists them, so an ordinary client never sees them.
 */
function advertisedOn(ctx: RequestContext): readonly AnyApiDefinition[] {
  const name = ctx.connection.listener.name;
  const controller = ctx.node.config.servedListeners.some((l) => l.name === name && l.controller);
  return controller ? ctx.apis : ctx.apis.filter((api) => api.controllerOnly !== true);
}

export const apiVersionsApi = defineApi({
  key: 18,
  name: "ApiVersions",
  versionMin: 0,
  versionMax: 3,
  handle: (ctx) => ({
    errorCode: ErrorCode.NONE,
    apiKeys: servedApiVersions(advertisedOn(ctx)),
    throttleTimeMs: 0,
  }),
});
