/**
 * DescribeUserScramCredentials (key 50): v0 (flexible; Kafka has only v0). Answers from this node's
 * committed metadata image, as Kafka's brokers do: per user its mechanisms and iterations, never the
 * salt nor a key. No users (null or empty) lists every user with a credential; a named user without
 * one is RESOURCE_NOT_FOUND, a user named twice DUPLICATE_RESOURCE. Needs DESCRIBE on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED otherwise). Credentials from the JAAS property are not listed: they
 * live in a node's configuration, not in the cluster's metadata.
 */
import { controller } from "@eddy/core";
import { ErrorCode } from "@eddy/protocol";
import { allowedOnCluster } from "../security/authorizer-checks.ts";
import { scramMechanismWire } from "../security/scram-wire.ts";
import { defineApi } from "./api.ts";

export const describeUserScramCredentialsApi = defineApi({
  key: 50,
  name: "DescribeUserScramCredentials",
  versionMin: 0,
  versionMax: 0,
  handle: (ctx, request) => {
    if (!allowedOnCluster(ctx, "DESCRIBE"))
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
        errorMessage: "Cluster authorization failed.",
        results: [],
      };
    const byUser = new Map<string, { mechanism: number; iterations: number }[]>();
    for (const c of controller.scramCredentialsOf(ctx.node.image)) {
      const infos = byUser.get(c.name) ?? [];
      infos.push({ mechanism: scramMechanismWire[c.mechanism], iterations: c.iterations });
      byUser.set(c.name, infos);
    }
    const describe = (user: string) => ({
      user,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      credentialInfos: byUser.get(user)!,
    });
    const named = request.users ?? [];
    if (named.length === 0)
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        results: [...byUser.keys()].map(describe),
      };
    const counts = new Map<string, number>();
    for (const { name } of named) counts.set(name, (counts.get(name) ?? 0) + 1);
    const results = [...counts].map(([user, count]) => {
      if (count > 1)
        return {
          user,
          errorCode: ErrorCode.DUPLICATE_RESOURCE,
          errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`,
          credentialInfos: [],
        };
      if (!byUser.has(user))
        return {
          user,
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: `Attempt to describe a user credential that does not exist: ${user}`,
          credentialInfos: [],
        };
      return describe(user);
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});
