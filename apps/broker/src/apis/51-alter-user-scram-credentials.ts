/**
 * AlterUserScramCredentials (key 51): v0 (flexible; Kafka has only v0). Each deletion and upsertion
 * goes to the controller (`controller/scram-credentials.ts`) and is answered once its record
 * committed, one result per user. The salted password of an upsertion is turned into StoredKey and
 * ServerKey here, as Kafka's controller does with ScramFormatter, so it never reaches the metadata
 * log nor another node. Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED for every user
 * otherwise), as Kafka's KafkaApis requires.
 */
import { ErrorCode } from "@eddy/protocol";
import { allowedOnCluster } from "../security/authorizer-checks.ts";
import { scramKeysOf } from "../security/scram.ts";
import { hexOf, scramMechanismFromWire } from "../security/scram-wire.ts";
import { defineApi } from "./api.ts";

export const alterUserScramCredentialsApi = defineApi({
  key: 51,
  name: "AlterUserScramCredentials",
  versionMin: 0,
  versionMax: 0,
  handle: async (ctx, request) => {
    const users = [...new Set([...request.deletions, ...request.upsertions].map((c) => c.name))];
    if (!allowedOnCluster(ctx, "ALTER"))
      return {
        throttleTimeMs: 0,
        results: users.map((user) => ({
          user,
          errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
          errorMessage: "Cluster authorization failed.",
        })),
      };
    if (users.length === 0) return { throttleTimeMs: 0, results: [] };
    const upsertions = request.upsertions.map((u) => {
      const mechanism = scramMechanismFromWire(u.mechanism);
      // An unknown mechanism has no hash: the controller refuses it before it looks at the keys.
      const keys = mechanism.startsWith("UNKNOWN")
        ? { storedKey: new Uint8Array(), serverKey: new Uint8Array() }
        : scramKeysOf(mechanism as "SCRAM-SHA-256" | "SCRAM-SHA-512", u.saltedPassword);
      return {
        name: u.name,
        mechanism: mechanism as "SCRAM-SHA-256",
        iterations: u.iterations,
        salt: hexOf(u.salt),
        storedKey: hexOf(keys.storedKey),
        serverKey: hexOf(keys.serverKey),
      };
    });
    const deletions = request.deletions.map((d) => ({
      name: d.name,
      mechanism: scramMechanismFromWire(d.mechanism),
    }));
    const response = await ctx.node.metadata.request({
      type: "alterUserScramCredentials",
      deletions,
      upsertions,
    });
    if (response?.type !== "alterUserScramCredentials")
      throw new Error("controller gave no alterUserScramCredentials answer");
    return {
      throttleTimeMs: 0,
      results: response.results.map((r) => ({
        user: r.name,
        errorCode: (ErrorCode as Record<string, number>)[r.error] ?? ErrorCode.UNKNOWN_SERVER_ERROR,
        errorMessage: r.message ?? (r.error === "NONE" ? null : r.error),
      })),
    };
  },
});
