/**
 * DeleteAcls (key 31): v0-v1 (v2+ is flexible). Every ACL a filter matches (Kafka's filter rules,
 * `controller/acls.ts`) is removed from the metadata log through the controller and listed in that
 * filter's result once committed. Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED
 * otherwise); without an authorizer, SECURITY_DISABLED. v0 filters are literal patterns only.
 */
import { ErrorCode } from "@eddy/protocol";
import { controllerErrorCode } from "../node/broker-node.ts";
import { allowedOnCluster } from "../security/authorizer-checks.ts";
import { aclWire, filterFromWire } from "../security/authorizer-wire.ts";
import { defineApi } from "./api.ts";

export const deleteAclsApi = defineApi({
  key: 31,
  name: "DeleteAcls",
  versionMin: 0,
  versionMax: 1,
  handle: async (ctx, request) => {
    const refuse = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })),
    });
    if (!ctx.node.config.authorizer.enabled)
      return refuse(ErrorCode.SECURITY_DISABLED, "No authorizer is configured on the broker");
    if (!allowedOnCluster(ctx, "ALTER"))
      return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    const filters = request.filters.map(filterFromWire);
    const valid = filters.filter((f) => f !== null);
    const response =
      valid.length === 0 ? null : await ctx.node.metadata.request({ type: "deleteAcls", filters: valid });
    if (valid.length > 0 && response?.type !== "deleteAcls")
      throw new Error("controller gave no deleteAcls answer");
    const answers = response?.type === "deleteAcls" ? response.results : [];
    let next = 0;
    return {
      throttleTimeMs: 0,
      filterResults: filters.map((f) => {
        if (f === null)
          return {
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: "Invalid ACL filter",
            matchingAcls: [],
          };
        const answer = answers[next++];
        const error = answer?.error ?? "UNKNOWN_SERVER_ERROR";
        return {
          errorCode: controllerErrorCode(error),
          errorMessage: error === "NONE" ? null : error,
          matchingAcls: (answer?.acls ?? []).map((acl) => ({
            errorCode: ErrorCode.NONE,
            errorMessage: null,
            ...aclWire(acl),
          })),
        };
      }),
    };
  },
});
