/**
 * CreateAcls (key 30): v0-v1 (v2+ is flexible; kafka-python and kafkajs send v0-v1). Each creation
 * becomes an ACL in the metadata log through the controller (`controller/acls.ts`), answered once
 * committed; one that exists already succeeds with nothing written, as in Kafka. Needs ALTER on the
 * cluster (CLUSTER_AUTHORIZATION_FAILED otherwise); without an authorizer every creation is answered
 * SECURITY_DISABLED, as Kafka answers when no authorizer is configured.
 */
import { ErrorCode } from "@eddy/protocol";
import { controllerErrorCode } from "../node/broker-node.ts";
import { allowedOnCluster } from "../security/authorizer-checks.ts";
import { bindingFromWire } from "../security/authorizer-wire.ts";
import { defineApi } from "./api.ts";

export const createAclsApi = defineApi({
  key: 30,
  name: "CreateAcls",
  versionMin: 0,
  versionMax: 1,
  handle: async (ctx, request) => {
    const refuse = (errorCode: number, errorMessage: string) => ({
      throttleTimeMs: 0,
      results: request.creations.map(() => ({ errorCode, errorMessage })),
    });
    if (!ctx.node.config.authorizer.enabled)
      return refuse(ErrorCode.SECURITY_DISABLED, "No authorizer is configured on the broker");
    if (!allowedOnCluster(ctx, "ALTER"))
      return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "Cluster authorization failed.");
    const bindings = request.creations.map(bindingFromWire);
    const valid = bindings.filter((b) => b !== null);
    const response =
      valid.length === 0 ? null : await ctx.node.metadata.request({ type: "createAcls", acls: valid });
    if (valid.length > 0 && response?.type !== "createAcls")
      throw new Error("controller gave no createAcls answer");
    const answers = response?.type === "createAcls" ? response.results : [];
    let next = 0;
    return {
      throttleTimeMs: 0,
      results: bindings.map((b) => {
        if (b === null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Invalid ACL creation" };
        const error = answers[next++]?.error ?? "UNKNOWN_SERVER_ERROR";
        return { errorCode: controllerErrorCode(error), errorMessage: error === "NONE" ? null : error };
      }),
    };
  },
});
