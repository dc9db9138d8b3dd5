/**
 * ApiVersions (key 18): v0-v3. Lists the version range of every API this broker serves, read from
 * the one registry table. A request for a version above v3 gets UNSUPPORTED_VERSION with the v0 body
 * layout and the key list, as KIP-511 prescribes, so a newer client can retry with a version we know
 * (that path lives in the request handler, which must answer before the body can be decoded).
 */
import { ErrorCode } from "@eddy/protocol";
import { type AnyApiDefinition, defineApi } from "./api.ts";

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

export const apiVersionsApi = defineApi({
  key: 18,
  name: "ApiVersions",
  versionMin: 0,
  versionMax: 3,
  handle: (ctx) => ({
    errorCode: ErrorCode.NONE,
    apiKeys: servedApiVersions(ctx.apis),
    throttleTimeMs: 0,
  }),
});
